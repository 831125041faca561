# The program installs its own profile hooks (sys.setprofile,
# threading.setprofile), then removes them; on 3.12+ it also uses
# sys.monitoring with a tool id of its own.  Its hooks must still see its
# calls, and pcg must count every call of f (EXPECT lines).
import sys
import threading

seen = []


def hook(frame, event, arg):
    if event == 'call':
        seen.append(frame.f_code.co_name)


def f():
    pass


def worker():
    f()


def main():
    sys.setprofile(hook)
    threading.setprofile(hook)
    for i in range(5):
        f()
    t = threading.Thread(target=worker, name='W')
    t.start()
    t.join()
    sys.setprofile(None)
    threading.setprofile(None)
    for i in range(3):
        f()
    print('HOOK f', seen.count('f'))
    n = 9
    if sys.version_info >= (3, 12):
        mon = sys.monitoring
        tool = next(i for i in range(6) if mon.get_tool(i) is None)
        mon.use_tool_id(tool, 'hostile')
        starts = []
        mon.register_callback(tool, mon.events.PY_START,
                              lambda code, off: starts.append(code.co_name))
        mon.set_events(tool, mon.events.PY_START)
        for i in range(4):
            f()
        mon.set_events(tool, 0)
        mon.register_callback(tool, mon.events.PY_START, None)
        mon.free_tool_id(tool)
        print('MON f', starts.count('f'))
        n += 4
    for i in range(2):
        f()
    print('EXPECT f', n + 2)


main()

"""A running process for pcg-trace -p: THREADS (argv[1], 3) threads call
spin() in a loop, each in a frame that runs for the whole life of the
process (busy()), and the main thread prints its pid, then a heartbeat
line every 0.1 s, until the file argv[2] exists: "beat N TOOLS PROFILE
OWN", the sys.monitoring tools in use (names, comma-separated, - for
none), whether a profile function is set (sys.getprofile()) and how many
events the program's own tools saw.  With argv[3] "own", the main thread
has tools of its own: sys.monitoring tool 3 ("mine", PY_START) and a
sys.setprofile function, each counting."""
import os
import sys
import threading
import time


def spin(i):
    return i * 2


def busy(stop):
    i = 0
    while not stop.is_set():
        spin(i)
        i += 1


def tools():
    mon = getattr(sys, 'monitoring', None)
    names = [mon.get_tool(i) for i in range(6)] if mon else []
    return ','.join(n for n in names if n) or '-'


own = [0]


def mine(*args):
    own[0] += 1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    quit = sys.argv[2] if len(sys.argv) > 2 else None
    if sys.argv[3:] == ['own']:
        mon = sys.monitoring
        mon.use_tool_id(3, 'mine')
        mon.register_callback(3, mon.events.PY_START, mine)
        mon.set_events(3, mon.events.PY_START)
        sys.setprofile(mine)
    stop = threading.Event()
    ts = [threading.Thread(target=busy, args=(stop,), name='busy-%d' % k) for k in range(n)]
    for t in ts:
        t.start()
    print('pid', os.getpid(), flush=True)
    beat = 0
    while not (quit and os.path.exists(quit)):
        time.sleep(0.1)
        beat += 1
        print('beat', beat, tools(), sys.getprofile() is not None, own[0], flush=True)
    stop.set()
    for t in ts:
        t.join()
    print('bye', flush=True)


main()

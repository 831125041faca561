# The program's own profile functions (sys.setprofile, threading.setprofile)
# see exactly the events they see without pcg-trace (the program prints them
# all), sys.getprofile() and threading.getprofile() answer the same, an
# exception in a profile function unsets it, one may replace itself; and pcg
# counts every call of f (EXPECT lines).
import sys
import threading

log = []


def name(frame, event, arg):
    if event in ('call', 'return'):
        return frame.f_code.co_name
    return getattr(arg, '__name__', '?')


def hook(frame, event, arg):
    log.append('%s %s' % (event, name(frame, event, arg)))


def f(n):
    return len(str(n))


def gen():
    yield 1
    yield 2


def bad(frame, event, arg):
    if event == 'return' and frame.f_code.co_name == 'f':
        raise ValueError('bad hook')


def swap(frame, event, arg):
    # Replaces itself by hook at the first call of f.
    if event == 'call' and frame.f_code.co_name == 'f':
        sys.setprofile(hook)


def worker():
    f(1)


def threads():
    seen = []

    def thook(frame, event, arg):
        if event == 'call':
            seen.append(frame.f_code.co_name)
    threading.setprofile(thook)
    if hasattr(threading, 'getprofile'):
        print('threading.getprofile is thook', threading.getprofile() is thook)
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    threading.setprofile(None)
    if hasattr(threading, 'getprofile'):
        print('threading.getprofile', threading.getprofile())
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    print('thread hook saw f', seen.count('f'))


def main():
    print('getprofile', sys.getprofile())
    sys.setprofile(hook)
    print('getprofile is hook', sys.getprofile() is hook)
    for i in range(3):
        f(i)
    list(gen())
    sorted([3, 1, 2], key=f)
    sys.setprofile(None)
    print('getprofile', sys.getprofile())
    sys.setprofile(bad)
    try:
        f(7)
    except ValueError as e:
        print('raised', e)
    print('getprofile after raise', sys.getprofile())
    sys.setprofile(swap)
    f(8)
    f(9)
    sys.setprofile(None)
    print('\n'.join(log))
    threads()
    print('EXPECT f', 3 + 3 + 1 + 2 + 2)


main()

# The program's own trace function (pdb, coverage's Python tracer) under
# pcg-trace --lines: it sees the events it sees alone, sys.gettrace()
# answers it, and pcg's line costs go on once it is gone.  A thread's
# functions have line costs too.
import sys
import threading


def work():
    a = 1
    b = 2
    return a + b


count = 0


def tracer(frame, event, arg):
    global count
    if frame.f_code is work.__code__ and event == 'line':
        count += 1
    return tracer


sys.settrace(tracer)
mine = sys.gettrace() is tracer
for _ in range(10):
    work()
sys.settrace(None)
print('traced', count, mine, sys.gettrace() is None)


def after(n):
    s = 0
    for i in range(n):
        s += i
    return s


def spin(n):
    s = 0
    for i in range(n):
        s += i
    return s


after(3000)
t = threading.Thread(target=spin, args=(3000,))
t.start()
t.join()

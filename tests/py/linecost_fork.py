# pcg-trace -f --lines: a forked child's own profile has line costs too;
# with "paused", the program turns recording on itself (--paused, SIGUSR2).
import os
import signal
import sys
import time


def work(n):
    s = 0
    for i in range(n):
        s += i
    return s


if sys.argv[1:] == ['paused']:
    work(100)
    os.kill(os.getpid(), signal.SIGUSR2)
    time.sleep(0.05)
    work(1000)
    sys.exit(0)
pid = os.fork()
work(1000)
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)

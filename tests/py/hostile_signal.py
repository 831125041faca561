# Calls f N times (argv[2]), then sends itself signal argv[1] and waits.
import os
import signal
import sys
import time


def f():
    pass


def main():
    n = int(sys.argv[2])
    for i in range(n):
        f()
    sys.stdout.write('EXPECT f %d\n' % n)
    sys.stdout.flush()
    os.kill(os.getpid(), getattr(signal, sys.argv[1]))
    time.sleep(10)
    print('not reached')


main()

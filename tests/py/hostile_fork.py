# os.fork without exec: the child calls functions and exits normally (or
# with os._exit when argv[1] is "_exit"); the parent waits and goes on.
import os
import sys


def f():
    pass


def child_only():
    return sum(i for i in range(100))


def main():
    f()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        for i in range(50):
            child_only()
        print('child done')
        sys.stdout.flush()
        if sys.argv[1:] == ['_exit']:
            os._exit(3)
        sys.exit(3)
    _, st = os.waitpid(pid, 0)
    f()
    print('child status', os.WEXITSTATUS(st))
    print('EXPECT f 2')


main()

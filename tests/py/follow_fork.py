# -f: os.fork; the parent works before and after the fork, the child after.
# Prints "PARENT pid K", "CHILD pid M" (calls made in each process).
import os
import sys


def before():
    return 1


def child_work():
    return 2


def parent_after():
    return 3


def main():
    for _ in range(5):
        before()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        for _ in range(3):
            child_work()
        print('CHILD', os.getpid(), 3)
        sys.stdout.flush()
        if len(sys.argv) > 1:
            os._exit(0)
        return
    for _ in range(4):
        parent_after()
    os.waitpid(pid, 0)
    print('PARENT', os.getpid(), 5)


main()

# os._exit from deep in the stack, stdout flushed by hand first.
import os
import sys


def f():
    pass


def inner():
    for i in range(4):
        f()
    sys.stdout.write('EXPECT f 4\n')
    sys.stdout.flush()
    os._exit(7)


def main():
    inner()


main()

# Run by follow_sub.py: prints "CHILD pid".
import os


def child_only():
    return sum(range(100))


def main():
    for _ in range(7):
        child_only()
    print('CHILD', os.getpid())


main()

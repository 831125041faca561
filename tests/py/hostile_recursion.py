# Recursion until RecursionError, caught; the program then goes on calling.
import sys

depth = 0


def rec():
    global depth
    depth += 1
    rec()


def after():
    return 1


def main():
    global depth
    try:
        rec()
    except RecursionError:
        print('caught')
    s = sum(after() for _ in range(7))
    print('EXPECT after', s)
    # Twice: the recorder must be in a sane state after the first unwinding.
    d1 = depth
    depth = 0
    try:
        rec()
    except RecursionError:
        print('caught again')
    print('EXPECT rec', d1 + depth)


main()

# A 10,000-deep Python stack, the recursion limit raised.
import sys

sys.setrecursionlimit(20000)


def down(n):
    if n:
        return down(n - 1) + 1
    return leaf()


def leaf():
    return 0


def main():
    print('depth', down(10000))
    print('EXPECT down', 10001)
    print('EXPECT leaf', 1)


main()

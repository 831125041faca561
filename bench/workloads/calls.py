"""Call-heavy: millions of tiny Python function and method calls."""
import sys


def add(a, b):
    return a + b


def inc(x):
    return add(x, 1)


def square(x):
    return x * x


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm2(self):
        return square(self.x) + square(self.y)

    @property
    def total(self):
        return add(self.x, self.y)


def kernel(i):
    p = Point(i, inc(i))
    return p.norm2() + p.total


def main(n):
    acc = 0
    for i in range(n):
        acc = (acc + kernel(i & 1023)) & 0xFFFFFFFF
    f = lambda v: v + 1  # noqa: E731
    for i in range(n):
        acc = f(acc) & 0xFFFFFFFF
    print("calls", n, acc)


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    main(int(250_000 * scale))

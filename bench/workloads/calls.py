"""Call-heavy: millions of tiny Python function and method calls.
PCG_BENCH_PHASES=1: each phase's time by the program's own clock on stderr
("PHASE name seconds"), the truth for bench's compensation section."""
import os
import sys
import time


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


def kernels(n, acc):
    for i in range(n):
        acc = (acc + kernel(i & 1023)) & 0xFFFFFFFF
    return acc


def lambdas(n, acc):
    f = lambda v: v + 1  # noqa: E731
    for i in range(n):
        acc = f(acc) & 0xFFFFFFFF
    return acc


def main(n):
    # Whole phases timed, not their calls: the clock reads cost nothing beside them.
    t0 = time.perf_counter()
    acc = kernels(n, 0)
    t1 = time.perf_counter()
    acc = lambdas(n, acc)
    t2 = time.perf_counter()
    print("calls", n, acc)
    if os.environ.get("PCG_BENCH_PHASES"):
        print("PHASE kernels %.6f\nPHASE lambdas %.6f" % (t1 - t0, t2 - t1), file=sys.stderr)


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    main(int(250_000 * scale))

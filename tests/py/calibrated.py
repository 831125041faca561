# Two halves, each timed by the program itself: calls() makes many tiny
# calls, loop() none.  With a mode after N other than "calls", calls()
# makes as many of another kind: "gen" resumes a generator, "types" calls a type that runs
# no Python code, "classes" a class's __init__, "fromc" a property and a
# special method (Python functions started from C, with no call event of
# their own).  Prints "SHARE S", calls()'s share of the two, by its own
# clock: without a profiler, the truth a profile of the same run should
# show.
import sys
import time


def tiny(x):
    return x


def calls(n):
    s = 0
    for i in range(n):
        s += tiny(i)
    return s


def gen(n):
    for i in range(n):
        yield i


def calls_gen(n):
    s = 0
    for i in gen(n):
        s += i
    return s


def calls_types(n):
    s = 0
    for i in range(n):
        s += int(i)
    return s


class Point:
    def __init__(self, x):
        self.x = x

    @property
    def half(self):
        return self.x >> 1

    def __add__(self, other):
        return self.x + other


def calls_classes(n):
    s = 0
    for i in range(n):
        s += Point(i).x
    return s


def calls_fromc(n):
    s = 0
    p = Point(7)
    for i in range(n // 2):
        s += p.half
        s += p + i
    return s


def loop(n):
    s = 0
    for i in range(n):
        s += i
    return s


n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
if sys.argv[2:] not in ([], ["calls"]):
    calls = globals()["calls_" + sys.argv[2]]  # noqa: F811 (share.py reads calls()'s name)
t0 = time.perf_counter()
calls(n)
t1 = time.perf_counter()
loop(3 * n)
t2 = time.perf_counter()
print("SHARE %.4f" % ((t1 - t0) / (t2 - t0)))

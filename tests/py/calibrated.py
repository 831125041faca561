# Two halves, each timed by the program itself: calls() makes many tiny
# calls (or, with "gen" after N, resumes a generator as often), loop() none.  Prints "SHARE S", calls()'s
# share of the two, by its own clock: without a profiler, the truth a
# profile of the same run should show.
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


def loop(n):
    s = 0
    for i in range(n):
        s += i
    return s


n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
if sys.argv[2:] == ["gen"]:
    calls = calls_gen  # noqa: F811 (share.py reads calls()'s name)
t0 = time.perf_counter()
calls(n)
t1 = time.perf_counter()
loop(3 * n)
t2 = time.perf_counter()
print("SHARE %.4f" % ((t1 - t0) / (t2 - t0)))

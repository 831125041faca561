# A dispatcher re-entered from the function it dispatches (pluggy's
# _multicall under pytest: runtest -> hook -> _multicall -> test body):
# dispatch calls work, work calls dispatch, which is on the stack already,
# and that one calls work again and leaf.
import time


def spin(ns):
    end = time.perf_counter() + ns / 1e9  # perf_counter_ns: 3.7+
    while time.perf_counter() < end:
        pass


def dispatch(fn, *args):
    spin(100000)
    return fn(*args)


def work(depth):
    spin(200000)
    if depth:
        dispatch(work, depth - 1)
        dispatch(leaf)


def leaf():
    spin(300000)


def main():
    for _ in range(3):
        dispatch(work, 3)
    dispatch(leaf)


main()

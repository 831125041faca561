"""Deep and branching recursion: fib, mutual recursion, 500-deep descents, a tree.
PCG_BENCH_PHASES=1: each phase's time by the program's own clock on stderr
("PHASE name seconds"), the truth for bench's compensation section."""
import os
import sys
import time

sys.setrecursionlimit(10_000)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)


class Tree:
    def __init__(self, d):
        self.kids = [Tree(d - 1), Tree(d - 1)] if d else []

    def size(self):
        return 1 + sum(k.size() for k in self.kids)


def fibs(scale):
    return sum(fib(20) for _ in range(int(30 * scale) + 1))


def parities(scale):
    # Depths stay moderate (<= 800): deeper ones make old CPythons (3.6-3.10) free and
    # re-map their frame arenas on every descent, which cProfile's own allocations
    # happen to prevent -- that would flatter cProfile's overhead there.
    return sum(is_even(k) for _ in range(4) for k in range(0, int(800 * scale) + 1, 2))


def descents(scale):
    return sum(depth(500) for _ in range(int(400 * scale) + 1))


def sizes(tree, scale):
    return sum(tree.size() for _ in range(int(8 * scale) + 1))


def main(scale):
    # Whole phases timed, not their calls: the clock reads cost nothing beside them.
    tree = Tree(12)  # built once: rebuilding it churns the allocator on old Pythons
    t0 = time.perf_counter()
    f = fibs(scale)
    t1 = time.perf_counter()
    e = parities(scale)
    t2 = time.perf_counter()
    d = descents(scale)
    t3 = time.perf_counter()
    t = sizes(tree, scale)
    t4 = time.perf_counter()
    print("recursion", f, e, d, t)
    if os.environ.get("PCG_BENCH_PHASES"):
        print("PHASE fibs %.6f\nPHASE parities %.6f\nPHASE descents %.6f\nPHASE sizes %.6f"
              % (t1 - t0, t2 - t1, t3 - t2, t4 - t3), file=sys.stderr)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)

"""Deep and branching recursion: fib, mutual recursion, 500-deep descents, a tree."""
import sys

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


def main(scale):
    f = sum(fib(20) for _ in range(int(30 * scale) + 1))
    # Depths stay moderate (<= 800): deeper ones make old CPythons (3.6-3.10) free and
    # re-map their frame arenas on every descent, which cProfile's own allocations
    # happen to prevent -- that would flatter cProfile's overhead there.
    e = sum(is_even(k) for _ in range(4) for k in range(0, int(800 * scale) + 1, 2))
    d = sum(depth(500) for _ in range(int(400 * scale) + 1))
    tree = Tree(12)  # built once: rebuilding it churns the allocator on old Pythons
    t = sum(tree.size() for _ in range(int(8 * scale) + 1))
    print("recursion", f, e, d, t)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)

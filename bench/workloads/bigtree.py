"""A large calling-context tree: 400 distinct functions calling each other
along data-dependent paths, so that nearly every call is in a context of its
own (as in sympy or a big framework), for the traced peak RSS."""
import sys

N = 400
SRC = """
def f{i}(d, h):
    if d == 0:
        return 1
    a = h * 31 + {i}
    return FS[a % N](d - 1, a) + FS[(a >> 3) % N](d - 1, a + 7)
"""
FS = []
for i in range(N):
    ns = {"FS": FS, "N": N}
    exec(compile(SRC.format(i=i), "<bigtree f%d>" % i, "exec"), ns)
    FS.append(ns["f%d" % i])


def main(scale):
    depth = 14 + int(round(2 * min(scale, 1.5)))  # 2^16 leaves at scale 1
    total = sum(FS[k](depth, k) for k in range(max(1, int(2 * scale))))
    print("bigtree", total)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)

"""C-builtin-heavy: most calls go to C functions and methods."""
import sys


def main(n):
    acc = 0
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"]
    d = {}
    out = []
    for i in range(n):
        w = words[i % 7]
        acc += len(w) + min(i, 7) + max(i & 3, 1) + abs(-i & 15)
        d[w] = d.get(w, 0) + 1
        out.append(w.upper())
        if isinstance(w, str) and w.startswith("e"):
            acc += hash(w.endswith("a")) & 1
        if len(out) > 64:
            acc += len(",".join(out)) + sum(map(len, out))
            out.clear()
    acc += sum(sorted(d.values()))
    print("builtins", n, acc & 0xFFFFFFFF, sorted(d.items()))


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    main(int(200_000 * scale))

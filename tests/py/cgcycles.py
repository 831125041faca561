"""The cycles of a callgrind file's call graph, as KCachegrind would find them.

  cgcycles.py FILE

Reads the fn=/cfn= arcs (name compression, cfi=/cfl= included), keys each
function by its name and file as bound where its name is first defined, and
runs Tarjan's algorithm on the caller -> callee graph.  A function calling
itself is no cycle.  Prints "cycles N" and, for each strongly connected set
of two or more functions, its size and its members; exits 1 if there
is any.  Written apart from pcg-emit, on purpose: it must find the cycles of
the merged graph (pcg-emit --no-clones) and none in the default output.
"""
import sys


def parse(path):
    fls, fns, arcs = {}, {}, set()
    fl = cfl = cur = None

    def ref(table, s, default_file=None):
        s = s.strip()
        if s.startswith('('):
            n, _, rest = s[1:].partition(')')
            rest = rest.strip()
            if rest:
                table[n] = rest if default_file is None else (rest, default_file)
            return table[n]
        return s if default_file is None else (s, default_file)

    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            line = line.rstrip('\n')
            key, eq, val = line.partition('=')
            if not eq:
                continue
            if key in ('fl', 'fi', 'fe'):
                v = ref(fls, val)
                if key == 'fl':
                    fl = v
            elif key in ('cfi', 'cfl'):
                cfl = ref(fls, val)
            elif key == 'fn':
                cur = ref(fns, val, fl)
            elif key == 'cfn':
                callee = ref(fns, val, cfl if cfl is not None else fl)
                if callee != cur:
                    arcs.add((cur, callee))
            elif key == 'calls':
                cfl = None
    return arcs


def sccs(arcs):
    adj = {}
    for a, b in arcs:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, [])
    idx, low, on, stack, out, n = {}, {}, set(), [], [], 0
    for root in adj:
        if root in idx:
            continue
        idx[root] = low[root] = n = n + 1
        stack.append(root)
        on.add(root)
        work = [(root, iter(adj[root]))]
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in idx:
                    idx[w] = low[w] = n = n + 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(adj[w])))
                elif w in on:
                    low[v] = min(low[v], idx[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == idx[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cycles = sccs(parse(sys.argv[1]))
    print('cycles %d' % len(cycles))
    for c in sorted(cycles, key=len, reverse=True):
        print('  %d: %s' % (len(c), ' '.join(sorted(n for n, _ in c))))
    sys.exit(1 if cycles else 0)


main()

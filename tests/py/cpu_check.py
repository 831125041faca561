"""For tests/cpu.bats: the two columns of a pcg profile-layer stream.

  cpu_check.py PROFILE func NAME    "WALL CPU": the inclusive ns of the
                                    Python function NAME (not recursive),
                                    summed over its contexts and threads
  cpu_check.py PROFILE threads      "THREADNAME WALL CPU" per thread: the
                                    sums of the self costs
  cpu_check.py PROFILE nodes        "OK" when no node's self or inclusive
                                    cpu exceeds its wall (not by 1 ns:
                                    pcg-trace(1) caps each interval's cpu
                                    at its wall), else the first such node
  cpu_check.py PROFILE linesums     "OK N" when the line records (version 2,
                                    pcg-trace --lines) of each of the N
                                    nodes that have them add up to its self
                                    cost in both columns, else the first
                                    node that they do not
Exits 1 unless the stream's cost columns are exactly wall then cpu, ns.
Runs on any Python 3.6+ (it parses the stream itself).
"""
import sys


def read(path):
    costs, fns, threads, nodes, lines = [], {}, {}, [], {}
    thread = None
    with open(path, 'rb') as f:
        for raw in f:
            r = raw.rstrip(b'\n').split(b'\t')
            if r[0] == b'cost':
                costs.append((r[1].decode(), r[2].decode()))
            elif r[0] == b'fn':
                fns[r[1]] = (r[2].decode(), r[6].decode())
            elif r[0] == b'thread':
                thread = r[3].decode()
                threads[thread] = [0, 0]
            elif r[0] == b'node':
                k = len(costs)
                v = [int(x) for x in r[6:6 + 2 * k]]
                nodes.append((thread, fns[r[3]], int(r[5]), v[:k], v[k:]))
                lines[r[1]] = None
                nodes[-1] += (r[1],)
            elif r[0] == b'line':
                v = [int(x) for x in r[3:]]
                old = lines.get(r[1]) or [0] * len(v)
                lines[r[1]] = [a + b for a, b in zip(old, v)]
    if costs != [('wall', 'ns'), ('cpu', 'ns')]:
        sys.exit("cost columns %r, not wall then cpu" % costs)
    return threads, nodes, lines


def main():
    threads, nodes, lines = read(sys.argv[1])
    what = sys.argv[2]
    if what == 'func':
        w = c = 0
        for _, (kind, name), _, incl, _, _ in nodes:
            if kind == 'py' and name == sys.argv[3]:
                w += incl[0]
                c += incl[1]
        print(w, c)
    elif what == 'threads':
        for th, _, _, _, self, _ in nodes:
            threads[th][0] += self[0]
            threads[th][1] += self[1]
        for th, (w, c) in threads.items():
            print(th, w, c)
    elif what == 'nodes':
        for th, fn, calls, incl, self, _ in nodes:
            for name, v in (('incl', incl), ('self', self)):
                if v[1] > v[0]:
                    print("%s %s: %s wall %d cpu %d" % (th, fn[1], name, v[0], v[1]))
                    return
        print("OK")
    elif what == 'linesums':
        n = 0
        for th, fn, _, _, self, nid in nodes:
            if lines.get(nid) is None:
                continue
            n += 1
            if lines[nid] != self:
                print("%s %s: lines %r, self %r" % (th, fn[1], lines[nid], self))
                return
        print("OK", n)


main()

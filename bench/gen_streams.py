"""Write large synthetic pcg streams (man/pcg-format.5, version 1) for the
post-processing throughput benchmark.

usage: python3 gen_streams.py [--events N] [--nodes N] [--threads T] [--seed S] OUTDIR

OUTDIR/events.pcg: an events layer of N (default 10,000,000) call/return/
    yield/resume events over T threads, switching threads every few hundred
    events.  Calls follow a fixed call graph (each function calls a few
    functions of deeper layers, some recursively), as real programs do, so
    the aggregated profile is bounded by that structure, not by N.
OUTDIR/profile.pcg: a profile layer of N (default 1,050,000) nodes over T
    threads, written in canonical order: depth-first, children sorted by
    function identity, functions numbered by first use, rec records after each
    thread's nodes, costs consistent (incl = self + children's and recursive
    arcs' incl).

Deterministic for given arguments.  Both end with the `end LINES T` trailer.
"""
import argparse
import os
import random
import sys

NFN = 20000  # function pool of the profile stream
EV_NFN = 3000  # functions of the events stream


def fn_pool(n, rng):
    """n function identities (kind, module, file, line, name), sorted as the
    format's canonical order compares them: kind (py before c), then module,
    file bytewise, line numerically, name bytewise."""
    fns = set()
    while len(fns) < n:
        if rng.random() < 0.15:
            name = rng.choice(("len", "isinstance", "sorted", "append", "get", "join",
                               "startswith", "sub", "match", "loads", "dumps", "sleep"))
            mod = rng.choice(("builtins", "_json", "re", "_collections", "posix", "time"))
            fns.add((1, mod, "", 0, "%s_%d" % (name, rng.randrange(100000))))
        else:
            pkg, mod = rng.randrange(40), rng.randrange(200)
            module = "app.pkg%02d.mod%03d" % (pkg, mod)
            path = "/srv/app/pkg%02d/mod%03d.py" % (pkg, mod)
            qual = "Class%d.method_%d" % (rng.randrange(50), rng.randrange(1000))
            if rng.random() < 0.3:
                qual = "func_%d.<locals>.<lambda>" % rng.randrange(1000)
            fns.add((0, module, path, rng.randrange(1, 5000), qual))
    return sorted(fns, key=lambda f: (f[0], f[1].encode(), f[2].encode(), f[3], f[4].encode()))


def fn_line(i, f):
    return "fn\t%d\t%s\t%s\t%s\t%d\t%s\n" % (i, "c" if f[0] else "py", f[1], f[2], f[3], f[4])


HEADER_META = ("meta\tcmd\tpython3\tsynthetic.py\n", "meta\tpid\t4242\n",
               "meta\tpython\t3.11.2\n", "meta\tclock\tmonotonic\n",
               "meta\tcreator\tbench/gen_streams.py\n")


class Out:
    """Buffered writer counting lines."""

    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8", newline="\n")
        self.buf = []
        self.lines = 0

    def put(self, s):
        self.buf.append(s)
        if len(self.buf) >= 65536:
            self.flush()

    def flush(self):
        self.lines += len(self.buf)
        self.f.write("".join(self.buf))
        self.buf = []

    def close(self, t):
        self.flush()
        self.f.write("end\t%d\t%d\n" % (self.lines, t))
        self.f.close()


def gen_events(path, nevents, nthreads, rng):
    fns = fn_pool(EV_NFN, rng)
    nf = len(fns)
    # Call graph: 10 layers; function i calls 1-4 functions of the next layer.
    # Each thread starts in its own top-level function.
    layers = 10
    per = nf // layers
    callees = []
    for i in range(nf):
        layer = i // per
        cs = []
        if layer < layers - 1:
            lo = (layer + 1) * per
            for _ in range(rng.randint(1, 4)):
                cs.append((rng.randrange(lo, min(nf, lo + per)), rng.randrange(1, 400)))
        callees.append(cs)
    # Recursion: 1 in 12 functions call themselves (direct recursion) or the
    # function that called them (mutual recursion), 1 in 7 of their calls.
    reccallee = [None] * nf
    for i in range(nf):
        if rng.random() < 1 / 12:
            reccallee[i] = (rng.random() < 0.5, rng.randrange(1, 400))
    isgen = [rng.random() < 0.05 for _ in range(nf)]

    o = Out(path)
    o.put("pcg\t1\tevents\n")
    for m in HEADER_META:
        o.put(m)
    o.put("cost\twall\tns\n")
    fnid = [0] * nf
    nextfn = 1
    tdefined = [False] * (nthreads + 1)
    stacks = [[] for _ in range(nthreads + 1)]  # per thread: [fn index] of open frames
    suspended = [[] for _ in range(nthreads + 1)]  # per thread: gen fn indexes
    t = 1000
    n = 0
    thr = 1
    put = o.put
    rand = rng.random
    randrange = rng.randrange
    while n < nevents:
        # Run `thr` for a slice of events, then switch (GIL switch interval).
        if not tdefined[thr]:
            put("thread\t%d\t%d\t%s\n" % (thr, 4242 + thr - 1,
                                          "MainThread" if thr == 1 else "worker-%d" % thr))
            tdefined[thr] = True
        st = stacks[thr]
        sus = suspended[thr]
        for _ in range(randrange(50, 600)):
            t += randrange(15, 400)
            depth = len(st)
            if depth == 0:
                f = thr - 1  # the thread's top-level function
                line = 0
                kind = "c"
            else:
                top = st[-1]
                r = rand()
                if isgen[top] and r < 0.3 and depth > 1:
                    put("y\t%d\t%d\n" % (thr, t))
                    st.pop()
                    if len(sus) < 64:
                        sus.append((top, st[-1]))
                    n += 1
                    continue
                cs = callees[top]
                if not cs or r < 0.4 or depth > 60:
                    put("r\t%d\t%d\n" % (thr, t))
                    st.pop()
                    n += 1
                    continue
                if sus and r > 0.9 and sus[-1][1] == top:
                    # a generator is resumed by the function that started it
                    f = sus.pop()[0]
                    line = cs[0][1]
                    kind = "s"
                elif reccallee[top] and r > 0.86:
                    mutual, line = reccallee[top]
                    f = st[-2] if mutual and depth > 1 else top
                    kind = "c"
                else:
                    f, line = cs[randrange(len(cs))]
                    kind = "c"
            if not fnid[f]:
                fnid[f] = nextfn
                put(fn_line(nextfn, fns[f]))
                nextfn += 1
            put("%s\t%d\t%d\t%d\t%d\n" % (kind, thr, fnid[f], line, t))
            st.append(f)
            n += 1
        thr = thr % nthreads + 1
    o.close(t + 1000)
    return n, o.lines + 1


def gen_profile(path, nnodes, nthreads, rng):
    fns = fn_pool(NFN, rng)
    nf = len(fns)
    o = Out(path)
    o.put("pcg\t1\tprofile\n")
    for m in HEADER_META:
        o.put(m)
    o.put("cost\twall\tns\n")
    fnid = [0] * nf
    nextfn = 1
    nextnode = 1
    endt = 0
    per_thread = -(-nnodes // nthreads)
    kids_dist = (0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 4, 6, 9, 14)
    for thr in range(1, nthreads + 1):
        o.put("thread\t%d\t%d\t%s\n" % (thr, 4242 + thr - 1,
                                        "MainThread" if thr == 1 else "worker-%d" % thr))
        # Shape: breadth first, a Galton-Watson tree with mean ~3.1 children,
        # depth at most 40; new roots when it dies out.
        parent = [-1]
        depth = [0]
        kids = [[]]
        q = 0
        while len(parent) < per_thread:
            if q == len(parent):  # extinct: a new root
                parent.append(-1)
                depth.append(0)
                kids.append([])
            d = depth[q]
            k = 0 if d >= 40 else kids_dist[rng.randrange(len(kids_dist))]
            if d == 0 and k == 0:
                k = 3
            for _ in range(min(k, per_thread - len(parent))):
                kids[q].append(len(parent))
                parent.append(q)
                depth.append(d + 1)
                kids.append([])
            q += 1
        n = len(parent)
        # Recursive edges: 1 in 20 nodes of depth >= 2; direct ones have incl 0.
        rec = [None] * n
        for i in range(n):
            if depth[i] >= 2 and rng.random() < 0.05:
                direct = rng.random() < 0.4
                rec[i] = (direct, rng.randrange(1, 100), 0 if direct else rng.randrange(10, 5000),
                          rng.randrange(1, 500))
        selfc = [rng.randrange(50, 100000) for _ in range(n)]
        incl = selfc[:]
        for i in range(n - 1, -1, -1):
            if rec[i]:
                incl[i] += rec[i][2]
            if parent[i] >= 0:
                incl[parent[i]] += incl[i]
        roots = [i for i in range(n) if parent[i] < 0]
        endt = max(endt, sum(incl[i] for i in roots))

        # Depth-first output, children sorted by (function identity, line);
        # no function twice on a path (a call of a function on the stack is a
        # rec edge, never a node).
        def assign(children, onpath):
            chosen = {}
            for c in children:
                while True:
                    f = rng.randrange(nf)
                    if f not in onpath and f not in chosen:
                        break
                chosen[f] = c
            return sorted((f, rng.randrange(1, 2000), c) for f, c in chosen.items())

        recs = []
        pathfn = set()
        pathid = []  # stream ids of the nodes on the path
        pathf = []
        stack = [(0, 0, assign(roots, pathfn), 0)]  # (stream parent id, depth, children, next)
        while stack:
            pid, dep, ch, j = stack[-1]
            if j == len(ch):
                stack.pop()
                if pathf:
                    pathfn.discard(pathf.pop())
                    pathid.pop()
                continue
            stack[-1] = (pid, dep, ch, j + 1)
            f, line, c = ch[j]
            if not fnid[f]:
                fnid[f] = nextfn
                o.put(fn_line(nextfn, fns[f]))
                nextfn += 1
            nid = nextnode
            nextnode += 1
            o.put("node\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n" % (
                nid, pid, fnid[f], line if pid else 0, rng.randrange(1, 1000),
                incl[c], selfc[c]))
            if rec[c]:
                direct, calls, rincl, rline = rec[c]
                target = nid if direct else pathid[rng.randrange(len(pathid))]
                recs.append("rec\t%d\t%d\t%d\t%d\t%d\n" % (nid, target, rline, calls, rincl))
            pathfn.add(f)
            pathf.append(f)
            pathid.append(nid)
            stack.append((nid, dep + 1, assign(kids[c], pathfn), 0))
        for r in recs:  # already sorted by parent: one per parent, in id order
            o.put(r)
    o.close(endt)
    return nextnode - 1, o.lines + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--nodes", type=int, default=1_050_000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("outdir")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    for name, fn, n in (("events.pcg", gen_events, a.events), ("profile.pcg", gen_profile, a.nodes)):
        if n <= 0:
            continue
        tmp = os.path.join(a.outdir, name + ".tmp")
        count, lines = fn(tmp, n, a.threads, random.Random(a.seed))
        os.replace(tmp, os.path.join(a.outdir, name))
        print("%s: %d %s, %d lines, %.1f MB" % (
            name, count, "events" if name.startswith("events") else "nodes", lines,
            os.path.getsize(os.path.join(a.outdir, name)) / 1e6), file=sys.stderr)


if __name__ == "__main__":
    main()

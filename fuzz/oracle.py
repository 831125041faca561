#!/usr/bin/env python3
"""Differential check of the events aggregator against pcg-format(5).

oracle.py CAT SEED...: for each seed, make a random valid events stream
(threads, recursion, generators, several cost columns), read it with CAT
(pcg-cat) and check the arc rule of "Recursion and inclusive cost": per
thread and function F, self(F) + the INCL of every arc leaving F equals the
time F was on the stack, counted once; and a direct recursion has INCL 0.
"""
import random
import subprocess
import sys
from collections import defaultdict


def gen(seed):
    rnd = random.Random(seed)
    nf, nt, nc = rnd.randint(1, 12), rnd.randint(1, 3), rnd.randint(1, 3)
    out = ["pcg\t1\tevents", "cost\twall\tns"]
    out += ["cost\tc%d\tns" % k for k in range(1, nc)]
    out += ["fn\t%d\tpy\tm\t/f.py\t%d\tf%d" % (i, i, i) for i in range(1, nf + 1)]
    out += ["thread\t%d\t%d\tt" % (t, t) for t in range(1, nt + 1)]
    depth = [0] * (nt + 1)
    now = [[0] * nc for _ in range(nt + 1)]
    for _ in range(rnd.randint(0, 300)):
        t = rnd.randint(1, nt)
        for k in range(nc):
            now[t][k] += rnd.randint(0, 5)
        ts = "\t".join(map(str, now[t]))
        if depth[t] and rnd.random() < 0.45:
            out.append("%s\t%d\t%s" % (rnd.choice("rry"), t, ts))
            depth[t] -= 1
        else:
            out.append("%s\t%d\t%d\t%d\t%s" % (rnd.choice("cccs"), t, rnd.randint(1, nf),
                                               rnd.randint(0, 3), ts))
            depth[t] += 1
    end = [max(now[t][k] for t in range(1, nt + 1)) + rnd.randint(0, 3) for k in range(nc)]
    out.append("end\t%d\t%s" % (len(out), "\t".join(map(str, end))))
    return [l.split("\t") for l in out], "\n".join(out) + "\n", nc


def onstack(ev, nc):
    fn, stack, last = {}, defaultdict(list), {}
    want = defaultdict(lambda: [0] * nc)

    def charge(t, ts):
        for f in set(stack[t]):
            for k in range(nc):
                want[(t, f)][k] += ts[k] - last[t][k]
        last[t] = ts

    for l in ev:
        if l[0] == "fn":
            fn[l[1]] = tuple(l[2:])
        elif l[0] in ("c", "s"):
            charge(l[1], list(map(int, l[4:])))
            stack[l[1]].append(fn[l[2]])
        elif l[0] in ("r", "y"):
            charge(l[1], list(map(int, l[2:])))
            stack[l[1]].pop()
        elif l[0] == "end":
            for t in list(last):
                charge(t, list(map(int, l[2:])))
        if l[0] == "thread":
            last[l[1]] = [0] * nc
    return {k: v for k, v in want.items() if any(v)}


def arcs(pr, nc):
    fn, nodefn, got, th = {}, {}, defaultdict(lambda: [0] * nc), None
    for l in pr:
        if l[0] == "fn":
            fn[l[1]] = tuple(l[2:])
        elif l[0] == "thread":
            th = l[1]
        elif l[0] == "node":
            nodefn[l[1]] = fn[l[3]]
            incl, self_ = l[6:6 + nc], l[6 + nc:]
            for k in range(nc):
                got[(th, fn[l[3]])][k] += int(self_[k])
                if l[2] != "0":
                    got[(th, nodefn[l[2]])][k] += int(incl[k])
        elif l[0] == "rec":
            if l[1] == l[2] and any(int(x) for x in l[5:]):
                raise SystemExit("direct recursion with INCL: %s" % l)
            for k in range(nc):
                got[(th, nodefn[l[1]])][k] += int(l[5 + k])
    return {k: v for k, v in got.items() if any(v)}


def main():
    cat = sys.argv[1]
    for seed in map(int, sys.argv[2:]):
        ev, text, nc = gen(seed)
        p = subprocess.run([cat], input=text.encode(), capture_output=True)
        if p.returncode:
            raise SystemExit("seed %d: rejected: %s" % (seed, p.stderr.decode()))
        pr = [l.split("\t") for l in p.stdout.decode().splitlines()]
        want, got = onstack(ev, nc), arcs(pr, nc)
        if want != got:
            raise SystemExit("seed %d:\n%s\nwant %s\ngot  %s" % (seed, text, sorted(want.items()),
                                                              sorted(got.items())))


main()

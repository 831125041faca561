# A random events stream for pcg-filter's oracle test: a few functions
# (Python in __main__, app, lib, lib.sub; C builtins), one or two threads,
# calls, returns and recursion at random.  /x/lib is the stream's stdlib.
# usage: python3 filter_random.py SEED > EVENTS
import random
import sys

seed = int(sys.argv[1]); rng = random.Random(seed)
nfn = rng.randint(3, 9)
fns = []
for i in range(nfn):
    kind = rng.choice(["py", "py", "c"])
    mod = rng.choice(["__main__", "lib", "lib.sub", "app"]) if kind == "py" else "builtins"
    fns.append((kind, mod, "/x/%s.py" % mod if kind == "py" else "", i + 1 if kind == "py" else 0, "f%d" % i))
out = ["pcg\t1\tevents", "meta\tstdlib\t/x/lib", "cost\twall\tns"]
nth = rng.randint(1, 2)
for t in range(nth):
    out.append("thread\t%d\t%d\tT%d" % (t + 1, 100 + t, t))
for i, f in enumerate(fns):
    out.append("fn\t%d\t%s\t%s\t%s\t%d\t%s" % (i + 1, *f))
T = 0; stacks = {t + 1: [] for t in range(nth)}
for _ in range(rng.randint(20, 400)):
    th = rng.randint(1, nth); T += rng.randint(0, 20)
    st = stacks[th]
    if st and (rng.random() < 0.45 or len(st) > 12):
        out.append("r\t%d\t%d" % (th, T)); st.pop()
    else:
        f = rng.randint(1, nfn)
        if st and rng.random() < 0.3:
            f = rng.choice(st)  # recursion
        out.append("c\t%d\t%d\t%d\t%d" % (th, f, rng.randint(0, 3) if st else 0, T)); st.append(f)
T += 5
out.append("end\t%d\t%d" % (len(out), T))
print("\n".join(out))

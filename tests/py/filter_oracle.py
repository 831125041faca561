# An oracle for pcg-filter, independent of pcg's aggregator and of
# pcg-filter: it reads a pcg events stream (pcg-trace --events), drops the
# frames of the chosen functions from the raw call/return stream, and prints
# per kept function, sorted: KIND:MODULE:FILE:LINE:NAME (blanks made _),
# calls, time on the stack (counted once however deep it recursed) and self
# time (innermost kept frame), first cost column only.
#
# usage: python3 filter_oracle.py [--drop-stdlib] [--drop-builtins]
#        [--keep MODULE] [--keep-from PROFILE] EVENTS
#
# --keep drops every function outside MODULE and its submodules, as
# pcg-filter --keep MODULE (a plain module name, no glob).
#
# --keep-from drops every function that the pcg stream PROFILE does not
# define (for drops decided by thresholds or --keep patterns).
#
# No calling-context tree is built: a function's time on the stack is the
# measure of the instants it was on its thread's stack, summed over threads.
# Dropping a frame from the raw stream leaves its time to the frame below,
# which is exactly what pcg-filter must reproduce from the folded profile.
import sys


def unesc(s):
    # only to compare paths with the stdlib/site directories
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            n = s[i + 1]
            if n == "x":
                out.append(chr(int(s[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}[n])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def under(path, d):
    d = d.rstrip("/") or "/"
    if d == "/":
        return path.startswith("/") and len(path) > 1
    return path.startswith(d + "/")


def main(argv):
    args = argv[1:]
    keep = None
    if "--keep-from" in args:
        i = args.index("--keep-from")
        with open(args[i + 1], "rb") as fp:
            keep = set(":".join(ln.split("\t")[2:7]).replace(" ", "_")
                       for ln in fp.read().decode("latin-1").split("\n") if ln.startswith("fn\t"))
        del args[i:i + 2]
    keepmod = None
    if "--keep" in args:
        i = args.index("--keep")
        keepmod = args[i + 1]
        del args[i:i + 2]
    opts = set(a for a in args if a.startswith("--"))
    path = [a for a in args if not a.startswith("--")][0]
    stdlib, site = [], []
    fns = {}    # id -> (identity, kind, file)
    drop = {}   # id -> bool
    stacks = {} # thread -> list of [fn, ...]
    last = {}   # thread -> time of the previous event
    calls, onstack, self_ = {}, {}, {}
    depth = {}  # (thread, fn) -> frames of fn on that thread's stack
    since = {}  # (thread, fn) -> time fn came onto the stack

    def isdrop(ident, kind, f, mod):
        if keep is not None and ident not in keep:
            return True
        if keepmod is not None and mod != keepmod and not mod.startswith(keepmod + "."):
            return True
        if "--drop-builtins" in opts and kind == "c":
            return True
        if "--drop-stdlib" in opts and kind == "py":
            if f.startswith("<frozen "):
                return True
            return any(under(f, d) for d in stdlib) and not any(under(f, d) for d in site)
        return False

    def charge(th, t):
        # the time since the thread's previous event: self of its innermost kept frame
        for fid in reversed(stacks[th]):
            if not drop[fid]:
                key = fns[fid][0]
                self_[key] = self_.get(key, 0) + t - last[th]
                break
        last[th] = t

    def push(th, fid, t, resume):
        if stacks[th]:
            charge(th, t)
        last[th] = t
        stacks[th].append(fid)
        key = fns[fid][0]
        if not drop[fid] and not resume:
            calls[key] = calls.get(key, 0) + 1
        n = depth.get((th, fid), 0)
        if n == 0:
            since[(th, fid)] = t
        depth[(th, fid)] = n + 1

    def pop(th, t):
        charge(th, t)
        fid = stacks[th].pop()
        n = depth[(th, fid)] - 1
        depth[(th, fid)] = n
        if n == 0:
            key = fns[fid][0]
            onstack[key] = onstack.get(key, 0) + t - since[(th, fid)]

    with open(path, "rb") as fp:
        lines = fp.read().decode("latin-1").split("\n")
    assert lines[0] == "pcg\t1\tevents", "not an events stream"
    for ln in lines[1:]:
        f = ln.split("\t")
        tag = f[0]
        if tag == "meta" and f[1] == "stdlib":
            stdlib += [unesc(v) for v in f[2:]]
        elif tag == "meta" and f[1] == "site":
            site += [unesc(v) for v in f[2:]]
        elif tag == "fn":
            ident = ":".join(f[2:7]).replace(" ", "_")
            fns[f[1]] = (ident, f[2], unesc(f[4]))
            drop[f[1]] = isdrop(ident, f[2], unesc(f[4]), unesc(f[3]))
        elif tag == "thread":
            stacks[f[1]] = []
            last[f[1]] = 0
        elif tag in ("c", "s"):
            push(f[1], f[2], int(f[4]), tag == "s")
        elif tag in ("r", "y"):
            pop(f[1], int(f[2]))
        elif tag == "end":
            t = int(f[2])
            for th in stacks:
                while stacks[th]:
                    pop(th, t)
    for key in sorted(set(calls) | set(onstack)):
        if any(fns[i][0] == key and drop[i] for i in fns):
            continue
        print(key, calls.get(key, 0), onstack.get(key, 0), self_.get(key, 0))


main(sys.argv)

"""Per-function call counts, the same way from cProfile and from pcg.

  counts.py cprofile SCRIPT [ARG...]   run SCRIPT under cProfile
  counts.py pcg PROFILE SCRIPT         read a pcg profile-layer stream
  counts.py pcgall PROFILE SCRIPT      the same, generators included
  counts.py cprofile-owners SCRIPT [ARG...], counts.py pcg-owners PROFILE SCRIPT
                                       the C methods only, "c OWNER.NAME"
  counts.py pstats FILE SCRIPT         a pstats file (pcg-emit -F pstats) as
                                       cProfile's own stats; pstats-owners too
  counts.py callgrind FILE SCRIPT      read pcg-emit's output: the calls=
                                       lines into each function, its clones
                                       (NAME'2...) added to it

Prints sorted lines "KEY COUNT": for each Python function of SCRIPT's file,
"py LINE NAME", and for each C builtin called from one of them, "c NAME"
(only the method name: cProfile and pcg spell the owner differently).
The -owners modes keep the C methods whose owner cProfile spells out,
"<method 'NAME' of 'OWNER' objects>", and pcg's C functions named
"TYPE.NAME", as "c MODULE.TYPE.NAME" (no module for builtins, as in the
type's tp_name): the type that defines the method.
Generators and coroutines are left out (cProfile counts each resumption as
a call, pcg does not); the test programs check those themselves.
Runs on any Python 3.6+ (it parses the stream itself).
"""
import os
import re
import sys


def genlike(path):
    """(line, name) of the generator and coroutine code objects of a file."""
    out = set()
    with open(path, 'rb') as f:
        stack = [compile(f.read(), path, 'exec')]
    while stack:
        co = stack.pop()
        if co.co_flags & (0x20 | 0x80 | 0x200):
            out.add((co.co_firstlineno, co.co_name))
        stack.extend(c for c in co.co_consts if hasattr(c, 'co_code'))
    return out


def cname(label):
    """cProfile's label of a builtin to its method name."""
    m = re.match(r"<method '([^']*)' of", label)
    if m:
        return m.group(1)
    m = re.match(r"<built-in method ([^\s>]+)", label) or re.match(r"<([^\s>]+)>$", label)
    if m:
        return m.group(1).rsplit('.', 1)[-1]
    return label


def add(d, k, n):
    d[k] = d.get(k, 0) + n


def cowner(label):
    """cProfile's "<method 'NAME' of 'OWNER' objects>" to OWNER.NAME."""
    m = re.match(r"<method '([^']*)' of '([^']*)' objects>", label)
    return m and '%s.%s' % (m.group(2), m.group(1))


def from_cprofile(script, args, owners=False):
    import cProfile
    import pstats
    script = os.path.abspath(script)
    sys.argv = [script] + args
    sys.path[0] = os.path.dirname(script)
    with open(script, 'rb') as f:
        code = compile(f.read(), script, 'exec')
    globs = {'__name__': '__main__', '__file__': script, '__builtins__': __builtins__}
    prof = cProfile.Profile()
    sys.stdout = sys.stderr
    try:
        prof.runctx(code, globs, None)
    except SystemExit:
        pass
    sys.stdout = sys.__stdout__
    return from_stats(pstats.Stats(prof).stats, script, owners)


def from_stats(stats, script, owners=False):
    """Counts from a pstats dict, cProfile's or a file's."""
    gens = genlike(script)
    out = {}
    for (file, line, name), (cc, nc, tt, ct, callers) in stats.items():
        if file == script and not owners:
            if (line, name) not in gens:
                add(out, 'py %d %s' % (line, name), nc)
        elif file == '~':
            key = cowner(name) if owners else cname(name)
            for (cf, cl, cn), v in callers.items():
                if cf == script and key:
                    add(out, 'c ' + key, v[0])
    return out


def from_pcg(path, script, all=False, owners=False):
    script = os.path.abspath(script)
    gens = set() if all else genlike(script)
    fns, nodefn, out = {}, {}, {}

    def mine(fn):
        return fn[0] == 'py' and fn[2] == script

    def count(parent, fn, n):
        if mine(fn) and not owners:
            name = fn[4].rsplit('.', 1)[-1]
            if (fn[3], name) not in gens:
                add(out, 'py %d %s' % (fn[3], name), n)
        elif fn[0] == 'c' and parent and mine(fns[nodefn[parent]]):
            if not owners:
                add(out, 'c ' + fn[4].rsplit('.', 1)[-1], n)
            elif '.' in fn[4]:  # tp_name: no module for builtins
                mod = '' if fn[1] == 'builtins' else fn[1] + '.'
                add(out, 'c %s%s' % (mod, fn[4]), n)

    with open(path, 'rb') as f:
        for raw in f:
            r = raw.decode('utf-8', 'surrogateescape').rstrip('\n').split('\t')
            if r[0] == 'fn':
                fns[r[1]] = (r[2], r[3], r[4], int(r[5]), r[6])
            elif r[0] == 'node':
                nodefn[r[1]] = r[3]
                count(r[2] if r[2] != '0' else None, fns[r[3]], int(r[5]))
            elif r[0] == 'rec':
                count(r[1], fns[nodefn[r[2]]], int(r[4]))
    return out


def from_callgrind(path, script):
    """Calls per function from a callgrind file's call arcs, clones summed."""
    script = os.path.abspath(script)
    gens = genlike(script)
    fls, fns, out = {}, {}, {}
    fl = cfl = cur = callee = None

    def ref(table, s, file=None):
        s = s.strip()
        if s.startswith('('):
            n, _, rest = s[1:].partition(')')
            if rest.strip():
                table[n] = (rest.strip(), file)
            return table[n]
        return (s, file)

    def base(name):
        name = re.sub(r"'[0-9]+$", '', name)
        name = re.sub(r':[0-9]+$', '', name)
        return name.rsplit('.', 1)[-1]

    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        for line in f:
            key, eq, val = line.rstrip('\n').partition('=')
            if not eq:
                continue
            if key in ('fl', 'fi', 'fe'):
                v = ref(fls, val)[0]
                fl = v if key == 'fl' else fl
            elif key in ('cfi', 'cfl'):
                cfl = ref(fls, val)[0]
            elif key == 'fn':
                cur = ref(fns, val, fl)
            elif key == 'cfn':
                callee = ref(fns, val, cfl if cfl is not None else fl)
            elif key == 'calls':
                n, first = (int(x) for x in val.split()[:2])
                name, file = callee
                if file == script and (first, base(name)) not in gens:
                    add(out, 'py %d %s' % (first, base(name)), n)
                elif file == '<built-in>' and cur[1] == script:
                    add(out, 'c ' + base(name), n)
                cfl = None
    return out


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    owners = mode.endswith('-owners')
    if len(sys.argv) >= 3 and mode in ('cprofile', 'cprofile-owners'):
        out = from_cprofile(sys.argv[2], sys.argv[3:], owners)
    elif len(sys.argv) == 4 and mode in ('pcg', 'pcgall', 'pcg-owners'):
        out = from_pcg(sys.argv[2], sys.argv[3], mode == 'pcgall', owners)
    elif len(sys.argv) == 4 and mode in ('pstats', 'pstats-owners'):
        import pstats
        out = from_stats(pstats.Stats(sys.argv[2]).stats,
                         os.path.abspath(sys.argv[3]), owners)
    elif len(sys.argv) == 4 and mode == 'callgrind':
        out = from_callgrind(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
    for k in sorted(out):
        print('%s %d' % (k, out[k]))


main()

"""sitelines.py PROFILE SCRIPT: "NAME LINE" for every call-site line pcg
recorded for the functions of SCRIPT (NAME: the last part of the
qualified name), one per line, sorted."""
import os
import sys

script = os.path.abspath(sys.argv[2])
fns, nodefn, out = {}, {}, set()
with open(sys.argv[1], 'rb') as f:
    for raw in f:
        r = raw.decode('utf-8', 'surrogateescape').rstrip('\n').split('\t')
        if r[0] == 'fn':
            fns[r[1]] = (r[2], r[4], r[6])
            continue
        if r[0] == 'node':
            nodefn[r[1]] = r[3]
            fn, line = fns[r[3]], r[4]
        elif r[0] == 'rec':
            fn, line = fns[nodefn[r[2]]], r[3]
        else:
            continue
        if fn[0] == 'py' and fn[1] == script:
            out.add('%s %s' % (fn[2].rsplit('.', 1)[-1], line))
for x in sorted(out):
    print(x)

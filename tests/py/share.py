"""share.py PROFILE SCRIPT: calls()'s (or calls_gen()'s, calls_types()'s...)
share of it and loop() in a pcg profile-layer stream (their inclusive
costs: each is called once, from <module>)."""
import sys

fns, incl = {}, {}
for raw in open(sys.argv[1], 'rb'):
    r = raw.decode('utf-8', 'surrogateescape').rstrip('\n').split('\t')
    if r[0] == 'fn' and r[4] == sys.argv[2]:
        fns[r[1]] = r[6]
    elif r[0] == 'node' and r[3] in fns:
        incl[fns[r[3]]] = incl.get(fns[r[3]], 0) + int(r[6])
c = sum(v for k, v in incl.items() if k == 'calls' or k.startswith('calls_'))
print("%.4f" % (c / (c + incl['loop'])))

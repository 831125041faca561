# An events stream of pcg-trace --lines (version 2) as linecost_oracle.py
# prints what Python reports: "L FIRSTLINE LINE" per line record and
# "R FIRSTLINE LINE" for the line record a resumption starts with, in the
# frames of functions of FILE.  Checks the stream's own shape on the way:
# a line record's thread has a frame open, a resumption is followed at once
# by its line record.
import sys

path, file = sys.argv[1], sys.argv[2]
fns = {}
stacks = {}
after_s = None
bad = 0
for n, raw in enumerate(open(path, 'rb'), 1):
    f = raw.rstrip(b'\n').decode('utf-8', 'surrogateescape').split('\t')
    if n == 1 and f[:3] != ['pcg', '2', 'events']:
        sys.exit('not a version 2 events stream: %r' % f)
    k = f[0]
    if after_s is not None and (k != 'l' or f[1] != after_s):
        sys.exit('%d: resumption without its line record' % n)
    if k == 'fn':
        fns[f[1]] = (f[4], f[5])
    elif k in ('c', 's'):
        stacks.setdefault(f[1], []).append(f[2])
        after_s = f[1] if k == 's' and fns[f[2]][0] == file else None
    elif k in ('r', 'y'):
        st = stacks.get(f[1])
        if st:
            st.pop()
    elif k == 'l':
        st = stacks.get(f[1])
        if not st:
            sys.exit('%d: line record with no frame open' % n)
        fl = fns[st[-1]]
        if fl[0] == file:
            print('%s %s %s' % ('R' if after_s else 'L', fl[1], f[2]))
        after_s = None

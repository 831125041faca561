"""hostile_count.py PROFILE: the call count of every function of a pcg
profile-layer stream, all threads (node and rec records summed).

Prints one line per function, as raw bytes (names are not decoded):
KIND TAB MODULE TAB FILE TAB LINE TAB NAME TAB COUNT, fields escaped as in
the stream.  Runs on any Python 3.6+.
"""
import sys


def main():
    fns, nodefn, count = {}, {}, {}
    with open(sys.argv[1], 'rb') as f:
        for raw in f:
            r = raw.rstrip(b'\n').split(b'\t')
            if r[0] == b'fn':
                fns[r[1]] = b'\t'.join(r[2:7])
                count.setdefault(r[1], 0)
            elif r[0] == b'node':
                nodefn[r[1]] = r[3]
                count[r[3]] += int(r[5])
            elif r[0] == b'rec':
                count[nodefn[r[2]]] += int(r[4])
    out = sys.stdout.buffer if hasattr(sys.stdout, 'buffer') else sys.stdout
    for i in sorted(fns, key=int):
        out.write(fns[i] + b'\t' + str(count[i]).encode() + b'\n')


main()

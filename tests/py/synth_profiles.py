"""Write N profiles of as many synthetic runs into DIR, as prof.PID: the
profile of tests/data/merge-a.pcg with its pid, command line, a thread's
name, a function's name and every cost varied by the run's number, so that
the runs' trees differ and meet in some places, as a cluster's processes'
do.  Usage: synth_profiles.py TEMPLATE N DIR"""
import os
import sys

template, n, d = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(template, encoding='utf-8', newline='\n').read().splitlines()
for i in range(n):
    pid, k = 1000 + i, i % 9 + 1
    out = []
    for line in lines:
        f = line.split('\t')
        if f[0] == 'meta' and f[1] == 'pid':
            f[2] = str(pid)
        elif f[0] == 'meta' and f[1] == 'cmd':
            f.append('--part=%d' % (i % 3))
        elif f[0] == 'thread':
            f[2] = str(pid + int(f[1]) - 1)
            if f[3] == 'Thread-1':
                f[3] = 'Thread-%d' % (i % 5 + 1)
        elif f[0] == 'fn' and f[6] == 'worker':
            f[6] = 'worker%d' % (i % 7)
        elif f[0] == 'node':
            f[6:] = [str(int(x) * k) for x in f[6:]]
        elif f[0] == 'rec':
            f[5:] = [str(int(x) * k) for x in f[5:]]
        elif f[0] == 'end':
            f[2:] = [str(int(x) * k) for x in f[2:]]
        out.append('\t'.join(f))
    with open(os.path.join(d, 'prof.%d' % pid), 'w', encoding='utf-8', newline='\n') as fp:
        fp.write('\n'.join(out) + '\n')

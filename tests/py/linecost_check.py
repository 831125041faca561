# Checks of a pcg profile (version 2, one cost column) with line costs:
#   sums PROF              every node's line costs add up to its self
#                          exactly; prints the number of nodes that have them
#   share PROF FILE NAME LINE
#                          the share (percent) of function NAME's self (of
#                          FILE) that its line records put on LINE
#   lines PROF FILE NAME   the lines function NAME has costs on
#   struct PROF FILE       each node of a function of FILE, by its context
#                          (the names from the root), and its lines with
#                          costs: a run's line structure
import sys

mode, path = sys.argv[1], sys.argv[2]
fn, node, lines = {}, {}, {}
for n, raw in enumerate(open(path, 'rb'), 1):
    f = raw.rstrip(b'\n').decode('utf-8', 'surrogateescape').split('\t')
    if n == 1 and f[:3] != ['pcg', '2', 'profile']:
        sys.exit('%s: not a version 2 profile: %r' % (path, f))
    if f[0] == 'fn':
        fn[f[1]] = (f[4], f[5], f[6])
    elif f[0] == 'node':
        node[f[1]] = (f[2], f[3], int(f[7]))
        lines[f[1]] = {}
    elif f[0] == 'line':
        if f[1] not in node:
            sys.exit('%d: line record of unknown node %s' % (n, f[1]))
        lines[f[1]][int(f[2])] = int(f[3])


# A node without line records has all its self on its function's first
# line, as in version 1.
def costs(i):
    return lines[i] or {int(fn[node[i][1]][1]): node[i][2]}


def ctx(i):
    names = []
    while i != '0':
        names.append(fn[node[i][1]][2])
        i = node[i][0]
    return '/'.join(reversed(names))


def mine(i, file, name=None):
    f = fn[node[i][1]]
    return f[0] == file and (name is None or f[2] == name)


if mode == 'sums':
    bad = [i for i in node if lines[i] and sum(lines[i].values()) != node[i][2]]
    for i in bad:
        print('node %s (%s): self %d, lines %d' % (i, ctx(i), node[i][2], sum(lines[i].values())))
    if bad:
        sys.exit(1)
    print(sum(1 for i in node if lines[i]))
elif mode == 'share':
    file, name, line = sys.argv[3], sys.argv[4], int(sys.argv[5])
    ids = [i for i in node if mine(i, file, name)]
    tot = sum(node[i][2] for i in ids)
    on = sum(costs(i).get(line, 0) for i in ids)
    print(100 * on // tot if tot else 0)
elif mode == 'lines':
    file, name = sys.argv[3], sys.argv[4]
    print(' '.join(str(x) for x in sorted({k for i in node if mine(i, file, name) for k in costs(i)})))
elif mode == 'struct':
    for s in sorted('%s %s' % (ctx(i), ' '.join(str(x) for x in sorted(k for k, v in costs(i).items() if v)))
                    for i in node if mine(i, sys.argv[3])):
        print(s)

# The program profiles itself with cProfile (sys.setprofile before 3.12,
# sys.monitoring tool id 2 from 3.12).  cProfile must see what it sees
# without pcg (the program prints all its counts), and pcg must still count
# every call of f.
import cProfile
import os
import pstats


def f():
    pass


def g(n):
    return [f() for i in range(n)]


def main():
    pr = cProfile.Profile()
    pr.enable()
    for i in range(5):
        f()
    g(3)
    sorted([2, 1])
    pr.disable()
    stats = pstats.Stats(pr).stats
    print('CPROFILE f', sum(v[1] for k, v in stats.items() if k[2] == 'f'))
    for k in sorted(stats):
        v = stats[k]
        print('CP %s:%d(%s) %d %d' % (os.path.basename(k[0]), k[1], k[2], v[0], v[1]))
    for i in range(2):
        f()
    pr = cProfile.Profile()
    pr.runcall(g, 4)
    print('CPROFILE runcall f', sum(v[1] for k, v in pstats.Stats(pr).stats.items() if k[2] == 'f'))
    print('EXPECT f 14')


main()

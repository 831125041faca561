# The program profiles itself with cProfile (sys.setprofile before 3.12,
# sys.monitoring tool id 2 from 3.12).  cProfile must work as without pcg,
# and pcg must still count every call of f.
import cProfile
import pstats


def f():
    pass


def main():
    pr = cProfile.Profile()
    pr.enable()
    for i in range(5):
        f()
    pr.disable()
    stats = pstats.Stats(pr).stats
    print('CPROFILE f', sum(v[1] for k, v in stats.items() if k[2] == 'f'))
    for i in range(2):
        f()
    print('EXPECT f 7')


main()

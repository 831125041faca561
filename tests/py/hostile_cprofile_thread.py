# cProfile enabled in a thread other than the main one.  Before 3.12
# pcg-trace cannot take its hook back there: it must say so (stderr, meta).
import cProfile
import pstats
import threading


def f():
    pass


def worker():
    pr = cProfile.Profile()
    pr.enable()
    for i in range(5):
        f()
    pr.disable()
    print('CPROFILE f', sum(v[1] for k, v in pstats.Stats(pr).stats.items() if k[2] == 'f'))


t = threading.Thread(target=worker)
t.start()
t.join()
f()
print('EXPECT f 6')

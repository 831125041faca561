# Threads: each worker's calls are recorded in its own thread.  Prints
# "EXPECT NAME N" and "THREAD NAME" for the checks cProfile cannot make.
import threading

N, K = 3, 50
barrier = threading.Barrier(N + 1)


def leaf(i):
    return i * 2


def work(k):
    barrier.wait()
    s = 0
    for i in range(k):
        s += leaf(i)
    return s


def main():
    ts = [threading.Thread(target=work, args=(K,), name='worker-%d' % i) for i in range(N)]
    for t in ts:
        t.start()
    barrier.wait()
    for t in ts:
        t.join()
    print('EXPECT work', N)
    print('EXPECT leaf', N * K)
    for t in ts:
        print('THREAD', t.name)


main()

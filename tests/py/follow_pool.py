# -f: a multiprocessing.Pool maps work() over N items with the start method
# given: usage follow_pool.py METHOD N.  Prints "N n" for the test.
import multiprocessing
import sys


def work(x):
    return x * x


def main():
    method, n = sys.argv[1], int(sys.argv[2])
    ctx = multiprocessing.get_context(method)
    pool = ctx.Pool(3)
    total = sum(pool.map(work, range(n), chunksize=1))
    pool.close()
    pool.join()
    assert total == sum(x * x for x in range(n))
    print('N', n)


if __name__ == '__main__':
    main()

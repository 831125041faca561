# -f: a multiprocessing.Pool used as a context manager, whose exit calls
# terminate(): the workers are killed with SIGTERM, idle, exiting or still
# starting.  Maps work() over N items with the start method given: usage
# follow_terminate.py METHOD N.  Prints "W PID COUNT" for each worker that
# called work(), then "N n".
import multiprocessing
import os
import sys


def work(x):
    return x, os.getpid()


def main():
    method, n = sys.argv[1], int(sys.argv[2])
    with multiprocessing.get_context(method).Pool(4) as pool:
        out = pool.map(work, range(n))
    assert sorted(x for x, _ in out) == list(range(n))
    per = {}
    for _, pid in out:
        per[pid] = per.get(pid, 0) + 1
    for pid in sorted(per):
        print('W', pid, per[pid])
    print('N', n)


if __name__ == '__main__':
    main()

"""A program bigger than one process: a Dask LocalCluster of worker
processes (python3-distributed) runs tasks; pcg-trace -f follows every
process it starts (the nanny, the workers) and writes a profile each.

    pcg-trace -f -o prof.%p python3 examples/dask_cluster.py
    pcg-merge prof.* | pcg-emit -o callgrind.out.dask

Prints "EXPECT task N" for the calls of task() the workers made."""
import sys

from dask.distributed import Client, LocalCluster


def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def task(lo):
    return max(collatz(n) for n in range(lo, lo + 2000))


def main(workers=2, tasks=16):
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = client.map(task, range(1, tasks * 2000, 2000))
        print('longest', max(client.gather(futures)))
    print('EXPECT task', tasks)


if __name__ == '__main__':
    main(*map(int, sys.argv[1:]))

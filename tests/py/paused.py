"""A server-like program for pcg-trace --paused: start-up work, a worker
thread, its pid, then commands on stdin, one a line: "run N" calls work()
N times, "wrun N" has the worker call work2() N times, each then prints
"ran N" / "wran N"; "quit" ends.  The worker blocks SIGUSR2, so that the
signal interrupts the main thread's read and its handler runs at once."""
import os
import queue
import signal
import sys
import threading


def startup(n):
    return sum(i * i for i in range(n))


def work(i):
    return i + 1


def work2(i):
    return i + 2


jobs = queue.Queue()


def worker():
    if hasattr(signal, 'pthread_sigmask'):
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])
    while True:
        n = jobs.get()
        if n < 0:
            return
        for i in range(n):
            work2(i)
        print('wran', n, flush=True)


def serve():
    for line in sys.stdin:
        cmd = line.split()
        if cmd[0] == 'run':
            n = int(cmd[1])
            for i in range(n):
                work(i)
            print('ran', n, flush=True)
        elif cmd[0] == 'wrun':
            jobs.put(int(cmd[1]))
        elif cmd[0] == 'quit':
            return


for _ in range(100):
    startup(100)
w = threading.Thread(target=worker)
w.start()
print('pid', os.getpid(), flush=True)
serve()
jobs.put(-1)
w.join()
print('bye', flush=True)

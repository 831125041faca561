"""For tests/cpu.bats: functions that sleep, wait or compute, in threads.

  cpu_prog.py [fork]

sleeper() sleeps 0.2 s; waiter() waits 0.2 s on a lock another thread
releases; busy() computes (a loop with no calls) for about as long;
worker(), in a thread of its own, computes and prints the thread's own
CPU time at its end (time.thread_time: CPython's, the kernel's), "WORKER
NS", the truth for that thread's total; busy()'s own CPU and wall time,
read around it by the program, "BUSY CPU WALL" (a loaded machine takes
CPU time from it: wall then exceeds CPU).  With "fork", a child made by
os.fork runs sleeper() and busy() too, prints "CHILDBUSY CPU WALL" as
above, and the parent "CHILD PID".
"""
import os
import sys
import threading
import time

# time.thread_time from 3.7; before, the same kernel clock by its name.
thread_time = getattr(time, "thread_time", None) or (
    lambda: time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID))


def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


def sleeper():
    time.sleep(0.2)


def busy():
    # Enough iterations for ~0.2 s here, fixed: nothing timed decides.
    return spin(3000000)


def releaser(lock):
    time.sleep(0.2)
    lock.release()


def waiter():
    lock = threading.Lock()
    lock.acquire()
    t = threading.Thread(target=releaser, args=(lock,))
    t.start()
    lock.acquire()
    t.join()


def worker():
    spin(2000000)
    print("WORKER", int(thread_time() * 1e9), flush=True)


def timed_busy(tag):
    c0, w0 = thread_time(), time.perf_counter()
    busy()
    c1, w1 = thread_time(), time.perf_counter()
    print(tag, int((c1 - c0) * 1e9), int((w1 - w0) * 1e9), flush=True)


def main():
    w = threading.Thread(target=worker, name="worker")
    w.start()
    w.join()
    sleeper()
    timed_busy("BUSY")
    waiter()
    if sys.argv[1:] == ["fork"]:
        pid = os.fork()
        if pid == 0:
            sleeper()
            timed_busy("CHILDBUSY")
            os._exit(0)
        os.waitpid(pid, 0)
        print("CHILD", pid)


main()

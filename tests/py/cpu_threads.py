"""For tests/cpu.bats: four threads computing at once, handing the GIL to
each other (a switch every 5 ms: the clock must follow each of them
through every hand-off); each notes its own CPU time at its end (the
kernel's clock, read by CPython), "T NAME NS"."""
import threading
import time

thread_time = getattr(time, "thread_time", None) or (
    lambda: time.clock_gettime(time.CLOCK_THREAD_CPUTIME_ID))


def f(x):
    return x * x


def work(n):
    s = 0
    for i in range(n):
        s += f(i)
    got.append((threading.current_thread().name, int(thread_time() * 1e9)))


got = []
ts = [threading.Thread(target=work, args=(150000,), name="w%d" % i) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for name, ns in got:
    print("T", name, ns)

"""Kinds of call, each timed in turns without and with a profiler in one
process, so that both turns see the machine alike (this VM's speed changes
by half for stretches of 20-300 ms): a turn of N calls of each kind plain,
then one profiled, R times.  PCG_BENCH_KINDS=pcg: run under
`pcg-trace --paused`, a SIGUSR2 to itself turns the recording on and off;
=cProfile: a cProfile.Profile enabled and disabled, its stats dumped to
PCG_BENCH_KINDS_OUT.  Prints "KIND name ns" on stderr, a plain call's
time; a profile's cumulative time of k_name over R * N is the profiled
one (bench.py, compensation by kind)."""
import functools
import os
import signal
import sys
import time


def f(x):
    return x


def g(n):
    for i in range(n):
        yield i


def g0():
    return
    yield


class Dict:
    def __init__(self, x):
        self.x = x


class Slots:
    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x


class Args:
    def __init__(self, *args, **kwargs):
        self.args = args


class NoInit:
    pass


class Obj:
    def __init__(self, x):
        self.x = x

    def __call__(self, x):
        return x

    def __add__(self, other):
        return self

    @property
    def prop(self):
        return self.x

    def meth(self):
        return self.x


part = functools.partial(f, 1)


def k_function(n):
    for i in range(n):
        f(i)


def k_builtin(n):
    for i in range(n):
        abs(i)


def k_type(n):
    for i in range(n):
        int(i)


def k_class(n):
    for i in range(n):
        Dict(i)


def k_slots_class(n):
    for i in range(n):
        Slots(i)


def k_class_args(n):
    for i in range(n):
        Args(i)


def k_class_no_init(n):
    for _ in range(n):
        NoInit()


def k_type_of_generator(n):
    for _ in range(n):
        list(g0())


def k_call_method(n):
    o = Obj(1)
    for i in range(n):
        o(i)


def k_partial(n):
    for _ in range(n):
        part()


def k_bound_method(n):
    m = Obj(1).meth
    for _ in range(n):
        m()


def k_property(n):
    o = Obj(1)
    for _ in range(n):
        o.prop


def k_special_method(n):
    o = Obj(1)
    for _ in range(n):
        o + o


def k_resume(n):
    for _ in g(n):
        pass


def k_new_generator(n):
    for _ in range(n):
        for _ in g0():
            pass


def k_sort_key(n):
    t = [3, 1, 2]
    for _ in range(n // 3):
        sorted(t, key=f)


KINDS = [v for k, v in list(globals().items()) if k.startswith("k_")]


def main(n, turns):
    how = os.environ.get("PCG_BENCH_KINDS", "")
    if how == "cProfile":
        import cProfile
        prof = cProfile.Profile()
        on, off = prof.enable, prof.disable
    elif how == "pcg":
        def toggle():
            os.kill(os.getpid(), signal.SIGUSR2)
            for _ in range(3):  # the handler runs between bytecodes
                pass
        on = off = toggle
    else:
        on = off = lambda: None
    plain = dict.fromkeys((k.__name__ for k in KINDS), 0)
    for _ in range(turns):
        for k in KINDS:
            t0 = time.perf_counter_ns()
            k(n)
            plain[k.__name__] += time.perf_counter_ns() - t0
            on()
            k(n)
            off()
    if how == "cProfile":
        prof.dump_stats(os.environ["PCG_BENCH_KINDS_OUT"])
    for k, t in plain.items():
        print("KIND %s %.2f" % (k[2:], t / (n * turns)), file=sys.stderr)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000, int(sys.argv[2]) if len(sys.argv) > 2 else 5)

"""Code objects that die while the program is recorded, their addresses
taken by new ones (code compiled as the program runs, as a template engine
does): each is its own function with its own call-site lines, and the
recorder keeps none of them alive.

Prints "CALLS NAME N" for each function (and len), "SITE NAME LINE" for
each function and the line its len() call is on, and "ALIVE N": how many of
the dropped code objects still live.  (cProfile is no oracle here: it keeps
each code object alive, and pstats keeps one of the entries that share a
name: f_0 is called once in its report.)
"""
import gc
import sys
import weakref

VARIANTS = 7
ROUNDS = 700


def make(i):
    # f_K starts on line 1000 + 10K and calls len() K % 3 lines further.
    k = i % VARIANTS
    src = ("\n" * (999 + 10 * k) + "def f_%d(x):\n" % k + "    x = x\n" * (k % 3) +
           "    return len(x)\n")
    code = compile(src, __file__, "exec")
    ns = {}
    exec(code, ns)
    return k, ns["f_%d" % k], code


def main():
    dropped = []
    for i in range(ROUNDS):
        k, f, code = make(i)
        for _ in range(k + 1):
            f("abc")
        dropped.append(weakref.ref(code))
        dropped.append(weakref.ref(f.__code__))
        del f, code
    gc.collect()
    for k in range(VARIANTS):
        print("CALLS f_%d %d" % (k, ROUNDS // VARIANTS * (k + 1)))
        print("SITE f_%d %d" % (k, 1001 + 10 * k + k % 3))
    print("CALLS len %d" % sum(ROUNDS // VARIANTS * (k + 1) for k in range(VARIANTS)))
    print("ALIVE %d" % sum(1 for r in dropped if r() is not None))


main()

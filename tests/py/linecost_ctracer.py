# A C trace function set from C (coverage's CTracer does this), here none:
# before 3.12 it takes pcg's trace hook out of the thread.
import ctypes
ctypes.pythonapi.PyEval_SetTrace(None, None)


def f(n):
    s = 0
    for i in range(n):
        s += i
    return s


print(f(100))

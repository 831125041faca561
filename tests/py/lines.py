# Call-site lines: each function notes the line its caller is at, as Python
# itself reports it (f_back.f_lineno), for calls made every way the
# interpreter has: plain calls, methods, **kwargs, a class, properties,
# special methods, with, callbacks from C, decorators, generators (resumed
# from bytecode and from C).
import functools
import sys

seen = set()


def note():
    f = sys._getframe(1)
    seen.add((f.f_code.co_name, f.f_back.f_lineno))


def plain(*a, **k):
    note()


class Thing:
    def __init__(self, x=0):
        note()
        self.x = x

    @property
    def prop(self):
        note()
        return self.x

    def __eq__(self, other):
        note()
        return True

    __hash__ = object.__hash__

    def __enter__(self):
        note()
        return self

    def __exit__(self, *a):
        note()

    def meth(self, **k):
        note()


def key(v):
    note()
    return v


def gen():
    note()
    yield 1
    note()
    yield 2


def main():
    t = Thing(1)
    plain(1, 2)
    plain(*[1], **{'a': 2})
    t.meth(**{'a': 1})
    t.prop
    t == Thing()
    with t:
        plain()
    sorted([3, 1, 2], key=key)
    list(map(key, [1, 2]))
    functools.reduce(lambda a, b: key(a), [1, 2, 3])
    g = gen()
    next(g)
    next(g)
    sum(gen())
    list(x for x in gen())
    for i in range(2):
        plain(
            i,
            i)


main()
for name, line in sorted(seen):
    print(name, line)

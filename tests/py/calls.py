# Call-count oracle: every kind of call pcg-trace must see as cProfile does.
import functools
import json
import sys


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def even(n):
    return True if n == 0 else odd(n - 1)


def odd(n):
    return False if n == 0 else even(n - 1)


class Shape:
    count = 0

    def __init__(self, w, h):
        self.w, self.h = w, h
        Shape.count += 1

    def area(self):
        return self.w * self.h

    @property
    def big(self):
        return self.area() > 10

    @staticmethod
    def unit():
        return Shape(1, 1)

    @classmethod
    def square(cls, n):
        return cls(n, n)


class Box(Shape):
    def __init__(self, n):
        super().__init__(n, n)

    def area(self):
        return super().area() * 2


def fails(n):
    if n % 3 == 0:
        raise ValueError(n)
    return n


def catch():
    bad = 0
    for i in range(10):
        try:
            fails(i)
        except ValueError:
            bad += 1
        try:
            int('x%d' % i)
        except ValueError:
            bad += 1
    return bad


def closure(k):
    def inner(x):
        return x + k
    return [inner(i) for i in range(k)]


def data():
    doc = {'a': [1, 2, {'b': None}], 'c': 'd' * 3, 'e': 1.5}
    s = json.dumps(doc, indent=2, sort_keys=True)
    t = json.dumps(doc)
    return json.loads(s) == json.loads(t)


def main():
    fib(12)
    even(31)
    # (one comprehension per line: cProfile keeps one of two same-line ones)
    shapes = [Shape(i, i + 1) for i in range(6)]
    shapes += [Box(i) for i in range(4)]
    shapes.append(Shape.unit())
    shapes.append(Shape.square(3))
    areas = sorted(shapes, key=lambda s: s.area())
    bigs = sum(1 for s in areas if s.big)
    words = ' '.join(str(i) for i in range(20)).split()
    counts = {w: len(w) for w in words}
    uniq = {len(w) for w in words}
    add = functools.partial(lambda a, b: a + b, 1)
    total = sum(map(add, range(5))) + len(counts) + len(uniq) + bigs
    total += catch() + len(closure(7)) + data()
    print(total, sys.getrecursionlimit() > 0)


if __name__ == '__main__':
    main()

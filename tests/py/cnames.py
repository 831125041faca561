# C methods called on instances of subclasses, of C types whose __module__
# is not where they are defined, and on a Python subclass that overrides one
# (random.Random.seed, which calls _random.Random.seed): each is named by
# the type that defines it.
import collections
import io
import random


class L(list):
    pass


class S(str):
    pass


def main():
    lst = L([3, 1, 2])
    lst.sort()
    lst.append(4)
    S("a,b").split(",")
    ",".join(["x", "y"])
    collections.OrderedDict(a=1).keys()
    io.StringIO().write("x")
    d = collections.defaultdict(int)
    d.get(1)
    r = random.Random(1)
    r.seed(2)
    r.getrandbits(3)


main()

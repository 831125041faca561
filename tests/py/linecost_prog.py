# Per-line costs (tests/lines.bats): constructs whose lines Python numbers
# in its own ways: module-level loops, a class body, multi-line
# statements, decorators, comprehensions (their own functions before 3.12,
# inlined after), generators and coroutines resumed mid-body, exceptions,
# and a busy loop whose cost sits on one line.
import functools


def deco(f):
    @functools.wraps(f)
    def wrapper(*a):
        return f(*a)
    return wrapper


@deco
def decorated(n):
    return [i * 2
            for i in range(n)
            if i % 3]


class Body:
    x = 1
    y = [x for x in range(3)]

    def method(self, a,
               b):
        total = (a +
                 b)
        return total


def gen(n):
    for i in range(n):
        x = i * 2
        yield x
        x += 1
        yield x
    return n


def coro():
    got = 0
    while True:
        v = yield got
        got += v


def handler():
    try:
        raise ValueError('x')
    except ValueError:
        caught = 1
    finally:
        done = 2
    return caught + done


def busy(n):
    s = 0
    for i in range(n): s += i * i % 7
    return s


total = 0
for k in range(3):
    total += k
for v in gen(3):
    total += v
c = coro()
next(c)
for k in range(4):
    c.send(k)
c.close()
decorated(10)
Body().method(1,
              2)
handler()
print(busy(30000) + total)

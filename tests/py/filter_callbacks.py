# User callbacks called from inside the stdlib and C builtins: after
# pcg-filter --drop-stdlib --drop-builtins each must be a direct callee of the
# user function that entered the library, with exactly its own cost.
import functools
import json
import threading


def spin(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def sort_key(x):
    spin(200)
    return -x


def to_json(o):
    spin(300)
    return sorted(o)


def square(x):
    spin(100)
    return x * x


def add(a, b):
    spin(100)
    return a + b


def work():
    spin(20000)


def use_sorted():
    return sorted(range(30), key=sort_key)


def use_json():
    return json.dumps({"a": [{1, 2}, {3}], "b": {"c": {4, 5, 6}}}, default=to_json)


def use_map():
    return list(map(square, range(25)))


def use_reduce():
    return functools.reduce(add, range(20))


def use_thread():
    t = threading.Thread(target=work, name="worker")
    t.start()
    t.join()


def main():
    use_sorted()
    use_json()
    use_map()
    use_reduce()
    use_thread()


main()

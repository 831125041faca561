"""Recursion for pcg-emit's formats: direct (fib), mutual (even/odd) and
through a generator-free helper, so that inclusive times must be counted
once.  Prints EXPECT NAME N for the call counts it knows."""


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def even(n):
    return True if n == 0 else odd(n - 1)


def odd(n):
    return False if n == 0 else even(n - 1)


def work():
    s = 0
    for i in range(20000):
        s += len(str(i))
    return s


def main():
    fib(15)
    for _ in range(10):
        even(50)
    work()


main()
print('EXPECT fib 1973')
print('EXPECT even 260')
print('EXPECT odd 250')

# Long enough for a sampling profiler to see fib: it starts sampling once
# the child runs, and 8 rounds took 13 ms on a release 3.15 (5 to 10
# samples, all at the end); 40 rounds, some 70 ms (0.6 s on a debug build).
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


for _ in range(40):
    fib(20)

# Long enough (~0.3 s) for a sampling profiler to see fib.
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


for _ in range(8):
    fib(20)

# pdb under pcg-trace --lines (tests/lines.bats): a session goes as without it.
def work(n):
    s = 0
    for i in range(n):
        s += i
    return s
print(work(10))
print(work(20))

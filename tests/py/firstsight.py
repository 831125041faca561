# 3000 functions, each called once: naming each at first sight is the
# recorder's work, not main()'s (see trace.bats).
import time
src = "\n".join("def f%d(x):\n    return x + %d\n" % (i, i) for i in range(3000))
exec(compile(src, "gen_funcs", "exec"))
fs = [globals()["f%d" % i] for i in range(3000)]

def main():
    for f in fs:
        f(1)

t0 = time.monotonic()
main()
print(int((time.monotonic() - t0) * 1e9))

"""Generators, generator pipelines, yield from, and asyncio coroutines."""
import asyncio
import sys


def count(n):
    i = 0
    while i < n:
        yield i
        i += 1


def evens(it):
    for x in it:
        if x % 2 == 0:
            yield x


def squares(it):
    yield from (x * x for x in it)


def chunks(it, k):
    buf = []
    for x in it:
        buf.append(x)
        if len(buf) == k:
            yield buf
            buf = []
    if buf:
        yield buf


async def leaf(i):
    await asyncio.sleep(0)
    return i & 7


async def worker(k, n):
    s = 0
    for i in range(n):
        s += await leaf(i + k)
    return s


async def amain(tasks, n):
    res = await asyncio.gather(*(worker(k, n) for k in range(tasks)))
    return sum(res)


def main(n):
    total = 0
    for c in chunks(squares(evens(count(n))), 16):
        total = (total + sum(c)) & 0xFFFFFFFF
    a = asyncio.run(amain(50, n // 500))
    print("gens", n, total, a)


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    main(int(300_000 * scale))

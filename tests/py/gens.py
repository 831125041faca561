# Generators and coroutines: a resumption is not a call.  Prints "EXPECT
# NAME N": N is how many times NAME was started (what pcg must count).
import asyncio

started = {}


def note(name):
    started[name] = started.get(name, 0) + 1


def countdown(n):
    note('countdown')
    while n:
        yield n
        n -= 1


def relay(n):
    note('relay')
    yield from countdown(n)
    yield 0


def squares(xs):
    return sum(x * x for x in xs)


async def tick(i):
    note('tick')
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return i


async def gather(n):
    note('gather')
    rs = await asyncio.gather(*(tick(i) for i in range(n)))
    return sum(rs)


def main():
    total = 0
    for _ in range(3):
        total += sum(countdown(5))
    total += sum(relay(4))
    g = countdown(10)
    next(g)
    next(g)
    g.close()
    total += squares(range(10))
    loop = asyncio.new_event_loop()
    total += loop.run_until_complete(gather(4))
    loop.close()
    print(total)
    for name in sorted(started):
        print('EXPECT', name, started[name])


main()

# A generator whose finally raises, when closed and when collected.
import gc


def gen():
    try:
        yield 1
        yield 2
    finally:
        raise ValueError('from finally')


def use_close():
    g = gen()
    next(g)
    try:
        g.close()
    except ValueError as e:
        print('close:', e)


def use_drop():
    g = gen()
    next(g)
    del g   # the error is reported as unraisable, on stderr
    gc.collect()


def main():
    for i in range(3):
        use_close()
    use_drop()
    g = gen()
    try:
        for x in g:
            raise KeyError(x)
    except KeyError:
        pass
    try:
        g.close()
    except ValueError:
        print('loop close raised')
    print('EXPECT gen 5')
    print('EXPECT use_close 3')


main()

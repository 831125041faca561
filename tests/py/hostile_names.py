# Function names that are not plain ASCII: a non-ASCII identifier defined by
# exec, and (3.8+) a function whose code object is renamed to a name with a
# lone surrogate (an undecodable byte under surrogateescape).  Prints, as
# hex, the UTF-8 (surrogateescape) bytes each name must have in the profile.
import sys
import types

ns = {}
exec(compile('def caf\u00e9():\n    return 1\n', '<names>', 'exec'), ns)


def plain():
    return 2


def main():
    f = ns['caf\u00e9']
    for i in range(3):
        f()
    print('NAME', 'caf\u00e9'.encode('utf-8').hex(), 3)
    if sys.version_info >= (3, 8):
        bad = 'bad\udcff\udcfe'
        code = plain.__code__.replace(co_name=bad)
        if sys.version_info >= (3, 11):
            code = code.replace(co_qualname=bad)
        g = types.FunctionType(code, globals(), bad)
        g.__qualname__ = bad
        for i in range(2):
            g()
        print('NAME', bad.encode('utf-8', 'surrogateescape').hex(), 2)


main()

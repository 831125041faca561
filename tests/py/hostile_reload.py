# A module rewritten and reloaded with importlib.reload.  pcg identifies a
# function by (kind, module, file, first line, name): f keeps its first line
# and name, so both versions are one function (8 calls: 3 + 1 + 3 of the new
# module, 1 of the old function kept); g moves from line 3 to line 5, so each
# version is its own function (3 and 4 calls).
import importlib
import os
import sys

sys.dont_write_bytecode = True
V1 = 'def f():\n    return 1\ndef g():\n    return 1\n'
V2 = 'def f():\n    return 2\n\n\ndef g():\n    return 2\n'


def main():
    d = sys.argv[1]
    path = os.path.join(d, 'hostile_mod.py')
    with open(path, 'w') as fh:
        fh.write(V1)
    sys.path.insert(0, d)
    import hostile_mod
    old_f, old_g = hostile_mod.f, hostile_mod.g
    for i in range(3):
        hostile_mod.f()
        hostile_mod.g()
    with open(path, 'w') as fh:
        fh.write(V2)
    importlib.reload(hostile_mod)
    assert hostile_mod.f() == 2
    for i in range(3):
        hostile_mod.f()
        hostile_mod.g()
    hostile_mod.g()
    assert old_f is not hostile_mod.f and old_f() == 1
    print('FN f 1 8')
    print('FN g 3 3')
    print('FN g 5 4')


main()

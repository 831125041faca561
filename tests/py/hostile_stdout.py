# Replaces sys.stdout, or closes fd 1 (argv[1]: replace, close, close-stdout).
import io
import os
import sys


def f():
    pass


def main():
    how = sys.argv[1]
    sys.stderr.write('EXPECT f 3\n')
    if how == 'replace':
        sys.stdout = io.StringIO()
        print('swallowed')
    elif how == 'close':
        sys.stdout.flush()
        os.close(1)
    elif how == 'close-stdout':
        sys.stdout.close()
    for i in range(3):
        f()
    sys.stderr.write('done\n')


main()

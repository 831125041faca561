# Changes directory (into argv[1]) before it ends.
import os


def f():
    pass


def main():
    os.chdir(os.sys.argv[1])
    f()
    print('EXPECT f 1')


main()

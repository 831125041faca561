# A forked child runs Python code and exits normally: it must not write into
# its parent's stream.  Prints the child's exit status.
import os


def child_work():
    return sum(i * i for i in range(1000))


def main():
    pid = os.fork()
    if pid == 0:
        child_work()
        return
    _, st = os.waitpid(pid, 0)
    print('child', st)


main()

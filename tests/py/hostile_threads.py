# Daemon threads still running when the program ends: one busy calling f,
# one blocked forever on a lock.  The program must exit at once.
import threading
import time

ran = threading.Event()


def f():
    return 1


def busy():
    while True:
        f()
        ran.set()


def stuck():
    lock = threading.Lock()
    lock.acquire()
    lock.acquire()


def g():
    return 2


def main():
    threading.Thread(target=busy, name='busy', daemon=True).start()
    threading.Thread(target=stuck, name='stuck', daemon=True).start()
    ran.wait()
    for i in range(3):
        g()
    print('EXPECT g', 3)
    print('done')


main()

# SIGTERM that Python notes while its main thread is blocked in a C call
# (what a multiprocessing.Pool worker waiting for the pool's lock gets from
# terminate()).  The main thread never lets go of the GIL but to block: so
# another thread, which calls early() 4 times, sends SIGTERM to itself only
# once the main thread waits for a lock that nobody releases.  Prints
# "PID pid" first.
import os
import signal
import sys
import threading


def early():
    return 1


def killer():
    for _ in range(4):
        early()
    ready.acquire()  # the main thread blocks in lock.acquire() next
    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)


print('PID', os.getpid())
sys.stdout.flush()
sys.setswitchinterval(1000)
lock = threading.Lock()
lock.acquire()
ready = threading.Lock()
ready.acquire()
threading.Thread(target=killer).start()
ready.release()
lock.acquire()

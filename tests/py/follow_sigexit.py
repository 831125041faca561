# SIGTERM once the interpreter is exiting (what a multiprocessing.Pool
# worker that just finished gets from terminate()): an object collected
# as the modules are torn down, after the atexit functions, kills its own
# process, then calls late() 3 times.  Prints "PID pid".
import os
import signal
import sys


def late():
    return 1


class Killer:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(3):
            late()


k = Killer()
print('PID', os.getpid())
sys.stdout.flush()

# -f: a multiprocessing.Pool (fork) ended by terminate() while a worker has
# not yet returned from fork(): the last worker is stopped (SIGSTOP) as it
# is started and continued only once terminate()'s SIGTERM waits for it.
# It must die of that SIGTERM, or the pool waits for it for ever.  One CPU
# for all, so that the parent runs on after fork() and stops the worker
# before it ran.  Usage: follow_termstart.py N.  Prints "W PID COUNT" per
# worker that called work(), "S PID" for the stopped one, then "N n".
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing import popen_fork


def work(x):
    return x, os.getpid()


def pending(pid, sig):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('ShdPnd:'):
                    return int(line.split()[1], 16) >> (sig - 1) & 1
    except OSError:
        pass
    return 0


def resume(pid):
    while not pending(pid, signal.SIGTERM):
        time.sleep(0.01)
    os.kill(pid, signal.SIGCONT)


def main():
    n = int(sys.argv[1])
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    stopped = []
    launch = popen_fork.Popen._launch

    def launch_stopped(self, process_obj):
        launch(self, process_obj)
        if len(stopped) == 3:
            os.kill(self.pid, signal.SIGSTOP)
        stopped.append(self.pid)

    popen_fork.Popen._launch = launch_stopped
    with multiprocessing.get_context('fork').Pool(4) as pool:
        popen_fork.Popen._launch = launch
        threading.Thread(target=resume, args=(stopped[3],), daemon=True).start()
        out = pool.map(work, range(n))
    per = {}
    for _, pid in out:
        per[pid] = per.get(pid, 0) + 1
    for pid in sorted(per):
        print('W', pid, per[pid])
    print('S', stopped[3])
    print('N', n)


if __name__ == '__main__':
    main()

# -f: a multiprocessing.Pool (fork) ended by terminate() while a worker has
# not yet returned from fork(): the last worker is stopped (SIGSTOP) as it
# is started and continued (SIGCONT) right after terminate() sent it SIGTERM.
# It must die of that SIGTERM, or the pool waits for it for ever.  One CPU
# for all, so that the parent runs on after fork() and stops the worker
# before it ran.  Usage: follow_termstart.py N.  Prints "W PID COUNT" per
# worker that called work(), "S PID" for the stopped one, then "N n".
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing import popen_fork


def work(x):
    return x, os.getpid()


def started(fd):
    os.write(fd, b'%d\n' % os.getpid())


def stopped_state(pid):
    while True:
        with open('/proc/%d/stat' % pid) as f:
            if f.read().rsplit(')', 1)[1].split()[0] == 'T':
                return
        time.sleep(0.001)


def started_pids(fd):
    data = b''
    try:
        while True:  # until the pipe (whose writing end stays open) is empty
            data += os.read(fd, 4096)
    except BlockingIOError:
        pass
    return set(int(x) for x in data.split())


def attempt(n, r, w):
    """The pool's map and end; its workers' pids and the stopped one's, or
    None when that one ran its initializer before SIGSTOP stopped it (it
    left the fork window, and it may hold the lock the others wait for)."""
    stopped = []
    launch = popen_fork.Popen._launch
    terminate = popen_fork.Popen.terminate

    def launch_stopped(self, process_obj):
        launch(self, process_obj)
        if len(stopped) == 3:
            os.kill(self.pid, signal.SIGSTOP)
        stopped.append(self.pid)

    # Not when the SIGTERM is seen pending: a worker that had not run
    # before it came takes it (its handler, with pcg-trace) before the
    # SIGSTOP, then stops with nothing pending, for ever.  A SIGCONT sent
    # after the SIGTERM drops a SIGSTOP still pending.
    def terminate_resume(self):
        terminate(self)
        if self.pid == stopped[3]:
            os.kill(self.pid, signal.SIGCONT)

    popen_fork.Popen._launch = launch_stopped
    popen_fork.Popen.terminate = terminate_resume
    try:
        with multiprocessing.get_context('fork').Pool(4, started, (w,)) as pool:
            popen_fork.Popen._launch = launch
            stopped_state(stopped[3])
            if stopped[3] in started_pids(r):
                os.kill(stopped[3], signal.SIGCONT)
                return None
            return pool.map(work, range(n)), stopped[3]
    finally:
        popen_fork.Popen._launch = launch
        popen_fork.Popen.terminate = terminate


def main():
    n = int(sys.argv[1])
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    r, w = os.pipe()
    os.set_blocking(r, False)
    for tries in range(1, 21):
        res = attempt(n, r, w)
        if res:
            break
        sys.stderr.write('the stopped worker had started: again\n')
    else:
        sys.exit('the stopped worker started before SIGSTOP %d times' % tries)
    out, stopped = res
    per = {}
    for _, pid in out:
        per[pid] = per.get(pid, 0) + 1
    for pid in sorted(per):
        print('W', pid, per[pid])
    print('S', stopped)
    print('N', n)


if __name__ == '__main__':
    main()

# A child killed with SIGTERM right after os.fork(), before it ever ran:
# one CPU for both, so that the parent (which runs on after fork) sends the
# signal before the child returns from fork().  Usage: follow_forkkill.py N.
# Prints "LOST k": the children that did not die of the signal, "DFL x":
# whether a child still running saw SIGTERM at SIG_DFL.
import os
import signal
import sys
import time

os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
lost = 0
for i in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.5)
        os._exit(7)
    os.kill(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM):
        lost += 1
print('LOST', lost)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, b'1' if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL else b'0')
    os._exit(0)
os.waitpid(pid, 0)
print('DFL', os.read(r, 1).decode())

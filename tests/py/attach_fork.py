"""pcg-trace -p and fork: prints its pid, and once the file argv[1] exists
forks a child that calls spin() 1000 times and prints "child EVENTS", the
sys.monitoring events of the tools named pcg in it; then waits for the
file argv[2]."""
import os
import sys
import time


def spin(i):
    return i


def events():
    mon = sys.monitoring
    return sum(mon.get_events(i) for i in range(6) if mon.get_tool(i) == 'pcg')


print('pid', os.getpid(), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.05)
pid = os.fork()
if pid == 0:
    for i in range(1000):
        spin(i)
    print('child', events(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
print('bye', flush=True)

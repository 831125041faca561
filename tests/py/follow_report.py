# -f's report: a background process that is not Python (not waited for), a
# Python child that writes its profile, one killed by SIGKILL (named as
# leaving none), and a Python grandchild left running when this ends
# (waited for: its profile is there when pcg-trace returns).
import os
import subprocess
import sys
import time

bg = subprocess.Popen(["sleep", "30"])
print("SLEEP", bg.pid, flush=True)
subprocess.run([sys.executable, "-c", "pass"], check=True)
# Its -c code runs once its recorder has started (and marked it so).
k = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
                     stdout=subprocess.PIPE)
k.stdout.readline()
os.kill(k.pid, 9)
k.wait()
print("KILLED", k.pid, flush=True)
late = subprocess.Popen([sys.executable, "-c", "import time\ndef late(): time.sleep(0.5)\nlate()"])
print("LATE", late.pid, flush=True)

# -f: runs follow_child.py in a new interpreter; prints its pid.
import os
import subprocess
import sys


def parent_work():
    return sum(range(100))


parent_work()
child = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'follow_child.py')
r = subprocess.run([sys.executable, child], stdout=subprocess.PIPE, check=True)
print(r.stdout.decode().strip())

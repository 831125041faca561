# What a program sees of its surroundings: must be the same under pcg-trace.
import os
import subprocess
import sys

print('argv', sys.argv)
print('path0', sys.path[0])
print('name', __name__, __file__ if '__file__' in globals() else '-')
print('pythonpath', os.environ.get('PYTHONPATH'))
print('pcgvars', sorted(k for k in os.environ if k.startswith('PCG')))
print('sitedirs', [p for p in sys.path if 'pcg' in p])
print('stdin', sys.stdin.read() if not sys.stdin.isatty() else '-')
out = subprocess.check_output([sys.executable, '-c',
                               'import os, sys; print(os.environ.get("PYTHONPATH"), "sitecustomize" in sys.modules and getattr(sys.modules["sitecustomize"], "__file__", ""))'])
print('child', out.decode().strip())

# The bootstrap's own modules, as the program and a child of it see them:
# none (ctypes would cost the program half a megabyte).
import subprocess
import sys

MODS = ('ctypes', '_ctypes', '_pcg_recorder')
print('modules', [m for m in MODS if m in sys.modules])
sys.stdout.flush()
if sys.argv[1:] != ['child']:
    subprocess.call([sys.executable, __file__, 'child'])

"""Run a script under yappi (wall clock, all threads, C builtins included, as
cProfile and pcg-trace record them) and save a callgrind file.

usage: python3 yappi_run.py OUT.callgrind SCRIPT [ARG...]
"""
import runpy
import sys

import yappi


def main():
    out, script = sys.argv[1], sys.argv[2]
    sys.argv = sys.argv[2:]
    sys.path.insert(0, __import__("os").path.dirname(script))
    yappi.set_clock_type("wall")
    yappi.start(builtins=True, profile_threads=True)
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        yappi.stop()
        yappi.get_func_stats().save(out, type="callgrind")


if __name__ == "__main__":
    main()

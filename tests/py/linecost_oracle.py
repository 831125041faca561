# The line events Python itself reports for PROG (run as __main__), in the
# frames of PROG's file: sys.settrace before 3.12, sys.monitoring from
# 3.12.  Prints "L FIRSTLINE LINE" per line event and "R FIRSTLINE LINE"
# per resumption of a generator or coroutine (the line it goes on at,
# f_lineno), where FIRSTLINE is the code's co_firstlineno.
import runpy
import sys

prog = sys.argv[1]
out = []


def keep(code):
    return code.co_filename == prog


if sys.version_info >= (3, 12):
    mon = sys.monitoring
    T = 4
    mon.use_tool_id(T, 'oracle')

    def line(code, n):
        if keep(code):
            out.append('L %d %d' % (code.co_firstlineno, n))

    def resume(code, off, *exc):
        if keep(code):
            out.append('R %d %d' % (code.co_firstlineno, sys._getframe(1).f_lineno))

    def nothing(*a):
        pass

    # The events pcg-trace asks for: which ones are on changes which LINE
    # and PY_THROW events CPython sends (3.14: a class body's first line,
    # a coroutine's close()).
    mask = 0
    for name in ('LINE', 'PY_RESUME', 'PY_THROW', 'PY_START', 'PY_RETURN', 'PY_UNWIND',
                 'PY_YIELD', 'CALL', 'C_RETURN', 'C_RAISE'):
        ev = getattr(mon.events, name)
        mon.register_callback(T, ev, {'LINE': line, 'PY_RESUME': resume,
                                      'PY_THROW': resume}.get(name, nothing))
        mask |= ev
    mon.set_events(T, mask)
else:
    started = {}  # the frames, kept: an id is not reused

    def trace(frame, event, arg):
        code = frame.f_code
        if not keep(code):
            return None
        if event == 'call':
            if code.co_flags & (0x20 | 0x80 | 0x200) and id(frame) in started:
                out.append('R %d %d' % (code.co_firstlineno, frame.f_lineno))
            started[id(frame)] = frame
        elif event == 'line':
            out.append('L %d %d' % (code.co_firstlineno, frame.f_lineno))
        return trace

    sys.settrace(trace)
sys.argv = [prog]
try:
    runpy.run_path(prog, run_name='__main__')
finally:
    if sys.version_info >= (3, 12):
        mon.set_events(T, 0)
    else:
        sys.settrace(None)
    sys.stdout.flush()
    for o in out:
        sys.stderr.write(o + '\n')

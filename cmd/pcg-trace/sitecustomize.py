# pcg-trace bootstrap.  pcg-trace puts this folder first on PYTHONPATH so that
# any command line running Python imports it at startup; it undoes what the
# launcher changed (PYTHONPATH, sys.path, its own variables, so that child
# processes run untraced; with -f it leaves PYTHONPATH and its variables in
# the environment, so that Python child processes are traced too), runs the
# system's own sitecustomize, and starts the recorder: pcg-recorder.so, a C
# shared object loaded as the extension module _pcg_recorder (_imp, not
# ctypes: its import alone would cost the program half a megabyte), whose
# start() runs with the GIL and which leaves no trace in sys.modules.
# Written for Python 2 to parse, so that it can refuse it.


def _pcg_free_threaded():
    # PEP 703: a free-threaded build's ABI flags hold a 't' (3.13+); asked
    # there rather than of sysconfig, whose build variables the program
    # would carry (0.2 MB) for one answer.
    import sys
    return 't' in getattr(sys, 'abiflags', '')


def _pcg_meta():
    # The interpreter's metadata, raw: key, values, None, key, ... (the
    # recorder escapes them, as it does everything it writes).  The stdlib
    # is where os came from, the sites what site says: sysconfig tells the
    # same, but only by loading every build variable into the program.
    import os
    import sys
    import site
    out = []

    def add(key, vals):
        seen = []
        for v in vals:
            if v and v not in seen:
                seen.append(v)
        if seen:
            out.extend([key] + [v if isinstance(v, bytes) else v.encode('utf-8', 'surrogateescape')
                                for v in seen] + [None])

    v = sys.version_info
    add(b'python', ['%d.%d.%d' % (v[0], v[1], v[2])])
    add(b'impl', ['CPython'])
    add(b'executable', [sys.executable])
    stdlib = os.path.dirname(getattr(os, '__file__', None) or '')
    sites = site.getsitepackages() if hasattr(site, 'getsitepackages') else []
    if not stdlib or not sites:
        import sysconfig
        paths = sysconfig.get_paths()
        stdlib = stdlib or paths.get('stdlib')
        sites = sites or [paths.get('purelib'), paths.get('platlib')]
    add(b'stdlib', [stdlib])
    add(b'site', sites)
    return out


def _pcg_claim(fd):
    # The launcher's one byte: whoever reads it first records (pcg-trace.c).
    import os
    try:
        return os.read(fd, 1) == b'x'
    except OSError:
        return False


def _pcg_refused(fd):
    # Tell the launcher that we said why nothing is recorded, and stop.
    import os
    try:
        os.write(fd, b'r')
    except OSError:
        pass
    os._exit(1)


def _pcg_boot():
    import os
    import sys
    env = os.environ
    cfg = env.get('PCG_TRACE')
    follow = False
    if cfg is not None:
        try:
            follow = (int(cfg.split()[1]) & 2) != 0
        except (IndexError, ValueError):
            pass
    if follow:
        pp = None
    else:
        env.pop('PCG_TRACE', None)
        pp = env.pop('PCG_TRACE_PP', None)
    here = os.path.dirname(os.path.abspath(__file__))
    if pp is not None:
        if pp[:1] == 's':
            env['PYTHONPATH'] = pp[1:]
        else:
            env.pop('PYTHONPATH', None)
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) != here]
    sys.path_importer_cache.pop(here, None)
    # Chain to the sitecustomize we shadow (Debian ships one).
    # (importlib wants a sitecustomize in sys.modules when we return: ours,
    # emptied, if there is no other.)
    me = sys.modules.pop('sitecustomize')
    try:
        import sitecustomize
    except ImportError as e:
        if getattr(e, 'name', 'sitecustomize') != 'sitecustomize':
            raise
        sys.modules['sitecustomize'] = me
    if cfg is None:
        return
    # The profile's descriptor, the flags, the launcher's claim socket (see
    # _pcg_claim) and the descriptor that holds its command line (the
    # recorder reads it).
    fd, flags, claimfd, cmdfd = [int(x) for x in cfg.split()[:4]]
    pattern = None
    if not follow and not _pcg_claim(claimfd):
        # A second interpreter of the command (sh -c 'python3 a; python3 b'):
        # one profile is the first's; writing into it too would corrupt it.
        for d in (fd, cmdfd):
            try:
                os.close(d)
            except OSError:
                pass
        try:
            with open('/proc/self/cmdline', 'rb') as f:
                cmd = f.read().rstrip(b'\0').replace(b'\0', b' ').decode('utf-8', 'replace')
        except (IOError, OSError):
            cmd = '?'
        sys.stderr.write('pcg-trace: process %d (%s) not recorded: without -f only '
                         'the first Python process is; -f records each one\n'
                         % (os.getpid(), cmd))
        sys.stderr.flush()
        return
    if follow:
        # The main process is the launcher's child; any other is followed
        # and writes its own file.  A followed process that cannot be
        # traced runs on untraced.
        pattern = env.get('PCG_TRACE_OUT', '')
        # An image a traced process exec'd (os.exec*): the how-many-th.
        try:
            execs = max(0, int(env.pop('PCG_TRACE_EXEC', '0')))
        except ValueError:
            execs = 0
        flags |= execs << 8
        root = env.get('PCG_TRACE_ROOT') == str(os.getpid()) and not execs
        if root:
            try:
                os.fstat(fd)
            except OSError:
                root = False
        if not root:
            # Its own command line: the recorder reads /proc/self/cmdline;
            # a followed process's 253 and 252 are not ours.
            fd = cmdfd = claimfd = -1
            flags |= 4
            if (sys.version_info < (3, 6) or sys.implementation.name != 'cpython'
                    or not pattern):
                return
            if _pcg_free_threaded():
                return
    if sys.version_info < (3, 6) or sys.implementation.name != 'cpython':
        sys.stderr.write('pcg-trace: Python %d.%d (%s) is not supported: '
                         'CPython 3.6 or later is needed\n'
                         % (sys.version_info[0], sys.version_info[1], sys.platform))
        sys.stderr.flush()
        _pcg_refused(claimfd)
    if _pcg_free_threaded():
        sys.stderr.write('pcg-trace: free-threaded Python builds are not supported\n')
        sys.stderr.flush()
        _pcg_refused(claimfd)
    import threading  # before the hook, or its import is recorded
    import _imp
    meta = tuple(_pcg_meta())

    class spec:  # all create_dynamic reads of a module spec
        name = '_pcg_recorder'
        origin = os.path.join(here, 'pcg-recorder.so')
    try:
        start = _imp.create_dynamic(spec).start
    except (ImportError, SystemError, AttributeError) as e:
        sys.stderr.write('pcg-trace: cannot load the recorder: %s\n' % e)
        sys.stderr.flush()
        if flags & 4:
            return
        _pcg_refused(claimfd)
    finally:
        sys.modules.pop(spec.name, None)
    if pattern is not None:
        pattern = pattern.encode('utf-8', 'surrogateescape')
    if start(fd, flags, cmdfd, meta, pattern) != 0:
        if flags & 4:
            sys.stderr.write('pcg-trace: process %d not traced\n' % os.getpid())
            sys.stderr.flush()
            return
        sys.stderr.write('pcg-trace: cannot start the recorder\n')
        sys.stderr.flush()
        _pcg_refused(claimfd)
    if claimfd >= 0:
        os.close(claimfd)


try:
    _pcg_boot()
finally:
    del _pcg_boot, _pcg_free_threaded, _pcg_meta, _pcg_claim, _pcg_refused

#!/usr/bin/python3
"""pcg benchmark harness (`make bench`).

Measures, on this machine:
  1. tracing overhead of pcg-trace (profile layer and --events) against
     cProfile and yappi, on the workloads in bench/workloads/, for each
     interpreter, with the peak RSS of the traced process;
  2. post-processing throughput of pcg-emit, pcg-merge and pcg-filter on
     large synthetic streams (bench/gen_streams.py);
  3. end to end "trace and get a callgrind file": pcg-trace + pcg-emit
     against cProfile + pyprof2calltree (and yappi writing callgrind itself);
  4. merging many runs: pcg-merge of 100 separate traced runs of the
     realistic workload (and of 10: memory should follow the merged tree, not
     the number of inputs) against pstats.Stats(*files).dump_stats, and
     pcg-merge | pcg-emit against that + pyprof2calltree; the merged runs
     and call counts are checked;
  5. output sizes;
  5b. compensation: the calibrated program (tests/py/calibrated.py), calls()'s
     share by its own clock (truth) against pcg, pcg --raw and cProfile, and
     pcg's overhead with compensation against --raw (instructions under
     callgrind, and CPU time); and the phases of the
     calls, recursion and realistic workloads, timed by the workloads
     themselves (PCG_BENCH_PHASES=1), each one's share by those clocks
     against its share of inclusive time by pcg, --raw and cProfile; and
     kinds of call (workloads/kinds.py), each timed plain and profiled in
     turns in one process: what pcg, --raw and cProfile leave in per call;
  5c. per-line costs (lines): pcg-trace --lines against pcg-trace and
     cProfile on the calls and realistic workloads, pprofile (Debian's
     python3-pprofile, deterministic, callgrind output) beside it on
     /usr/bin/python3; the profile's size and the traced peak RSS with
     --lines against without, on realistic;
  6. optional (BENCH_SECTIONS=...,icount): the overhead ratios of 1. in
     instructions executed, counted by valgrind's callgrind (one run each at
     BENCH_ICOUNT_SCALE, with an empty script's row for each tool's fixed
     cost).  Deterministic and unaffected by the machine's load, but not time
     (a clock read or a cache miss is one instruction): a steady second
     opinion beside the timings, which stay the measure.  n/a without
     valgrind.

Prints a markdown report on stdout (progress on stderr) and writes it to
bench/RESULTS.md (build/bench/RESULTS-quick.md in quick mode).  Missing tools
show as n/a; missed targets are reported, never an error.  It exits 1 only
when a traced program's output differs from the plain run's, a tool fails,
or a pcg output stream (or a merged profile's runs and counts) is invalid.

Environment:
  BENCH_RUNS=N        timed runs per measurement, medians reported (default 5;
                      1 in quick mode; the compensation section takes 2N-1)
  BENCH_QUICK=1       fast smoke run: smaller workloads and streams, 2
                      interpreters, 1 run
  BENCH_PYTHONS=...   interpreters (space/comma separated paths), or "all" for
                      every CPython 3 found (Debian's, pyenv's and, as root,
                      the tests' Debian sid chroot's 3.14 and 3.15); default:
                      /usr/bin/python3 and the newest 3.12, 3.13, 3.14, 3.15
  BENCH_WORKLOADS=... subset of workload names (default: all)
  BENCH_SECTIONS=...  subset of overhead,throughput,e2e,merge,compensation,lines,icount
                      (default: all but icount, which takes about 6 minutes)
  BENCH_ICOUNT_SCALE=F  workload size factor under callgrind (default 0.1;
                      0.05 in quick mode, which also counts 1 interpreter and
                      2 workloads, calls and realistic)
  BENCH_ICOUNT_JOBS=N callgrind runs at a time (default: the number of CPUs;
                      the counts do not depend on it)
  BENCH_MERGE_RUNS=N  runs merged in the merge section (default 100; 20 in
                      quick mode)
  BENCH_SCALE=F       workload size factor (default 1; 0.2 in quick mode)
  BENCH_EVENTS=N, BENCH_NODES=N   synthetic stream sizes (default 10M, 1.05M)
  BENCH_BIN=DIR       the pcg programs (default build/bin)
  BENCH_WORK=DIR      scratch folder (default build/bench)
  BENCH_OUT=FILE      report file
"""
import concurrent.futures
import datetime
import glob
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def env(name, default):
    v = os.environ.get(name, "")
    return v if v != "" else default


QUICK = env("BENCH_QUICK", "0") not in ("0", "no", "false")
RUNS = max(1, int(env("BENCH_RUNS", "1" if QUICK else "5")))
SCALE = float(env("BENCH_SCALE", "0.2" if QUICK else "1"))
NEVENTS = int(env("BENCH_EVENTS", "1000000" if QUICK else "10000000"))
NNODES = int(env("BENCH_NODES", "100000" if QUICK else "1050000"))
MERGE_RUNS = max(1, int(env("BENCH_MERGE_RUNS", "20" if QUICK else "100")))
BIN = os.path.abspath(env("BENCH_BIN", os.path.join(ROOT, "build", "bin")))
WORK = os.path.abspath(env("BENCH_WORK", os.path.join(ROOT, "build", "bench")))
OUT = env("BENCH_OUT", os.path.join(WORK, "RESULTS-quick.md") if QUICK
          else os.path.join(HERE, "RESULTS.md"))
WORKLOADS = ["calls", "builtins", "recursion", "gens", "threads", "realistic", "bigtree"]
WORKLOAD_DOC = {
    "calls": "millions of tiny Python calls (functions, methods, property, lambda)",
    "builtins": "mostly C builtins and methods (len, min, dict.get, str.join, ...)",
    "recursion": "fib, mutual recursion, 500-deep descents, a recursive tree",
    "gens": "generator pipelines, yield from, asyncio tasks",
    "threads": "4 worker threads + main thread, call-heavy",
    "realistic": "json, re, dataclasses, collections, textwrap: parse, validate, report",
    "bigtree": "a large calling-context tree (~160k contexts): 400 functions on data-dependent paths",
}
# Overhead-ratio targets (tool - plain) / (cProfile - plain).
TARGET_PROFILE = {"3.11": 0.9, "default": 0.7}  # <= 0.9 on 3.11, <= 0.7 on 3.12+
TARGET_EVENTS = 1.3
TARGET_NODES_PER_S = 1e6
TARGET_EVENTS_MB_S = 100.0

errors = []
warnings = []


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def fail(msg):
    errors.append(msg)
    log("ERROR: " + msg)


def tool(name):
    p = os.path.join(BIN, name)
    return p if os.access(p, os.X_OK) else None


class Result:
    __slots__ = ("wall", "cpu", "rss", "rc", "out", "err")


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run(cmd, stdin=None, tag="run"):
    """Run cmd; wall time (perf_counter), CPU time and peak RSS (KB) and its
    output.  Linux starts a process's peak RSS at that of the process it was
    forked from (counted at exec), so wait4 would never report less than this
    script's own RSS: GNU time, a small process, forks cmd and reports its
    real peak (the largest of cmd and its waited-for descendants).  Without
    GNU time, wait4's figure, floor included."""
    os.makedirs(WORK, exist_ok=True)
    op, ep = os.path.join(WORK, tag + ".stdout"), os.path.join(WORK, tag + ".stderr")
    rp = os.path.join(WORK, tag + ".rss")
    if GNU_TIME:
        cmd = [GNU_TIME, "-f", "%M", "-o", rp] + cmd
    with open(op, "wb") as o, open(ep, "wb") as e:
        fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=fin, stdout=o, stderr=e)
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        p.returncode = os.waitstatus_to_exitcode(status)
        if stdin:
            fin.close()
    r = Result()
    r.wall, r.cpu, r.rss, r.rc = t1 - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode
    with open(op, "rb") as f:
        r.out = f.read()
    with open(ep, "rb") as f:
        r.err = f.read()
    if GNU_TIME:
        with open(rp) as f:
            r.rss = int(f.read().split()[-1])  # after a "Command exited ..." line, if any
    return r


def med(xs):
    return statistics.median(xs) if xs else None


def fmt_s(x):
    return "n/a" if x is None else "%.3f" % x


def fmt_x(x, plain):
    return "n/a" if x is None or not plain else "%.2f×" % (x / plain)


def fmt_mb(kb):
    return "n/a" if kb is None else "%.0f" % (kb / 1024)


def fmt_size(n):
    if n is None:
        return "n/a"
    if n >= 10e6:
        return "%.0f MB" % (n / 1e6)
    if n >= 1e6:
        return "%.1f MB" % (n / 1e6)
    if n >= 10e3:
        return "%.0f kB" % (n / 1e3)
    return "%.1f kB" % (n / 1e3)


def ratio(tool_t, plain_t, cp_t):
    if None in (tool_t, plain_t, cp_t) or cp_t - plain_t <= 0:
        return None
    return (tool_t - plain_t) / (cp_t - plain_t)


def valid_stream(path):
    """Cheap check of a pcg stream: header and `end` trailer with the right count."""
    try:
        with open(path, "rb") as f:
            head = f.readline()
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 4096))
            tail = f.read().splitlines()
    except OSError as e:
        return "cannot read: %s" % e
    if not (head.startswith(b"pcg\t1\t") or head.startswith(b"pcg\t2\t")):
        return "no pcg header"
    if not tail or not tail[-1].startswith(b"end\t"):
        return "no end trailer (truncated?)"
    return None


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 22)
            if not b:
                return n
            n += b.count(b"\n")


# ---------------------------------------------------------------- interpreters

def py_version(py):
    try:
        out = subprocess.run([py, "-c", "import sys, platform; print(platform.python_version(),"
                              " platform.python_implementation())"],
                             capture_output=True, text=True, timeout=30).stdout.split()
        return out[0] if len(out) == 2 and out[1] == "CPython" else None
    except (OSError, subprocess.SubprocessError):
        return None


def vkey(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


# Debian sid's 3.14 and 3.15 (release builds) in the tests' chroot
# (tests/sid/setup), through its wrappers: root only.
SID = os.environ.get("PCG_SID", "/var/tmp/pcg-sid")
SID_DIR = os.path.join(os.path.dirname(HERE), "tests", "sid")


def sid_pythons():
    if os.geteuid() != 0 or not os.path.exists(os.path.join(SID, ".pcg-complete")):
        return []
    return [os.path.join(SID_DIR, p) for p in ("python3.14", "python3.15")]


def in_sid(py):
    """The chroot's own path of a sid wrapper's interpreter, or None."""
    if os.path.dirname(os.path.abspath(py)) != SID_DIR:
        return None
    return "/usr/bin/" + os.path.basename(py)


def find_pythons():
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = []
    cands = ["/usr/bin/python3"] + sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3")))
    cands += sid_pythons()
    for c in cands:
        if os.access(c, os.X_OK):
            v = py_version(c)
            if v and v.startswith("3."):
                found.append((c, v))
    # Debian's first (the sizes and end-to-end sections use it), then by version.
    return found[:1] + sorted(found[1:], key=lambda cv: vkey(cv[1]))


def choose_pythons():
    spec = env("BENCH_PYTHONS", "")
    found = find_pythons()
    if spec == "all":
        return found
    if spec:
        out = []
        for c in re.split(r"[\s,]+", spec.strip()):
            c = shutil.which(c) or c
            v = py_version(c)
            if v:
                out.append((c, v))
            else:
                warnings.append("interpreter %s not usable: skipped" % c)
        return out
    out = [(c, v) for c, v in found if c == "/usr/bin/python3"]
    wanted = ("3.13",) if QUICK else ("3.12", "3.13", "3.14", "3.15")
    for minor in wanted:
        cands = [(c, v) for c, v in found if c != "/usr/bin/python3" and vkey(v)[:2] == vkey(minor)[:2]]
        if cands:
            out.append(max(cands, key=lambda cv: vkey(cv[1])))
        else:
            warnings.append("no CPython %s found: its rows are missing" % minor)
    return out


def has_module(py, mod):
    return subprocess.run([py, "-c", "import " + mod], capture_output=True).returncode == 0


def checked(r, ref, w, ver, t, cmd, out_file):
    """True if run r of workload w under tool t exited 0 with the plain run's
    stdout ref and, for pcg, wrote a valid stream; else records the error."""
    if r.rc != 0 or r.out != ref:
        fail("%s on Python %s under %s: %s\n  command: %s\n  stderr: %s" % (
            w, ver, t,
            "exit status %d" % r.rc if r.rc else "stdout differs from the plain run "
            "(%r vs %r)" % (r.out[:200], ref[:200]),
            " ".join(cmd), r.err.decode(errors="replace").strip()[-500:]))
        return False
    if t.startswith("pcg"):
        bad = valid_stream(out_file)
        if bad:
            fail("%s on Python %s: %s output %s: %s" % (w, ver, t, out_file, bad))
            return False
    return True


def not_comparable(w, ver):
    """Before 3.12 cProfile records only the main thread."""
    return w == "threads" and vkey(ver) < (3, 12)


def ratio_cell(s, key, w, rt, target, excl):
    """A ratio cell with its ✓/✗ mark; records (w, rt) in s[key] unless excl."""
    if rt is None:
        return "n/a"
    if not excl:
        s.setdefault(key, []).append((w, rt))
    mark = "" if target is None or excl else (" ✓" if rt <= target else " ✗")
    return "%.2f%s" % (rt, mark)


# ---------------------------------------------------------------- 1. overhead

def overhead(pythons, workloads):
    trace = tool("pcg-trace")
    d = os.path.join(WORK, "out")
    os.makedirs(d, exist_ok=True)
    results = {}  # (py, workload) -> {tool: [Result]}
    files = {}    # (py, workload, tool) -> output file of the last run
    for py, ver in pythons:
        tools = ["plain", "cProfile"]
        if trace:
            tools += ["pcg", "pcg-events"]
        if has_module(py, "yappi"):
            tools.append("yappi")
        tag = re.sub(r"[^\w.]", "_", ver)
        cmds, refs, ok = {}, {}, []
        for w in workloads:
            script = os.path.join(HERE, "workloads", w + ".py")
            args = [script, str(SCALE)]
            base = os.path.join(d, "%s-%s" % (tag, w))
            c = {"plain": [py] + args,
                 "cProfile": [py, "-m", "cProfile", "-o", base + ".prof"] + args}
            if trace:
                c["pcg"] = [trace, "-q", "-o", base + ".pcg", py] + args
                c["pcg-events"] = [trace, "-q", "--events", "-o", base + ".events.pcg", py] + args
            c["yappi"] = [py, os.path.join(HERE, "yappi_run.py"), base + ".yappi.cg"] + args
            for t, f in (("cProfile", ".prof"), ("pcg", ".pcg"), ("pcg-events", ".events.pcg"),
                         ("yappi", ".yappi.cg")):
                files[(py, w, t)] = base + f
            # Warm-up and reference output.
            r = run(c["plain"], tag="plain")
            if r.rc != 0:
                last = (r.err.decode(errors="replace").strip().splitlines() or [""])[-1]
                warnings.append("%s on Python %s: plain run failed (exit %d), skipped: `%s`"
                                % (w, ver, r.rc, last[-200:]))
                continue
            cmds[w], refs[w] = c, r.out
            ok.append(w)
            results[(py, w)] = {t: [] for t in tools}
        for i in range(RUNS):
            log("overhead: Python %s, run %d/%d" % (ver, i + 1, RUNS))
            for w in ok:
                for t in tools:
                    r = run(cmds[w][t], tag=t)
                    if checked(r, refs[w], w, ver, t, cmds[w][t], files.get((py, w, t))):
                        results[(py, w)][t].append(r)
        # Every pcg output must parse: pcg-emit reads the last run's streams.
        emit = tool("pcg-emit")
        for w in ok:
            for t in ("pcg", "pcg-events"):
                f = files[(py, w, t)]
                if emit and t in tools and results[(py, w)][t] and os.path.exists(f):
                    r = run([emit, "-o", f + ".cg", f], tag="emit-check")
                    if r.rc != 0:
                        fail("pcg-emit rejects the %s output of %s on Python %s: %s" % (
                            t, w, ver, r.err.decode(errors="replace").strip()[-300:]))
            if py != pythons[0][0]:  # only the first interpreter's feed the size table
                for t in ("pcg-events",):
                    for f in (files[(py, w, t)], files[(py, w, t)] + ".cg"):
                        if os.path.exists(f):
                            os.unlink(f)
            if trace and w == "threads" and results[(py, w)].get("pcg"):
                with open(files[(py, w, "pcg")], "rb") as f:
                    nthr = sum(1 for line in f if line.startswith(b"thread\t"))
                if nthr < 5:
                    fail("threads on Python %s: pcg profile has %d threads, expected 5" % (ver, nthr))
    return results, files


def by_python(pythons, workloads, results, lines, title, columns):
    """For each interpreter with results: appends its heading and the header of
    a table of columns to lines, and yields (py, ver, its workloads)."""
    for py, ver in pythons:
        rows = [w for w in workloads if (py, w) in results]
        if rows:
            lines.append("### Python %s (`%s`)%s\n" % (ver, py, title))
            lines.append("| " + " | ".join(columns) + " |")
            lines.append("|---|" + "--:|" * (len(columns) - 1))
            yield py, ver, rows


def overhead_tables(pythons, workloads, results):
    lines = []
    # ver -> {(tool, clock): [(workload, ratio)]}, without the non-comparable rows
    summary = {}
    for py, ver, rows in by_python(pythons, workloads, results, lines, "", (
            "workload", "plain s", "cProfile", "pcg", "pcg --events", "yappi", "pcg ratio",
            "--events ratio", "yappi ratio", "pcg ratio (CPU)", "--events ratio (CPU)")):
        tp = target_profile(ver)
        s = summary.setdefault(ver, {})
        for w in rows:
            res = results[(py, w)]
            m = {t: med([r.wall for r in rs]) for t, rs in res.items()}
            mc = {t: med([r.cpu for r in rs]) for t, rs in res.items()}
            plain, cp = m.get("plain"), m.get("cProfile")
            excl = not_comparable(w, ver)
            cells = [w + (" †" if excl else ""), fmt_s(plain)]
            for t in ("cProfile", "pcg", "pcg-events", "yappi"):
                cells.append(fmt_x(m.get(t), plain))
            for t, target, clock in (("pcg", tp, "wall"), ("pcg-events", TARGET_EVENTS, "wall"),
                                     ("yappi", None, "wall"), ("pcg", tp, "cpu"),
                                     ("pcg-events", TARGET_EVENTS, "cpu")):
                mm = m if clock == "wall" else mc
                rt = ratio(mm.get(t), mm.get("plain"), mm.get("cProfile"))
                cells.append(ratio_cell(s, (t, clock), w, rt, target, excl))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("Peak RSS of the traced process, MB:\n")
        lines.append("| workload | plain | cProfile | pcg | pcg --events | yappi |")
        lines.append("|---|--:|--:|--:|--:|--:|")
        for w in rows:
            res = results[(py, w)]
            cells = [w]
            for t in ("plain", "cProfile", "pcg", "pcg-events", "yappi"):
                rs = res.get(t)
                cells.append(fmt_mb(med([r.rss for r in rs])) if rs else "n/a")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines, summary


# ---------------------------------------------------------------- 1b. instruction counts

ICOUNT_SCALE = float(env("BENCH_ICOUNT_SCALE", "0.05" if QUICK else "0.1"))
ICOUNT_JOBS = max(1, int(env("BENCH_ICOUNT_JOBS", str(os.cpu_count() or 1))))
ICOUNT_TOOLS = ("plain", "cProfile", "pcg", "pcg-events")
STARTUP = "start-up (empty script) ‡"


def callgrind_instr(d):
    """Instructions of the largest process whose callgrind file is in d: the
    interpreter (pcg-trace forks it; its own process and any wrapper count
    little).  Each file's first `summary:` or `totals:` line: callgrind writes
    `summary:` in the header and `totals:` at the end, the same figure for the
    interpreter's process."""
    best = None
    for f in glob.glob(os.path.join(d, "o.*")):
        with open(f, "rb") as fh:
            for line in fh:
                if line.startswith((b"summary:", b"totals:")):
                    n = int(line.split()[1])
                    best = n if best is None else max(best, n)
                    break
    return best


def icount(pythons, workloads):
    """Instructions executed (valgrind --tool=callgrind) by plain, cProfile,
    pcg-trace and pcg-trace --events on each workload at ICOUNT_SCALE, one run
    each, ICOUNT_JOBS at a time (the counts do not depend on the load).
    Returns ({(py, w): {tool: instructions}}, pythons, workloads, seconds)."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        warnings.append("valgrind is not installed (apt-get install valgrind): the instruction "
                        "counts are n/a")
        return {}, [], [], 0.0
    if QUICK:
        pythons = pythons[:1]
        pick = [w for w in workloads if w in ("calls", "realistic")]
        workloads = pick if len(pick) == 2 else workloads[:2]
    trace = tool("pcg-trace")
    tools = [t for t in ICOUNT_TOOLS if trace or not t.startswith("pcg")]
    d = os.path.join(WORK, "icount")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    # The start-up row: an empty script shows each tool's fixed cost (imports,
    # writing the profile), which weighs more at this small scale.
    workloads = [STARTUP] + list(workloads)
    with open(os.path.join(d, "empty.py"), "w") as f:
        f.write("pass\n")
    jobs = []  # (py, ver, w, tool, command, callgrind folder, output file)
    counted = []
    for py, ver in pythons:
        # A sid interpreter is counted by the chroot's own valgrind, inside.
        real = in_sid(py)
        if real and not os.path.exists(os.path.join(SID, "usr/bin/valgrind")):
            warnings.append("Python %s: no valgrind in the sid chroot (chroot %s apt-get install "
                            "valgrind): its instruction counts are n/a" % (ver, SID))
            continue
        counted.append((py, ver))
        vg = [os.path.join(SID_DIR, "run"), "valgrind"] if real else [valgrind]
        ipy = real or py
        tag = re.sub(r"[^\w.]", "_", ver)
        for w in workloads:
            args = [os.path.join(d, "empty.py") if w == STARTUP else
                    os.path.join(HERE, "workloads", w + ".py"), str(ICOUNT_SCALE)]
            base = os.path.join(d, "%s-%s" % (tag, "startup" if w == STARTUP else w))
            c = {"plain": ([ipy] + args, None),
                 "cProfile": ([ipy, "-m", "cProfile", "-o", base + ".prof"] + args, base + ".prof"),
                 "pcg": ([trace, "-q", "-o", base + ".pcg", ipy] + args, base + ".pcg"),
                 "pcg-events": ([trace, "-q", "--events", "-o", base + ".events.pcg", ipy] + args,
                                base + ".events.pcg")}
            for t in tools:
                cg = "%s.%s.cg" % (base, t)
                os.makedirs(cg)
                # A fixed string hash seed: the same dict and set layouts in every run.
                cmd = ["env", "PYTHONHASHSEED=0"] + vg + ["-q", "--tool=callgrind",
                       "--trace-children=yes",
                       "--callgrind-out-file=" + os.path.join(cg, "o.%p")] + c[t][0]
                jobs.append((py, ver, w, t, cmd, cg, c[t][1]))
    pythons = counted
    log("icount: %d runs under callgrind, scale %g, %d at a time" % (
        len(jobs), ICOUNT_SCALE, ICOUNT_JOBS))
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(ICOUNT_JOBS) as ex:
        runs = list(ex.map(lambda i: run(jobs[i][4], tag="icount-%d" % i), range(len(jobs))))
    elapsed = time.perf_counter() - t0
    done = {(j[0], j[2], j[3]): (j, r) for j, r in zip(jobs, runs)}
    results = {}
    for py, ver in pythons:
        for w in workloads:
            (_, _, _, _, cmd, cg, _), ref = done[(py, w, "plain")]
            if ref.rc != 0:
                last = (ref.err.decode(errors="replace").strip().splitlines() or [""])[-1]
                warnings.append("%s on Python %s under callgrind: plain run failed (exit %d), "
                                "skipped: `%s`" % (w, ver, ref.rc, last[-200:]))
                continue
            res = results[(py, w)] = {}
            for t in tools:
                (_, _, _, _, cmd, cg, out), r = done[(py, w, t)]
                if checked(r, ref.out, w, ver, t + " under callgrind", cmd, out):
                    res[t] = callgrind_instr(cg)
    return results, pythons, workloads, elapsed


def icount_tables(pythons, workloads, results):
    lines = []
    summary = {}  # as overhead_tables', clock "instr"
    for py, ver, rows in by_python(pythons, workloads, results, lines, ", instructions", (
            "workload", "plain Ginstr", "cProfile", "pcg", "pcg --events", "pcg ratio",
            "--events ratio")):
        tp = target_profile(ver)
        s = summary.setdefault(ver, {})
        for w in rows:
            n = results[(py, w)]
            plain, excl = n.get("plain"), not_comparable(w, ver) or w == STARTUP
            cells = [w + (" †" if excl and w != STARTUP else ""),
                     "n/a" if plain is None else "%.3f" % (plain / 1e9)]
            for t in ("cProfile", "pcg", "pcg-events"):
                cells.append(fmt_x(n.get(t), plain))
            for t, target in (("pcg", tp), ("pcg-events", TARGET_EVENTS)):
                rt = ratio(n.get(t), plain, n.get("cProfile"))
                cells.append(ratio_cell(s, (t, "instr"), w, rt, target, excl))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines, summary


def target_profile(ver):
    return TARGET_PROFILE.get(".".join(ver.split(".")[:2]), TARGET_PROFILE["default"]) \
        if vkey(ver) >= (3, 11) else None


# ---------------------------------------------------------------- 2. throughput

def gen_hash():
    with open(os.path.join(HERE, "gen_streams.py"), "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:12]


def streams():
    """Generate (or reuse) the synthetic streams; returns {name: path}."""
    d = os.path.join(WORK, "streams", "%s-e%d-n%d" % (gen_hash(), NEVENTS, NNODES))
    ev, pr = os.path.join(d, "events.pcg"), os.path.join(d, "profile.pcg")
    if not (os.path.exists(ev) and os.path.exists(pr)):
        log("generating synthetic streams (%d events, %d nodes) in %s ..." % (NEVENTS, NNODES, d))
        t0 = time.perf_counter()
        subprocess.run([sys.executable, os.path.join(HERE, "gen_streams.py"), "--events",
                        str(NEVENTS), "--nodes", str(NNODES), d], check=True)
        log("  done in %.0f s" % (time.perf_counter() - t0))
    return {"events": ev, "profile": pr}


def throughput():
    progs = {p: tool(p) for p in ("pcg-emit", "pcg-merge", "pcg-filter")}
    if not any(progs.values()):
        return ["No post-processing program is built yet: n/a.", ""], {}
    st = streams()
    info = {}
    for name, path in st.items():
        info[name] = {"bytes": os.path.getsize(path), "lines": count_lines(path)}
        with open(path, "rb") as f:
            info[name]["records"] = sum(1 for line in f
                                        if line[:2] in (b"c\t", b"r\t", b"y\t", b"s\t", b"no"))
    d = os.path.join(WORK, "tp")
    os.makedirs(d, exist_ok=True)
    # Aggregated size of the events stream (what memory should be bounded by).
    agg_nodes = None
    if progs["pcg-merge"]:
        r = run([progs["pcg-merge"], "-o", os.path.join(d, "events-agg.pcg"), st["events"]],
                tag="agg")
        if r.rc == 0:
            with open(os.path.join(d, "events-agg.pcg"), "rb") as f:
                agg_nodes = sum(1 for line in f if line.startswith((b"node\t", b"rec\t")))
            info["events"]["agg_bytes"] = os.path.getsize(os.path.join(d, "events-agg.pcg"))
        info["events"]["agg_nodes"] = agg_nodes
    runs = min(RUNS, 3)
    rows = []
    perf = {}
    for name in ("profile", "events"):
        src = st[name]
        cases = [
            ("pcg-emit", [progs["pcg-emit"], "-o", os.path.join(d, name + ".cg"), src], 1),
            ("pcg-merge (2 copies)", [progs["pcg-merge"], "-o", os.path.join(d, name + ".merged"),
                                      src, src], 2),
            ("pcg-filter --min-incl 0.1%", [progs["pcg-filter"], "--min-incl", "0.1%", "-o",
                                            os.path.join(d, name + ".filtered"), src], 1),
            ("pcg-filter --drop-builtins", [progs["pcg-filter"], "--drop-builtins", "-o",
                                            os.path.join(d, name + ".nobuiltins"), src], 1),
        ]
        for label, cmd, copies in cases:
            if cmd[0] is None:
                rows.append((name, label, None))
                continue
            log("throughput: %s on %s" % (label, name))
            rs = []
            for _ in range(runs):
                r = run(cmd, tag="tp")
                if r.rc != 0:
                    fail("%s on the synthetic %s stream failed (exit %d): %s" % (
                        label, name, r.rc, r.err.decode(errors="replace").strip()[-300:]))
                    break
                rs.append(r)
            if not rs:
                rows.append((name, label, None))
                continue
            outp = cmd[cmd.index("-o") + 1]
            wall = med([r.wall for r in rs])
            cpu = med([r.cpu for r in rs])
            rss = med([r.rss for r in rs])
            res = {"wall": wall, "cpu": cpu, "rss": rss, "copies": copies,
                   "in_bytes": info[name]["bytes"] * copies,
                   "in_records": info[name]["records"] * copies,
                   "out_bytes": os.path.getsize(outp) if os.path.exists(outp) else None}
            rows.append((name, label, res))
            perf[(name, label)] = res
    lines = []
    p, e = info["profile"], info["events"]
    lines.append("Inputs (generated by `bench/gen_streams.py`, cached in `build/bench/streams`, "
                 "read from the page cache):\n")
    lines.append("- profile layer: %s, %s nodes+rec records, %s lines, 4 threads"
                 % (fmt_size(p["bytes"]), "{:,}".format(p["records"]), "{:,}".format(p["lines"])))
    lines.append("- events layer: %s, %s events, %s lines, 4 threads; aggregates to %s nodes+rec "
                 "records (%s)" % (fmt_size(e["bytes"]), "{:,}".format(e["records"]),
                                   "{:,}".format(e["lines"]),
                                   "n/a" if agg_nodes is None else "{:,}".format(agg_nodes),
                                   fmt_size(e.get("agg_bytes"))))
    lines.append("")
    lines.append("| input | command | wall s | CPU s | MB/s | MB/s (CPU) | records/s "
                 "| records/s (CPU) | peak RSS MB | output |")
    lines.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name, label, res in rows:
        if res is None:
            lines.append("| %s | %s |%s" % (name, label, " n/a |" * 8))
            continue
        lines.append("| %s | %s | %.2f | %.2f | %.0f | %.0f | %.2fM | %.2fM | %s | %s |" % (
            name, label, res["wall"], res["cpu"], res["in_bytes"] / 1e6 / res["wall"],
            res["in_bytes"] / 1e6 / max(res["cpu"], 1e-9),
            res["in_records"] / res["wall"] / 1e6, res["in_records"] / max(res["cpu"], 1e-9) / 1e6,
            fmt_mb(res["rss"]), fmt_size(res["out_bytes"])))
    lines.append("")
    lines.append("records/s counts `node`/`rec` records of the profile layer and `c`/`r`/`y`/`s` "
                 "events of the events layer; the programs are single-threaded, so wall "
                 "throughput is per core.")
    lines.append("")
    return lines, perf


# ---------------------------------------------------------------- 3. end to end

def end_to_end(pythons):
    py = "/usr/bin/python3"
    if not any(p == py for p, _ in pythons):
        return ["Needs /usr/bin/python3 (pyprof2calltree runs there): n/a.", ""], {}
    trace, emit = tool("pcg-trace"), tool("pcg-emit")
    p2c = shutil.which("pyprof2calltree")
    yappi = has_module(py, "yappi")
    w = "realistic"
    script = os.path.join(HERE, "workloads", w + ".py")
    args = [script, str(SCALE)]
    d = os.path.join(WORK, "e2e")
    os.makedirs(d, exist_ok=True)
    pipelines = {
        "pcg-trace + pcg-emit": [
            [trace, "-q", "-o", os.path.join(d, "x.pcg"), py] + args,
            [emit, "-o", os.path.join(d, "x.pcg.cg"), os.path.join(d, "x.pcg")]]
        if trace and emit else None,
        "cProfile + pyprof2calltree": [
            [py, "-m", "cProfile", "-o", os.path.join(d, "x.prof")] + args,
            [p2c, "-i", os.path.join(d, "x.prof"), "-o", os.path.join(d, "x.prof.cg")]]
        if p2c else None,
        "yappi (writes callgrind itself)": [
            [py, os.path.join(HERE, "yappi_run.py"), os.path.join(d, "x.yappi.cg")] + args]
        if yappi else None,
    }
    times = {k: [] for k in pipelines}
    steps = {k: [] for k in pipelines}
    for i in range(RUNS):
        log("end to end: run %d/%d" % (i + 1, RUNS))
        for k, cmds in pipelines.items():
            if not cmds:
                continue
            total, parts = 0.0, []
            for c in cmds:
                r = run(c, tag="e2e")
                if r.rc != 0:
                    fail("end to end %s: %s failed (exit %d): %s" % (
                        k, os.path.basename(c[0]), r.rc, r.err.decode(errors="replace")[-300:]))
                    total = None
                    break
                total += r.wall
                parts.append(r.wall)
            if total is not None:
                times[k].append(total)
                steps[k].append(parts)
    plain = [run([py] + args, tag="plain").wall for _ in range(RUNS)]
    lines = ["Workload `realistic` on Debian's /usr/bin/python3, median of %d; plain run: %.3f s.\n"
             % (RUNS, med(plain))]
    lines.append("| pipeline | trace s | convert s | total s | vs cProfile + pyprof2calltree |")
    lines.append("|---|--:|--:|--:|--:|")
    ref = med(times["cProfile + pyprof2calltree"])
    res = {}
    for k in pipelines:
        if not times[k]:
            lines.append("| %s | n/a | n/a | n/a | n/a |" % k)
            continue
        tot = med(times[k])
        tr = med([s[0] for s in steps[k]])
        cv = med([s[1] for s in steps[k]]) if len(steps[k][0]) > 1 else None
        res[k] = tot
        lines.append("| %s | %.3f | %s | %.3f | %s |" % (
            k, tr, fmt_s(cv), tot, "n/a" if not ref else "%.2f×" % (tot / ref)))
    lines.append("")
    return lines, res


# ---------------------------------------------------------------- 4. merging many runs

MERGE_SCALE = 0.2  # a short run, as a test suite's many runs would be
MERGE_FN = b"Order.compute_total"  # called once per order: a fixed count per run
# Peer: cProfile's own way to combine dumps.
PSTATS_MERGE = "import pstats, sys; pstats.Stats(*sys.argv[2:]).dump_stats(sys.argv[1])"


# ---------------------------------------------------------------- compensation

CALIBRATED = os.path.join(ROOT, "tests", "py", "calibrated.py")
SHARE = os.path.join(ROOT, "tests", "py", "share.py")
CP_SHARE = ("import pstats, sys; s = pstats.Stats(sys.argv[1]).stats\n"
            "f = lambda n: sum(v[3] for k, v in s.items() if k[2] == n)\n"
            "print('%.4f' % (f('calls') / (f('calls') + f('loop'))))")
# Three workloads' phases, each timed by the workload itself (PCG_BENCH_PHASES=1):
# each phase function's share of their sum, by those clocks without a profiler and by
# its inclusive time in a profile (pcg's through pcg-emit -F pstats, cProfile's dump).
PHASES = (("calls", ("kernels", "lambdas")),
          ("recursion", ("fibs", "parities", "descents", "sizes")),
          ("realistic", ("make_records", "parse", "report")))
PHASE_SHARE = ("import os, pstats, sys; s = pstats.Stats(sys.argv[1]).stats\n"
               "t = {n: sum(v[3] for k, v in s.items() if k[2] == n and\n"
               "             os.path.basename(k[0]) == sys.argv[2]) for n in sys.argv[3:]}\n"
               "print(' '.join('%.4f' % (t[n] / sum(t.values())) for n in sys.argv[3:]))")
COMP_PP = 5.0        # target: pcg's share within 5 percentage points of the truth
COMP_OVERHEAD = 1.05  # and the overhead with compensation within 5 % of without
# This VM's speed flips between two modes, one about twice as slow as the other, for
# stretches of 0.1 s and more: with 5 runs, medians of shares moved by 2-4 pp between
# batches of one build, and medians of CPU times by 30 %.  The section takes more runs.
COMP_RUNS = 2 * RUNS - 1


def comp_icount(py, ver, trace, d):
    """pcg's overhead with compensation over that with --raw on `calls` at
    SCALE, in instructions executed (callgrind; the three runs ICOUNT_JOBS
    at a time): the same for every run of one build whatever the machine
    does, where CPU times on this VM move by 10 % between batches.  None
    where valgrind is missing (a warning says so)."""
    real = in_sid(py)
    valgrind = shutil.which("valgrind")
    if not valgrind or (real and not os.path.exists(os.path.join(SID, "usr/bin/valgrind"))):
        warnings.append("compensation: Python %s: no valgrind%s: the overhead in instructions "
                        "is n/a" % (ver, " in the sid chroot (chroot %s apt-get install valgrind)" % SID
                                    if real else " (apt-get install valgrind)"))
        return None
    vg = [os.path.join(SID_DIR, "run"), "valgrind"] if real else [valgrind]
    calls = [real or py, os.path.join(HERE, "workloads", "calls.py"), str(SCALE)]
    jobs = []
    for t, pre in (("plain", []), ("pcg", [trace, "-q", "-o", os.path.join(d, "i.pcg")]),
                   ("raw", [trace, "-q", "--raw", "-o", os.path.join(d, "i.raw.pcg")])):
        cg = os.path.join(d, "icount-" + t)
        shutil.rmtree(cg, ignore_errors=True)
        os.makedirs(cg)
        jobs.append((t, cg, ["env", "PYTHONHASHSEED=0"] + vg + [
            "-q", "--tool=callgrind", "--trace-children=yes",
            "--callgrind-out-file=" + os.path.join(cg, "o.%p")] + pre + calls))
    log("compensation: Python %s, calls under callgrind (plain, pcg, --raw)" % ver)
    with concurrent.futures.ThreadPoolExecutor(ICOUNT_JOBS) as ex:
        runs = list(ex.map(lambda j: run(j[2], tag="comp-icount"), jobs))
    n = {}
    for (t, cg, _), r in zip(jobs, runs):
        if r.rc == 0:
            n[t] = callgrind_instr(cg)
    if len(n) < 3 or None in n.values() or n["raw"] <= n["plain"]:
        warnings.append("compensation: Python %s: a run under callgrind failed" % ver)
        return None
    return (n["pcg"] - n["plain"]) / (n["raw"] - n["plain"])


def compensation(pythons):
    """The calibrated program (tests/py/calibrated.py: calls() many tiny calls,
    loop() none, each timed by the program itself): calls()'s share of the two
    by the program's own clock without a profiler (the truth), by pcg, pcg
    --raw and cProfile; medians of COMP_RUNS.  And the overhead of pcg with
    compensation against --raw on the calls workload: the median of the
    ratios of COMP_RUNS triples of runs (plain, pcg, --raw; CPU times)."""
    trace = tool("pcg-trace")
    if not trace:
        return [], {}
    d = os.path.join(WORK, "comp")
    os.makedirs(d, exist_ok=True)
    rows, summary = [], {}
    for py, ver in pythons:
        got = {"truth": [], "pcg": [], "raw": [], "cProfile": []}
        cpu = []  # per triple of runs: pcg's CPU overhead over --raw's
        calls = [os.path.join(HERE, "workloads", "calls.py"), str(SCALE)]
        for i in range(COMP_RUNS):
            log("compensation: Python %s, run %d/%d" % (ver, i + 1, COMP_RUNS))
            r = run([py, CALIBRATED], tag="comp")
            m = re.search(rb"SHARE ([0-9.]+)", r.out)
            if r.rc or not m:
                warnings.append("compensation: the calibrated program failed on Python %s" % ver)
                break
            got["truth"].append(float(m.group(1)))
            for t, cmd, out in (("pcg", [trace, "-q", "-o"], "c.pcg"), ("raw", [trace, "-q", "--raw", "-o"], "r.pcg")):
                f = os.path.join(d, out)
                if run(cmd + [f, py, CALIBRATED], tag="comp").rc == 0:
                    s = run([py, SHARE, f, CALIBRATED], tag="share")
                    if s.rc == 0:
                        got[t].append(float(s.out))
            f = os.path.join(d, "c.prof")
            if run([py, "-m", "cProfile", "-o", f, CALIBRATED], tag="comp").rc == 0:
                s = run([py, "-c", CP_SHARE, f], tag="share")
                if s.rc == 0:
                    got["cProfile"].append(float(s.out))
            # A triple of runs, the traced two in turns first: each gives a ratio of
            # the two overheads from moments close together.
            triple = [("plain", [py] + calls),
                      ("pcg", [trace, "-q", "-o", os.path.join(d, "w.pcg"), py] + calls),
                      ("raw", [trace, "-q", "--raw", "-o", os.path.join(d, "w.pcg"), py] + calls)]
            if i % 2:
                triple[1:] = triple[2:0:-1]
            c = {}
            for t, cmd in triple:
                r = run(cmd, tag="comp-cpu")
                if r.rc == 0:
                    c[t] = r.cpu
            if len(c) == 3 and c["raw"] > c["plain"]:
                cpu.append((c["pcg"] - c["plain"]) / (c["raw"] - c["plain"]))
        m = {k: med(v) for k, v in got.items()}
        over = med(cpu)
        iover = comp_icount(py, ver, trace, d)
        err = None if m["truth"] is None or m["pcg"] is None else 100 * abs(m["pcg"] - m["truth"])
        cperr = None if m["truth"] is None or m["cProfile"] is None else 100 * abs(m["cProfile"] - m["truth"])
        summary[ver] = (err, iover, over)
        f2 = lambda x: "n/a" if x is None else "%.3f" % x
        f1 = lambda x: "n/a" if x is None else "%.1f" % x
        rows.append("| %s | %s | %s | %s | %s | %s %s | %s | %s %s | %s |" % (
            ver, f2(m["truth"]), f2(m["pcg"]), f2(m["raw"]), f2(m["cProfile"]), f1(err),
            "" if err is None else "✓" if err <= COMP_PP else "✗", f1(cperr),
            f2(iover), "" if iover is None else "✓" if iover <= COMP_OVERHEAD else "✗", f2(over)))
    tab = ["calls()'s share of calls() + loop() in `tests/py/calibrated.py`, median of %d runs: "
           "the program's own clock without a profiler (truth), pcg (compensated, the default), "
           "`pcg-trace --raw`, cProfile; the errors in percentage points (target: pcg within %g). "
           "Overhead: pcg's overhead over plain on the `calls` workload, with compensation / "
           "with `--raw`: in instructions executed (callgrind, one run each; target ≤ %g), and in "
           "CPU time, the median of %d interleaved triples' ratios (this VM's speed changes by half "
           "for stretches of 0.1 s and more: the ratio moved from 0.95-1.03 to 1.01-1.13 between "
           "two batches of one build; the recorder runs the same code per event with `--raw`).\n" % (
               COMP_RUNS, COMP_PP, COMP_OVERHEAD, COMP_RUNS),
           "| Python | truth | pcg | pcg --raw | cProfile | pcg error (pp) | cProfile error (pp) | "
           "overhead comp/raw (instructions) | overhead comp/raw (CPU time) |",
           "|---|--:|--:|--:|--:|--:|--:|--:|--:|"] + rows + [""]
    ptab, psummary = phase_shares(pythons, trace, d)
    for ver in summary:
        summary[ver] += (psummary.get(ver),)
    return tab + ptab + kind_costs(pythons, trace, d), summary


# Kinds of call (bench/workloads/kinds.py), each timed in turns plain and
# profiled in one process: what a profile leaves in per call, by kind.
KINDS = os.path.join(HERE, "workloads", "kinds.py")
KIND_N, KIND_TURNS = 20000, 5
KIND_COST = ("import os, pstats, sys; s = pstats.Stats(sys.argv[1]).stats\n"
             "n = float(sys.argv[3])\n"
             "print(' '.join('%s=%.3f' % (k[2][2:], v[3] * 1e9 / n) for k, v in s.items()\n"
             "               if os.path.basename(k[0]) == sys.argv[2] and k[2].startswith('k_')))")


def kind_costs(pythons, trace, d):
    """Per kind of call, the ns a profile leaves in per call: its cumulative
    time of the kind's turns over their calls, less the plain turns' (the
    same process, turn about: pcg through --paused and SIGUSR2, cProfile
    enabled and disabled); medians of COMP_RUNS."""
    rows = []
    for py, ver in pythons:
        got = {}  # (profiler, kind) -> [ns left in per call]
        plain = {}
        for i in range(COMP_RUNS):
            log("compensation: Python %s, kinds of call, run %d/%d" % (ver, i + 1, COMP_RUNS))
            for k in ("pcg", "raw", "cProfile"):
                prof = os.path.join(d, "kinds-%s.prof" % k)
                args = [KINDS, str(KIND_N), str(KIND_TURNS)]
                os.environ["PCG_BENCH_KINDS"] = "cProfile" if k == "cProfile" else "pcg"
                os.environ["PCG_BENCH_KINDS_OUT"] = prof
                try:
                    if k == "cProfile":
                        r = run([py] + args, tag="kinds")
                        ok, reader = r.rc == 0, py
                    else:
                        f = os.path.join(d, "kinds-%s.pcg" % k)
                        r = run([trace, "-q", "--paused"] + (["--raw"] if k == "raw" else []) +
                                ["-o", f, py] + args, tag="kinds")
                        ok = r.rc == 0 and run([tool("pcg-emit"), "-F", "pstats", "-o", prof, f],
                                               tag="kinds").rc == 0
                        reader = sys.executable
                finally:
                    del os.environ["PCG_BENCH_KINDS"], os.environ["PCG_BENCH_KINDS_OUT"]
                base = dict((m.group(1).decode(), float(m.group(2)))
                            for m in re.finditer(rb"^KIND (\w+) ([0-9.]+)$", r.err, re.M))
                s = run([reader, "-c", KIND_COST, prof, "kinds.py", str(KIND_N * KIND_TURNS)],
                        tag="share") if ok and base else None
                if not s or s.rc:
                    warnings.append("compensation: kinds of call failed under %s on Python %s" % (k, ver))
                    continue
                for x in s.out.decode().split():
                    n, v = x.split("=")
                    if n in base:
                        got.setdefault((k, n), []).append(float(v) - base[n])
                        plain.setdefault(n, []).append(base[n])
        f1 = lambda x: "n/a" if x is None else "%+.1f" % x
        for n in sorted(plain, key=list(plain).index):
            rows.append("| %s | %s | %.1f | %s | %s | %s |" % (
                ver, n.replace("_", " "), med(plain[n]), f1(med(got.get(("pcg", n), []))),
                f1(med(got.get(("raw", n), []))), f1(med(got.get(("cProfile", n), [])))))
    return ["By kind of call (`bench/workloads/kinds.py`): %d calls of each kind plain, then %d "
            "profiled, %d times over, in one process (pcg through `--paused` and SIGUSR2, "
            "cProfile enabled and disabled), so that both see the machine alike; what the "
            "profile leaves in per call (its cumulative time of the kind's function over its "
            "calls, less the plain turns'), in ns, median of %d runs. No target: compensation "
            "aims at 0 (pcg-trace(1) COMPENSATION).\n" % (KIND_N, KIND_N, KIND_TURNS, COMP_RUNS),
            "| Python | kind | plain (ns a call) | pcg | pcg --raw | cProfile |",
            "|---|---|--:|--:|--:|--:|"] + rows + [""]


def phase_times(err):
    t = dict((m.group(1).decode(), float(m.group(2)))
             for m in re.finditer(rb"^PHASE (\w+) ([0-9.]+)$", err, re.M))
    return t


def phase_shares(pythons, trace, d):
    """Each phase's share of its workload's phases (PHASES): the truth by the
    workload's own clocks in a plain run, then pcg, pcg --raw and cProfile
    (the phase functions' inclusive times); medians of COMP_RUNS, per phase."""
    rows, summary = [], {}
    for py, ver in pythons:
        for w, names in PHASES:
            script = os.path.join(HERE, "workloads", w + ".py")
            args = [script, str(SCALE)]
            got = {t: [] for t in ("truth", "pcg", "raw", "cProfile")}
            for i in range(COMP_RUNS):
                log("compensation: Python %s, %s phases, run %d/%d" % (ver, w, i + 1, COMP_RUNS))
                os.environ["PCG_BENCH_PHASES"] = "1"
                try:
                    r = run([py] + args, tag="phase")
                finally:
                    del os.environ["PCG_BENCH_PHASES"]
                t = phase_times(r.err)
                if r.rc or sorted(t) != sorted(names):
                    warnings.append("compensation: %s's phases failed on Python %s" % (w, ver))
                    break
                tot = sum(t.values())
                got["truth"].append([t[n] / tot for n in names])
                for k, cmd in (("pcg", [trace, "-q", "-o"]), ("raw", [trace, "-q", "--raw", "-o"]),
                               ("cProfile", None)):
                    prof = os.path.join(d, "phase-%s.prof" % k)
                    if cmd:
                        f = os.path.join(d, "phase-%s.pcg" % k)
                        ok = (run(cmd + [f, py] + args, tag="phase").rc == 0 and
                              run([tool("pcg-emit"), "-F", "pstats", "-o", prof, f], tag="phase").rc == 0)
                        reader = sys.executable
                    else:
                        ok = run([py, "-m", "cProfile", "-o", prof] + args, tag="phase").rc == 0
                        reader = py  # its own marshal version
                    s = run([reader, "-c", PHASE_SHARE, prof, w + ".py"] + list(names), tag="share") if ok else None
                    if s and s.rc == 0:
                        got[k].append([float(x) for x in s.out.split()])
            worst = {"pcg": None, "cProfile": None}
            for j, n in enumerate(names):
                m = {k: med([v[j] for v in vs]) for k, vs in got.items()}
                e = {}
                for k in ("pcg", "raw", "cProfile"):
                    e[k] = None if None in (m["truth"], m[k]) else 100 * abs(m[k] - m["truth"])
                for k in worst:
                    if e[k] is not None and (worst[k] is None or e[k] > worst[k]):
                        worst[k] = e[k]
                f3 = lambda x: "n/a" if x is None else "%.3f" % x
                f1 = lambda x: "n/a" if x is None else "%.1f" % x
                rows.append("| %s | %s | %s() | %s | %s | %s | %s | %s %s | %s | %s |" % (
                    ver, w, n, f3(m["truth"]), f3(m["pcg"]), f3(m["raw"]), f3(m["cProfile"]),
                    f1(e["pcg"]), "" if e["pcg"] is None else "✓" if e["pcg"] <= COMP_PP else "✗",
                    f1(e["raw"]), f1(e["cProfile"])))
            summary.setdefault(ver, []).append((w, worst["pcg"], worst["cProfile"]))
    tab = ["Three workloads, each phase function's share of the workload's phases, median of %d "
           "runs: by the workload's own clocks (`time.perf_counter` around each whole phase, "
           "printed with `PCG_BENCH_PHASES=1`) in a run without a profiler (truth), and by the "
           "phase function's inclusive time in pcg's profile (compensated; `pcg-emit -F pstats`), "
           "`pcg-trace --raw`'s and cProfile's (cumulative); errors in percentage points (target: "
           "pcg within %g).\n" % (COMP_RUNS, COMP_PP),
           "| Python | workload | phase | truth | pcg | pcg --raw | cProfile | pcg error (pp) "
           "| --raw error (pp) | cProfile error (pp) |",
           "|---|---|---|--:|--:|--:|--:|--:|--:|--:|"] + rows + [""]
    return tab, summary


# ---------------------------------------------------------------- 5c. per-line costs

LINES_WORKLOADS = ("calls", "realistic")
LINES_TARGET_12 = 2.0    # --lines overhead / cProfile's, 3.12+
LINES_TARGET_OLD = 3.0   # before 3.12
LINES_GROWTH = 3.0       # profile size and peak RSS, --lines / without, realistic
PPROFILE_PY = "/usr/bin/python3"


def lines_target(ver):
    return LINES_TARGET_12 if vkey(ver) >= (3, 12) else LINES_TARGET_OLD


def per_line(pythons):
    """Overhead of pcg-trace --lines (wall and CPU medians of RUNS,
    interleaved) against cProfile's, beside pcg-trace without it and
    pprofile; the profile's size and peak RSS, --lines / without."""
    trace = tool("pcg-trace")
    if not trace:
        return [], {}
    d = os.path.join(WORK, "lines")
    os.makedirs(d, exist_ok=True)
    pp = has_module(PPROFILE_PY, "pprofile")
    if not pp:
        warnings.append("pprofile is not installed for %s (apt-get install python3-pprofile): "
                        "its column is n/a" % PPROFILE_PY)
    rows, grow, summary = [], [], {}
    for py, ver in pythons:
        tag = re.sub(r"[^\w.]", "_", ver)
        for w in LINES_WORKLOADS:
            args = [os.path.join(HERE, "workloads", w + ".py"), str(SCALE)]
            base = os.path.join(d, "%s-%s" % (tag, w))
            c = {"plain": [py] + args,
                 "cProfile": [py, "-m", "cProfile", "-o", base + ".prof"] + args,
                 "pcg": [trace, "-q", "-o", base + ".pcg", py] + args,
                 "pcg-lines": [trace, "-q", "--lines", "-o", base + ".lines.pcg", py] + args}
            if pp and os.path.realpath(py) == os.path.realpath(PPROFILE_PY):
                c["pprofile"] = [py, "-m", "pprofile", "--format", "callgrind", "--out",
                                 base + ".pprofile.cg"] + args
            outf = {"cProfile": base + ".prof", "pcg": base + ".pcg", "pcg-lines": base + ".lines.pcg",
                    "pprofile": base + ".pprofile.cg"}
            ref = run(c["plain"], tag="lines-plain")
            if ref.rc != 0:
                warnings.append("lines: %s failed on Python %s" % (w, ver))
                continue
            res = {t: [] for t in c}
            for i in range(RUNS):
                log("lines: Python %s, %s, run %d/%d" % (ver, w, i + 1, RUNS))
                for t in c:
                    r = run(c[t], tag="lines-" + t)
                    if checked(r, ref.out, w, ver, t, c[t], outf.get(t)):
                        res[t].append(r)
            m = {t: med([r.wall for r in rs]) for t, rs in res.items()}
            mc = {t: med([r.cpu for r in rs]) for t, rs in res.items()}
            target = lines_target(ver)
            s = summary.setdefault(ver, {})
            cells = [ver, w, fmt_s(m["plain"])]
            for t in ("cProfile", "pcg", "pcg-lines", "pprofile"):
                cells.append(fmt_x(m.get(t), m["plain"]))
            for t, mm, key in (("pcg-lines", m, "wall"), ("pcg-lines", mc, "cpu"), ("pprofile", m, None)):
                rt = ratio(mm.get(t), mm.get("plain"), mm.get("cProfile"))
                cells.append(ratio_cell(s, key, w, rt, target, False) if key else
                             "n/a" if rt is None else "%.2f" % rt)
            rows.append("| " + " | ".join(cells) + " |")
            if w == "realistic" and res["pcg"] and res["pcg-lines"]:
                sz = [os.path.getsize(outf[t]) if os.path.exists(outf[t]) else None for t in ("pcg", "pcg-lines")]
                rss = [med([r.rss for r in res[t]]) for t in ("pcg", "pcg-lines")]
                gs = sz[1] / sz[0] if None not in sz else None
                gr = rss[1] / rss[0] if None not in rss and rss[0] else None
                s["size"], s["rss"] = gs, gr
                grow.append("| %s | %s | %s | %s | %s | %s MB | %s MB | %s |" % (
                    ver, fmt_size(sz[0]), fmt_size(sz[1]), "n/a" if gs is None else "%.2f×" % gs,
                    "" if gs is None else "✓" if gs <= LINES_GROWTH else "✗",
                    fmt_mb(rss[0]), fmt_mb(rss[1]), "n/a" if gr is None else "%.2f× %s" % (
                        gr, "✓" if gr <= LINES_GROWTH else "✗")))
    tab = ["`pcg-trace --lines` (every line event, sys.monitoring LINE from 3.12, the C trace "
           "hook before) on the `calls` and `realistic` workloads, wall medians of %d runs "
           "interleaved: slowdowns vs plain, and overhead ratios (tool − plain) / (cProfile − "
           "plain), ✓/✗ against the target (≤ %g on 3.12+, ≤ %g before). pprofile: `python3 -m "
           "pprofile --format callgrind` (deterministic, per line), %s only.\n"
           % (RUNS, LINES_TARGET_12, LINES_TARGET_OLD, PPROFILE_PY),
           "| Python | workload | plain s | cProfile | pcg | pcg --lines | pprofile | --lines ratio "
           "| --lines ratio (CPU) | pprofile ratio |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"] + rows + [
           "", "The profile and the traced peak RSS on `realistic`, without and with `--lines` "
           "(target ≤ %g×):\n" % LINES_GROWTH,
           "| Python | profile | --lines | growth | | peak RSS | --lines | growth |",
           "|---|--:|--:|--:|---|--:|--:|--:|"] + grow + [""]
    return tab, summary


def lines_targets(summary):
    out = []
    for ver, s in summary.items():
        for key in ("wall", "cpu"):
            v = s.get(key)
            if not v:
                continue
            t = lines_target(ver)
            out.append("| --lines overhead ≤ %g× cProfile's (%s), Python %s | %s | %s |" % (
                t, key, ver, ", ".join("%s %.2f" % (w, r) for w, r in v),
                "met" if all(r <= t for _, r in v) else "**missed**"))
        for key, what in (("size", "profile size"), ("rss", "peak RSS")):
            g = s.get(key)
            out.append("| --lines %s ≤ %g× without (realistic), Python %s | %s | %s |" % (
                what, LINES_GROWTH, ver, "n/a" if g is None else "%.2f×" % g,
                "n/a" if g is None else "met" if g <= LINES_GROWTH else "**missed**"))
    return out


def comp_targets(summary):
    out = []
    for ver, (err, over, _, phases) in summary.items():
        out.append("| compensation: pcg's share within %g pp of the truth, Python %s | %s | %s |" % (
            COMP_PP, ver, "n/a" if err is None else "%.1f pp" % err,
            "n/a" if err is None else "met" if err <= COMP_PP else "**missed**"))
        out.append("| compensation costs ≤ %g× the overhead without (instructions), Python %s | %s | %s |" % (
            COMP_OVERHEAD, ver, "n/a" if over is None else "%.3f×" % over,
            "n/a" if over is None else "met" if over <= COMP_OVERHEAD else "**missed**"))
        if phases:
            errs = [e for _, e, _ in phases]
            out.append("| compensation: pcg's phase shares within %g pp of the workloads' own clocks "
                       "(worst phase; cProfile's beside), Python %s | %s | %s |" % (
                           COMP_PP, ver, ", ".join("%s %s (cProfile %s)" % (
                               w, "n/a" if e is None else "%.1f" % e, "n/a" if c is None else "%.1f" % c)
                               for w, e, c in phases),
                           "n/a" if None in errs else "met" if max(errs) <= COMP_PP else "**missed**"))
    return out


CPU_PROG = os.path.join(ROOT, "tests", "py", "cpu_prog.py")
CPU_CHECK = os.path.join(ROOT, "tests", "py", "cpu_check.py")
CPU_OVERHEAD = 1.5  # target: --cpu's overhead at most 1.5x the wall-only one
CPU_WAIT = 5.0      # a sleeping or waiting function's cpu at most 5 % of its wall time
CPU_BUSY = 5.0      # a computing function's cpu within 5 % of its wall time


def cpu_section(pythons):
    """pcg-trace --cpu: its CPU overhead over plain on the `calls` and `threads`
    workloads against the wall-only recorder's (and the system-call clock's,
    PCG_CPUCLOCK=thread, for comparison), the median of COMP_RUNS sets of
    runs' ratios; and
    on tests/py/cpu_prog.py (one run per RUNS, medians): sleeper()'s and
    waiter()'s cpu as a share of their wall time, busy()'s |cpu - wall| /
    wall (one thread computing), and the worker thread's cpu total against
    its own time.thread_time()."""
    trace = tool("pcg-trace")
    if not trace:
        return [], {}
    d = os.path.join(WORK, "cpu")
    os.makedirs(d, exist_ok=True)
    f = os.path.join(d, "w.pcg")
    rows, rows2, summary = [], [], {}
    for py, ver in pythons:
        over = {}
        for w in ("calls", "threads"):
            cmdw = [os.path.join(HERE, "workloads", w + ".py"), str(SCALE)]
            ratio = {"cpu": [], "thread": []}
            traced = [("wall", [trace, "-q", "-o", f, py] + cmdw, None),
                      ("cpu", [trace, "-q", "--cpu", "-o", f, py] + cmdw, None),
                      ("thread", [trace, "-q", "--cpu", "-o", f, py] + cmdw, "thread")]
            # Sets of runs, plain then the three traced in turns first: each
            # set's ratios come from moments close together (the compensation
            # section's reason: this VM's speed changes by half for stretches).
            for i in range(COMP_RUNS):
                log("cpu: Python %s, %s, run %d/%d" % (ver, w, i + 1, COMP_RUNS))
                c = {}
                k = i % len(traced)
                for t, cmd, e in [("plain", [py] + cmdw, None)] + traced[k:] + traced[:k]:
                    if e:
                        os.environ["PCG_CPUCLOCK"] = e
                    try:
                        r = run(cmd, tag="cpu")
                    finally:
                        os.environ.pop("PCG_CPUCLOCK", None)
                    if r.rc == 0:
                        c[t] = r.cpu
                if len(c) == 4 and c["wall"] > c["plain"]:
                    for t in ratio:
                        ratio[t].append((c[t] - c["plain"]) / (c["wall"] - c["plain"]))
            over[w] = (med(ratio["cpu"]), med(ratio["thread"]))
        got = {"sleeper": [], "waiter": [], "busy": [], "worker": [], "busytruth": [], "own": []}
        for i in range(RUNS):
            log("cpu: Python %s, cpu_prog.py, run %d/%d" % (ver, i + 1, RUNS))
            r = run([trace, "-q", "--cpu", "-o", f, py, CPU_PROG], tag="cpu")
            if r.rc:
                warnings.append("cpu: tests/py/cpu_prog.py failed under pcg-trace --cpu on Python %s" % ver)
                break
            b = re.search(rb"BUSY (\d+) (\d+)", r.out)
            for fn in ("sleeper", "waiter", "busy"):
                q = run([py, CPU_CHECK, f, "func", fn], tag="cpucheck")
                wall, c = (int(x) for x in q.out.split())
                got[fn].append(100.0 * (abs(c - wall) if fn == "busy" else c) / wall)
                if fn == "busy" and b:
                    # The program's own clocks around busy(): how much CPU the
                    # machine gave it, and the truth for pcg's cpu column.
                    got["own"].append(100.0 * int(b.group(1)) / int(b.group(2)))
                    got["busytruth"].append(100.0 * abs(c - int(b.group(1))) / int(b.group(1)))
            m = re.search(rb"WORKER (\d+)", r.out)
            q = run([py, CPU_CHECK, f, "threads"], tag="cpucheck")
            for line in q.out.decode().splitlines():
                if line.startswith("worker ") and m:
                    truth = int(m.group(1))
                    got["worker"].append(100.0 * abs(int(line.split()[2]) - truth) / truth)
        g = {k: med(v) for k, v in got.items()}
        # The target is for an idle machine: where the program's own clocks
        # show busy() got less than 95 % of a CPU, wall exceeds CPU in truth.
        idle = g["own"] is None or g["own"] >= 95.0
        summary[ver] = (over["calls"][0], over["threads"][0], g["sleeper"], g["waiter"],
                        g["busy"] if idle else None, g["own"], g["busytruth"])
        f2 = lambda x: "n/a" if x is None else "%.2f" % x
        ok = lambda x, t: "" if x is None else " ✓" if x <= t else " ✗"
        rows.append("| %s | %s%s | %s%s | %s | %s |" % (
            ver, f2(over["calls"][0]), ok(over["calls"][0], CPU_OVERHEAD),
            f2(over["threads"][0]), ok(over["threads"][0], CPU_OVERHEAD),
            f2(over["calls"][1]), f2(over["threads"][1])))
        rows2.append("| %s | %s%s | %s%s | %s%s | %s | %s | %s |" % (
            ver, f2(g["sleeper"]), ok(g["sleeper"], CPU_WAIT), f2(g["waiter"]), ok(g["waiter"], CPU_WAIT),
            f2(g["busy"]), ok(g["busy"], CPU_BUSY) if idle else " (machine busy)", f2(g["own"]),
            f2(g["busytruth"]), f2(g["worker"])))
    tab = ["`pcg-trace --cpu`'s CPU overhead over plain divided by the wall-only recorder's "
           "(`pcg-trace -o F`), the median of %d sets' ratios (plain, then the three traced runs in "
           "turns first; target ≤ %g); beside it the same ratio for the system-call clock on every "
           "event (`PCG_CPUCLOCK=thread`), for comparison.\n" % (COMP_RUNS, CPU_OVERHEAD),
           "| Python | calls: --cpu / wall-only | threads: --cpu / wall-only | calls: syscall clock | threads: syscall clock |",
           "|---|--:|--:|--:|--:|"] + rows + [""]
    tab += ["`tests/py/cpu_prog.py` under `pcg-trace --cpu`, median of %d runs: the cpu column "
            "as %% of the wall column for `sleeper()` (time.sleep(0.2)) and `waiter()` (0.2 s on a "
            "lock; target ≤ %g %%), |cpu − wall| / wall for `busy()` (one thread computing; target "
            "≤ %g %% on an idle machine), busy()'s own CPU time as %% of its own wall time, read by "
            "the program around it (below 95 %%: the machine took CPU from it, wall exceeds CPU in "
            "truth and the target does not apply), pcg's cpu for busy() against that own CPU time "
            "(error %%), and the worker thread's cpu total against its own `time.thread_time()` "
            "(error %%).\n" % (RUNS, CPU_WAIT, CPU_BUSY),
            "| Python | sleeper cpu/wall % | waiter cpu/wall % | busy cpu vs wall, error % | busy's own cpu/wall % "
            "| busy cpu vs its own thread_time, error % | worker total error % |",
            "|---|--:|--:|--:|--:|--:|--:|"] + rows2 + [""]
    return tab, summary


def cpu_targets(summary):
    out = []
    for ver, (oc, ot, sl, wa, bu, own, bt) in summary.items():
        v = lambda x, t: "n/a" if x is None else "met" if x <= t else "**missed**"
        m = lambda x, fmt: "n/a" if x is None else fmt % x
        out.append("| --cpu overhead ≤ %g× the wall-only one, Python %s | calls %s, threads %s | %s |" % (
            CPU_OVERHEAD, ver, m(oc, "%.2f×"), m(ot, "%.2f×"),
            "n/a" if None in (oc, ot) else "met" if max(oc, ot) <= CPU_OVERHEAD else "**missed**"))
        out.append("| --cpu: sleeping/waiting functions ≤ %g %% of wall as cpu, Python %s | %s, %s | %s |" % (
            CPU_WAIT, ver, m(sl, "%.2f %%"), m(wa, "%.2f %%"),
            "n/a" if None in (sl, wa) else "met" if max(sl, wa) <= CPU_WAIT else "**missed**"))
        if bu is None and own is not None:
            out.append("| --cpu: a computing function's cpu within %g %% of wall, Python %s | n/a: the machine "
                       "was busy (busy() got %.1f %% of a CPU by its own clocks); pcg's cpu within %s of "
                       "that CPU time | n/a |" % (CPU_BUSY, ver, own, m(bt, "%.2f %%")))
        else:
            out.append("| --cpu: a computing function's cpu within %g %% of wall, Python %s | %s (of its own "
                       "CPU time: %s) | %s |" % (CPU_BUSY, ver, m(bu, "%.2f %%"), m(bt, "%.2f %%"), v(bu, CPU_BUSY)))
    return out


def merge_inputs(py, n):
    """Trace realistic.py n times with pcg-trace and n times with cProfile, each
    run its own process (its own pid and start), into WORK/merge.  Nothing is
    kept from an earlier invocation: the files depend on pcg-trace and on the
    interpreter.  Returns (pcg files, cProfile dumps), or None after fail()."""
    d = os.path.join(WORK, "merge")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "in"))
    args = [os.path.join(HERE, "workloads", "realistic.py"), str(MERGE_SCALE)]
    pcgs, profs = [], []
    log("merge: tracing realistic %d times with pcg-trace and with cProfile ..." % n)
    for i in range(n):
        f, p = os.path.join(d, "in", "%03d.pcg" % i), os.path.join(d, "in", "%03d.prof" % i)
        for cmd in ([tool("pcg-trace"), "-q", "-o", f, py] + args,
                    [py, "-m", "cProfile", "-o", p] + args):
            r = run(cmd, tag="merge-in")
            if r.rc != 0:
                fail("merge inputs: %s failed (exit %d): %s" % (
                    " ".join(cmd), r.rc, r.err.decode(errors="replace").strip()[-300:]))
                return None
        bad = valid_stream(f)
        if bad:
            fail("merge inputs: pcg-trace output %s: %s" % (f, bad))
            return None
        pcgs.append(f)
        profs.append(p)
    return pcgs, profs


def header_meta(path):
    """{key: [values, ...]} of a stream's meta records (they precede the body)."""
    out = {}
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"meta\t"):
                k, *v = line.rstrip(b"\n").split(b"\t")[1:]
                out.setdefault(k, []).append(v)
            elif not line.startswith(b"pcg\t"):
                break
    return out


def calls_of(path, name):
    """Calls of the functions named `name` in a profile-layer stream, and the
    stream's node count: CALLS of their nodes and of the rec records that
    re-enter them."""
    fns, node_fn, calls = set(), {}, 0
    with open(path, "rb") as f:
        for line in f:
            r = line.rstrip(b"\n").split(b"\t")
            if r[0] == b"fn" and r[-1] == name:
                fns.add(r[1])
            elif r[0] == b"node":
                node_fn[r[1]] = r[3]
                calls += int(r[5]) if r[3] in fns else 0
            elif r[0] == b"rec" and node_fn.get(r[2]) in fns:
                calls += int(r[4])
    return calls, len(node_fn)


def check_merged(label, out, runs, single, mean=False):
    """What pcg-merge wrote must say it holds `runs` runs and add the calls up."""
    m = header_meta(out)
    got_runs = m.get(b"runs", [[b"?"]])[0][0]
    if got_runs != str(runs).encode() or len(m.get(b"run", [])) != runs:
        fail("%s: meta says runs %s with %d run records, expected %d" % (
            label, got_runs.decode(), len(m.get(b"run", [])), runs))
    want = single if mean else single * runs
    got = calls_of(out, MERGE_FN)[0]
    if got != want:
        fail("%s: %s called %d times, expected %d (%d × %d)" % (
            label, MERGE_FN.decode(), got, want, 1 if mean else runs, single))


def timed_pairs(cases, runs):
    """Run each command of cases {key: cmd} `runs` times, round-robin so that
    load changes hit every case alike; {key: [Result]}.  A failed run is an
    error and is not counted."""
    res = {k: [] for k in cases}
    for i in range(runs):
        log("merge: run %d/%d" % (i + 1, runs))
        for k, cmd in cases.items():
            r = run(cmd, tag="merge")
            if r.rc != 0:
                fail("merge %s: %s failed (exit %d): %s" % (
                    k, os.path.basename(cmd[0]), r.rc, r.err.decode(errors="replace").strip()[-300:]))
                continue
            res[k].append(r)
    return res


def merge_runs(pythons):
    """pcg-merge against pstats.Stats(*files).dump_stats on MERGE_RUNS runs of
    `realistic` and on 10, and each with its callgrind converter after it.
    Returns the report lines and {(task, inputs, "pcg"|"peer"): (wall, cpu, rss)}."""
    py = "/usr/bin/python3"
    if not any(p == py for p, _ in pythons):
        return ["Needs /usr/bin/python3 (pyprof2calltree runs there): n/a.", ""], {}
    merge, emit = tool("pcg-merge"), tool("pcg-emit")
    if not (merge and tool("pcg-trace")):
        return ["pcg-merge or pcg-trace is not built: n/a.", ""], {}
    inputs = merge_inputs(py, MERGE_RUNS)
    if not inputs:
        return ["The inputs could not be made: see the errors.", ""], {}
    pcgs, profs = inputs
    d = os.path.join(WORK, "merge")
    out = lambda name: os.path.join(d, name)  # noqa: E731
    p2c = shutil.which("pyprof2calltree")
    n, small = MERGE_RUNS, min(10, MERGE_RUNS)
    cases = {}  # (task, inputs, side) -> cmd
    for k in (small, n):
        cases[("merge", k, "pcg")] = [merge, "-o", out("pcg-%d.pcg" % k)] + pcgs[:k]
        cases[("merge", k, "peer")] = [py, "-c", PSTATS_MERGE, out("pstats-%d.prof" % k)] + profs[:k]
    cases[("merge --mean", n, "pcg")] = [merge, "--mean", "-o", out("pcg-mean.pcg")] + pcgs
    # One callgrind file from all the runs; a shell so that a pipeline is one
    # measured command (wait4 counts the shell's children).
    if emit:
        cases[("callgrind", n, "pcg")] = [
            "bash", "-o", "pipefail", "-c", '"$0" "$@" | "%s" -o "%s"' % (emit, out("pcg.cg")),
            merge] + pcgs
    if p2c:
        cases[("callgrind", n, "peer")] = [
            "bash", "-c", '"$0" -c "$1" "$2" "${@:3}" && "%s" -i "$2" -o "%s"' % (p2c, out("pstats.cg")),
            py, PSTATS_MERGE, out("pstats-e2e.prof")] + profs
    res = timed_pairs(cases, min(RUNS, 3))

    single, nodes1 = calls_of(pcgs[0], MERGE_FN)
    if single == 0:
        fail("merge: %s never called in %s" % (MERGE_FN.decode(), pcgs[0]))
    for k in (small, n):
        if res[("merge", k, "pcg")]:
            check_merged("pcg-merge of %d runs" % k, out("pcg-%d.pcg" % k), k, single)
    if res[("merge --mean", n, "pcg")]:
        check_merged("pcg-merge --mean of %d runs" % n, out("pcg-mean.pcg"), n, single, mean=True)
        if header_meta(out("pcg-mean.pcg")).get(b"mean") != [[str(n).encode()]]:
            fail("pcg-merge --mean of %d runs: no `meta mean %d` record" % (n, n))
    merged_nodes = calls_of(out("pcg-%d.pcg" % n), MERGE_FN)[1] \
        if res[("merge", n, "pcg")] else None
    figures = {key: (med([r.wall for r in rs]), med([r.cpu for r in rs]), med([r.rss for r in rs]))
               for key, rs in res.items() if rs}
    return merge_table(figures, pcgs, profs, nodes1, merged_nodes), figures


def merge_table(figures, pcgs, profs, nodes1, merged_nodes):
    total = lambda fs: sum(os.path.getsize(f) for f in fs)  # noqa: E731
    n = len(pcgs)
    lines = ["%d runs of `realistic` at scale %g on Debian's /usr/bin/python3, each its own "
             "process: `pcg-trace -q -o F` and `python -m cProfile -o F`. pcg inputs: %s "
             "(one: %s nodes); cProfile dumps: %s. The merged profile of %d runs has %s nodes. "
             "Median of %d runs, the cases interleaved round-robin.\n" % (
                 n, MERGE_SCALE, fmt_size(total(pcgs)), "{:,}".format(nodes1),
                 fmt_size(total(profs)), n,
                 "n/a" if merged_nodes is None else "{:,}".format(merged_nodes), min(RUNS, 3))]
    lines.append("| task | inputs | pcg wall s | pcg CPU s | pcg RSS MB | pstats wall s "
                 "| pstats CPU s | pstats RSS MB | pcg/pstats wall | CPU | RSS |")
    lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    tasks = [("merge", min(10, n)), ("merge", n), ("merge --mean", n), ("callgrind", n)]
    for task, k in tasks:
        a, b = figures.get((task, k, "pcg")), figures.get((task, k, "peer"))
        cells = [MERGE_TASK_DOC[task], str(k)]
        for f in (a, b):
            cells += ["n/a"] * 3 if f is None else [fmt_s(f[0]), fmt_s(f[1]), "%.1f" % (f[2] / 1024)]
        for i in range(3):
            cells.append("%.2f×" % (a[i] / b[i]) if a and b and b[i] else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    grow = [(side, figures.get(("merge", n, side)), figures.get(("merge", min(10, n), side)))
            for side in ("pcg", "peer")]
    lines.append("Peak RSS from %d to %d inputs: %s." % (min(10, n), n, "; ".join(
        "%s %s" % ("pcg-merge" if side == "pcg" else "pstats",
                   "%.2f×" % (big[2] / few[2]) if big and few else "n/a")
        for side, big, few in grow)))
    lines.append("")
    return lines


MERGE_TASK_DOC = {
    "merge": "merge (`pcg-merge -o F …` / `pstats.Stats(*files).dump_stats(F)`)",
    "merge --mean": "merge, per-run means (`pcg-merge --mean`; pstats has none)",
    "callgrind": "one callgrind file from all runs (`pcg-merge … \\| pcg-emit` / "
                 "pstats merge + `pyprof2calltree`)",
}


# ---------------------------------------------------------------- 5. sizes

def sizes(pythons, workloads, results, files):
    py = pythons[0][0] if pythons else None
    if py is None:
        return []
    emit = tool("pcg-emit")
    p2c = shutil.which("pyprof2calltree") if py == "/usr/bin/python3" else None
    lines = ["Outputs of the last timed run on Python %s (`%s`); calls recorded: `c` records "
             "of the events stream (Python and C calls, generator resumptions excluded):\n"
             % (pythons[0][1], py)]
    lines.append("| workload | calls recorded | pcg profile | pcg events | callgrind (pcg-emit) "
                 "| cProfile dump | callgrind (pyprof2calltree) | callgrind (yappi) |")
    lines.append("|---|--:|--:|--:|--:|--:|--:|--:|")

    def sz(p):
        return os.path.getsize(p) if p and os.path.exists(p) else None

    for w in workloads:
        if (py, w) not in results:
            continue
        res = results[(py, w)]
        have = lambda t: bool(res.get(t))  # noqa: E731
        pcg = files.get((py, w, "pcg")) if have("pcg") else None
        ev = files.get((py, w, "pcg-events")) if have("pcg-events") else None
        prof = files.get((py, w, "cProfile")) if have("cProfile") else None
        ya = files.get((py, w, "yappi")) if have("yappi") else None
        cg = None
        if emit and pcg:
            cg = pcg + ".cg"  # written by the pcg-emit validity check
        p2 = None
        if p2c and prof:
            p2 = prof + ".cg"
            r = run([p2c, "-i", prof, "-o", p2], tag="p2c")
            if r.rc != 0:
                warnings.append("pyprof2calltree failed on %s: %s" % (prof, r.err[-200:]))
                p2 = None
        ncalls = None
        if ev and os.path.exists(ev):
            ncalls = 0
            with open(ev, "rb") as f:
                for line in f:
                    if line.startswith(b"c\t"):
                        ncalls += 1
        lines.append("| %s | %s | %s |" % (w, "n/a" if ncalls is None else "{:,}".format(ncalls),
                                           " | ".join(fmt_size(sz(x)) for x in (pcg, ev, cg, prof, p2, ya))))
    lines.append("")
    return lines


# ---------------------------------------------------------------- report

def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = "%.0f GB RAM" % (int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return "%d cores (nproc), %s, %s, Linux %s" % (os.cpu_count() or 0, model, mem, platform.release())


def versions():
    out = []
    try:
        rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        out.append("pcg commit %s" % (rev or "unknown"))
    except OSError:
        pass
    try:
        v = subprocess.run(["/usr/bin/python3", "-c", "import importlib.metadata as m; "
                            "print(m.version('yappi'))"], capture_output=True, text=True)
        out.append("yappi %s" % (v.stdout.strip() if v.returncode == 0 else "not installed"))
    except OSError:
        pass
    try:
        v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "pyprof2calltree"],
                           capture_output=True, text=True)
        out.append("pyprof2calltree %s" % (v.stdout.strip() if v.returncode == 0 else "not installed"))
    except OSError:
        pass
    return ", ".join(out)


CLOCK_LABEL = {"wall": "wall", "cpu": "CPU", "instr": "instructions"}


def verdict(s, t, target, clocks):
    """Median/worst of the ratios s[(t, clock)] and met/missed against target."""
    out_m, out_v = [], []
    for clock in clocks:
        vals = s.get((t, clock))
        if not vals:
            continue
        worst = max(vals, key=lambda x: x[1])
        n_ok = sum(v <= target for _, v in vals)
        out_m.append("%s: median %.2f, worst %.2f (%s)" % (
            CLOCK_LABEL[clock], med([v for _, v in vals]), worst[1], worst[0]))
        out_v.append("%s %s" % (CLOCK_LABEL[clock], "met" if n_ok == len(vals) else
                                "**missed** (%d/%d ok)" % (n_ok, len(vals))))
    return ("; ".join(out_m) or "n/a"), ("; ".join(out_v) or "n/a")


def ratio_targets(summary, clocks, what=""):
    """Target lines of the overhead ratios: summary is ver -> {(tool, clock): [(w, ratio)]}."""
    lines = []
    for ver, s in summary.items():
        tp = target_profile(ver)
        if tp is not None:
            m, v = verdict(s, "pcg", tp, clocks)
            lines.append("| profile layer ≤ %.1f× cProfile's overhead%s, Python %s | %s | %s |"
                         % (tp, what, ver, m, v))
    for ver, s in summary.items():
        if vkey(ver) >= (3, 11):
            m, v = verdict(s, "pcg-events", TARGET_EVENTS, clocks)
            lines.append("| --events ≤ %.1f× cProfile's overhead%s, Python %s | %s | %s |"
                         % (TARGET_EVENTS, what, ver, m, v))
    return lines


def targets(summary, perf, e2e, merged, isummary, csummary, lsummary=None, cpusummary=None):
    lines = ["| target | measured (overhead ratio per workload) | verdict |", "|---|---|---|"]
    lines += ratio_targets(summary, ("wall", "cpu"))
    lines += ratio_targets(isummary, ("instr",), " in instructions")
    for (name, label), res in sorted(perf.items(), key=lambda kv: (kv[0][0] != "profile", kv[0][1])):
        cpu = max(res["cpu"], 1e-9)
        if name == "profile":
            w, c = res["in_records"] / res["wall"], res["in_records"] / cpu
            lines.append("| %s ≥ 1M profile nodes/s | %.2fM nodes/s (CPU: %.2fM) | wall %s; CPU %s |" % (
                label, w / 1e6, c / 1e6, "met" if w >= TARGET_NODES_PER_S else "**missed**",
                "met" if c >= TARGET_NODES_PER_S else "**missed**"))
        else:
            w, c = res["in_bytes"] / 1e6 / res["wall"], res["in_bytes"] / 1e6 / cpu
            lines.append("| %s ≥ 100 MB/s of events | %.0f MB/s (CPU: %.0f MB/s) | wall %s; CPU %s |" % (
                label, w, c, "met" if w >= TARGET_EVENTS_MB_S else "**missed**",
                "met" if c >= TARGET_EVENTS_MB_S else "**missed**"))
    a, b = e2e.get("pcg-trace + pcg-emit"), e2e.get("cProfile + pyprof2calltree")
    if a and b:
        lines.append("| trace + emit no slower than cProfile + pyprof2calltree | %.3f s vs %.3f s "
                     "(%.2f×) | %s |" % (a, b, a / b, "met" if a <= b else "**missed**"))
    else:
        lines.append("| trace + emit no slower than cProfile + pyprof2calltree | n/a | n/a |")
    lines += merge_targets(merged)
    lines += comp_targets(csummary)
    lines += lines_targets(lsummary or {})
    lines += cpu_targets(cpusummary or {})
    lines.append("")
    lines.append("Every workload counts, except `threads` before Python 3.12: there cProfile "
                 "records only the main thread, so its overhead is not comparable.")
    lines.append("")
    return lines


def merge_targets(merged):
    """The issue's figure: MERGE_RUNS profiles merged well under a second, in
    memory that follows the merged tree (so 100 inputs cost about what 10 do)."""
    n, few = MERGE_RUNS, min(10, MERGE_RUNS)
    a, peer = merged.get(("merge", n, "pcg")), merged.get(("merge", n, "peer"))
    b = merged.get(("merge", few, "pcg"))
    lines = []
    label = "pcg-merge of %d runs of `realistic` well under 1 s" % n
    if a:
        lines.append("| %s | wall %.3f s, CPU %.3f s (pstats: %s s, %s) | wall %s; CPU %s |" % (
            label, a[0], a[1], fmt_s(peer and peer[0]), fmt_x(a[0], peer and peer[0]),
            "met" if a[0] < 1 else "**missed**", "met" if a[1] < 1 else "**missed**"))
    else:
        lines.append("| %s | n/a | n/a |" % label)
    label = "pcg-merge peak RSS follows the merged tree: %d inputs ≤ 1.5× %d inputs" % (n, few)
    if a and b:
        pb = merged.get(("merge", few, "peer"))
        lines.append("| %s | %.1f MB vs %.1f MB (%.2f×); pstats: %s | %s |" % (
            label, a[2] / 1024, b[2] / 1024, a[2] / b[2],
            "%.1f MB vs %.1f MB (%.2f×)" % (peer[2] / 1024, pb[2] / 1024, peer[2] / pb[2])
            if peer and pb else "n/a", "met" if a[2] <= 1.5 * b[2] else "**missed**"))
    else:
        lines.append("| %s | n/a | n/a |" % label)
    return lines


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


ICOUNT_DOC = (
    "Instructions executed, counted by `valgrind --tool=callgrind --trace-children=yes` "
    "(the interpreter's process: the largest per-process total), one run of each command "
    "above (no yappi) at workload scale %g, workloads %s; took %.0f s, %d run(s) at a time. "
    "Tool columns: instructions vs plain; ratio columns: (tool − plain) / (cProfile − plain) "
    "in instructions, ✓/✗ against the same targets. Every traced run's output is checked "
    "against the plain run's under callgrind. ‡ The start-up row, an empty script, is each "
    "tool's fixed cost (imports, writing the profile): it weighs more at this scale than in "
    "the time tables, and is not counted in the targets. Instruction counts are "
    "deterministic and unaffected by the machine's load (with PYTHONHASHSEED=0, plain and cProfile repeat to the "
    "instruction, pcg within 1 in 10,000 here); "
    "but they are not time: a clock read, a cache miss, a page fault or a system call each "
    "count as one instruction or none, and cProfile and pcg read different clocks. They are "
    "a steady second opinion; the time tables above stay the measure.")


def main():
    t_start = time.perf_counter()
    load0 = loadavg()
    os.makedirs(WORK, exist_ok=True)
    if QUICK:
        log("BENCH_QUICK: scale %.2f, %d run(s), %d events, %d nodes" % (SCALE, RUNS, NEVENTS, NNODES))
    pythons = choose_pythons()
    wl = env("BENCH_WORKLOADS", "")
    workloads = [w for w in re.split(r"[\s,]+", wl) if w] if wl else WORKLOADS
    for w in workloads:
        if w not in WORKLOADS:
            log("unknown workload %s (have: %s)" % (w, " ".join(WORKLOADS)))
            return 2
    missing = [p for p in ("pcg-trace", "pcg-emit", "pcg-merge", "pcg-filter") if not tool(p)]
    for p in missing:
        warnings.append("%s is not built (%s): its columns are n/a" % (p, BIN))
    if not GNU_TIME:
        warnings.append("no /usr/bin/time (apt-get install time): every peak RSS is at least "
                        "bench.py's own, so small programs' figures are floors")
    if not shutil.which("pyprof2calltree"):
        warnings.append("pyprof2calltree is not installed (apt-get install pyprof2calltree): n/a")
    if not has_module("/usr/bin/python3", "yappi"):
        warnings.append("yappi is not installed for /usr/bin/python3 (apt-get install python3-yappi): n/a")

    sections = set(re.split(r"[\s,]+", env("BENCH_SECTIONS", "overhead,throughput,e2e,merge,compensation,lines,cpu")))
    results, files, otab, summary, ttab, perf, etab, e2e, stab = {}, {}, [], {}, [], {}, [], {}, []
    mtab, merged = [], {}
    if "overhead" in sections:
        results, files = overhead(pythons, workloads)
        otab, summary = overhead_tables(pythons, workloads, results)
        stab = sizes(pythons, workloads, results, files)
    itab, isummary = [], {}
    if "icount" in sections:
        ires, ipys, iwls, isecs = icount(pythons, workloads)
        itab, isummary = icount_tables(ipys, iwls, ires)
        if ipys:
            itab = [ICOUNT_DOC % (ICOUNT_SCALE, ", ".join(w for w in iwls if w != STARTUP),
                                  isecs, ICOUNT_JOBS), ""] + itab
    if "throughput" in sections:
        ttab, perf = throughput()
    if "e2e" in sections:
        etab, e2e = end_to_end(pythons)
    if "merge" in sections:
        mtab, merged = merge_runs(pythons)
    ctab, csummary = [], {}
    if "compensation" in sections:
        ctab, csummary = compensation(pythons)
    ltab, lsummary = [], {}
    if "lines" in sections:
        ltab, lsummary = per_line(pythons)
    cputab, cpusummary = [], {}
    if "cpu" in sections:
        cputab, cpusummary = cpu_section(pythons)
    elapsed = time.perf_counter() - t_start
    load1 = loadavg()

    rep = ["# pcg benchmark results", ""]
    if errors:
        rep += ["**FAILED: %d error(s), see the end of this report.**" % len(errors), ""]
    rep.append("- date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    rep.append("- machine: %s" % machine())
    rep.append("- interpreters: %s" % ", ".join("%s (`%s`)" % (v, p) for p, v in pythons))
    rep.append("- %s" % versions())
    settings = " ".join("%s=%s" % (k, v) for k, v in sorted(os.environ.items())
                        if k.startswith("BENCH_") and k not in ("BENCH_BIN", "BENCH_OUT", "BENCH_WORK")
                        and v != "")
    rep.append("- `make bench%s`: %d run(s) per measurement, medians; workload scale %g; took %.0f s"
               % (" " + settings if settings else "", RUNS, SCALE, elapsed))
    if load0 is not None and load1 is not None:
        busy = max(load0, load1) > 0.5 * (os.cpu_count() or 1)
        rep.append("- load average (1 min) at start %.2f, at end %.2f%s" % (
            load0, load1, ": **the machine was busy**, wall times are inflated and noisy; "
            "the CPU-time columns are less affected" if busy else ""))
    rep.append("")
    rep.append("## Targets\n")
    rep += targets(summary, perf, e2e, merged, isummary, csummary, lsummary, cpusummary)
    rep.append("## Tracing overhead\n")
    rep.append("Wall time of the whole command (interpreter start, the run, writing the profile), "
               "median of %d runs interleaved round-robin. Tool columns: slowdown vs plain. "
               "Ratio columns: overhead ratio (tool − plain) / (cProfile − plain); ✓/✗ against "
               "the target (profile layer ≤ 0.9 on 3.11, ≤ 0.7 on 3.12+; --events ≤ 1.3). "
               "Commands: `python W.py`, `python -m cProfile -o F W.py`, `pcg-trace -q -o F "
               "python W.py`, `pcg-trace -q --events -o F python W.py`, `python "
               "bench/yappi_run.py F W.py` (yappi 1.4: wall clock, all threads, builtins, "
               "callgrind saved; Debian's python3 only). Every traced run's output is checked "
               "against the plain run's.\n" % RUNS)
    rep.append("Workloads (`bench/workloads/`):\n")
    for w in workloads:
        rep.append("- `%s`: %s" % (w, WORKLOAD_DOC[w]))
    rep.append("")
    rep.append("† Before 3.12 cProfile records only the main thread, so its overhead is not "
               "comparable there (pcg-trace and yappi record all 5 threads); from 3.12 on, its "
               "sys.monitoring hook sees every thread (with one stack for all of them).\n")
    rep += otab
    if "icount" in sections:
        rep.append("## Tracing overhead in instructions\n")
        rep += itab or ["n/a (see the notes).", ""]
    rep.append("## Post-processing throughput\n")
    rep += ttab
    rep.append("## End to end: trace and get a callgrind file\n")
    rep += etab
    rep.append("## Merging many runs\n")
    rep += mtab
    if "compensation" in sections:
        rep.append("## Compensation: the recorder's own time taken out\n")
        rep += ctab or ["n/a (see the notes).", ""]
    if "lines" in sections:
        rep.append("## Per-line costs\n")
        rep += ltab or ["n/a (see the notes).", ""]
    if "cpu" in sections:
        rep.append("## CPU time beside wall time (pcg-trace --cpu)\n")
        rep += cputab or ["n/a (see the notes).", ""]
    rep.append("## Output sizes\n")
    rep += stab
    if warnings:
        rep.append("## Notes\n")
        rep += ["- " + w for w in warnings]
        rep.append("")
    if errors:
        rep.append("## ERRORS\n")
        rep += ["- " + e.replace("\n", "\n  ") for e in errors]
        rep.append("")
    text = "\n".join(rep)
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(OUT)), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    log("wrote %s (%.0f s)" % (OUT, elapsed))
    if errors:
        log("\n*** BENCH FAILED: %d error(s): a traced program misbehaved or a pcg output is "
            "invalid ***" % len(errors))
        for e in errors:
            log("  - " + e.splitlines()[0])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

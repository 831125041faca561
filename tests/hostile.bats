#!/usr/bin/env bats
# pcg-trace against hostile programs: programs that install their own
# profile hooks, recurse to the limit, leave threads running, die by signal,
# fork, chdir, close their output, use names that are not UTF-8, raise in a
# generator's finally, exec code, reload modules.  For each: the program
# behaves as without pcg-trace (status, stdout, stderr), and the profile reads
# back (pcg-cat, pcg-emit) and holds the right call counts, or the loss is
# the one man/pcg-trace.1 states.  Runs on every interpreter of `pythons`.

load common
bats_require_minimum_version 1.5.0

PY="$BATS_TEST_DIRNAME/py"

setup() {
	CAT=$PCG_BUILD/test/pcg-cat
	[ -x "$CAT" ] || die "$CAT missing: run make"
	pysetup
}

# Addresses in messages ("<generator object gen at 0x7f...>") vary by run.
noaddr() { sed -E 's/ at 0x[0-9a-f]+/ at 0xADDR/g' "$@"; }

# reads FILE: the stream reads back with pcg-cat and pcg-emit.
reads() {
	"$CAT" "$1" > /dev/null || die "$1: rejected by pcg-cat"
	if command -v pcg-emit > /dev/null; then
		pcg-emit "$1" > /dev/null || die "$1: rejected by pcg-emit"
	fi
	[ "$(grep -c '^pcg	' "$1")" = 1 ] || die "$1: more than one header"
	tail -1 "$1" | grep -Eq "^end	$(($(wc -l < "$1") - 1))	" || die "$1: bad trailer"
}

# same P SCRIPT [ARG...]: run P SCRIPT ARG... without and with pcg-trace
# (profile in ./prof): same status, stdout and stderr (addresses aside), and
# the profile reads back.  Leaves the program's output in out, err.
same() {
	local p=$1 want got
	shift
	rm -f prof
	set +e
	timeout 60 "$p" "$@" > out.plain 2> err.plain
	want=$?
	timeout 60 pcg-trace -q -o prof "$p" "$@" > out 2> err
	got=$?
	set -e
	[ "$got" = "$want" ] || { cat err >&2; die "$p $*: exit status $got, want $want"; }
	diff out.plain out >&2 || die "$p $*: stdout differs"
	noaddr err.plain > e1
	noaddr err > e2
	diff e1 e2 >&2 || die "$p $*: stderr differs"
	nosan err
	reads prof
}

# expects P SCRIPT: each "EXPECT NAME N" the program printed (in out, or in
# err) is pcg's count of SCRIPT's function NAME, over all threads.
expects() {
	local tag name n
	"$1" "$PY/counts.py" pcgall prof "$2" > all
	while read -r tag name n; do
		[ "$tag" = EXPECT ] || continue
		grep -Eq "^py [0-9]+ $name $n\$" all || { cat all >&2; die "$1: $name: expected $n calls"; }
	done < <(cat out err)
}

# count P KIND MODULE FILE LINE NAME: pcg's count of one function (as the
# fields are written in the stream), empty if absent.
count() {
	local p=$1
	shift
	"$p" "$PY/hostile_count.py" prof > all
	awk -F'\t' -v k="$1" -v m="$2" -v f="$3" -v l="$4" -v n="$5" \
		'$1 == k && $2 == m && $3 == f && $4 == l && $5 == n { print $6 }' all
}

# Before 3.12 pcg's C hook goes back in front of the program's own (and
# calls it); from 3.12 sys.monitoring lets both run.  Either way both see
# every call.
@test "hostile: the program's own sys.setprofile / threading.setprofile: both hooks see every call" {
	local p
	for p in $PYS; do
		say "setprofile on $p"
		same "$p" "$PY/hostile_setprofile.py"
		grep -q '^HOOK f 6$' out || die "$p: the program's hook did not see its calls"
		if [ "$(minor "$p")" -ge 12 ]; then
			grep -q '^MON f 4$' out || die "$p: the program's sys.monitoring tool did not see its calls"
		fi
		expects "$p" "$PY/hostile_setprofile.py"
		! grep -q '^meta	incomplete' prof || die "$p: loss stated where there is none"
	done
}

# The program's profile function prints every event it sees: the same as
# without pcg-trace, and sys.getprofile() answers the same, through an
# exception in it (which unsets it) and a function that replaces itself.
@test "hostile: the program's profile function sees the events it sees alone; pcg counts every call" {
	local p
	for p in $PYS; do
		say "chained profile function on $p"
		same "$p" "$PY/hostile_chain.py"
		grep -q '^getprofile is hook True$' out || die "$p: sys.getprofile()"
		grep -q '^raised bad hook$' out || die "$p: the profile function's exception was lost"
		grep -q '^getprofile after raise None$' out || die "$p: a profile function that raised is still set"
		grep -q '^thread hook saw f 1$' out || die "$p: threading.setprofile"
		[ "$(grep -c '^call f$' out)" -ge 5 ] || die "$p: the profile function saw too few calls"
		expects "$p" "$PY/hostile_chain.py"
		! grep -q '^meta	incomplete' prof || die "$p: loss stated where there is none"
	done
}

# selfprof MOD: python -m MOD -s calls under pcg-trace.  MOD's report
# (count and function per line, sorted: ties print in any order) is the one
# it gives without pcg-trace, and pcg's counts of the script equal
# cProfile's.
selfprof() {
	local p mod=$1
	for p in $PYS; do
		say "-m $mod on $p"
		"$p" -m "$mod" -s calls "$PY/calls.py" | report > want
		[ -s want ] || die "$p: no $mod report"
		pcg-trace -q -o prof "$p" -m "$mod" -s calls "$PY/calls.py" > out 2> err || { cat err >&2; die "$p: failed"; }
		report < out > got
		diff want got >&2 || die "$p: the $mod module's report differs"
		"$p" "$PY/counts.py" cprofile "$PY/calls.py" > want 2> /dev/null || die "$p: cProfile oracle failed"
		"$p" "$PY/counts.py" pcg prof "$PY/calls.py" > got
		diff want got >&2 || die "$p: pcg counts differ from cProfile's"
	done
}

# The rows of a profile/cProfile report: call count and function.
report() { noaddr | awk 'NF >= 6 && $1 ~ /^[0-9]/ { print $1, $NF }' | sort; }

# python -m profile (pure Python, on sys.setprofile) asserts that it sees
# no return it did not see the call of.
@test "hostile: python -m profile under pcg-trace reports as without it" {
	selfprof profile
}

# cProfile in a thread other than the main one: before 3.12 pcg cannot take
# its hook back there, and says so (stderr once, meta incomplete); from 3.12
# nothing is lost.
@test "hostile: cProfile in a thread: works; before 3.12 the loss is stated, from 3.12 none" {
	local p
	for p in $PYS; do
		say "cProfile in a thread on $p"
		"$p" "$PY/hostile_cprofile_thread.py" > out.plain 2> err.plain || die "$p: the program failed"
		pcg-trace -q -o prof "$p" "$PY/hostile_cprofile_thread.py" > out 2> err || { cat err >&2; die "$p: pcg-trace failed"; }
		diff out.plain out >&2 || die "$p: stdout differs"
		nosan err
		reads prof
		grep -q '^CPROFILE f 5$' out || die "$p: cProfile did not work"
		if [ "$(minor "$p")" -lt 12 ]; then
			[ "$(grep -c '^pcg-trace: cProfile enabled or disabled outside the main thread: ' err)" = 1 ] ||
				{ cat err >&2; die "$p: the loss is not stated once on stderr"; }
			grep -q '^meta	incomplete	cProfile enabled or disabled outside the main thread$' prof ||
				die "$p: the loss is not stated in the profile"
			# The main thread's call is still there.
			[ "$(count "$p" py __main__ "$PY/hostile_cprofile_thread.py" 8 f)" -ge 1 ] || die "$p: main thread's f lost"
		else
			diff err.plain err >&2 || die "$p: stderr differs"
			! grep -q '^meta	incomplete' prof || die "$p: loss stated where there is none"
			expects "$p" "$PY/hostile_cprofile_thread.py"
		fi
	done
}

@test "hostile: python -m cProfile under pcg-trace: both profilers count every call" {
	selfprof cProfile
}

# The interpreters that have MODULE, or skip (loudly) when none has.
having() {
	local p
	PYS=$(for p in $PYS; do ! "$p" -c "import $1" 2> /dev/null || echo "$p"; done)
	[ -n "$PYS" ] || skip "no interpreter here has $1"
}

@test "hostile: python -m profiling.tracing (3.15, cProfile's new name) under pcg-trace: both count every call" {
	having profiling.tracing
	selfprof profiling.tracing
}

# The sampler runs the script in a child process it reads from outside
# (ptrace rights: root here); under -f pcg records both.
@test "hostile: python -m profiling.sampling run (3.15) under pcg-trace -f: its samples and both profiles" {
	local p s="$PY/sampled.py" pid
	having profiling.sampling
	for p in $PYS; do
		say "-m profiling.sampling on $p"
		rm -f prof.*
		pcg-trace -q -f -o 'prof.%p' "$p" -m profiling.sampling run --collapsed -o stacks "$s" > out 2> err ||
			{ cat err >&2; die "$p: failed"; }
		grep -q 'sampled.py:fib:' stacks || { head -5 stacks >&2; die "$p: the sampler saw no fib"; }
		[ "$(ls prof.* | wc -l)" -ge 2 ] || die "$p: not one profile per process"
		grep -lq 'profiling.sampling' prof.* || die "$p: the sampler's own calls are missing"
		"$p" "$PY/counts.py" cprofile "$s" > want 2> /dev/null || die "$p: cProfile oracle failed"
		# The sampled process's profile is the one with the script's calls.
		for pid in prof.*; do
			"$p" "$PY/counts.py" pcg "$pid" "$s" > got
			[ -s got ] && break
		done
		diff want got >&2 || die "$p: pcg counts of the sampled script differ from cProfile's"
	done
}

@test "hostile: recursion to RecursionError, caught twice, then the program goes on" {
	local p
	for p in $PYS; do
		say "RecursionError on $p"
		same "$p" "$PY/hostile_recursion.py"
		grep -q '^caught again$' out || die "$p: second RecursionError not caught"
		expects "$p" "$PY/hostile_recursion.py"
		grep -q '^rec	' prof || die "$p: no rec record for the recursion"
	done
}

@test "hostile: a 10,000-deep stack" {
	local p
	for p in $PYS; do
		say "10,000 deep on $p"
		same "$p" "$PY/hostile_deep.py"
		grep -q '^depth 10000$' out || die "$p: wrong result"
		expects "$p" "$PY/hostile_deep.py"
	done
}

@test "hostile: daemon threads still running at exit, one blocked forever: prompt exit, all threads in the profile" {
	local p t0 ms
	for p in $PYS; do
		say "daemon threads on $p"
		t0=$(date +%s%N)
		same "$p" "$PY/hostile_threads.py"
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ "$ms" -lt 10000 ] || die "$p: took $ms ms"
		grep -q '^done$' out || die "$p: did not finish"
		expects "$p" "$PY/hostile_threads.py"
		grep -q '^thread	[0-9]*	[0-9]*	busy$' prof || die "$p: no thread busy"
		grep -q '^thread	[0-9]*	[0-9]*	stuck$' prof || die "$p: no thread stuck"
		[ -n "$(count "$p" py __main__ "$PY/hostile_threads.py" 9 f)" ] || die "$p: busy's f missing"
		[ "$(count "$p" py __main__ "$PY/hostile_threads.py" 19 stuck)" = 1 ] || die "$p: stuck not counted once"
	done
	# The same, traced alone under a hard limit: pcg-trace must not wait for them.
	timeout 10 pcg-trace -q -o prof "${PYS%%$'\n'*}" "$PY/hostile_threads.py" > /dev/null || die "did not exit within 10 s"
}

@test "hostile: SIGINT (KeyboardInterrupt), SIGTERM, SIGHUP: status and output as without pcg, profile written" {
	local p s
	for p in $PYS; do
		for s in SIGINT SIGTERM SIGHUP; do
			say "$s on $p"
			same "$p" "$PY/hostile_signal.py" "$s" 25
			expects "$p" "$PY/hostile_signal.py"
		done
		# The status pcg-trace gives is the shell's: 128+N.
		set +e
		pcg-trace -q -o prof "$p" "$PY/hostile_signal.py" SIGTERM 1 > /dev/null 2>&1
		s=$?
		set -e
		[ "$s" = 143 ] || die "$p: SIGTERM: status $s"
	done
}

# Counts the SIGINTs it gets in the half second after the first (5 s at most).
SIGINTS='import signal, time
n = 0
def h(s, f):
    global n
    n += 1
signal.signal(signal.SIGINT, h)
print("ready", flush=True)
t = time.time()
while time.time() - t < 5 and not n:
    time.sleep(0.01)
time.sleep(0.5)
print("SIGINT", n, flush=True)'

@test "hostile: kill -INT to pcg-trace reaches the program once, and so does a terminal's ^C" {
	local p pid
	for p in $PYS; do
		say "SIGINT on $p"
		pcg-trace -q -o prof "$p" -c "$SIGINTS" > out &
		pid=$!
		for _ in $(seq 500); do grep -q ready out && break; sleep 0.01; done
		kill -INT $pid
		wait $pid || die "$p: status $?"
		grep -qx "SIGINT 1" out || die "$p: kill -INT pcg-trace: $(tail -1 out)"
		# ^C on a terminal: the whole foreground process group gets it.
		python3 - "$p" "$SIGINTS" > out <<'PTY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp("pcg-trace", ["pcg-trace", "-q", "-o", "prof", sys.argv[1], "-c", sys.argv[2]])
out = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    if b"ready" in b and b"ready" not in out:
        os.write(fd, b"\x03")
    out += b
os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r", ""))
PTY
		grep -q "SIGINT 1$" out || die "$p: ^C: $(tail -1 out)"
	done
}

@test "hostile: SIGKILL with --events: status 137, the stream cut after a whole line, readable up to the cut" {
	local p st n t
	for p in $PYS; do
		say "SIGKILL --events on $p"
		killed_events "$p" ev
		[ "$st" = 137 ] || die "$p: status $st"
		nosan err
		grep -q "^pcg-trace: ev: the stream is truncated" err || die "$p: no warning"
		# What we see: the file ends with a newline (only whole buffers
		# are written), has no trailer, and readers reject it at the line
		# after the last one.
		[ "$(tail -c 1 ev | od -An -c | tr -d ' ')" = '\n' ] || die "$p: cut inside a line"
		! grep -q '^end	' ev || die "$p: a trailer after SIGKILL"
		n=$(wc -l < ev)
		run "$CAT" ev
		[ "$status" = 1 ] || die "$p: truncated stream accepted"
		[[ "$output" == "pcg-cat: ev:$((n + 1)): truncated: no end record (--partial reads an events stream cut short)" ]] || die "$p: $output"
		# Everything before the cut is valid: with a trailer added (the
		# last time reading), it reads, and all 1000 calls of f (flushed
		# during the sleep) are there.
		t=$(awk -F'\t' '$1 ~ /^[crys]$/ && $NF + 0 > v { v = $NF + 0 } END { printf "%d", v }' ev)
		printf 'end\t%d\t%s\n' "$n" "$t" >> ev
		"$CAT" -o prof ev || die "$p: the stream is not valid up to the cut"
		reads prof
		[ "$(count "$p" py __main__ '<string>' 2 f)" = 1000 ] || die "$p: f: $(count "$p" py __main__ '<string>' 2 f) calls kept, not 1000"
	done
}

@test "hostile: os._exit deep in the stack keeps its status and the profile" {
	local p
	for p in $PYS; do
		say "os._exit on $p"
		same "$p" "$PY/hostile_exit.py"
		[ "$(count "$p" py __main__ "$PY/hostile_exit.py" 10 inner)" = 1 ] || die "$p: inner missing"
		expects "$p" "$PY/hostile_exit.py"
	done
}

@test "hostile: os.fork without exec: both exit normally, only the parent's profile, not corrupted" {
	local p m
	for p in $PYS; do
		for m in sys.exit _exit; do
			say "fork (child $m) on $p"
			same "$p" "$PY/hostile_fork.py" "$m"
			grep -q '^child done$' out || die "$p: the child did not run"
			grep -q '^child status 3$' out || die "$p: child status"
			expects "$p" "$PY/hostile_fork.py"
			! grep -q '	child_only$' prof || die "$p: the child's calls are in the parent's profile"
			[ "$(ls | grep -c '^prof')" = 1 ] || die "$p: other files: $(ls)"
			! ls -a | grep -q tmp || die "$p: temporary file left: $(ls -a)"
		done
	done
}

@test "hostile: a program that chdirs: relative -o lands in the starting directory" {
	local p
	mkdir -p sub out.d
	for p in $PYS; do
		say "chdir on $p"
		same "$p" "$PY/hostile_chdir.py" sub
		expects "$p" "$PY/hostile_chdir.py"
		[ -z "$(ls -A sub)" ] || die "$p: files in the new directory: $(ls -A sub)"
		rm -f out.d/p
		pcg-trace -q -o out.d/p "$p" "$PY/hostile_chdir.py" sub > /dev/null || die "$p: failed"
		[ -s out.d/p ] || die "$p: out.d/p not written"
		[ -z "$(ls -A sub)" ] || die "$p: files in the new directory: $(ls -A sub)"
		# Default name: pcg.out.PID in the starting directory.
		rm -f pcg.out.*
		pcg-trace -q "$p" "$PY/hostile_chdir.py" sub > /dev/null || die "$p: failed"
		ls pcg.out.* > /dev/null 2>&1 || die "$p: no pcg.out.PID in the starting directory"
		[ -z "$(ls -A sub)" ] || die "$p: files in the new directory: $(ls -A sub)"
		rm -f pcg.out.*
	done
}

@test "hostile: a program that replaces sys.stdout, closes it, or closes fd 1 (-o FILE and -o -)" {
	local p m
	for p in $PYS; do
		for m in replace close close-stdout; do
			say "stdout $m on $p"
			same "$p" "$PY/hostile_stdout.py" "$m"
			expects "$p" "$PY/hostile_stdout.py"
			grep -q '^done$' err || die "$p: did not finish"
			# -o -: the stream goes to the real fd 1 whatever the program does.
			pcg-trace -q -o - "$p" "$PY/hostile_stdout.py" "$m" > prof 2> err || die "$p: -o - failed"
			reads prof
			expects "$p" "$PY/hostile_stdout.py"
			! grep -q swallowed prof || die "$p: program output in the stream"
		done
	done
}

@test "hostile: a script whose file name is not UTF-8, run via its path" {
	local p s fl
	s=$(printf 'h\377\376\351.py')
	mkdir -p "$(printf 'd\377')"
	s="$(printf 'd\377')/$s"
	printf 'import sys\ndef f():\n    pass\nfor i in range(3):\n    f()\nsys.stdout.buffer.write(__file__.encode("utf-8", "surrogateescape") + b"\\n")\n' > "$s"
	for p in $PYS; do
		say "non-UTF-8 script name on $p"
		same "$p" "$s"
		LC_ALL=C grep -aqF "$s" out || die "$p: __file__ is not the bytes given"
		# The file is co_filename as Python made it: relative before 3.9.
		[ "$(minor "$p")" -ge 9 ] && fl=$PWD/$s || fl=$s
		[ "$(count "$p" py __main__ "$fl" 2 f)" = 3 ] || { grep -a '^fn' prof | head >&2; die "$p: f of $s not found with 3 calls"; }
		LC_ALL=C grep -aq "^meta	cmd	$p	$s\$" prof || die "$p: cmd meta not the raw bytes"
		# The name survives pcg-cat and pcg-emit byte for byte.
		"$CAT" prof | LC_ALL=C grep -aqF "	$fl	2	f" || die "$p: pcg-cat lost the name"
		if command -v pcg-emit > /dev/null; then
			# pcg-emit(1): bytes that are not UTF-8 are written as \xHH.
			pcg-emit prof | grep -qF "fl=(" || die "$p: no file in pcg-emit output"
			pcg-emit prof | grep -qF 'd\xff/h\xff\xfe\xe9.py' || die "$p: pcg-emit did not escape the name as pcg-emit(1) says"
		fi
	done
}

@test "hostile: function names not ASCII: exec'd identifier, renamed code with lone surrogates (3.8+)" {
	local p hex name n nn
	for p in $PYS; do
		say "odd function names on $p"
		same "$p" "$PY/hostile_names.py"
		[ "$(minor "$p")" -ge 8 ] && nn=2 || { nn=1; say "  renamed code: skipped, code.replace needs 3.8 ($p)"; }
		[ "$(grep -c '^NAME ' out)" = "$nn" ] || die "$p: expected $nn names"
		"$p" "$PY/hostile_count.py" prof > all
		while read -r tag hex n; do
			[ "$tag" = NAME ] || continue
			name=$(printf "$(echo "$hex" | sed 's/../\\x&/g')")
			LC_ALL=C grep -aq "	$name	$n\$" all || { LC_ALL=C grep -a "caf\|bad" all >&2; die "$p: name $hex not found with $n calls"; }
			"$CAT" prof | LC_ALL=C grep -aq "	$name\$" || die "$p: pcg-cat lost $hex"
		done < out
	done
}

@test "hostile: a generator that raises in its finally (close, loop, garbage collection)" {
	local p
	for p in $PYS; do
		say "raise in generator finally on $p"
		same "$p" "$PY/hostile_genfinally.py"
		grep -q '^loop close raised$' out || die "$p: wrong run"
		grep -q 'ValueError: from finally' err || die "$p: no unraisable report"
		expects "$p" "$PY/hostile_genfinally.py"
		[ "$(count "$p" py __main__ "$PY/hostile_genfinally.py" 22 use_drop)" = 1 ] || die "$p: use_drop"
	done
}

@test "hostile: exec'd and eval'd code (<string>)" {
	local p
	for p in $PYS; do
		say "exec/eval on $p"
		same "$p" "$PY/hostile_exec.py"
		[ "$(count "$p" py '' '<string>' 1 h)" = 4 ] || die "$p: h: $(count "$p" py '' '<string>' 1 h)"
		[ "$(count "$p" py __main__ '<string>' 1 '<lambda>')" = 5 ] || die "$p: lambda"
		[ "$(count "$p" py __main__ '<string>' 1 '<module>')" = 5 ] || die "$p: eval'd <module>"
		[ "$(count "$p" py '' '<string>' 1 '<module>')" = 1 ] || die "$p: exec'd <module>"
		[ "$(count "$p" py __main__ "$PY/hostile_exec.py" 2 main)" = 1 ] || die "$p: main"
	done
}

@test "hostile: importlib.reload: same (module, file, line, name) is one function, a moved one two" {
	local p
	for p in $PYS; do
		say "reload on $p"
		mkdir -p mod
		same "$p" "$PY/hostile_reload.py" "$PWD/mod"
		[ "$(count "$p" py hostile_mod "$PWD/mod/hostile_mod.py" 1 f)" = 8 ] || die "$p: f"
		[ "$(count "$p" py hostile_mod "$PWD/mod/hostile_mod.py" 3 g)" = 3 ] || die "$p: old g"
		[ "$(count "$p" py hostile_mod "$PWD/mod/hostile_mod.py" 5 g)" = 4 ] || die "$p: new g"
		[ "$(count "$p" py hostile_mod "$PWD/mod/hostile_mod.py" 1 '<module>')" = 2 ] || die "$p: <module> not run twice"
		[ "$(grep -c '	hostile_mod	.*	f$' prof)" = 1 ] || die "$p: two fn records for f"
		rm -rf mod
	done
}

@test "hostile: --events of the deterministic cases aggregates to the same counts as the profile" {
	command -v pcg-merge > /dev/null || skip "pcg-merge not built"
	local p s
	for p in $PYS; do
		for s in recursion deep genfinally exec names; do
			say "--events $s on $p"
			pcg-trace -q --events -o ev "$p" "$PY/hostile_$s.py" > out 2> err || { cat err >&2; die "$p $s: --events failed"; }
			nosan err
			pcg-merge ev > evprof || die "$p $s: the events stream does not read"
			pcg-trace -q -o prof "$p" "$PY/hostile_$s.py" > out 2> err || { cat err >&2; die "$p $s: failed"; }
			"$p" "$PY/hostile_count.py" evprof | LC_ALL=C grep -a "^py	" | LC_ALL=C grep -aE "hostile_$s|<string>|<names>" | LC_ALL=C sort > a
			"$p" "$PY/hostile_count.py" prof | LC_ALL=C grep -a "^py	" | LC_ALL=C grep -aE "hostile_$s|<string>|<names>" | LC_ALL=C sort > b
			[ -s b ] || die "$p $s: no functions of the program"
			diff a b >&2 || die "$p $s: events and profile counts differ"
		done
	done
}

# Before 3.12 pcg's hook goes back in front of cProfile's after enable()
# and disable() (and calls it); from 3.12 sys.monitoring lets both run.
# cProfile must report what it reports alone (the program prints it all).
@test "hostile: the program uses cProfile itself: it reports as alone and pcg counts every call" {
	local p
	for p in $PYS; do
		say "cProfile inside on $p"
		same "$p" "$PY/hostile_cprofile.py"
		grep -q '^CPROFILE f 8$' out || die "$p: cProfile in the program did not work"
		grep -q '^CPROFILE runcall f 4$' out || die "$p: cProfile runcall did not work"
		grep -q '^CP hostile_cprofile.py:14(g) 1 1$' out || die "$p: cProfile's counts"
		expects "$p" "$PY/hostile_cprofile.py"
		! grep -q '^meta	incomplete' prof || die "$p: loss stated where there is none"
	done
}

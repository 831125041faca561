#!/usr/bin/env bats
# pcg-trace -f: Python child processes (multiprocessing fork, spawn and
# forkserver, subprocess, os.fork) are traced, one profile per process, and
# pcg-merge combines them.

load common
bats_require_minimum_version 1.5.0

PY="$BATS_TEST_DIRNAME/py"

setup() { pysetup; }

# Calls of the function NAME defined at line LINE of SCRIPT in profile FILE
# (0 when absent).
calls() {
	local n
	n=$("$PY_" "$PY/counts.py" pcgall "$1" "$2" | awk -v k="py $3 $4" 'substr($0, 1, length(k) + 1) == k " " { print $NF }')
	echo "${n:-0}"
}

# The profile of pid PID must exist, be complete and say so in its meta.
ispid() {
	[ -s "prof.$1" ] || die "$PY_: no prof.$1"
	tail -1 "prof.$1" | grep -q "^end	" || die "$PY_: prof.$1 incomplete"
	grep -q "^meta	pid	$1\$" "prof.$1" || die "$PY_: prof.$1: wrong pid meta"
}

pool() {
	local method=$1 n f total
	for PY_ in $PYS; do
		if ! "$PY_" -c "import multiprocessing as m, sys; m.get_context('$method')" 2> /dev/null; then
			say "SKIP $method on $PY_: no such start method"
			continue
		fi
		say "Pool ($method) on $PY_"
		rm -f prof.* merged cg.out
		# N: a different item count per interpreter, known only to the test.
		n=$((11 + ${#PY_} % 7 + RANDOM % 13))
		pcg-trace -q -f -o 'prof.%p' "$PY_" "$PY/follow_pool.py" "$method" "$n" > out ||
			die "$PY_: pcg-trace -f failed"
		grep -q "^N $n\$" out || die "$PY_: the program failed"
		[ "$(ls prof.* | wc -l)" -ge 2 ] || die "$PY_: no profile of the workers"
		ls -a | grep -q tmp && die "$PY_: temporary file left"
		for f in prof.*; do
			tail -1 "$f" | grep -q "^end	" || die "$PY_: $f incomplete"
			grep -q "^meta	pid	${f#prof.}\$" "$f" || die "$PY_: $f: wrong pid meta"
		done
		pcg-merge prof.* > merged || die "$PY_: pcg-merge failed"
		total=$(calls merged "$PY/follow_pool.py" 7 work)
		[ "$total" = "$n" ] || die "$PY_: $method: work called $total times, want $n"
		pcg-emit merged > cg.out || die "$PY_: pcg-emit failed"
		/usr/bin/callgrind_annotate --threshold=100 cg.out | grep -q "follow_pool.py:work" ||
			die "$PY_: callgrind_annotate does not show work"
	done
}

@test "follow: multiprocessing.Pool, fork: the workers' calls add up after pcg-merge" {
	pool fork
}

@test "follow: multiprocessing.Pool, spawn: the workers' calls add up after pcg-merge" {
	pool spawn
}

@test "follow: multiprocessing.Pool, forkserver: the workers' calls add up after pcg-merge" {
	pool forkserver
}

# The `with Pool(...)` form: leaving the block calls terminate(), which
# SIGTERMs the workers, whether idle, exiting or still starting, racing with
# them: five runs each.  A worker that called work() must have written a
# profile that holds exactly its calls, as the program counted them.
terminate() {
	local method=$1 run pid n f total
	for PY_ in $PYS; do
		if ! "$PY_" -c "import multiprocessing as m, sys; m.get_context('$method')" 2> /dev/null; then
			say "SKIP $method on $PY_: no such start method"
			continue
		fi
		say "Pool ($method) terminated by its with block on $PY_, 5 runs"
		for run in 1 2 3 4 5; do
			rm -f prof.* merged
			# A worker that never dies keeps the pool waiting: bound it.
			timeout -k 10 300 pcg-trace -q -f -o 'prof.%p' "$PY_" "$PY/follow_terminate.py" "$method" 200 > out 2> err ||
				die "$PY_: $method run $run: pcg-trace -f failed or hung (status $?): $(tail -5 err)"
			grep -q "^N 200\$" out || die "$PY_: run $run: the program failed"
			while read -r _ pid n; do
				[ -s "prof.$pid" ] || die "$PY_: $method run $run: worker $pid called work $n times, no profile"
				[ "$(calls "prof.$pid" "$PY/follow_terminate.py" 11 work)" = "$n" ] ||
					die "$PY_: $method run $run: worker $pid: work not $n in its profile"
			done < <(grep '^W ' out)
			ls -a | grep -q tmp && die "$PY_: run $run: temporary file left"
			for f in prof.*; do
				tail -1 "$f" | grep -q "^end	" || die "$PY_: run $run: $f incomplete"
			done
			pcg-merge prof.* > merged || die "$PY_: run $run: pcg-merge failed"
			total=$(calls merged "$PY/follow_terminate.py" 11 work)
			[ "$total" = 200 ] || die "$PY_: $method run $run: work called $total times, want 200"
		done
	done
}

@test "follow: Pool left by its with block (terminate), fork: no worker's calls lost" {
	terminate fork
}

@test "follow: Pool left by its with block (terminate), spawn: no worker's calls lost" {
	terminate spawn
}

@test "follow: Pool left by its with block (terminate), forkserver: no worker's calls lost" {
	terminate forkserver
}

# The two ways a Pool worker used to die of terminate()'s SIGTERM without
# its profile, made deterministic, on one process.
@test "follow: SIGTERM while the interpreter exits: held until the profile is written" {
	local s
	for PY_ in $PYS; do
		say "SIGTERM at exit on $PY_"
		rm -f prof
		s=0
		pcg-trace -q -o prof "$PY_" "$PY/follow_sigexit.py" > out || s=$?
		[ "$s" = 143 ] || die "$PY_: status $s, want 143"
		[ -s prof ] || die "$PY_: no profile"
		[ "$(calls prof "$PY/follow_sigexit.py" 10 late)" = 3 ] || die "$PY_: late not 3"
	done
}

@test "follow: SIGTERM noted while the main thread is blocked in C: the handler runs" {
	local s
	for PY_ in $PYS; do
		say "SIGTERM while blocked on $PY_"
		rm -f prof
		s=0
		# Without the fix the process waits forever: bound it.
		timeout -s KILL 60 pcg-trace -q -o prof "$PY_" "$PY/follow_sigblock.py" > out || s=$?
		if [ "$s" != 143 ]; then
			kill -KILL "$(awk '$1 == "PID" { print $2 }' out)" 2> /dev/null
			die "$PY_: status $s, want 143"
		fi
		[ "$(calls prof "$PY/follow_sigblock.py" 13 early)" = 4 ] || die "$PY_: early not 4"
	done
}

# A SIGTERM between fork() and the end of Python's after-fork work used to
# be forgotten: the child went on (a Pool worker then waited for ever on the
# lock terminate() holds).  Plain Python dies of it, as must the child here.
@test "follow: SIGTERM as a forked child starts: it dies of it, followed or not" {
	local n=20 f
	for PY_ in $PYS; do
		say "SIGTERM right after fork on $PY_"
		rm -f prof*
		timeout -s KILL 120 pcg-trace -q -o prof "$PY_" "$PY/follow_forkkill.py" $n > out || die "$PY_: failed"
		grep -qx "LOST 0" out || die "$PY_: not followed: $(head -1 out) children did not die"
		# 3.6 has no os.register_at_fork: the recorder's handler stays (it dies too).
		[ "$(minor "$PY_")" -lt 7 ] || grep -qx "DFL 1" out ||
			die "$PY_: not followed: the child's SIGTERM is not SIG_DFL"
		rm -f prof*
		timeout -s KILL 120 pcg-trace -q -f -o 'prof.%p' "$PY_" "$PY/follow_forkkill.py" $n > out || die "$PY_: -f failed"
		grep -qx "LOST 0" out || die "$PY_: -f: $(head -1 out) children did not die"
		[ "$(ls prof.* | wc -l)" = $((n + 2)) ] || die "$PY_: -f: $(ls prof.* | wc -l) profiles, want $((n + 2))"
		for f in prof.*; do
			tail -1 "$f" | grep -q "^end	" || die "$PY_: $f incomplete"
		done
	done
}

@test "follow: Pool terminated while a worker has not returned from fork(): it dies" {
	local s pid n f
	for PY_ in $PYS; do
		say "Pool terminated with a worker stopped in fork() on $PY_"
		rm -f prof.*
		s=0
		timeout -k 10 60 pcg-trace -q -f -o 'prof.%p' "$PY_" "$PY/follow_termstart.py" 50 > out 2> err || s=$?
		[ "$s" = 0 ] || die "$PY_: status $s (124: a worker never died): $(tail -3 err)"
		grep -qx "N 50" out || die "$PY_: the program failed"
		while read -r _ pid n; do
			[ "$(calls "prof.$pid" "$PY/follow_termstart.py" 16 work)" = "$n" ] ||
				die "$PY_: worker $pid: work not $n in its profile"
		done < <(grep '^W ' out)
		pid=$(awk '$1 == "S" { print $2 }' out)
		ispid "$pid"
		for f in prof.*; do
			tail -1 "$f" | grep -q "^end	" || die "$PY_: $f incomplete"
		done
	done
}

@test "follow: subprocess running Python: the child's calls in its own profile" {
	local pid main exe
	for PY_ in $PYS; do
		say "subprocess on $PY_"
		rm -f prof.*
		pcg-trace -f -o 'prof.%p' "$PY_" "$PY/follow_sub.py" > out 2> err || die "$PY_: failed"
		pid=$(awk '$1 == "CHILD" { print $2 }' out)
		[ -n "$pid" ] || die "$PY_: the child did not run"
		ispid "$pid"
		[ "$(calls "prof.$pid" "$PY/follow_child.py" 5 child_only)" = 7 ] || die "$PY_: child_only not 7 in the child's profile"
		# The child runs sys.executable: the interpreter as it sees itself.
		exe=$("$PY_" -c 'import sys; print(sys.executable)')
		grep -q "^meta	cmd	$exe	$PY/follow_child.py\$" "prof.$pid" || die "$PY_: the child's cmd"
		main=$(sed -n 's/^pcg-trace: wrote prof\.\([0-9]*\);.*/\1/p' err)
		[ -n "$main" ] && [ "$main" != "$pid" ] || die "$PY_: no report of the main profile"
		ispid "$main"
		grep -q "^meta	cmd	$PY_	$PY/follow_sub.py\$" "prof.$main" || die "$PY_: the main cmd"
		[ "$(calls "prof.$main" "$PY/follow_sub.py" 7 parent_work)" = 1 ] || die "$PY_: parent_work"
		[ "$(calls "prof.$main" "$PY/follow_child.py" 5 child_only)" = 0 ] || die "$PY_: child_only in the parent"
	done
}

# os.fork: the child's profile has only what it ran after the fork, the
# parent's has nothing of the child's.  ARG: "" (the child returns and the
# interpreter exits) or "x" (the child calls os._exit).
forktest() {
	local parent child ev=$1
	for PY_ in $PYS; do
		say "os.fork ${2:+(os._exit) }${ev:+(--events) }on $PY_"
		rm -f prof.* ev.*
		pcg-trace -q -f $ev -o 'prof.%p' "$PY_" "$PY/follow_fork.py" $2 > out || die "$PY_: failed"
		parent=$(awk '$1 == "PARENT" { print $2 }' out)
		child=$(awk '$1 == "CHILD" { print $2 }' out)
		[ -n "$parent" ] && [ -n "$child" ] || die "$PY_: the program failed"
		[ "$(ls prof.* | wc -l)" = 2 ] || die "$PY_: $(ls prof.* | wc -l) files, want 2"
		if [ -n "$ev" ]; then
			for f in "prof.$parent" "prof.$child"; do
				head -1 "$f" | grep -q "^pcg	1	events\$" || die "$PY_: $f not an events stream"
				[ "$(grep -c '^pcg	' "$f")" = 1 ] || die "$PY_: $f: two streams in one"
				tail -1 "$f" | grep -Eq "^end	$(($(wc -l < "$f") - 1))	" || die "$PY_: $f: bad trailer"
				pcg-merge "$f" > "$f.p" || die "$PY_: $f does not read"
				mv "$f.p" "$f"
			done
		fi
		ispid "$parent"
		ispid "$child"
		[ "$(calls "prof.$child" "$PY/follow_fork.py" 11 child_work)" = 3 ] || die "$PY_: child_work in the child"
		[ "$(calls "prof.$child" "$PY/follow_fork.py" 7 before)" = 0 ] || die "$PY_: the parent's calls in the child"
		[ "$(calls "prof.$child" "$PY/follow_fork.py" 15 parent_after)" = 0 ] || die "$PY_: parent_after in the child"
		[ "$(calls "prof.$parent" "$PY/follow_fork.py" 7 before)" = 5 ] || die "$PY_: before in the parent"
		[ "$(calls "prof.$parent" "$PY/follow_fork.py" 15 parent_after)" = 4 ] || die "$PY_: parent_after"
		[ "$(calls "prof.$parent" "$PY/follow_fork.py" 11 child_work)" = 0 ] || die "$PY_: child_work in the parent"
		pcg-merge prof.* > merged || die "$PY_: merge"
		[ "$(calls merged "$PY/follow_fork.py" 7 before)" = 5 ] || die "$PY_: before counted twice"
		[ "$(calls merged "$PY/follow_fork.py" 11 child_work)" = 3 ] || die "$PY_: child_work merged"
	done
}

@test "follow: os.fork: the child's own profile, from the fork on" {
	forktest "" ""
}

@test "follow: os.fork then os._exit in the child" {
	forktest "" x
}

# os.exec* leaves by no exit hook: each image writes its profile first; with
# -f the next image, same pid, writes PID.N, N its exec count.
@test "follow: os.exec*: every image's profile, PID.N after N execs; without -f the first" {
	local p c f ev pid
	for PY_ in $PYS; do
		for ev in "" --events; do
			say "exec on $PY_ $ev"
			rm -f prof*
			pcg-trace -q -f $ev -o 'prof.%p' "$PY_" "$PY/follow_exec.py" > out || die "$PY_: failed"
			p=$(awk '$1 == "IMAGE" && $3 == 0 { print $2 }' out)
			c=$(awk '$1 == "IMAGE" && $3 == 3 { print $2 }' out)
			grep -qx "EXECENV -" out || die "$PY_: PCG_TRACE_EXEC left in the environment: $(cat out)"
			[ "$(ls prof.* | sort | tr '\n' ' ')" = "$(printf '%s\n' prof.$p prof.$p.1 prof.$p.2 prof.$c prof.$c.1 | sort | tr '\n' ' ')" ] ||
				die "$PY_ $ev: files $(ls prof.* | tr '\n' ' '), want prof.$p{,.1,.2} prof.$c{,.1}"
			for f in prof.*; do
				tail -1 "$f" | grep -q "^end	" || die "$PY_ $ev: $f incomplete"
				pid=${f#prof.}
				grep -qx "meta	pid	${pid%%.*}" "$f" || die "$PY_ $ev: $f: wrong pid meta"
			done
			pcg-merge prof.* > merged || die "$PY_ $ev: pcg-merge failed"
			[ "$(calls merged "$PY/follow_exec.py" 12 stage)" = 4 ] || die "$PY_ $ev: stage not 4 after the merge"
			[ "$(calls "prof.$c" "$PY/follow_exec.py" 12 stage)" = 0 ] || die "$PY_ $ev: the fork's own part"
		done
		rm -f prof*
		pcg-trace -q -o prof "$PY_" "$PY/follow_exec.py" > out || die "$PY_: without -f failed"
		[ "$(ls -A | grep -c '^prof')" = 1 ] || die "$PY_: without -f: $(ls -A | grep '^prof')"
		[ "$(calls prof "$PY/follow_exec.py" 12 stage)" = 1 ] || die "$PY_: without -f: stage 0 lost"
	done
}

@test "follow: an exec that fails once the profile is written says so; the run goes on" {
	local p=${PYS%%$'\n'*}
	printf '\177ELF garbage' > bad
	chmod +x bad
	run pcg-trace -o prof "$p" -c 'import os, sys
try:
    os.execv("bad", ["bad"])
except OSError:
    print("went on")
sys.exit(3)'
	[ "$status" = 3 ] || die "status $status: $output"
	[[ "$output" == *"went on"* ]] || die "$output"
	[[ "$output" == *"exec failed after the profile was written"* ]] || die "$output"
	tail -1 prof | grep -q "^end	" || die "no complete profile"
}

@test "follow: --events: each process streams to its own file" {
	forktest --events x
}

@test "follow: without -f, one profile only, children untraced" {
	local n
	for PY_ in $PYS; do
		say "no -f on $PY_"
		rm -f prof*
		pcg-trace -q -o 'prof.%p' "$PY_" "$PY/follow_fork.py" > out || die "$PY_: fork failed"
		pcg-trace -q -o 'prof.%p' "$PY_" "$PY/follow_sub.py" >> out || die "$PY_: subprocess failed"
		pcg-trace -q -o 'prof.%p' "$PY_" "$PY/follow_pool.py" fork 5 >> out || die "$PY_: pool failed"
		if "$PY_" -c "import multiprocessing as m; m.get_context('spawn')" 2> /dev/null; then
			pcg-trace -q -o 'prof.%p' "$PY_" "$PY/follow_pool.py" spawn 5 >> out || die "$PY_: spawn failed"
			n=4
		else
			n=3
		fi
		[ "$(ls -A | grep -c '^prof')" = "$n" ] || die "$PY_: $(ls -A | grep -c '^prof') files, want $n"
		grep -q "pythonpath" out && die "unexpected"
		for f in prof.*; do
			[ "$(calls "$f" "$PY/follow_pool.py" 7 work)" = 0 ] || die "$PY_: a worker was traced"
		done
	done
}

@test "follow: a device node named as a followed process's profile is written in place" {
	local pid
	[ "$(id -u)" = 0 ] || skip "not root: no device node of the test's own"
	for PY_ in $PYS; do
		rm -f prof.*
		pcg-trace -q -f -o prof "$PY_" -c 'import subprocess, sys
subprocess.run([sys.executable, "-c", """import os
os.mknod("prof.%d" % os.getpid(), 0o20666, os.makedev(1, 3))
print(os.getpid())"""], check=True)' > out || die "$PY_: failed"
		pid=$(cat out)
		[ -c "prof.$pid" ] || die "$PY_: prof.$pid was replaced"
		! ls -a | grep -q tmp || die "$PY_: temporary file left"
	done
}

@test "follow: output names: %p, %%, .PID appended, -o - refused" {
	local p=${PYS%%$'\n'*} pid
	pcg-trace -q -f -o prof "$p" -c 'import os; print(os.getpid())' > out || die "-o prof failed"
	pid=$(cat out)
	[ -s "prof.$pid" ] || die "-f -o prof: no prof.$pid"
	pcg-trace -q -o 'a%%b.%p' "$p" -c 'import os; print(os.getpid())' > out || die "%% failed"
	[ -s "a%b.$(cat out)" ] || die "no a%b.PID"
	pcg-trace -q -f "$p" -c 'import os; print(os.getpid())' > out || die "default failed"
	[ -s "pcg.out.$(cat out)" ] || die "-f: no pcg.out.PID"
	run pcg-trace -f -o - "$p" -c pass
	[ "$status" -eq 2 ] || die "-f -o -: status $status"
	[[ "$output" == *"-o - cannot be used"* ]] || die "-f -o -: $output"
	run pcg-trace -o 'prof.%x' "$p" -c 'open("ran", "w")'
	[ "$status" -eq 2 ] || die "%x: status $status"
	[ ! -e ran ] || die "%x: the program ran"
	run pcg-trace --help
	[[ "$output" == *"--follow"* ]] || die "no --follow in --help"
}

@test "follow: the exit status is the main program's" {
	local p=${PYS%%$'\n'*}
	run pcg-trace -q -f -o 'prof.%p' "$p" -c 'import subprocess, sys
subprocess.run([sys.executable, "-c", "import sys; sys.exit(5)"])
sys.exit(3)'
	[ "$status" -eq 3 ] || die "status $status"
	[ "$(ls prof.* | wc -l)" = 2 ] || die "$(ls prof.* | wc -l) files"
}

@test "follow: the report: profiles written, a SIGKILLed one named, a background sleep not waited for, a late one waited for" {
	local sleeper killed late
	for PY_ in $PYS; do
		say "report on $PY_"
		rm -rf prof.* tmp
		# a TMPDIR of its own: /tmp holds other runs' folders (a launcher
		# killed by SIGKILL leaves its own behind)
		mkdir tmp
		TMPDIR=$PWD/tmp pcg-trace -f -o 'prof.%p' "$PY_" "$PY/follow_report.py" > out 2> err || { cat err >&2; die "$PY_: failed"; }
		sleeper=$(awk '$1 == "SLEEP" { print $2 }' out)
		killed=$(awk '$1 == "KILLED" { print $2 }' out)
		late=$(awk '$1 == "LATE" { print $2 }' out)
		kill -0 "$sleeper" 2> /dev/null || die "$PY_: pcg-trace waited for sleep 30"
		kill "$sleeper"
		[ -s "prof.$late" ] || die "$PY_: not waited for the late process $late"
		grep -q '	late$' "prof.$late" || die "$PY_: the late process's profile lacks late()"
		[ ! -e "prof.$killed" ] || die "$PY_: the killed one wrote a profile?"
		grep -q "^pcg-trace: followed process $killed (.*) left no profile" err ||
			{ cat err >&2; die "$PY_: the killed process is not named"; }
		grep -q "^pcg-trace: wrote prof\.[0-9]*; 2 followed processes wrote their profiles: prof\.[0-9]* prof\.[0-9]*\$" err ||
			{ cat err >&2; die "$PY_: the report does not count the profiles"; }
		! grep -q '%p' err || die "$PY_: the report prints the pattern"
		[ -z "$(ls tmp)" ] || die "$PY_: the marks folder is left behind: $(ls tmp)"
		true
	done
}

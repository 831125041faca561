#!/usr/bin/env bats
# pcg-trace --paused: recording off at start, SIGUSR2 turns it on and off;
# pcg-trace -p: attaching to a running process (3.14+).

load common
bats_require_minimum_version 1.5.0

PY="$BATS_TEST_DIRNAME/py"

setup() { pysetup; }

teardown() {
	exec 5>&- 2> /dev/null || true
	[ -z "${BG:-}" ] || kill "$BG" 2> /dev/null || true
	[ -z "${Q:-}" ] || rm -rf "$Q"
}

# waitfor RE: until a line of file out matches RE (10 s).
waitfor() { waitfor2 "$1" out; }

waitfor2() {
	local i
	for i in $(seq 200); do
		grep -Eq "$1" "$2" && return 0
		sleep 0.05
	done
	cat "$2" err >&2
	die "timed out waiting for '$1' in $2"
}

# cmd LINE RE: send paused.py a command, wait for its answer.
cmd() {
	echo "$1" >&5
	waitfor "$2"
}

# toggle PID: SIGUSR2, and time for the handler to run.
toggle() {
	kill -USR2 "$1"
	sleep 0.3
}

@test "paused: SIGUSR2 turns recording on and off; only the recorded stretches' calls, every thread, one profile" {
	local p pid
	for p in $PYS; do
		say "paused.py on $p"
		rm -f fifo out err prof
		mkfifo fifo
		pcg-trace --paused -q -o prof "$p" "$PY/paused.py" < fifo > out 2> err &
		BG=$!
		exec 5> fifo
		waitfor '^pid '
		pid=$(awk '$1 == "pid" { print $2 }' out)
		toggle "$BG" # on, through pcg-trace, which passes it on
		cmd 'run 1000' '^ran 1000$'
		cmd 'wrun 300' '^wran 300$'
		toggle "$pid" # off
		cmd 'run 500' '^ran 500$'
		cmd 'wrun 100' '^wran 100$'
		toggle "$pid" # on: serve(), entered while paused, returns while recording
		cmd 'run 200' '^ran 200$'
		cmd 'wrun 50' '^wran 50$'
		echo quit >&5
		exec 5>&-
		wait "$BG" || { cat err >&2; die "$p: pcg-trace failed"; }
		BG=
		nosan err
		grep -q '^bye$' out || die "$p: the program did not end normally"
		"$p" "$PY/counts.py" pcgall prof "$PY/paused.py" > got
		grep -Eq '^py [0-9]+ work 1200$' got || { cat got >&2; die "$p: work: not the 1000 + 200 recorded calls"; }
		grep -Eq '^py [0-9]+ work2 350$' got || { cat got >&2; die "$p: work2: not the 300 + 50 recorded calls"; }
		! grep -Eq ' (startup|<genexpr>) ' got || { cat got >&2; die "$p: start-up recorded while paused"; }
		# Two threads, and a profile every reader takes.
		[ "$(awk -F'\t' '$1 == "thread"' prof | wc -l)" -ge 2 ] || die "$p: the worker thread is missing"
		pcg-emit -o /dev/null prof || die "$p: pcg-emit refuses the profile"
	done
}

@test "paused: no signal, nothing of the program recorded" {
	local p
	for p in $PYS; do
		say "paused.py on $p"
		printf 'run 100\nwrun 10\nquit\n' | pcg-trace --paused -q -o prof "$p" "$PY/paused.py" > out 2> err ||
			{ cat err >&2; die "$p: pcg-trace failed"; }
		nosan err
		grep -q '^bye$' out || die "$p: the program did not run"
		"$p" "$PY/counts.py" pcgall prof "$PY/paused.py" > got
		[ ! -s got ] || { cat got >&2; die "$p: calls recorded while paused"; }
		pcg-emit -o /dev/null prof || die "$p: pcg-emit refuses the profile"
	done
}

# spincalls PROFILE: "THREAD-NAME CALLS" of spin() per thread.
spincalls() {
	awk -F'\t' '$1 == "fn" && $7 == "spin" { s[$2] = 1 }
		$1 == "thread" { t = $4 }
		$1 == "node" && ($4 in s) { c[t] += $6 }
		END { for (k in c) print k, c[k] }' "$1" | sort
}

# beats: the number of the last heartbeat in file out (a whole line).
beats() { awk '$1 == "beat" && NF == 5 { n = $2 } END { print n + 0 }' out; }

# start P [own]: attach_target.py with 3 busy threads on P, in the
# background; its pid in TPID.
start() {
	rm -f quit out err
	"$1" "$PY/attach_target.py" 3 "$BATS_TEST_TMPDIR/quit" ${2:-} > out 2> err &
	BG=$!
	waitfor '^beat '
	TPID=$(awk '$1 == "pid" { print $2 }' out)
}

# finish P: the process ends as it would have.
finish() {
	touch quit
	wait "$BG" || die "$1: the process failed"
	BG=
	grep -q '^bye$' out || die "$1: the process did not end normally"
}

attached() { ls -d /tmp/pcg-attach.* 2> /dev/null | wc -l; }

@test "attach: -p PID -d 1 on 3.14+, twice: each profile holds spin()'s calls on every thread, the process runs on, no hook left" {
	local p n b k left
	left=$(attached)
	for p in $PYS; do
		[ "$(minor "$p")" -ge 14 ] || continue
		say "attach_target.py on $p"
		n=$((n + 1))
		start "$p"
		for k in 1 2; do
			if [ $k = 1 ]; then
				pcg-trace -p "$TPID" -d 1 -o prof$k 2> terr || { cat terr >&2; die "$p: attach $k failed"; }
			else # until SIGINT
				rm -f terr
				pcg-trace -p "$TPID" -o prof$k 2> terr &
				until [ -e terr ]; do sleep 0.05; done
				waitfor2 '^pcg-trace: attached' terr
				sleep 1
				kill -INT $!
				wait $! || { cat terr >&2; die "$p: attach $k failed"; }
			fi
			nosan terr
			grep -q "^pcg-trace: wrote prof$k\$" terr || { cat terr >&2; die "$p: no report"; }
			# pcg-trace's file, with the umask's mode (the process wrote 0600)
			[ "$(stat -c %a prof$k)" = "$(printf '%o' $((0666 & ~$(umask))))" ] || die "$p: mode $(stat -c %a prof$k)"
			spincalls prof$k > calls
			[ "$(wc -l < calls)" -eq 3 ] || { cat calls >&2; die "$p: attach $k: spin() not on the 3 threads"; }
			awk '$2 < 1000 { exit 1 }' calls || { cat calls >&2; die "$p: attach $k: too few calls"; }
			grep -q "^busy-0 " calls || { cat calls >&2; die "$p: attach $k: threads unnamed"; }
			# busy() ran before the attach: taken as it stood, once per thread.
			"$p" "$PY/counts.py" pcgall prof$k "$PY/attach_target.py" > got
			grep -Eq '^py [0-9]+ busy 3$' got || { cat got >&2; die "$p: attach $k: busy() not taken as it stood"; }
			pcg-emit -o /dev/null prof$k || die "$p: pcg-emit refuses profile $k"
			# Running and responding, no tool and no profile function left.
			b=$(beats)
			waitfor "^beat $((b + 4)) "
			grep -q "^beat $((b + 3)) - False 0\$" out || { tail -5 out >&2; die "$p: attach $k: a hook is left"; }
		done
		[ ! -s err ] || { cat err >&2; die "$p: the process wrote on its stderr"; }
		finish "$p"
		[ "$(attached)" -eq "$left" ] || die "$p: a /tmp/pcg-attach.* folder is left"
	done
	[ -n "$n" ] || skip "no CPython 3.14+ among the interpreters"
}

@test "attach: before 3.14, remote debugging disabled, no ptrace rights, not Python: the reason, status 1, nothing left" {
	local p left
	left=$(attached)
	for p in $PYS; do
		start "$p"
		if [ "$(minor "$p")" -lt 14 ]; then
			say "before 3.14: $p"
			run -1 pcg-trace -p "$TPID" -d 1 -o prof
			[[ "$output" == *"needs CPython 3.14 or later (sys.remote_exec, PEP 768)"* ]] || die "$p: $output"
		else
			say "no ptrace rights: $p"
			run -1 setpriv --reuid=65534 --regid=65534 --clear-groups "$PCG_BUILD/bin/pcg-trace" -p "$TPID" -d 1 -o prof
			[[ "$output" == *"attaching needs ptrace rights"* ]] || die "$p: $output"
		fi
		[ ! -e prof ] || die "$p: a profile was written"
		finish "$p"
		nosan err
	done
	for p in $PYS; do
		[ "$(minor "$p")" -ge 14 ] || continue
		say "remote debugging disabled: $p"
		rm -f quit out
		PYTHON_DISABLE_REMOTE_DEBUG=1 "$p" "$PY/attach_target.py" 1 "$BATS_TEST_TMPDIR/quit" > out 2> err &
		BG=$!
		waitfor '^beat '
		run -1 pcg-trace -p "$(awk '$1 == "pid" { print $2 }' out)" -d 1
		[[ "$output" == *"remote debugging is disabled in it (PYTHON_DISABLE_REMOTE_DEBUG)"* ]] || die "$p: $output"
		finish "$p"
		rm -f quit out
		"$p" -X disable-remote-debug "$PY/attach_target.py" 1 "$BATS_TEST_TMPDIR/quit" > out 2> err &
		BG=$!
		waitfor '^beat '
		run -1 pcg-trace -p "$(awk '$1 == "pid" { print $2 }' out)" -d 1
		[[ "$output" == *"remote debugging is disabled in it (-X disable-remote-debug)"* ]] || die "$p: $output"
		finish "$p"
		say "recorded by pcg-trace already: $p"
		rm -f quit out
		pcg-trace -q -o traced "$p" "$PY/attach_target.py" 1 "$BATS_TEST_TMPDIR/quit" > out 2> err &
		BG=$!
		waitfor '^beat '
		run -1 pcg-trace -p "$(awk '$1 == "pid" { print $2 }' out)" -d 1
		[[ "$output" == *"it is being recorded already (pcg-trace)"* ]] || die "$p: $output"
		finish "$p"
		[ -s traced ] || die "$p: the traced run's own profile is missing"
		break
	done
	sleep 30 &
	BG=$!
	run -1 pcg-trace -p "$BG" -d 1
	[[ "$output" == *"is not a Python process"* ]] || die "sleep: $output"
	kill "$BG"
	BG=
	run -1 pcg-trace -p 2147483 -d 1
	[[ "$output" == *"no process 2147483"* ]] || die "$output"
	[ "$(attached)" -eq "$left" ] || die "a /tmp/pcg-attach.* folder is left"
}

@test "attach: -p usage: no command, no -f/--events/--raw/--paused with it, -d needs -p" {
	run -2 pcg-trace -p 1 python3 x.py
	[[ "$output" == *"usage:"* ]]
	run -2 pcg-trace -p 1 --paused
	run -2 pcg-trace -d 1 python3 x.py
	run -2 pcg-trace -p x
	[[ "$output" == *"not a process id"* ]]
	run -2 pcg-trace -p 1 -d -3
	[[ "$output" == *"not a number of seconds"* ]]
	run -0 pcg-trace --help
	[[ "$output" == *"-p PID, --pid=PID"* ]]
}

@test "attach: a child forked while attached records nothing, its events off; the parent's profile goes on" {
	local p n
	for p in $PYS; do
		[ "$(minor "$p")" -ge 14 ] || continue
		say "attach_fork.py on $p"
		n=1
		rm -f fork quit out err terr prof
		"$p" "$PY/attach_fork.py" "$BATS_TEST_TMPDIR/fork" "$BATS_TEST_TMPDIR/quit" > out 2> err &
		BG=$!
		waitfor '^pid '
		pcg-trace -p "$(awk '$1 == "pid" { print $2 }' out)" -o prof 2> terr &
		until [ -e terr ]; do sleep 0.05; done
		waitfor2 '^pcg-trace: attached' terr
		touch fork
		waitfor '^child '
		kill -INT $!
		wait $! || { cat terr >&2; die "$p: attach failed"; }
		grep -q '^child 0$' out || { cat out >&2; die "$p: the child still has the recorder's events"; }
		"$p" "$PY/counts.py" pcgall prof "$PY/attach_fork.py" > got
		! grep -q ' spin ' got || { cat got >&2; die "$p: the child's calls are in the parent's profile"; }
		pcg-emit -o /dev/null prof || die "$p: pcg-emit refuses the profile"
		finish "$p"
		[ ! -s err ] || { cat err >&2; die "$p: the process wrote on its stderr"; }
	done
	[ -n "$n" ] || skip "no CPython 3.14+ among the interpreters"
}

@test "paused: a cProfile enabled while paused counts every call, and pcg every call after the resume" {
	local p
	for p in $PYS; do
		say "paused_cprofile.py on $p"
		pcg-trace --paused -q -o prof "$p" "$PY/paused_cprofile.py" > out 2> err || { cat err >&2; die "$p: failed"; }
		nosan err
		grep -q '^cprofile 1000$' out || { cat out >&2; die "$p: cProfile's count"; }
		"$p" "$PY/counts.py" pcgall prof "$PY/paused_cprofile.py" > got
		grep -Eq '^py [0-9]+ work 1000$' got || { cat got >&2; die "$p: pcg's count"; }
	done
}

@test "attach: the process's own sys.monitoring tool and sys.setprofile function go on untouched" {
	local p n b c
	for p in $PYS; do
		[ "$(minor "$p")" -ge 14 ] || continue
		say "attach_target.py own on $p"
		n=1
		start "$p" own
		pcg-trace -q -p "$TPID" -d 1 -o - > prof || die "$p: attach failed"
		spincalls prof > calls
		[ "$(wc -l < calls)" -eq 3 ] || { cat calls >&2; die "$p: spin() not on the 3 threads"; }
		b=$(beats)
		c=$(awk -v b="$b" '$1 == "beat" && $2 == b { print $5 }' out)
		waitfor "^beat $((b + 4)) "
		awk -v b=$((b + 3)) -v c="$c" '$1 == "beat" && $2 == b && $3 == "mine" && $4 == "True" && $5 > c { ok = 1 }
			END { exit !ok }' out || { tail -5 out >&2; die "$p: the program's own tools changed"; }
		finish "$p"
		[ ! -s err ] || { cat err >&2; die "$p: the process wrote on its stderr"; }
	done
	[ -n "$n" ] || skip "no CPython 3.14+ among the interpreters"
}

@test "attach: a process of another user (nobody): its folder is its own, the profile ours" {
	local p n
	for p in $PYS; do
		case "$p" in */sid/python3.1[4-9]*) ;; *) continue ;; esac
		say "attach_target.py as nobody on $p"
		n=1
		rm -f quit out err
		# its quit file where nobody sees it
		Q=$(mktemp -d /tmp/pcg-nobody.XXXXXX) && chmod 755 "$Q"
		"$BATS_TEST_DIRNAME/sid/run" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$(basename "$p")" "$PY/attach_target.py" 2 "$Q/quit" > out 2> err &
		BG=$!
		waitfor '^beat '
		TPID=$(awk '$1 == "pid" { print $2 }' out)
		[ "$(stat -c %U /proc/$TPID)" = nobody ] || die "$p: not nobody's"
		pcg-trace -q -p "$TPID" -d 1 -o prof || die "$p: attach failed"
		[ "$(stat -c %U prof)" = "$(id -un)" ] || die "$p: the profile is not ours"
		spincalls prof > calls
		[ "$(wc -l < calls)" -eq 2 ] || { cat calls >&2; die "$p: spin() not on the 2 threads"; }
		touch "$Q/quit"
		wait "$BG" || die "$p: the process failed"
		BG=
		rm -rf "$Q"
		grep -q '^bye$' out || die "$p: the process did not end normally"
		[ ! -s err ] || { cat err >&2; die "$p: the process wrote on its stderr"; }
	done
	[ -n "$n" ] || skip "no sid CPython 3.14+ among the interpreters"
}

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
}

# waitfor RE: until a line of file out matches RE (10 s).
waitfor() {
	local i
	for i in $(seq 200); do
		grep -Eq "$1" out && return 0
		sleep 0.05
	done
	cat out err >&2
	die "timed out waiting for '$1'"
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

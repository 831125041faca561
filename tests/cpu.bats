#!/usr/bin/env bats
# pcg-trace --cpu: a second cost column, each thread's CPU time.  The truth
# is the kernel's, as CPython reads it (time.thread_time) and as sleeping,
# waiting and computing make it: only relations that a loaded machine
# cannot break are asserted (sleep 0.2 s -> cpu below 20 % of wall; a
# computing loop's cpu within 20 % of its own thread_time, and above 50 % of
# its wall where the program's own clocks say it had the CPU), never a
# duration.

load common
bats_require_minimum_version 1.5.0

PY="$BATS_TEST_DIRNAME/py"

setup() { pysetup; }

# cols FILE FUNC: "WALL CPU", FUNC's inclusive ns.
cols() { "$PY_" "$PY/cpu_check.py" "$1" func "$2"; }

# busyok FILE TAG: busy()'s cpu in FILE against its own CPU time, the
# "TAG CPU WALL" line of the program's output (the kernel's clock, read by
# CPython around it); where the machine gave it most of a CPU (80 %), also
# its cpu against its wall time.  A loaded machine takes CPU time from it:
# only the program's own clocks say how much.
busyok() {
	local w c own ownw
	read -r w c < <(cols "$1" busy)
	read -r own ownw < <(awk -v t="$2" '$1 == t { print $2, $3 }' out)
	[ -n "$own" ] || die "$PY_: no $2 line"
	[ $((c * 10)) -gt $((own * 8)) ] && [ $((c * 10)) -lt $((own * 12 + 10000000)) ] ||
		die "$PY_: $1: busy cpu $c ns, its own thread_time says $own"
	if [ $((own * 10)) -gt $((ownw * 8)) ]; then
		[ $((c * 2)) -gt "$w" ] || die "$PY_: $1: busy computed $w ns but shows cpu $c"
	fi
}

# The relations of cpu_prog.py's functions in profile FILE (profile layer);
# with a second argument, not those against the program's own clocks.
relations() {
	local f=$1 w c th truth
	"$PY_" "$PY/cpu_check.py" "$f" nodes > nodes || die "$PY_: $f: bad cost columns"
	[ "$(cat nodes)" = OK ] || die "$PY_: $f: cpu above wall: $(cat nodes)"
	for fn in sleeper waiter releaser; do
		read -r w c < <(cols "$f" "$fn")
		[ "$w" -gt 150000000 ] || die "$PY_: $f: $fn: wall $w, not the 0.2 s it waited"
		[ $((c * 5)) -lt "$w" ] || die "$PY_: $f: $fn waited $w ns but shows cpu $c"
	done
	[ -z "${2:-}" ] || return 0
	busyok "$f" BUSY
	# The worker thread's total against its own thread_time() at its end
	# (which also holds its start, before its first event: a few us).
	truth=$(awk '$1 == "WORKER" { print $2 }' out)
	read -r th w c < <("$PY_" "$PY/cpu_check.py" "$f" threads | grep '^worker ')
	[ -n "$truth" ] && [ -n "$c" ] || die "$PY_: $f: no worker thread"
	[ $((c * 10)) -gt $((truth * 7)) ] && [ $((c * 10)) -lt $((truth * 13 + 50000000)) ] ||
		die "$PY_: $f: worker thread cpu $c ns, thread_time says $truth"
	[ "$c" -le "$w" ] || die "$PY_: $f: worker thread cpu $c above its wall $w"
}

@test "cpu: the second column, cpu ns; sleeping and waiting ~0, computing ~wall, a thread's total ~ its thread_time" {
	for PY_ in $PYS; do
		say "$PY_"
		pcg-trace -q --cpu -o p.pcg "$PY_" "$PY/cpu_prog.py" > out 2> err || die "$PY_: pcg-trace failed: $(cat err)"
		nosan err
		[ "$(grep '^cost' p.pcg | tr '\n' ' ')" = "cost	wall	ns cost	cpu	ns " ] ||
			die "$PY_: cost records: $(grep '^cost' p.pcg)"
		grep -Eq '^meta	cpuclock	(perf|thread)$' p.pcg || die "$PY_: no meta cpuclock"
		relations p.pcg
	done
}

@test "cpu: four threads contending for the GIL: each one's total ~ its own thread_time, at every hand-off" {
	local name truth th w c
	for PY_ in $PYS; do
		say "$PY_"
		# --raw: the truth holds the recorder's time too.
		pcg-trace -q --raw --cpu -o p.pcg "$PY_" "$PY/cpu_threads.py" > out || die "$PY_: pcg-trace failed"
		"$PY_" "$PY/cpu_check.py" p.pcg threads > th.txt || die "$PY_: bad columns"
		[ "$(grep -c '^T ' out)" = 4 ] || die "$PY_: the threads did not all report"
		while read -r _ name truth; do
			read -r th w c < <(grep "^$name " th.txt)
			[ -n "$c" ] || die "$PY_: no thread $name in the profile"
			[ $((c * 10)) -gt $((truth * 8)) ] && [ $((c * 10)) -lt $((truth * 12 + 50000000)) ] ||
				die "$PY_: thread $name: cpu $c ns, its own thread_time $truth"
			[ "$c" -le "$w" ] || die "$PY_: thread $name: cpu $c above wall $w"
		done < <(grep '^T ' out)
	done
}

@test "cpu: the perf page is used here, and PCG_CPUCLOCK=thread (the system call on every event) agrees" {
	for PY_ in $PYS; do
		say "$PY_"
		pcg-trace -q --cpu -o p.pcg "$PY_" -c pass || die "$PY_: pcg-trace failed"
		# Where the kernel lets a process watch itself (perf_event_paranoid,
		# no seccomp filter against it: asked through ctypes), the page.
		st=0
		"$PY_" "$PY/perf_probe.py" || st=$?
		if [ "$st" -eq 0 ]; then
			grep -q '^meta	cpuclock	perf$' p.pcg || die "$PY_: the perf page was not used: $(grep cpuclock p.pcg)"
		else
			say "perf_event_open refused here ($st): the system call clock"
			grep -q '^meta	cpuclock	thread$' p.pcg || die "$PY_: no perf, yet cpuclock $(grep cpuclock p.pcg)"
		fi
		PCG_CPUCLOCK=thread pcg-trace -q --cpu -o t.pcg "$PY_" "$PY/cpu_prog.py" > out || die "$PY_: pcg-trace failed"
		grep -q '^meta	cpuclock	thread$' t.pcg || die "$PY_: PCG_CPUCLOCK=thread not said"
		relations t.pcg
	done
}

@test "cpu: without --cpu, one column and no cpuclock; --raw keeps the recorder's time in both" {
	for PY_ in $PYS; do
		say "$PY_"
		pcg-trace -q -o p.pcg "$PY_" "$PY/cpu_prog.py" > out || die "$PY_: pcg-trace failed"
		[ "$(grep -c '^cost' p.pcg)" = 1 ] && ! grep -q cpuclock p.pcg || die "$PY_: a cpu column without --cpu"
		pcg-trace -q --cpu --raw -o r.pcg "$PY_" "$PY/cpu_prog.py" > out || die "$PY_: pcg-trace --raw failed"
		! grep -q '^meta	compensation' r.pcg || die "$PY_: --raw compensated"
		relations r.pcg
	done
}

@test "cpu: --events: every event has both readings, cpu never decreasing per thread; aggregated, the same relations" {
	for PY_ in $PYS; do
		say "$PY_"
		pcg-trace -q --cpu --events -o e.pcg "$PY_" "$PY/cpu_prog.py" > out || die "$PY_: pcg-trace failed"
		awk -F '\t' '
			$1 == "c" || $1 == "s" { if (NF != 6) bad = NR; t = $2; w = $5; c = $6 }
			$1 == "r" || $1 == "y" { if (NF != 4) bad = NR; t = $2; w = $3; c = $4 }
			$1 ~ /^[csry]$/ { if (c + 0 < last[t] + 0 || c + 0 > w + 0) bad = NR; last[t] = c }
			$1 == "end" { if (NF != 4) bad = NR }
			END { if (bad) { print "line " bad; exit 1 } }' e.pcg || die "$PY_: bad event $(awk 'NR>0' /dev/null)"
		pcg-merge e.pcg > m.pcg || die "$PY_: pcg-merge of the events failed"
		relations m.pcg
	done
}

@test "cpu: -f: a forked child has its own cpu column, counted from the fork" {
	for PY_ in $PYS; do
		say "$PY_"
		rm -f prof.*
		pcg-trace -q -f --cpu -o 'prof.%p' "$PY_" "$PY/cpu_prog.py" fork > out || die "$PY_: pcg-trace -f failed"
		child=$(awk '$1 == "CHILD" { print $2 }' out)
		[ -s "prof.$child" ] || die "$PY_: no profile of the child $child"
		grep -Eq '^meta	cpuclock	(perf|thread)$' "prof.$child" || die "$PY_: child: no meta cpuclock"
		"$PY_" "$PY/cpu_check.py" "prof.$child" nodes > nodes && [ "$(cat nodes)" = OK ] ||
			die "$PY_: child: $(cat nodes)"
		read -r w c < <(cols "prof.$child" sleeper)
		[ "$w" -gt 150000000 ] && [ $((c * 5)) -lt "$w" ] || die "$PY_: child sleeper wall $w cpu $c"
		busyok "prof.$child" CHILDBUSY
		# The child's total: its busy(), not its parent's work before the fork.
		read -r th w c < <("$PY_" "$PY/cpu_check.py" "prof.$child" threads)
		read -r bw bc < <(cols "prof.$child" busy)
		[ $((c * 10)) -lt $((bc * 15 + 20000000)) ] || die "$PY_: child total cpu $c, its busy() $bc"
	done
}

@test "cpu: with --lines, each line record has both columns and they add up to the node's self; the events layer too" {
	for PY_ in $PYS; do
		say "$PY_"
		# --raw: busy()'s loop makes a line event per line run, whose cost
		# compensation would take out of it; its own thread_time keeps it.
		pcg-trace -q --raw --cpu --lines -o p.pcg "$PY_" "$PY/cpu_prog.py" > out || die "$PY_: pcg-trace --cpu --lines failed"
		"$PY_" "$PY/cpu_check.py" p.pcg linesums > sums || die "$PY_: bad columns"
		grep -Eq '^OK [1-9]' sums || die "$PY_: line costs: $(cat sums)"
		relations p.pcg
		pcg-trace -q --raw --cpu --lines --events -o e.pcg "$PY_" "$PY/cpu_prog.py" > out || die "$PY_: --events failed"
		awk -F '\t' '$1 == "l" && NF != 5 { print NR; exit 1 }' e.pcg || die "$PY_: an l record without both readings"
		pcg-merge e.pcg > m.pcg || die "$PY_: pcg-merge failed"
		"$PY_" "$PY/cpu_check.py" m.pcg linesums | grep -Eq '^OK [1-9]' || die "$PY_: merged line costs"
		# An l record per line run: writing them is the recorder's time,
		# never the program's, even with --raw, but its own clocks count it.
		relations m.pcg mine
	done
}

# The rest reads a profile, whatever interpreter made it.
@test "cpu: merge, filter and emit carry the cpu column; callgrind_annotate reads cpu_ns" {
	PY_=$(echo "$PYS" | head -1)
	pcg-trace -q --cpu -o a.pcg "$PY_" "$PY/cpu_prog.py" > out || die "pcg-trace failed"
	pcg-trace -q --cpu --events -o b.pcg "$PY_" "$PY/cpu_prog.py" > out || die "pcg-trace --events failed"
	pcg-merge a.pcg b.pcg > m.pcg || die "pcg-merge failed"
	grep -q '^meta	runs	2$' m.pcg || die "merged: no runs 2"
	relations_merged() {
		local w c
		"$PY_" "$PY/cpu_check.py" m.pcg nodes | grep -qx OK || die "merged: cpu above wall"
		read -r w c < <(cols m.pcg sleeper)
		[ "$w" -gt 300000000 ] && [ $((c * 5)) -lt "$w" ] || die "merged sleeper: wall $w cpu $c"
	}
	relations_merged
	# The end record: one reading per column, cpu the sum of the runs'.
	ea=$(tail -1 a.pcg | cut -f4) eb=$(tail -1 b.pcg | cut -f4) em=$(tail -1 m.pcg | cut -f4)
	[ "$em" = $((ea + eb)) ] || die "merged end cpu $em, not $ea + $eb"
	pcg-filter --drop-stdlib --min-incl 1% m.pcg > f.pcg || die "pcg-filter failed"
	"$PY_" "$PY/cpu_check.py" f.pcg nodes | grep -qx OK || die "filtered: bad columns or cpu above wall"
	# busy is kept, with all its time: the same two costs as merged.
	[ "$(cols f.pcg busy)" = "$(cols m.pcg busy)" ] || die "filtered busy $(cols f.pcg busy), merged $(cols m.pcg busy)"
	pcg-emit -o cg.out m.pcg || die "pcg-emit failed"
	grep -qx 'events: wall_ns cpu_ns' cg.out || die "callgrind: $(grep '^events' cg.out)"
	/usr/bin/callgrind_annotate --show=cpu_ns --inclusive=yes cg.out > ann 2>&1 || die "callgrind_annotate failed: $(head ann)"
	grep -q 'Events shown: *cpu_ns' ann || die "callgrind_annotate does not show cpu_ns"
	# busy's inclusive cpu by callgrind_annotate: most of its own run's...
	bc=$(awk '/cpu_prog.py:busy/ { gsub(",", "", $1); print $1; exit }' ann)
	read -r w c < <(cols m.pcg busy)
	[ "$bc" = "$c" ] || die "callgrind_annotate busy cpu $bc, the profile $c"
	pcg-emit -F text --cost cpu m.pcg > t.txt || die "text failed"
	grep -q '^cpu: ' t.txt || die "text does not say its column: $(sed -n 2p t.txt)"
	pcg-emit -F text m.pcg | grep -q '^wall: ' || die "text default is not wall"
	pcg-emit -F speedscope --cost cpu m.pcg | grep -q '^"name":".*(cpu)",$' || die "speedscope does not name its column"
	pcg-emit -F pstats --cost cpu -o p.stats m.pcg || die "pstats failed"
	"$PY_" -c 'import pstats, sys
s = pstats.Stats(sys.argv[1]).stats
busy = [v for k, v in s.items() if k[2] == "busy"][0]
sleeper = [v for k, v in s.items() if k[2] == "sleeper"][0]
assert sleeper[3] * 5 < 0.4 and busy[3] > 0.01, (sleeper, busy)' p.stats || die "pstats --cost cpu: sleeper not ~0"
	pcg-emit -F collapsed --cost cpu m.pcg | awk '/;sleeper;time.sleep / { s += $NF } END { exit !(s * 5 < 400000000) }' ||
		die "collapsed --cost cpu: sleep not ~0"
}

@test "cpu: --cpu with -p is refused; --help and pycachegrind --help name --cpu" {
	run pcg-trace --cpu -p 1
	[ "$status" -eq 2 ] && [[ "$output" == *"--cpu"* ]] || die "pcg-trace --cpu -p: $status $output"
	pcg-trace --help | grep -q -- '--cpu' || die "pcg-trace --help lacks --cpu"
	pycachegrind --help | grep -q -- '--cpu' || die "pycachegrind --help lacks --cpu"
	PY_=$(echo "$PYS" | head -1)
	pycachegrind --cpu --no-gui -q -o cg.out "$PY_" "$PY/cpu_prog.py" > out || die "pycachegrind --cpu failed"
	grep -qx 'events: wall_ns cpu_ns' cg.out || die "pycachegrind --cpu: $(grep '^events' cg.out)"
}

@test "cpu: pycachegrind --cost cpu: the limits and the text format on CPU time; a bad name before the run" {
	PY_=$(echo "$PYS" | head -1)
	pycachegrind --cpu --cost cpu --min-incl 5% --no-gui -q -F text -o t.txt "$PY_" "$PY/cpu_prog.py" > out ||
		die "pycachegrind --cost cpu failed"
	grep -q '^cpu: ' t.txt || die "text not on cpu: $(sed -n 2p t.txt)"
	grep -q ' busy ' t.txt || die "busy (computing) dropped: $(cat t.txt)"
	! grep -qE ' (sleeper|waiter|time.sleep) ' t.txt || die "a waiting function kept by CPU time: $(cat t.txt)"
	pycachegrind --cpu --min-incl 5% --no-gui -q -F text -o w.txt "$PY_" "$PY/cpu_prog.py" > out
	grep -q '^wall: ' w.txt && grep -q ' sleeper ' w.txt || die "by wall time sleeper stays: $(cat w.txt)"
	run pycachegrind --cost cpu --no-gui -q "$PY_" -c 'open("ran", "w")'
	[ "$status" -eq 2 ] && [[ "$output" == *"--cost cpu"* ]] && [ ! -e ran ] || die "$status: $output"
}

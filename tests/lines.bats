#!/usr/bin/env bats
# pcg-trace --lines: per-line costs.  Line numbers against Python's own line
# events (sys.settrace before 3.12, sys.monitoring from 3.12), costs adding
# up to self in both layers, generators resuming on their yield's line.

load common
bats_require_minimum_version 1.5.0

PY="$BATS_TEST_DIRNAME/py"

setup() { pysetup; }

check() { python3 "$PY/linecost_check.py" "$@"; }

# Tests that look at which lines have costs record with --raw: compensation
# can take a short line's cost to 0, and a line with none has no record.
#
# The program is named by its absolute path: before 3.9 Python names the
# main script as given, the oracle (runpy) by its absolute path.
@test "lines: line numbers are Python's own, in every construct, and resumptions go on at the yield's line" {
	local p s="$PY/linecost_prog.py"
	for p in $PYS; do
		say "linecost_prog.py on $p"
		"$p" "$PY/linecost_oracle.py" "$s" > /dev/null 2> want || die "$p: the oracle failed"
		grep -q '^R ' want || die "$p: the oracle saw no resumption"
		pcg-trace -q --lines --events -o ev "$p" "$s" > out 2> err || { cat err >&2; die "$p: pcg-trace failed"; }
		python3 "$PY/linecost_stream.py" ev "$s" > got || die "$p: bad stream"
		diff want got >&2 || die "$p: line events differ from Python's"
	done
}

@test "lines: line costs add up to self exactly; a busy line holds its function's cost; yields get the resumed time" {
	local p s="$PY/linecost_prog.py" n
	for p in $PYS; do
		say "linecost_prog.py on $p"
		pcg-trace -q --lines -o prof "$p" "$s" > out 2> err || { cat err >&2; die "$p: pcg-trace failed"; }
		n=$(check sums prof) || die "$p: line costs do not add up to self"
		[ "$n" -gt 10 ] || die "$p: only $n nodes with line costs"
		# Which lines have costs, and how much: without compensation,
		# which can take a short line's last nanoseconds to 0 (no record
		# then), and, calibrated while the machine was slow, takes more
		# than a line event costs out of busy's loop (an event an
		# iteration), leaving it ~0.
		pcg-trace -q --raw --lines -o prof "$p" "$s" > out 2> err || { cat err >&2; die "$p: pcg-trace --raw failed"; }
		check sums prof > /dev/null || die "$p: --raw: line costs do not add up to self"
		n=$(check share prof "$s" busy 62)
		[ "$n" -ge 90 ] || die "$p: busy has $n% of its self on its loop's line, not 90%+"
		# gen yields on 37 and 39, coro on 46: the time after a resume is
		# theirs until the next line starts.
		check lines prof "$s" gen | grep -Eq '(^| )37 38 39 40( |$)' || die "$p: gen's lines: $(check lines prof "$s" gen)"
		check lines prof "$s" coro | grep -Eq '(^| )46( |$)' || die "$p: coro's lines: $(check lines prof "$s" coro)"
		check lines prof "$s" handler | grep -Eq '(^| )53 54 56 57( |$)' || die "$p: handler's lines: $(check lines prof "$s" handler)"
	done
}

@test "lines: the events layer read back has the profile layer's line structure, adding up to self" {
	local p s="$PY/linecost_prog.py"
	for p in $PYS; do
		say "linecost_prog.py on $p"
		# --raw: no compensation, so that no line's cost is clamped to 0
		pcg-trace -q --raw --lines -o prof "$p" "$s" > out 2> err || { cat err >&2; die "$p: pcg-trace failed"; }
		pcg-trace -q --raw --lines --events -o ev "$p" "$s" > out 2> err || { cat err >&2; die "$p: pcg-trace --events failed"; }
		pcg-merge ev > merged || die "$p: pcg-merge failed"
		check sums merged > /dev/null || die "$p: merged line costs do not add up to self"
		check struct prof "$s" > want
		check struct merged "$s" > got
		diff want got >&2 || die "$p: the layers' line structures differ"
	done
}

@test "lines: callgrind_annotate's source view puts a busy function's cost on its loop's line" {
	local p s="$PY/linecost_prog.py" self on
	command -v callgrind_annotate > /dev/null || skip "no callgrind_annotate (valgrind)"
	for p in $PYS; do
		say "linecost_prog.py on $p"
		# --raw: as above, busy's loop line keeps its cost
		pcg-trace -q --raw --lines -o prof "$p" "$s" > out 2> err || { cat err >&2; die "$p: pcg-trace failed"; }
		pcg-emit -o cg prof || die "$p: pcg-emit failed"
		self=$(awk -F'\t' '$1 == "fn" { name[$2] = $7 } $1 == "node" && name[$4] == "busy" { n += $8 } END { print n }' prof)
		(cd / && callgrind_annotate --auto=no --show-percs=no "$BATS_TEST_TMPDIR/cg" "$s") > ann 2>&1 ||
			{ cat ann >&2; die "$p: callgrind_annotate failed"; }
		on=$(grep 's += i \* i % 7' ann | awk '{ gsub(",", "", $1); print $1 }')
		[ -n "$on" ] && [ "$on" != . ] || { cat ann >&2; die "$p: no cost on busy's loop line"; }
		[ $((on * 10)) -ge $((self * 9)) ] || die "$p: busy's loop line has $on of its $self"
	done
}

@test "lines: without --lines both layers stay version 1; compensation gets an eleventh value, the line event's" {
	local p s="$PY/linecost_prog.py"
	for p in $PYS; do
		say "linecost_prog.py on $p"
		pcg-trace -q -o prof "$p" "$s" > out
		pcg-trace -q --events -o ev "$p" "$s" > out
		[ "$(head -1 prof)" = "$(printf 'pcg\t1\tprofile')" ] || die "$p: $(head -1 prof)"
		[ "$(head -1 ev)" = "$(printf 'pcg\t1\tevents')" ] || die "$p: $(head -1 ev)"
		! grep -q '^line	' prof || die "$p: line records without --lines"
		! grep -q '^l	' ev || die "$p: line events without --lines"
		awk -F'\t' '$2 == "compensation" && NF == 12 { ok = 1 } END { exit !ok }' prof || die "$p: $(grep compensation prof)"
		pcg-trace -q --lines -o prof "$p" "$s" > out
		pcg-trace -q --lines --events -o ev "$p" "$s" > out
		[ "$(head -1 prof)" = "$(printf 'pcg\t2\tprofile')" ] || die "$p: $(head -1 prof)"
		[ "$(head -1 ev)" = "$(printf 'pcg\t2\tevents')" ] || die "$p: $(head -1 ev)"
		awk -F'\t' '$2 == "compensation" && NF == 13 && $13 > 0 { ok = 1 } END { exit !ok }' prof ||
			die "$p: $(grep compensation prof)"
		# KCachegrind's header says them, the line event's last
		pcg-emit prof | grep -Eq '^desc: Compensation: .* ns per resumption or yield of a generator, ([^,]*, )*[0-9.]+ ns per line event, measured at the start of the run' ||
			die "$p: $(pcg-emit prof | grep '^desc: Comp')"
	done
}

@test "lines: the program's own sys.settrace sees what it sees alone; line costs go on after it, in threads too" {
	local p s="$PY/linecost_settrace.py"
	for p in $PYS; do
		say "linecost_settrace.py on $p"
		"$p" "$s" > want
		pcg-trace -q --raw --lines -o prof "$p" "$s" > got 2> err || { cat err >&2; die "$p: pcg-trace failed"; }
		diff want got >&2 || die "$p: the program's tracer saw something else"
		! grep -q 'meta	incomplete' prof || die "$p: $(grep incomplete prof)"
		[ -z "$(cat err)" ] || { cat err >&2; die "$p: said something"; }
		check lines prof "$s" after | grep -Eq '(^| )35 36( |$)' || die "$p: after's lines: $(check lines prof "$s" after)"
		check lines prof "$s" spin | grep -Eq '(^| )42 43( |$)' || die "$p: the thread's lines: $(check lines prof "$s" spin)"
	done
}

@test "lines: a pdb session goes as without pcg-trace, and line costs go on after it" {
	local p s="$PY/linecost_pdb.py"
	for p in $PYS; do
		say "pdb linecost_pdb.py on $p"
		printf 'b work\nc\nn\nn\np s\nc\nc\n' | "$p" -m pdb "$s" > want 2>&1
		grep -q '^(Pdb) 0$' want || { cat want >&2; die "$p: the session went otherwise"; }
		printf 'b work\nc\nn\nn\np s\nc\nc\n' | pcg-trace -q --raw --lines -o prof "$p" -m pdb "$s" > got 2>&1 ||
			die "$p: pcg-trace failed"
		diff want got >&2 || die "$p: the pdb session differs"
		! grep -q 'meta	incomplete' prof || die "$p: $(grep incomplete prof)"
		[ "$(check lines prof "$s" work)" = "2 3 4 5 6" ] || die "$p: work's lines: $(check lines prof "$s" work)"
	done
}

@test "lines: a C trace function that takes pcg's out (before 3.12) makes the profile incomplete, and says so" {
	local p s="$PY/linecost_ctracer.py" v
	for p in $PYS; do
		say "linecost_ctracer.py on $p"
		v=$("$p" -c 'import sys; print(sys.version_info >= (3, 12))')
		pcg-trace -q --raw --lines -o prof "$p" "$s" > out 2> err || { cat err >&2; die "$p: pcg-trace failed"; }
		[ "$(cat out)" = 4950 ] || die "$p: output $(cat out)"
		if [ "$v" = True ]; then
			! grep -q 'meta	incomplete' prof || die "$p: $(grep incomplete prof)"
			check lines prof "$s" f | grep -Eq '(^| )9 10( |$)' || die "$p: f's lines: $(check lines prof "$s" f)"
		else
			grep -q 'meta	incomplete	.*C tracer' prof || die "$p: not marked incomplete"
			grep -q 'line costs from then on' err || die "$p: not told: $(cat err)"
		fi
	done
}

@test "lines: a forked child (-f) and a recording turned on by SIGUSR2 (--paused) have line costs" {
	local p s="$PY/linecost_fork.py" f n
	for p in $PYS; do
		say "linecost_fork.py on $p"
		rm -f prof.*
		pcg-trace -q --raw -f --lines -o prof.%p "$p" "$s" 2> err || { cat err >&2; die "$p: pcg-trace -f failed"; }
		n=0
		for f in prof.*; do
			check sums "$f" > /dev/null || die "$p: $f: line costs do not add up"
			[ "$(check lines "$f" "$s" work)" = "9 10 11 12 13" ] || die "$p: $f: work's lines: $(check lines "$f" "$s" work)"
			n=$((n + 1))
		done
		[ "$n" = 2 ] || die "$p: $n profiles"
		pcg-trace -q --raw --paused --lines -o prof "$p" "$s" paused 2> err || { cat err >&2; die "$p: pcg-trace --paused failed"; }
		check sums prof > /dev/null || die "$p: paused: line costs do not add up"
		[ "$(check lines prof "$s" work)" = "9 10 11 12 13" ] || die "$p: paused: work's lines: $(check lines prof "$s" work)"
	done
}

@test "lines: --lines cannot attach (-p)" {
	run -2 pcg-trace --lines -p 1
	[[ "$output" == *"no -f, --events, --raw, --paused or --lines"* ]]
}

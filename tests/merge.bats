#!/usr/bin/env bats
# pcg-merge: unification of functions, threads and calling contexts; sums;
# associativity and commutativity to the byte; metadata; errors.
load common

A="$DATA/merge-a.pcg"      # run 100: MainThread, Thread-1; direct recursion
B="$DATA/merge-b.pcg"      # run 200, other Python: overlapping paths, mutual recursion, Thread-2
C="$DATA/merge-c.events"   # run 300, events layer: MainThread, Thread-1

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# Body of a stream: everything but meta records.
body() { grep -v '^meta' "$@"; }

# A hand-edited stream with its end record's line count put right.
fixend() { awk -F'\t' -v OFS='\t' '$1 == "end" { $2 = NR - 1 } 1'; }

# Every number of a node, rec and end record of $2 is $3 times that of $1,
# ids, parents, functions and lines unchanged; same records otherwise.
scaled() {
	awk -F'\t' -v k="$3" '
	NR == FNR { l[FNR] = $0; n = FNR; next }
	{
		m = split(l[FNR], a, "\t")
		from = $1 == "node" ? 6 : $1 == "rec" ? 5 : $1 == "end" ? 3 : 99
		if (m != NF) { print FNR ": field count: " $0; bad = 1 }
		for (i = 1; i <= NF; i++)
			if ($1 == "end" && i == 2)
				continue # meta records are not counted alike
			else if ((i >= from && $i != k * a[i]) || (i < from && $i != a[i])) {
				print FNR ": " $0 " vs " l[FNR]; bad = 1; break
			}
	}
	END { if (FNR != n) { print "line counts differ"; bad = 1 } exit bad }' \
	    <(body "$1") <(body "$2")
}

@test "merging a profile with itself doubles every count and cost exactly" {
	for f in "$A" "$B" "$C"; do
		pcg-merge "$f" >one
		pcg-merge "$f" "$f" >two
		run scaled one two 2
		[ "$status" -eq 0 ] || die "$f: $output"
		grep -qx 'meta	runs	2' two || die "$f: runs is not 2"
		[ "$(grep -c '^meta	run	' two)" -eq 2 ] || die "$f: not 2 run records"
	done
	# and a merged profile with itself: runs 6, every number doubled
	pcg-merge "$A" "$B" "$C" >abc
	pcg-merge abc abc >abc2
	run scaled abc abc2 2
	[ "$status" -eq 0 ] || die "$output"
	grep -qx 'meta	runs	6' abc2
	for mode in keep join; do
		pcg-merge --threads=$mode "$A" "$C" >one
		pcg-merge --threads=$mode "$A" "$C" "$C" "$A" >two
		run scaled one two 2
		[ "$status" -eq 0 ] || die "$mode: $output"
	done
}

@test "call counts past 32 bits: kept, summed and divided exactly by merge, filter and emit" {
	# each node's count takes 4 bytes, the high bits of the rare ones that
	# have more in a table of their own: every way a count is set or added
	awk -F'\t' -v OFS='\t' '$1 == "node" && $2 == 2 { $6 = "4294967295" }
	    $1 == "node" && $2 == 3 { $6 = "12884901890" } 1' "$DATA/emit-fib.pcg" >big.pcg
	pcg-merge big.pcg >one
	grep -q '^node	2	1	2	7	4294967295	' one
	grep -q '^node	3	2	3	5	12884901890	' one
	pcg-merge big.pcg big.pcg >two
	run scaled one two 2
	[ "$status" -eq 0 ] || die "$output"
	grep -q '^node	2	1	2	7	8589934590	' two
	pcg-merge --mean two >mean
	grep -q '^node	2	1	2	7	4294967295	' mean
	grep -q '^node	3	2	3	5	12884901890	' mean
	pcg-filter --focus fib big.pcg >kept
	grep -q '	4294967295	' kept
	grep -q '	12884901890	' kept
	pcg-emit -F callgrind big.pcg | grep -qx 'calls=12884901890 0'
	pcg-emit -F text big.pcg | grep -q ' 12884901890 '
}

@test "merge is associative and commutative, byte for byte, in every thread mode" {
	for mode in name keep join; do
		pcg-merge --threads=$mode "$A" "$B" "$C" >abc
		pcg-merge --threads=$mode "$B" "$C" >bc
		pcg-merge --threads=$mode "$C" "$A" >ca
		pcg-merge --threads=$mode "$B" "$A" >ba
		pcg-merge --threads=$mode "$A" bc >a_bc
		pcg-merge --threads=$mode ca "$B" >ca_b
		pcg-merge --threads=$mode "$C" ba >c_ba
		pcg-merge --threads=$mode "$C" "$B" "$A" >cba
		pcg-merge --threads=$mode - "$C" <ba >ba_c
		for f in a_bc ca_b c_ba cba ba_c; do
			cmp abc $f || die "$mode: $f differs from merge(a, b, c): $(diff abc $f)"
		done
	done
}

@test "paths unite: same thread, parent, function and line is one node; sums" {
	pcg-merge "$A" "$B" "$C" >abc
	# MainThread: <module> -> main -> fib at line 12 is one context of the 3 runs
	run awk -F'\t' '$1 == "fn" && $7 == "fib" { fib = $2 }
	    $1 == "node" && $4 == fib && $5 == 12 { print $6, $7, $8 }' abc
	[ "$output" = "4 17600 10580" ] || die "fib: $output"
	# len from fib line 5: 20 + 10 + 1 calls; len from helper is B's alone
	grep -q '^node	[0-9]*	3	5	5	31	320	320$' abc || die "$(cat abc)"
	# different first line: two worker functions, never merged
	[ "$(grep -c '^fn	.*	worker$' abc)" -eq 2 ]
	# rec edges: A's 9 + 5 (lines 6, 7), C's 1 at line 6, B's helper->fib
	grep -qx 'rec	3	3	6	14	0' abc
	grep -qx 'rec	3	3	7	5	0' abc
	grep -qx 'rec	4	3	44	3	990' abc
	# durations add up
	[ "$(tail -n1 abc | cut -f3)" -eq 32100 ]
	# the result reads back and is canonical: merging it alone changes no byte
	pcg-merge abc | body >again
	body abc | cmp - again
}

@test "--threads=name (default): threads matched by name across runs" {
	pcg-merge "$A" "$B" "$C" >abc
	run grep '^thread' abc
	[ "${lines[0]}" = "thread	1	0	MainThread" ] || die "$output"
	[ "${lines[1]}" = "thread	2	0	Thread-1" ] || die "$output"
	[ "${lines[2]}" = "thread	3	202	Thread-2" ] || die "$output"
	[ "${#lines[@]}" -eq 3 ]
	pcg-merge --threads=name "$A" "$B" "$C" | cmp - abc
	# a lone input keeps its native ids
	pcg-merge "$A" | grep -qx 'thread	1	100	MainThread'
	# two threads of one run with one name: one tree with both roots
	sed 's/	Thread-1$/	MainThread/' "$A" >twomain
	pcg-merge twomain >tm
	[ "$(grep -c '^thread' tm)" -eq 1 ] || die "$(cat tm)"
	grep -qx 'thread	1	0	MainThread' tm
	[ "$(awk -F'\t' '$1 == "node" && $3 == 0' tm | wc -l)" -eq 2 ] || die "$(cat tm)"
}

@test "--threads=keep: one tree per run and thread, labelled PID/NAME" {
	pcg-merge --threads=keep "$A" "$B" "$C" >k
	run grep '^thread' k
	[ "${#lines[@]}" -eq 6 ] || die "$output"
	[ "${lines[0]}" = "thread	1	100	100/MainThread" ] || die "$output"
	[ "${lines[3]}" = "thread	4	202	200/Thread-2" ] || die "$output"
	[ "${lines[5]}" = "thread	6	301	300/Thread-1" ] || die "$output"
	# a merged input is not labelled twice
	pcg-merge --threads=keep "$A" >ka
	pcg-merge --threads=keep ka | grep -q '	100/MainThread$'
	! pcg-merge --threads=keep ka | grep -q '100/100/'
	# each thread's tree is its run's own: A's MainThread fib has A's numbers
	awk -F'\t' '$1 == "thread" { t = $4 } $1 == "node" && t == "100/MainThread" && $5 == 12' k |
	    grep -q '	1	5000	4000$'
	# no pid: '?'
	grep -v '^meta	pid' "$A" | fixend >nopid
	pcg-merge --threads=keep nopid | grep -q '	?/MainThread$'
}

@test "--threads=join: one tree for every thread of every run" {
	pcg-merge --threads=join "$A" "$B" "$C" >j
	run grep '^thread' j
	[ "$output" = "thread	1	0	(all threads)" ] || die "$output"
	# Thread.run of two Pythons are two functions, roots of the one tree
	[ "$(awk -F'\t' '$1 == "node" && $3 == 0' j | wc -l)" -eq 3 ]
	# one thread, one name: kept
	grep -v 'Thread-1\|^node	[67]	' "$A" | fixend >main-only
	pcg-merge --threads=join main-only main-only | grep -qx 'thread	1	100	MainThread'
}

@test "metadata: runs, sorted run records, identical keys kept, others dropped" {
	sed 's/^meta	pid	100$/meta	pid	1000/' "$A" >a1000
	pcg-merge "$B" a1000 "$C" >m
	run grep '^meta' m
	printf '%s\n' 'meta	clock	monotonic' 'meta	cmd	python3	app.py' \
	    'meta	creator	pcg-merge 0.1.0' \
	    'meta	run	200	python3	app.py' 'meta	run	300	python3	app.py' \
	    'meta	run	1000	python3	app.py' 'meta	runs	3' >want
	[ "$output" = "$(cat want)" ] || die "$output"
	# A and C agree on python and stdlib: kept; B disagrees: dropped
	pcg-merge "$A" "$C" | grep -qx 'meta	python	3.11.7'
	pcg-merge "$A" "$C" | grep -qx 'meta	stdlib	/usr/lib/python3.11'
	# a key missing from one input is dropped, whatever order
	grep -v '^meta	clock' "$C" | fixend >noclock
	! pcg-merge "$A" noclock | grep -q '^meta	clock'
	! pcg-merge noclock "$A" | grep -q '^meta	clock'
}

@test "metadata: every distinct 'incomplete' of any input is kept, in any order; emit shows it" {
	sed 's/^\(meta	pid	100\)$/\1\nmeta	incomplete	x in thread 2/' "$A" | fixend >ia
	sed 's/^\(meta	pid	200\)$/\1\nmeta	incomplete	x in thread 2\nmeta	incomplete	a b	c/' "$B" | fixend >ib
	pcg-merge ia "$C" >m1 || die "pcg-merge failed"
	[ "$(grep -c '^meta	incomplete' m1)" = 1 ] || die "one input's incomplete lost: $(grep '^meta' m1)"
	pcg-merge ib ia "$C" >m2
	run grep '^meta	incomplete' m2
	[ "$output" = "$(printf 'meta\tincomplete\ta b\tc\nmeta\tincomplete\tx in thread 2')" ] || die "$output"
	pcg-merge "$C" ia ib | cmp - m2 || die "order changes the output"
	pcg-merge m1 ib | cmp - m2 || die "not associative"
	pcg-emit m2 >cg
	grep -qx 'desc: Incomplete: a b c' cg || die "emit: $(head -5 cg)"
	grep -qx 'desc: Incomplete: x in thread 2' cg || die "emit: $(head -5 cg)"
	callgrind_annotate cg | grep -q '^Incomplete: x in thread 2' || die "callgrind_annotate does not show it"
}

@test "metadata: each run's compensation is kept, distinct ones once; emit gives their range; with --raw runs an error" {
	sed 's/^\(meta	pid	100\)$/\1\nmeta	compensation	28.1	22.5	24.0/' "$A" | fixend >ca
	sed 's/^\(meta	pid	200\)$/\1\nmeta	compensation	31.4	21.9	24.0/' "$B" | fixend >cb
	sed 's/^\(meta	pid	300\)$/\1\nmeta	compensation	28.1	22.5	24.0/' "$C" | fixend >cc
	grep -q '^meta	compensation' cc || die "no pid 300 in $C"
	pcg-merge ca cb cc >m1 || die "pcg-merge failed"
	run grep '^meta	compensation' m1
	[ "$output" = "$(printf 'meta\tcompensation\t28.1\t22.5\t24.0\nmeta\tcompensation\t31.4\t21.9\t24.0')" ] ||
		die "$output"
	pcg-merge cc cb ca | cmp - m1 || die "order changes the output"
	pcg-merge ca cc | pcg-merge - cb | cmp - m1 || die "not associative"
	pcg-emit m1 >cg
	grep -qx "desc: Compensation: the recorder's own time, 28.1 to 31.4 ns per call or return of a Python function, 21.9 to 22.5 ns of a C function, 24.0 ns per resumption or yield of a generator, measured at the start of each run, is not in the costs (pcg-trace --raw keeps it)" cg ||
		die "emit: $(grep '^desc' cg)"
	pcg-emit ca | grep -qx "desc: Compensation: the recorder's own time, 28.1 ns per call or return of a Python function, 22.5 ns of a C function, 24.0 ns per resumption or yield of a generator, measured at the start of the run, is not in the costs (pcg-trace --raw keeps it)" ||
		die "emit of one run: $(pcg-emit ca | grep '^desc')"
	for order in "ca $B" "$B ca" "m1 $C"; do
		run pcg-merge -o out $order
		[ "$status" -eq 1 ] || die "$order: exit $status"
		[[ "$output" == "pcg-merge: "*" is compensated, "*" is not (pcg-trace --raw): merge profiles recorded alike" ]] ||
			die "$order: $output"
		[ ! -e out ] || die "$order: output left"
	done
	pcg-merge "$A" "$B" | grep -q '^meta	compensation' && die "compensation from nowhere"
	true
}

# pcg-format(5): ten values (eleven with --lines); before 3.12 the seven
# that only sys.monitoring tells are 0, and emit does not name those.
@test "metadata: emit names each kind a ten-value compensation took something out of, and only those" {
	sed 's/^\(meta	pid	100\)$/\1\nmeta	compensation	28.1	22.5	24.0	25.3	45.2	8.9	9.5	6.9	18.8	34.6/' "$A" | fixend >ca
	sed 's/^\(meta	pid	200\)$/\1\nmeta	compensation	38.9	26.8	28.7	0.0	0.0	0.0	0.0	0.0	0.0	0.0/' "$B" | fixend >cb
	pcg-emit ca | grep -qxF "desc: Compensation: the recorder's own time, 28.1 ns per call or return of a Python function, 22.5 ns of a C function, 24.0 ns per resumption or yield of a generator, 25.3 ns per call of a type or another callable that runs no Python code, 45.2 ns more per call of a class that runs its __init__, 8.9 ns for another class (with __slots__, a C type), 9.5 ns for an __init__ taking *args or **kwargs, 6.9 ns for another object (a __call__), 18.8 ns more per Python function started from C (a property, a special method), 34.6 ns for a new generator, measured at the start of the run, is not in the costs (pcg-trace --raw keeps it)" ||
		die "emit: $(pcg-emit ca | grep '^desc')"
	pcg-emit cb | grep -qxF "desc: Compensation: the recorder's own time, 38.9 ns per call or return of a Python function, 26.8 ns of a C function, 28.7 ns per resumption or yield of a generator, measured at the start of the run, is not in the costs (pcg-trace --raw keeps it)" ||
		die "emit, zeros: $(pcg-emit cb | grep '^desc')"
	pcg-merge ca cb | pcg-emit | grep -qxF "desc: Compensation: the recorder's own time, 28.1 to 38.9 ns per call or return of a Python function, 22.5 to 26.8 ns of a C function, 24.0 to 28.7 ns per resumption or yield of a generator, 0.0 to 25.3 ns per call of a type or another callable that runs no Python code, 0.0 to 45.2 ns more per call of a class that runs its __init__, 0.0 to 8.9 ns for another class (with __slots__, a C type), 0.0 to 9.5 ns for an __init__ taking *args or **kwargs, 0.0 to 6.9 ns for another object (a __call__), 0.0 to 18.8 ns more per Python function started from C (a property, a special method), 0.0 to 34.6 ns for a new generator, measured at the start of each run, is not in the costs (pcg-trace --raw keeps it)" ||
		die "emit of the merge: $(pcg-merge ca cb | pcg-emit | grep '^desc')"
}

@test "inconsistent run metadata of a merged input is an error naming the line" {
	pcg-merge "$A" "$B" >ab
	sed 's/^meta	runs	2$/meta	runs	3/' ab >bad
	run pcg-merge "$C" bad
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: bad: meta runs is 3 but there are 2 run records" ]] || die "$output"
	grep -v '^meta	runs' ab | fixend >bad
	run pcg-merge bad
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: bad: meta run records without meta runs" ]] || die "$output"
	sed 's/^meta	runs	2$/meta	runs	two/' ab >bad
	run pcg-merge bad
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: bad:7: meta runs: not a positive number" ]] || die "$output"
}

@test "--mean: every number divided by the runs, rounded to nearest, halves up" {
	pcg-merge "$A" "$B" >sum
	pcg-merge --mean "$A" "$B" >mean
	run awk -F'\t' '
	NR == FNR { l[FNR] = $0; next }
	$1 == "node" || $1 == "rec" || $1 == "end" {
		split(l[FNR], a, "\t")
		from = $1 == "node" ? 6 : $1 == "rec" ? 5 : 3
		for (i = from; i <= NF; i++)
			if ($i != int(a[i] / 2 + 0.5)) { print FNR ": " $0 " vs " l[FNR]; bad = 1 }
	}
	END { exit bad }' <(body sum) <(body mean)
	[ "$status" -eq 0 ] || die "$output"
	# fib: 1 + 2 calls -> 1.5 -> 2; len from fib: 20 + 10 -> 15
	awk -F'\t' '$1 == "fn" && $7 == "fib" { f = $2 } $1 == "node" && $4 == f && $5 == 12' mean |
	    grep -q '	2	8500	5000$'
	grep -qx 'meta	mean	2' mean
	grep -qx 'meta	runs	2' mean
	# averages cannot be summed again
	run pcg-merge mean "$C"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: mean:"*": averaged by pcg-merge --mean"* ]] || die "$output"
	# with one run, --mean changes no number
	pcg-merge "$A" >one
	pcg-merge --mean "$A" >m1
	scaled one m1 1
}

@test "different cost columns: error naming both files, exit 1, no output" {
	run pcg-merge -o out "$A" "$DATA/merge-cpu.pcg"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: $A and $DATA/merge-cpu.pcg have different cost columns"* ]] || die "$output"
	[[ "$output" == *"wall/ns; wall/ns cpu/ns"* ]] || die "$output"
	[ ! -e out ]
	[ -z "$(ls)" ] || die "left behind: $(ls)"
	# a unit differs
	sed 's/^cost	cpu	ns$/cost	cpu	us/' "$DATA/merge-cpu.pcg" >us
	run pcg-merge "$DATA/merge-cpu.pcg" us
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: $DATA/merge-cpu.pcg and us have different cost columns"* ]] || die "$output"
	[[ "$output" == *"(wall/ns cpu/ns; wall/ns cpu/us)" ]] || die "$output"
}

@test "malformed input: 'pcg-merge: FILE:LINE:', exit 1, no output file left" {
	run pcg-merge -o out "$A" "$DATA/merge-bad.pcg"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: $DATA/merge-bad.pcg:6: "* ]] || die "$output"
	[ -z "$(ls)" ] || die "left behind: $(ls)"
	# an existing output file is left as it was
	echo old >out
	head -n 10 "$A" >trunc
	run pcg-merge -o out "$A" trunc
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: trunc:11: truncated: no end record" ]] || die "$output"
	[ "$(cat out)" = old ]
	[ "$(ls)" = "$(printf 'out\ntrunc')" ] || die "left behind: $(ls)"
	run pcg-merge no-such-file
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: no-such-file: "* ]] || die "$output"
}

@test "-o writes the same bytes as standard output; - and no operand read stdin" {
	pcg-merge "$A" "$C" >stdout
	pcg-merge -o file "$A" "$C"
	cmp stdout file
	pcg-merge -ofile2 "$A" "$C"
	cmp stdout file2
	pcg-merge - "$C" <"$A" | cmp - stdout
	pcg-merge <"$A" | cmp - <(pcg-merge "$A")
	# a write error is an error
	run pcg-merge -o /dev/full "$A"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-merge: write /dev/full: "* ]] || die "$output"
	# the output may be one of the inputs: read before it is replaced
	cp "$A" a
	pcg-merge -o a a "$C"
	cmp a stdout
}

@test "options: usage errors exit 2, a bad thread mode 1, --help and --version exit 0" {
	run pcg-merge --bogus "$A"
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: pcg-merge "* ]] || die "$output"
	run pcg-merge --threads=bogus "$A"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown thread mode 'bogus'"* ]] || die "$output"
	run pcg-merge -o
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: pcg-merge "* ]] || die "$output"
	run pcg-merge --help
	[ "$status" -eq 0 ]
	[[ "$output" == *--threads=keep* ]]
	run pcg-merge --version
	[ "$status" -eq 0 ]
	[[ "$output" == "pcg-merge "[0-9]* ]]
	pcg-merge --threads keep "$A" | cmp - <(pcg-merge --threads=keep "$A")
	# after --, a dash-named file is an operand
	cp "$A" ./-x
	pcg-merge -- -x | cmp - <(pcg-merge "$A")
}

@test "options: GNU style, after the operands, -oFILE, --opt value, --" {
	pcg-merge --threads=keep --mean -o want "$A" "$B"
	pcg-merge "$A" --threads keep "$B" --mean -ogot
	cmp want got
	pcg-merge "$A" "$B" -o got --mean --threads=keep
	cmp want got
	cp "$B" ./-b
	pcg-merge --threads=keep --mean -o got -- "$A" -b
	cmp want got
	run pcg-merge "$A" "$B" --no-such-option
	[ "$status" -eq 2 ] && [[ "$output" == *"usage: pcg-merge "* ]] || die "$status: $output"
	[ ! -e ./--no-such-option ]
}

@test "merge, emit, callgrind_annotate: every function is there" {
	command -v pcg-emit >/dev/null || skip "pcg-emit not built yet"
	command -v callgrind_annotate >/dev/null || skip "no callgrind_annotate"
	pcg-merge "$A" "$B" "$C" | pcg-emit -o cg.out
	callgrind_annotate --inclusive=yes --auto=no --threshold=100 cg.out >ann.txt
	for f in '__main__.<module>' main fib helper builtins.len; do
		grep -qE "[0-9] .*:$f\$" ann.txt || die "$f missing: $(cat ann.txt)"
	done
	# two functions each, told apart by first line: never merged
	grep -q ':worker:20$' ann.txt && grep -q ':worker:25$' ann.txt || die "$(cat ann.txt)"
	grep -q 'python3.11/threading.py:Thread.run' ann.txt || die "$(cat ann.txt)"
	grep -q 'python3.12/threading.py:Thread.run' ann.txt || die "$(cat ann.txt)"
	# the merged threads, by name
	[ "$(grep -c '<thread [0-9]*: ' ann.txt)" -eq 3 ] || die "$(cat ann.txt)"
}

@test "real runs: pcg-trace twice (two Pythons when there are), merged by name" {
	command -v pcg-trace >/dev/null || skip "pcg-trace not built yet"
	mapfile -t py < <(pythons)
	[ "${#py[@]}" -gt 0 ] || skip "no python found"
	p2=${py[1]:-${py[0]}}
	cat >prog.py <<-'PY'
	import threading
	def f(): return 1
	def g():
	    for _ in range(3): f()
	t = threading.Thread(target=g, name="worker"); t.start(); t.join()
	for _ in range(7): f()
	PY
	pcg-trace -q -o r1.pcg "${py[0]}" prog.py
	pcg-trace -q -o r2.pcg "$p2" prog.py
	pcg-trace -q --events -o r3.events "${py[0]}" prog.py
	pcg-merge r1.pcg r2.pcg r3.events >m
	grep -qx 'meta	runs	3' m
	[ "$(grep -c '^meta	run	' m)" -eq 3 ]
	! grep -q '^meta	pid' m
	# f from <module> line 6: 7 calls a run, one context; from g in thread
	# worker: 3 (under each Python's own threading.py: maybe other contexts)
	run awk -F'\t' '$1 == "thread" { t = $4 } $1 == "fn" && $7 == "f" { f = $2 }
	    $1 == "node" && $4 == f && t == "MainThread" { print $5, $6 }
	    $1 == "node" && $4 == f && t == "worker" { w += $6 } END { print w }' m
	[ "${lines[0]}" = "6 21" ] || die "$output"
	[ "${lines[1]}" = "9" ] || die "$output"
	[ "$(grep -c '^thread' m)" -eq 2 ] || die "$(grep '^thread' m)"
	pcg-merge r3.events r2.pcg | pcg-merge - r1.pcg | cmp - m
}

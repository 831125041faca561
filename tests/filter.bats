#!/usr/bin/env bats
# pcg-filter: dropping code keeps totals, call counts and the stack context.
load common

APP="$DATA/filter-app.pcg"
REC="$DATA/filter-rec.pcg"

# "calls incl self" of function NAME or MODULE:NAME (first cost column),
# nodes and rec edges.
fnstat() {
	awk -F'\t' -v want="$2" '
	$1 == "cost" { k++ }
	$1 == "fn" { name[$2] = index(want, ":") ? $4 ":" $7 : $7 }
	$1 == "node" { fn[$2] = $4; if (name[$4] == want) { c += $6; i += $7; s += $(7 + k) } }
	$1 == "rec" { if (name[fn[$3]] == want) c += $5 }
	END { print c + 0, i + 0, s + 0 }' "$1"
}

# "CALLER:LINE" of each node of NAME or MODULE:NAME, sorted ("-" for a root).
callers() {
	awk -F'\t' -v want="$2" '
	$1 == "fn" { name[$2] = $7; q[$2] = index(want, ":") ? $4 ":" $7 : $7 }
	$1 == "node" { fn[$2] = $4; if (q[$4] == want) print ($3 ? name[fn[$3]] : "-") ":" $5 }' "$1" | sort
}

# "ROOTS SELF": sum of the roots' INCL and of every node's SELF (first column).
totals() {
	awk -F'\t' '
	$1 == "cost" { k++ }
	$1 == "node" { s += $(7 + k); if ($3 == 0) r += $7 }
	END { print r + 0, s + 0 }' "$1"
}

# Functions by identity, blanks made _: KIND:MODULE:FILE:LINE:NAME.
FNID='$1 == "fn" { name[$2] = $3 ":" $4 ":" $5 ":" $6 ":" $7; gsub(/ /, "_", name[$2]) }'

# "FUNCTION TIME" for every function: self plus outgoing INCL, its time on
# the stack (first cost column), sorted.
onstack() {
	awk -F'\t' "$FNID"'
	$1 == "cost" { k++ }
	$1 == "node" { fn[$2] = $4; t[name[$4]] += $(7 + k); if ($3) t[name[fn[$3]]] += $7 }
	$1 == "rec" { t[name[fn[$2]]] += $6 }
	END { for (f in t) print f, t[f] }' "$1" | sort
}

# Largest difference in time on the stack of a function of $2 between $1 and
# $2, in millionths of $1's total.
stackdiff() {
	local tot
	tot=$(totals "$1" | cut -d' ' -f1)
	onstack "$1" >"$BATS_TEST_TMPDIR/a.on"
	onstack "$2" | grep -v '^c:pcg::0:(filtered) ' >"$BATS_TEST_TMPDIR/b.on"
	join "$BATS_TEST_TMPDIR/a.on" "$BATS_TEST_TMPDIR/b.on" |
		awk -v t="$tot" '{ d = $2 - $3; if (d < 0) d = -d; if (d > m) m = d } END { printf "%d\n", m * 1000000 / t }'
}

# "FUNCTION CALLS" for every function, sorted.
allcalls() {
	awk -F'\t' "$FNID"'
	$1 == "node" { fn[$2] = $4; c[name[$4]] += $6 }
	$1 == "rec" { c[name[fn[$3]]] += $5 }
	END { for (f in c) print f, c[f] }' "$1" | sort
}

# Calls of the functions of $2 must be the same in $1.
same_calls() {
	allcalls "$1" >"$BATS_TEST_TMPDIR/a.calls"
	allcalls "$2" | grep -v '^c:pcg::0:(filtered) ' >"$BATS_TEST_TMPDIR/b.calls"
	[ -s "$BATS_TEST_TMPDIR/b.calls" ] || die "no functions left in $2"
	join "$BATS_TEST_TMPDIR/a.calls" "$BATS_TEST_TMPDIR/b.calls" | awk '$2 != $3 { print; bad = 1 } END { exit bad }' ||
		die "call counts changed" || return
	[ "$(wc -l <"$BATS_TEST_TMPDIR/b.calls")" -eq \
		"$(join "$BATS_TEST_TMPDIR/a.calls" "$BATS_TEST_TMPDIR/b.calls" | wc -l)" ] || die "functions appeared"
}

@test "no option: the canonical profile, byte for byte" {
	pcg-filter "$APP" >"$BATS_TEST_TMPDIR/a.pcg"
	pcg-filter <"$BATS_TEST_TMPDIR/a.pcg" >"$BATS_TEST_TMPDIR/b.pcg"
	cmp "$BATS_TEST_TMPDIR/a.pcg" "$BATS_TEST_TMPDIR/b.pcg"
	[ "$(grep -c '^node' "$BATS_TEST_TMPDIR/a.pcg")" -eq 13 ]
	[ "$(totals "$BATS_TEST_TMPDIR/a.pcg")" = "1500 1500" ]
}

@test "--drop-stdlib gives the expected profile" {
	pcg-filter --drop-stdlib "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	diff -u "$DATA/filter-app.drop-stdlib.pcg" "$BATS_TEST_TMPDIR/out.pcg"
}

@test "a callback through a dropped builtin is a direct callee, at the caller's line, same cost" {
	run fnstat "$APP" key
	[ "$output" = "50 200 200" ]
	pcg-filter --drop-builtins "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	[ "$(callers "$BATS_TEST_TMPDIR/out.pcg" key)" = "main:12" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" key)" = "50 200 200" ]
	# sorted's own 100 ns went to main: 40 + 100
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" main)" = "1 990 140" ]
}

@test "contexts that meet after dropping are merged, counts and costs summed" {
	# default is called from _iterencode (5 calls) and straight from dumps (1)
	[ "$(callers "$APP" default)" = "$(printf 'Thread.run:1010\n_iterencode:310\ndumps:190')" ]
	pcg-filter --drop json "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	[ "$(callers "$BATS_TEST_TMPDIR/out.pcg" default)" = "$(printf 'Thread.run:1010\nmain:13')" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" default)" = "7 680 680" ]
	# main: 40 own + dumps 40 + encode 30 + _iterencode 200
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" main)" = "1 990 310" ]
	# the rec edge into the dropped _iterencode vanished with it
	! grep -q '^rec' "$BATS_TEST_TMPDIR/out.pcg"
}

@test "a dropped root: its kept callees become roots, its self cost a synthetic (filtered) leaf root" {
	pcg-filter --drop threading "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	grep -q "$(printf '^fn\t[0-9]*\tc\tpcg\t\t0\t(filtered)$')" "$BATS_TEST_TMPDIR/out.pcg"
	# Thread.run's own 50 ns, one call; it calls nothing, so that a viewer
	# that adds its own thread root shows one synthetic level, not two
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" '(filtered)')" = "1 50 50" ]
	! callers "$BATS_TEST_TMPDIR/out.pcg" default | grep -q filtered
	[ "$(callers "$BATS_TEST_TMPDIR/out.pcg" default)" = "$(printf -- '-:0\n_iterencode:310\ndumps:190')" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" default)" = "7 680 680" ]
	[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "1500 1500" ]
	# a second pass keeps the synthetic root, even when asked to drop pcg
	pcg-filter --drop pcg --drop threading "$BATS_TEST_TMPDIR/out.pcg" | cmp - "$BATS_TEST_TMPDIR/out.pcg"
}

@test "recursion through a dropped builtin becomes direct recursion with INCL 0" {
	pcg-filter --drop-builtins "$REC" >"$BATS_TEST_TMPDIR/out.pcg"
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" walk)" = "41 1000 1000" ]
	grep -q "$(printf '^rec\t2\t2\t5\t40\t0$')" "$BATS_TEST_TMPDIR/out.pcg"
	[ "$(grep -c '^rec' "$BATS_TEST_TMPDIR/out.pcg")" -eq 1 ]
	[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "1000 1000" ]
}

@test "a recursion folded across kept and dropped code: every kept function keeps its time" {
	# imp calls exec calls imp2 calls imp again (folded into the first imp
	# context), which calls exec again: the nested frames' place is lost
	pcg-filter --drop 'imp*' "$DATA/filter-nested.pcg" >"$BATS_TEST_TMPDIR/out.pcg"
	pcg-filter "$DATA/filter-nested.truth.pcg" >"$BATS_TEST_TMPDIR/truth.pcg"
	onstack "$BATS_TEST_TMPDIR/truth.pcg" >"$BATS_TEST_TMPDIR/t.on"
	onstack "$BATS_TEST_TMPDIR/out.pcg" | diff - "$BATS_TEST_TMPDIR/t.on"
	[ "$(grep -c . "$BATS_TEST_TMPDIR/t.on")" -eq 4 ]
	[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "200 200" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" exec | cut -d' ' -f1)" = 2 ]
	# the inner exec is a direct recursion: INCL 0, as the format requires
	grep -q "$(printf '^rec\t2\t2\t0\t1\t0$')" "$BATS_TEST_TMPDIR/out.pcg"
	pcg-filter --drop 'imp*' "$BATS_TEST_TMPDIR/out.pcg" | cmp - "$BATS_TEST_TMPDIR/out.pcg"
}

@test "totals and kept call counts never change" {
	for o in --drop-stdlib --drop-builtins "--drop json.*" "--keep __main__" "--drop */site-packages/*" \
		"--min-incl 20%" "--min-self 100" "--min-self 1us" "--drop-stdlib --drop-builtins --min-incl 10%"; do
		pcg-filter $o "$APP" >"$BATS_TEST_TMPDIR/out.pcg" || die "$o: failed"
		[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "1500 1500" ] || die "$o: totals $(totals "$BATS_TEST_TMPDIR/out.pcg")"
		same_calls "$APP" "$BATS_TEST_TMPDIR/out.pcg" || die "$o"
	done
}

@test "module patterns cover submodules; paths glob files; MODULE:NAME names functions" {
	pcg-filter --drop json.encoder "$APP" >"$BATS_TEST_TMPDIR/a.pcg"
	grep -q 'dumps$' "$BATS_TEST_TMPDIR/a.pcg"
	! grep -q 'JSONEncoder.encode$' "$BATS_TEST_TMPDIR/a.pcg"
	pcg-filter --drop json "$APP" >"$BATS_TEST_TMPDIR/b.pcg"
	! grep -qE 'dumps$|JSONEncoder.encode$|_iterencode$' "$BATS_TEST_TMPDIR/b.pcg"
	pcg-filter --drop 'js*' "$APP" | cmp - "$BATS_TEST_TMPDIR/b.pcg"
	pcg-filter --drop 'json.*' "$APP" | cmp - "$BATS_TEST_TMPDIR/a.pcg"
	# "jso" is not "json": no prefix match inside a name
	pcg-filter --drop jso "$APP" | cmp - <(pcg-filter "$APP")
	pcg-filter --drop '*/site-packages/*' "$APP" >"$BATS_TEST_TMPDIR/c.pcg"
	! grep -q 'requests' "$BATS_TEST_TMPDIR/c.pcg"
	grep -q 'threading' "$BATS_TEST_TMPDIR/c.pcg"
	pcg-filter --drop '__main__:key' "$APP" >"$BATS_TEST_TMPDIR/d.pcg"
	! grep -q 'key$' "$BATS_TEST_TMPDIR/d.pcg"
	[ "$(fnstat "$BATS_TEST_TMPDIR/d.pcg" sorted)" = "1 300 300" ]
}

@test "--keep keeps only matching code; --drop wins over --keep" {
	pcg-filter --keep __main__ "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	[ "$(awk -F'\t' '$1 == "fn" { print $4 }' "$BATS_TEST_TMPDIR/out.pcg" | sort -u | tr '\n' ' ')" = "__main__ pcg " ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" main)" = "1 990 560" ]
	pcg-filter --keep __main__ --drop __main__:key "$APP" >"$BATS_TEST_TMPDIR/out2.pcg"
	! grep -q 'key$' "$BATS_TEST_TMPDIR/out2.pcg"
	[ "$(fnstat "$BATS_TEST_TMPDIR/out2.pcg" main)" = "1 990 760" ]
}

@test "--drop-stdlib: site-packages inside the stdlib directory is not stdlib; builtins are not either" {
	pcg-filter --drop-stdlib "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	grep -q 'requests.api' "$BATS_TEST_TMPDIR/out.pcg"
	grep -q 'sorted$' "$BATS_TEST_TMPDIR/out.pcg"
	! grep -q 'threading' "$BATS_TEST_TMPDIR/out.pcg"
}

@test "--drop-stdlib without stdlib meta is an error" {
	run pcg-filter --drop-stdlib "$REC"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pcg-filter: "*"stdlib"* ]]
}

@test "thresholds: every kept function passes, cost goes to callers" {
	pcg-filter --min-self 100 "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	awk -F'\t' '$1 == "fn" { name[$2] = $7 } $1 == "node" { s[name[$4]] += $8 }
		END { for (f in s) if (s[f] < 100 && f != "(filtered)") { print f; bad = 1 } exit bad }' "$BATS_TEST_TMPDIR/out.pcg"
	# <module> (10), main (40), Thread.run (50) and dumps/encode (70) fell
	# below: a synthetic leaf root per thread holds their self cost
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" '(filtered)')" = "2 170 170" ]
	[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "1500 1500" ]
	pcg-filter --min-incl 20% "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	# 20% of 1500 is 300: key (200) and get (150) go, sorted (300) stays
	! grep -qE 'key$|get$' "$BATS_TEST_TMPDIR/out.pcg"
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" sorted)" = "1 300 300" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" main)" = "1 990 190" ]
	pcg-filter --min-incl 301ns "$APP" | grep -q 'sorted$' && die "sorted (300) should go below 301ns"
	pcg-filter --min-incl 300 "$APP" | grep -q 'sorted$'
}

@test "--cost cpu: the limits on the cpu column, a function that only waited goes; errors" {
	cd "$BATS_TEST_TMPDIR"
	printf '%s\n' 'pcg	1	profile' 'meta	pid	1' 'cost	wall	ns' 'cost	cpu	ns' 'thread	1	1	MainThread' \
	    'fn	1	py	app	/src/app.py	1	<module>' 'fn	2	py	app	/src/app.py	4	waiter' \
	    'fn	3	py	app	/src/app.py	6	worker' \
	    'node	1	0	1	0	1	1600	500	100	10' 'node	2	1	2	2	1	1000	10	1000	10' \
	    'node	3	1	3	3	1	500	480	500	480' 'end	11	1600	500' >two.pcg
	pcg-filter --min-incl 10% two.pcg >w.pcg || die "the stream is bad: $(pcg-filter two.pcg 2>&1)"
	grep -q 'waiter$' w.pcg || die "by wall time (10% of 1600), waiter (1000) stays"
	pcg-filter --min-incl 10% --cost wall two.pcg | cmp - w.pcg || die "--cost wall is the default"
	pcg-filter --min-incl 10% --cost cpu two.pcg >c.pcg
	! grep -q 'waiter$' c.pcg || die "by cpu time (10% of 500), waiter (10) goes"
	grep -q 'worker$' c.pcg || die "worker (480) stays"
	# its cost is <module>'s self now, in both columns; totals unchanged
	run awk -F'\t' '$1 == "node" && $4 == 1 { print $7, $8, $9, $10 } $1 == "end" { print $3, $4 }' c.pcg
	[ "${lines[0]}" = "1600 500 1100 20" ] && [ "${lines[1]}" = "1600 500" ] || die "$output"
	pcg-filter --min-self 20ns --cost cpu two.pcg | grep -q 'waiter$' && die "20ns of cpu: waiter (10) goes"
	run pcg-filter --min-self 1% --cost nope two.pcg
	[ "$status" -eq 1 ] && [ "$output" = "pcg-filter: two.pcg: --cost nope: no such cost column" ] || die "$status: $output"
	run pcg-filter --cost cpu two.pcg
	[ "$status" -eq 2 ] && [[ "$output" == *"give --min-incl or --min-self"* ]] || die "$status: $output"
	sed 's/^cost	cpu	ns$/cost	cpu	ticks/' two.pcg >ticks.pcg
	run pcg-filter --min-self 1us --cost cpu ticks.pcg
	[ "$status" -eq 1 ] && [[ "$output" == *"not in ns"* ]] || die "$status: $output"
	pcg-filter --min-self 1% --cost cpu ticks.pcg >/dev/null || die "a percentage needs no unit"
}

@test "--focus keeps the outermost subtrees of a function, as roots" {
	pcg-filter --focus main "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "990 990" ]
	! grep -q '<module>' "$BATS_TEST_TMPDIR/out.pcg"
	pcg-filter --focus __main__:default "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
	# three contexts in two threads: one root per thread
	[ "$(callers "$BATS_TEST_TMPDIR/out.pcg" default)" = "$(printf -- '-:0\n-:0')" ]
	[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "680 680" ]
	# recursion inside the subtree stays
	pcg-filter --focus _iterencode "$APP" | grep -q "$(printf '^rec\t1\t1\t320\t10\t0$')"
	# a focused function is never dropped
	pcg-filter --focus main --drop __main__ "$APP" | grep -q 'main$'
	run pcg-filter --focus nosuch "$APP"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nosuch"* ]]
}

@test "idempotent: filtering twice equals filtering once, byte for byte" {
	for o in --drop-stdlib --drop-builtins "--keep __main__" "--drop threading" "--min-self 100" \
		"--min-incl 20%" "--focus main --drop-stdlib" "--drop-stdlib --drop-builtins --min-incl 30%" \
		"--focus default --min-self 300"; do
		pcg-filter $o "$APP" >"$BATS_TEST_TMPDIR/1.pcg"
		pcg-filter $o "$BATS_TEST_TMPDIR/1.pcg" >"$BATS_TEST_TMPDIR/2.pcg"
		cmp "$BATS_TEST_TMPDIR/1.pcg" "$BATS_TEST_TMPDIR/2.pcg" || die "$o: not idempotent"
	done
}

@test "the order of options does not matter" {
	pcg-filter --drop-stdlib --drop-builtins --drop requests --min-incl 5% --focus main "$APP" >"$BATS_TEST_TMPDIR/a.pcg"
	pcg-filter --focus main --min-incl 5% --drop requests --drop-builtins --drop-stdlib "$APP" >"$BATS_TEST_TMPDIR/b.pcg"
	pcg-filter --drop requests --focus=main --drop-builtins --min-incl=5% --drop-stdlib "$APP" >"$BATS_TEST_TMPDIR/c.pcg"
	cmp "$BATS_TEST_TMPDIR/a.pcg" "$BATS_TEST_TMPDIR/b.pcg"
	cmp "$BATS_TEST_TMPDIR/a.pcg" "$BATS_TEST_TMPDIR/c.pcg"
	grep -q 'requests' "$APP"
	! grep -q 'requests' "$BATS_TEST_TMPDIR/a.pcg"
}

@test "filters compose in a pipeline" {
	pcg-filter --drop-stdlib --drop-builtins --drop requests "$APP" >"$BATS_TEST_TMPDIR/once.pcg"
	pcg-filter --drop-stdlib "$APP" | pcg-filter --drop-builtins | pcg-filter --drop requests -o "$BATS_TEST_TMPDIR/piped.pcg"
	cmp "$BATS_TEST_TMPDIR/once.pcg" "$BATS_TEST_TMPDIR/piped.pcg"
	pcg-filter --drop-builtins "$REC" | pcg-filter --focus walk | cmp - <(pcg-filter --drop-builtins --focus walk "$REC")
}

@test "the events layer is read and filtered like its profile" {
	printf 'pcg\t1\tevents\nmeta\tstdlib\t/lib/py\ncost\twall\tns\nthread\t1\t9\tMainThread\n' >"$BATS_TEST_TMPDIR/ev.pcg"
	printf 'fn\t1\tpy\t__main__\t/a.py\t1\tmain\nfn\t2\tpy\tjson\t/lib/py/json/__init__.py\t1\tdumps\n' >>"$BATS_TEST_TMPDIR/ev.pcg"
	printf 'fn\t3\tpy\t__main__\t/a.py\t5\tcb\n' >>"$BATS_TEST_TMPDIR/ev.pcg"
	printf 'c\t1\t1\t0\t0\nc\t1\t2\t3\t10\nc\t1\t3\t7\t15\nr\t1\t45\nr\t1\t60\nr\t1\t100\nend\t13\t100\n' >>"$BATS_TEST_TMPDIR/ev.pcg"
	pcg-filter --drop-stdlib "$BATS_TEST_TMPDIR/ev.pcg" >"$BATS_TEST_TMPDIR/out.pcg"
	[ "$(callers "$BATS_TEST_TMPDIR/out.pcg" cb)" = "main:3" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" cb)" = "1 30 30" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" main)" = "1 100 70" ]
}

@test "bad options are usage errors (status 2); bad input is status 1" {
	for o in "--drop=" "--keep ''" "--min-incl 101%" "--min-incl abc" "--min-self 5x" "--min-self 1.2345678%" \
		"--min-incl -1" "--min-self 0.5ms" "--focus :" "--drop :x" "--bogus"; do
		eval "run pcg-filter $o \"\$APP\""
		[ "$status" -eq 2 ] || die "$o: status $status"
		[[ "$output" == *pcg-filter* ]] || die "$o: '$output'"
	done
	run pcg-filter "$APP" "$APP"
	[ "$status" -eq 2 ]
	run pcg-filter --drop
	[ "$status" -eq 2 ]
	[[ "$output" == *"option '--drop' requires an argument"*"usage: pcg-filter "* ]] || die "$output"
	printf 'pcg\t1\tprofile\ncost\twall\tns\nnode\t1\n' >"$BATS_TEST_TMPDIR/bad.pcg"
	run pcg-filter "$BATS_TEST_TMPDIR/bad.pcg"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad.pcg:3:"* ]]
	run pcg-filter "$BATS_TEST_TMPDIR/nonexistent.pcg"
	[ "$status" -eq 1 ]
}

@test "GNU options: after the operand, -oFILE, --opt value and --opt=value, --" {
	cd "$BATS_TEST_TMPDIR"
	pcg-filter --drop-stdlib --drop requests -o want "$APP"
	pcg-filter "$APP" --drop requests -owant2 --drop-stdlib
	cmp want want2
	pcg-filter "$APP" --drop=requests --drop-stdlib -o want2
	cmp want want2
	cp "$APP" ./-app
	pcg-filter --drop-stdlib --drop requests -o want2 -- -app
	cmp want want2
	run pcg-filter "$APP" --drop-stdlib --no-such-option
	[ "$status" -eq 2 ] && [[ "$output" == *"usage: pcg-filter "* ]] || die "$status: $output"
	run pcg-filter -- "$APP" -app
	[ "$status" -eq 2 ] || die "two operands: status $status"
}

@test "-o writes the file only when everything succeeded" {
	pcg-filter --drop-stdlib -o "$BATS_TEST_TMPDIR/out.pcg" "$APP"
	cmp "$BATS_TEST_TMPDIR/out.pcg" "$DATA/filter-app.drop-stdlib.pcg"
	run pcg-filter --focus nosuch -o "$BATS_TEST_TMPDIR/no.pcg" "$APP"
	[ "$status" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/no.pcg" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep -v '\.pcg$')" ]
}

@test "callgrind_annotate reads a filtered profile; inclusive costs stay within the total" {
	command -v pcg-emit >/dev/null || skip "pcg-emit not built"
	command -v callgrind_annotate >/dev/null || skip "no callgrind_annotate"
	pcg-filter --drop-stdlib --drop-builtins "$APP" | pcg-emit -o "$BATS_TEST_TMPDIR/cg.out"
	run callgrind_annotate --inclusive=yes "$BATS_TEST_TMPDIR/cg.out"
	[ "$status" -eq 0 ]
	[[ "$output" != *malformed* ]]
	[[ "$output" == *"1,500"* ]]
	[[ "$output" == *"app.py:main"* || "$output" == *"main"* ]]
	[[ "$output" != *"json"* ]]
}

# Real traces: the recorder must exist; then every installed Python is tried.
trace() {
	command -v pcg-trace >/dev/null || skip "build/bin/pcg-trace not built: no real traces tested"
	pcg-trace -o "$2" "$1" "$BATS_TEST_DIRNAME/py/filter_callbacks.py" >/dev/null || die "$1: pcg-trace failed"
}

@test "real trace: callbacks through the stdlib are direct callees with their own cost" {
	command -v pcg-trace >/dev/null || skip "build/bin/pcg-trace not built: no real traces tested"
	n=0
	for py in $(pythons); do
		trace "$py" "$BATS_TEST_TMPDIR/t.pcg"
		pcg-filter --drop-stdlib --drop-builtins "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/f.pcg"
		for cb in use_sorted:sort_key use_json:to_json use_map:square use_reduce:add; do
			user=${cb%%:*} fn=__main__:${cb#*:}
			[ "$(callers "$BATS_TEST_TMPDIR/f.pcg" "$fn" | sed 's/:.*//' | sort -u)" = "$user" ] ||
				die "$py: $fn called from $(callers "$BATS_TEST_TMPDIR/f.pcg" "$fn")"
			# calls and inclusive cost exactly; self too unless it called a builtin
			a=$(fnstat "$BATS_TEST_TMPDIR/t.pcg" "$fn") b=$(fnstat "$BATS_TEST_TMPDIR/f.pcg" "$fn")
			[ "${a% *}" = "${b% *}" ] || die "$py: $fn: $a before, $b after"
			[ "$fn" = __main__:to_json ] || [ "$a" = "$b" ] || die "$py: $fn: self $a before, $b after"
		done
		# to_json called sorted(), a builtin: its self grew by what sorted took
		a=$(fnstat "$BATS_TEST_TMPDIR/t.pcg" __main__:to_json) b=$(fnstat "$BATS_TEST_TMPDIR/f.pcg" __main__:to_json)
		[ "${b##* }" -gt "${a##* }" ] || die "$py: to_json self $a -> $b"
		# the thread's target is a root of its thread, beside the synthetic leaf
		[ "$(callers "$BATS_TEST_TMPDIR/f.pcg" __main__:work)" = "-:0" ] ||
			die "$py: work from $(callers "$BATS_TEST_TMPDIR/f.pcg" __main__:work)"
		[ "$(fnstat "$BATS_TEST_TMPDIR/t.pcg" __main__:work)" = "$(fnstat "$BATS_TEST_TMPDIR/f.pcg" __main__:work)" ]
		[ "$(totals "$BATS_TEST_TMPDIR/t.pcg" | cut -d' ' -f1)" = "$(totals "$BATS_TEST_TMPDIR/f.pcg" | cut -d' ' -f1)" ]
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no python3 found"
}

# A real trace (tests/py/filter_callbacks.py) on which --min-self 50us left a
# root whose self alone was above its arc and more to take back than the
# thread's largest root had room for: the roots got 0.5 % more than the total.
@test "filter: roots add up to the total when --min-self raises a small root (taken from every root with room)" {
	local o t
	t=$(totals "$DATA/filter-minself-roots.pcg" | cut -d' ' -f1)
	for o in "--min-self 50us" "--min-self 200us" "--min-incl 1%" "--min-incl 5%" --drop-stdlib --drop-builtins; do
		pcg-filter $o "$DATA/filter-minself-roots.pcg" > "$BATS_TEST_TMPDIR/out.pcg" || die "$o: failed"
		[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "$t $t" ] || die "$o: roots and selfs $(totals "$BATS_TEST_TMPDIR/out.pcg"), total $t"
	done
}

@test "real trace: totals, calls, idempotence, order and pipelines" {
	command -v pcg-trace >/dev/null || skip "build/bin/pcg-trace not built: no real traces tested"
	py=$(pythons | head -1)
	[ -n "$py" ] || skip "no python3 found"
	trace "$py" "$BATS_TEST_TMPDIR/t.pcg"
	t=$(totals "$BATS_TEST_TMPDIR/t.pcg" | cut -d' ' -f1)
	for o in --drop-stdlib --drop-builtins "--drop-stdlib --drop-builtins" "--keep __main__" "--min-incl 1%" "--min-self 50us"; do
		pcg-filter $o "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/1.pcg"
		[ "$(totals "$BATS_TEST_TMPDIR/1.pcg")" = "$t $t" ] || die "$o: totals"
		same_calls "$BATS_TEST_TMPDIR/t.pcg" "$BATS_TEST_TMPDIR/1.pcg" || die "$o: calls"
		pcg-filter $o "$BATS_TEST_TMPDIR/1.pcg" | cmp - "$BATS_TEST_TMPDIR/1.pcg" || die "$o: not idempotent"
	done
	pcg-filter --drop-builtins --min-incl 1% --drop-stdlib "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/a.pcg"
	pcg-filter --drop-stdlib "$BATS_TEST_TMPDIR/t.pcg" | pcg-filter --drop-builtins | pcg-filter --min-incl 1% |
		cmp - "$BATS_TEST_TMPDIR/a.pcg"
	if command -v pcg-emit >/dev/null && command -v callgrind_annotate >/dev/null; then
		pcg-emit -o "$BATS_TEST_TMPDIR/cg.out" "$BATS_TEST_TMPDIR/a.pcg"
		run callgrind_annotate --inclusive=yes "$BATS_TEST_TMPDIR/cg.out"
		[ "$status" -eq 0 ]
		[[ "$output" == *use_json* ]]
	fi
}

# "FUNCTION CALLS TIME SELF" for every kept function: calls, time on the
# stack and self cost.
kept() {
	awk -F'\t' "$FNID"'
	$1 == "cost" { k++ }
	$1 == "node" { fn[$2] = $4; c[name[$4]] += $6; s[name[$4]] += $(7 + k); t[name[$4]] += $(7 + k); if ($3) t[name[fn[$3]]] += $7 }
	$1 == "rec" { t[name[fn[$2]]] += $6; c[name[fn[$3]]] += $5 }
	END { for (f in c) printf "%s %.0f %.0f %.0f\n", f, c[f], t[f], s[f] }' "$1" | grep -v '^c:pcg::0:(filtered) ' | sort
}

# The oracle (tests/py/filter_oracle.py) drops the frames from the raw events
# $1 and measures each kept function's calls and time on the stack; the
# profile $2 must agree exactly.  $3...: the oracle's options.
# ORACLECOLS=1-4 compares self costs too.
oracle() {
	local ev=$1 out=$2 cols=${ORACLECOLS:-1-3}
	shift 2
	"$ORACLEPY" "$BATS_TEST_DIRNAME/py/filter_oracle.py" "$@" "$ev" | cut -d' ' -f"$cols" >"$BATS_TEST_TMPDIR/o.want"
	[ -s "$BATS_TEST_TMPDIR/o.want" ] || die "oracle: no kept function"
	kept "$out" | cut -d' ' -f"$cols" | diff "$BATS_TEST_TMPDIR/o.want" -
}

@test "real trace, events layer: nested imports pruned exactly: calls, self and time on the stack" {
	command -v pcg-trace >/dev/null || skip "build/bin/pcg-trace not built: no real traces tested"
	ORACLEPY=$(pythons | head -1)
	[ -n "$ORACLEPY" ] || skip "no python3 found"
	n=0
	for py in $(pythons); do
		say "$py"
		pcg-trace --events -o "$BATS_TEST_TMPDIR/t.pcg" "$py" "$BATS_TEST_DIRNAME/py/filter_imports.py" >/dev/null ||
			die "$py: pcg-trace failed"
		pcg-filter "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/p.pcg"
		t=$(totals "$BATS_TEST_TMPDIR/p.pcg" | cut -d' ' -f1)
		for o in --drop-stdlib --drop-builtins "--drop-stdlib --drop-builtins" "--keep __main__"; do
			pcg-filter $o "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/f.pcg"
			ORACLECOLS=1-4 oracle "$BATS_TEST_TMPDIR/t.pcg" "$BATS_TEST_TMPDIR/f.pcg" $o ||
				die "$py $o: differs from the oracle"
			[ "$(totals "$BATS_TEST_TMPDIR/f.pcg")" = "$t $t" ] || die "$py $o: totals"
			pcg-filter $o "$BATS_TEST_TMPDIR/f.pcg" | cmp - "$BATS_TEST_TMPDIR/f.pcg" || die "$py $o: not idempotent"
		done
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no python3 found"
}

@test "events layer: a dropped root, a dropped generator, frames open at the end, threads" {
	ORACLEPY=$(pythons | head -1)
	[ -n "$ORACLEPY" ] || skip "no python3 found"
	e="$BATS_TEST_TMPDIR/ev.pcg"
	printf 'pcg\t1\tevents\nmeta\tstdlib\t/lib/py\ncost\twall\tns\nthread\t1\t9\tMainThread\nthread\t2\t8\tT\n' >"$e"
	printf 'fn\t1\tpy\tthreading\t/lib/py/threading.py\t1\trun\nfn\t2\tpy\t__main__\t/a.py\t1\twork\n' >>"$e"
	printf 'fn\t3\tpy\tjson\t/lib/py/json/__init__.py\t1\tgen\nfn\t4\tpy\t__main__\t/a.py\t5\tcb\n' >>"$e"
	# thread 1: work calls gen (dropped generator) at 3, which calls cb at 9;
	# gen yields, work resumes it at 4, it returns; work is open at the end.
	# thread 2: run (dropped root) calls work at 7, which calls cb at 2.
	printf 'c\t1\t2\t0\t0\nc\t1\t3\t3\t10\nc\t1\t4\t9\t12\nr\t1\t20\ny\t1\t25\n' >>"$e"
	printf 'c\t2\t1\t0\t5\nc\t2\t2\t7\t15\nc\t2\t4\t2\t20\nr\t2\t30\nr\t2\t50\n' >>"$e"
	printf 's\t1\t3\t4\t40\nr\t1\t45\nr\t2\t60\nend\t22\t100\n' >>"$e"
	pcg-filter --drop-stdlib "$e" >"$BATS_TEST_TMPDIR/out.pcg"
	ORACLECOLS=1-4 oracle "$e" "$BATS_TEST_TMPDIR/out.pcg" --drop-stdlib
	# cb above the generator: at the line work entered it; in thread 2 work is a root
	[ "$(callers "$BATS_TEST_TMPDIR/out.pcg" cb)" = "$(printf 'work:2\nwork:3')" ]
	[ "$(callers "$BATS_TEST_TMPDIR/out.pcg" work)" = "$(printf -- '-:0\n-:0')" ]
	# work: 100 + 35 on the stack, the generator's own 2 + 5 its self; run's 10 + 10 the stand-in's
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" work)" = "2 135 117" ]
	[ "$(fnstat "$BATS_TEST_TMPDIR/out.pcg" '(filtered)')" = "1 20 20" ]
	[ "$(totals "$BATS_TEST_TMPDIR/out.pcg")" = "155 155" ]
	pcg-filter --drop-stdlib "$BATS_TEST_TMPDIR/out.pcg" | cmp - "$BATS_TEST_TMPDIR/out.pcg"
}

@test "real trace: nested imports: every kept function keeps its calls and time on the stack exactly" {
	command -v pcg-trace >/dev/null || skip "build/bin/pcg-trace not built: no real traces tested"
	ORACLEPY=$(pythons | head -1)
	[ -n "$ORACLEPY" ] || skip "no python3 found"
	n=0
	for py in $(pythons); do
		# the events layer: the raw call/return stream the oracle filters itself
		pcg-trace --events -o "$BATS_TEST_TMPDIR/t.pcg" "$py" "$BATS_TEST_DIRNAME/py/filter_imports.py" >/dev/null ||
			die "$py: pcg-trace failed"
		pcg-filter "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/p.pcg"
		t=$(totals "$BATS_TEST_TMPDIR/p.pcg" | cut -d' ' -f1)
		for o in --drop-stdlib --drop-builtins "--drop-stdlib --drop-builtins"; do
			pcg-filter $o "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/f.pcg"
			oracle "$BATS_TEST_TMPDIR/t.pcg" "$BATS_TEST_TMPDIR/f.pcg" $o || die "$py $o: differs from the oracle"
		done
		# drops decided by patterns and thresholds: the oracle drops what is gone.
		# (Not --min-self 20us: a threshold applies to the folded profile, where
		# time on the stack can move by microseconds: pcg-filter(1).)
		for o in "--keep __main__" "--min-incl 1%"; do
			pcg-filter $o "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/f.pcg"
			oracle "$BATS_TEST_TMPDIR/t.pcg" "$BATS_TEST_TMPDIR/f.pcg" --keep-from "$BATS_TEST_TMPDIR/f.pcg" ||
				die "$py $o: differs from the oracle"
		done
		for o in --drop-stdlib --drop-builtins "--min-incl 1%"; do
			pcg-filter $o "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/f.pcg"
			onstack "$BATS_TEST_TMPDIR/f.pcg" | awk -v t="$t" '$2 > t { print; bad = 1 } END { exit bad }' ||
				die "$py $o: above 100%"
			[ "$(totals "$BATS_TEST_TMPDIR/f.pcg")" = "$t $t" ] || die "$py $o: totals"
			pcg-filter $o "$BATS_TEST_TMPDIR/f.pcg" | cmp - "$BATS_TEST_TMPDIR/f.pcg" || die "$py $o: not idempotent"
		done
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no python3 found"
}

@test "real trace: a recursion through sum() and a generator: calls, time on the stack and self exactly" {
	command -v pcg-trace >/dev/null || skip "build/bin/pcg-trace not built: no real traces tested"
	ORACLEPY=$(pythons | head -1)
	[ -n "$ORACLEPY" ] || skip "no python3 found"
	n=0
	for py in $(pythons); do
		pcg-trace --events -o "$BATS_TEST_TMPDIR/t.pcg" "$py" "$BATS_TEST_DIRNAME/py/filter_genrec.py" >/dev/null ||
			die "$py: pcg-trace failed"
		pcg-filter --drop-builtins "$BATS_TEST_TMPDIR/t.pcg" >"$BATS_TEST_TMPDIR/f.pcg"
		ORACLECOLS=1-4 oracle "$BATS_TEST_TMPDIR/t.pcg" "$BATS_TEST_TMPDIR/f.pcg" --drop-builtins || die "$py: differs from the oracle"
		grep -q 'size$' "$BATS_TEST_TMPDIR/f.pcg" || die "$py: no size()"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no python3 found"
}

@test "random events streams: every kept function keeps its calls, time on the stack and self exactly" {
	ORACLEPY=$(pythons | head -1)
	[ -n "$ORACLEPY" ] || skip "no python3 found"
	for seed in $(seq 1 60); do
		"$ORACLEPY" "$BATS_TEST_DIRNAME/py/filter_random.py" "$seed" >"$BATS_TEST_TMPDIR/e.pcg"
		for o in --drop-stdlib --drop-builtins "--drop app" "--drop-stdlib --drop-builtins" "--min-incl 10%"; do
			pcg-filter $o "$BATS_TEST_TMPDIR/e.pcg" >"$BATS_TEST_TMPDIR/f.pcg" || die "seed $seed $o: failed"
			# patterns prune the events themselves: self costs are exact too
			cols=1-4
			[ "$o" != "--min-incl 10%" ] || cols=1-3
			ORACLECOLS=$cols oracle "$BATS_TEST_TMPDIR/e.pcg" "$BATS_TEST_TMPDIR/f.pcg" --keep-from "$BATS_TEST_TMPDIR/f.pcg" ||
				die "seed $seed $o: differs from the oracle"
		done
	done
}

# Time inside the outermost frames of function NAME of an events stream
# (one thread, first cost column), from the raw calls and returns.
outermost() {
	awk -F'\t' -v want="$2" '
	$1 == "fn" && $7 == want { w[$2] = 1 }
	$1 == "c" || $1 == "s" { d++; if (w[$3] && !at) { at = d; t0 = $NF } }
	$1 == "r" || $1 == "y" { if (at == d) { tot += $NF - t0; at = 0 } d-- }
	END { print tot + 0 }' "$1"
}

@test "--focus through a dispatcher the focus re-enters: exact on the events layer, refused on a profile" {
	local py want ev="$BATS_TEST_TMPDIR/ev" full="$BATS_TEST_TMPDIR/full" fe="$BATS_TEST_TMPDIR/fe"
	command -v pcg-trace >/dev/null || skip "build/bin/pcg-trace not built: no real traces tested"
	for py in $(pythons); do
		say "$py"
		pcg-trace -q --events -o "$ev" "$py" "$BATS_TEST_DIRNAME/py/filter_dispatch.py" || die "$py: pcg-trace failed"
		pcg-filter "$ev" >"$full"
		pcg-filter --focus work "$ev" >"$fe" || die "$py: --focus on the events layer failed"
		want=$(outermost "$ev" work)
		[ "$want" -gt 0 ] || die "$py: no time in work"
		# One root, work, holding the time work was on the stack, all of it
		# spent in work's subtree: the dispatcher and leaf under it.
		[ "$(totals "$fe")" = "$want $want" ] || die "$py: roots and self $(totals "$fe"), not $want"
		[ "$(callers "$fe" work)" = "-:0" ] || die "$py: work's nodes: $(callers "$fe" work)"
		[ "$(fnstat "$fe" work | cut -d' ' -f1)" = 12 ] || die "$py: work: $(fnstat "$fe" work) calls"
		[ "$(fnstat "$fe" dispatch | cut -d' ' -f1)" = 18 ] || die "$py: dispatch: $(fnstat "$fe" dispatch)"
		[ "$(fnstat "$fe" leaf | cut -d' ' -f1)" = 9 ] || die "$py: leaf: $(fnstat "$fe" leaf)"
		[ "$(callers "$fe" leaf | uniq)" = "dispatch:16" ] || die "$py: leaf's callers: $(callers "$fe" leaf)"
		# work's time on the stack is the unfiltered profile's
		[ "$(onstack "$fe" | grep ':work ' | cut -d' ' -f2)" = "$want" ] || die "$py: work on the stack"
		[ "$(onstack "$full" | grep ':work ' | cut -d' ' -f2)" = "$want" ] || die "$py: the oracle disagrees"
		# The profile layer folded the inner dispatch frames into the outer
		# dispatch context: it says so instead of losing most of work's time.
		run pcg-filter --focus work "$full"
		[ "$status" = 1 ] || die "$py: a profile focused through a re-entered dispatcher"
		[[ "$output" == "pcg-filter: $full: --focus: work calls dispatch, which was on the stack below the focus already:"*"(pcg-trace --events), which is exact" ]] ||
			die "$py: $output"
	done
}

@test "--focus on a profile: each root's inclusive cost is its function's time on the stack" {
	local f
	for f in main default _iterencode; do
		pcg-filter --focus "$f" "$APP" >"$BATS_TEST_TMPDIR/out.pcg"
		r=$(totals "$BATS_TEST_TMPDIR/out.pcg" | cut -d' ' -f1)
		[ "$r" = "$(onstack "$APP" | grep ":$f " | cut -d' ' -f2)" ] ||
			die "--focus $f: roots $r, on the stack $(onstack "$APP" | grep ":$f ")"
	done
}

# Roots of a profile, per thread: "ROOTS SELF FIT": the sum of the roots'
# INCL, of all self costs, and of the roots' self plus their calls' INCL
# (what pcg-emit writes as the thread's calls), and one line per root whose
# self plus calls exceed its INCL (its arc, which never pauses).
rootfit() {
	awk -F'\t' '
	$1 == "cost" { k++ }
	$1 == "thread" { t = $2 }
	$1 == "node" { s[t] += $(7 + k); if ($3 == 0) { root[$2] = t; r[t] += $7; inc[$2] = $7; own[$2] += $(7 + k) } else kid[$3] += $7 }
	$1 == "rec" { kid[$2] += $6 }
	END {
		for (n in root) { f[root[n]] += own[n] + kid[n]; if (own[n] + kid[n] > inc[n]) print "root " n ": " own[n] " + " kid[n] " > " inc[n] }
		for (t in s) print t, r[t], s[t], f[t]
	}' "$1"
}

@test "nested imports under dropped stdlib code: no root holds more than its arc, the thread never more than its total" {
	local p
	cd "$BATS_TEST_TMPDIR"
	# a package imported from runpy (python3 -m), whose modules import each
	# other with from-imports (importlib calls __import__ back) and
	# importlib.import_module, and run code and stdlib imports of their own
	mkdir pkg
	printf 'def work(n):\n    return sum(i * i for i in range(n))\nwork(20000)\nfrom pkg import a, b\n' >pkg/__init__.py
	printf 'import json, fractions\nfrom pkg import c, d\nf = lambda: json.dumps([fractions.Fraction(1, 3)] * 200, default=str)\nf()\n' >pkg/a.py
	printf 'from pkg import d\nimport importlib\ne = importlib.import_module("pkg.e")\nx = [d.g(i) for i in range(3000)]\n' >pkg/b.py
	printf 'import decimal\ndef h(): return decimal.Decimal(1) / 7\nh()\n' >pkg/c.py
	printf 'def g(i): return i %% 7\nfrom pkg import e\n' >pkg/d.py
	printf 'import email.parser\ny = sum(range(5000))\n' >pkg/e.py
	printf 'import pkg\n' >prog.py
	for p in $(pythons); do
		say "nested imports on $p"
		pcg-trace -q -o p.pcg "$p" -m prog || die "$p: trace failed"
		pcg-filter --drop-stdlib p.pcg >f.pcg
		out=$(rootfit f.pcg)
		read -r t roots self fit <<<"$(tail -1 <<<"$out")"
		[ "$roots" = "$self" ] && [ "$fit" -le "$self" ] && [ "$(wc -l <<<"$out")" -eq 1 ] ||
			die "$p: $out (thread: roots' INCL, self total, roots' self + calls)"
		pcg-emit -o cg f.pcg
		# from /: it strips the current directory from fl= names only
		(cd / && callgrind_annotate --inclusive=yes "$OLDPWD/cg") | grep -E '^ *[0-9,]+ \(' |
			awk '{ gsub(/[(%)]/, "", $2) } $2 + 0 > 100 { print; bad = 1 } END { exit bad }' >&2 ||
			die "$p: above 100% in callgrind_annotate"
		pcg-filter --drop-stdlib f.pcg | cmp - f.pcg || die "$p: a second pass changed it"
	done
}

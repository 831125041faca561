#!/usr/bin/env bats
# Line costs (format version 2) through the pipeline: the reader of both
# layers, merge, filter, emit.  The oracles are written here from the spec,
# sharing no code with common/: a replay of the events in awk, the sum rule
# checked in awk, and callgrind_annotate's own per-line annotation.
load common

EV="$DATA/lines-events.pcg" # two threads, two columns: C call, stdlib call with a callback, generator, recursion

setup() {
	cd "$BATS_TEST_TMPDIR"
	CAT="$PCG_BUILD/test/pcg-cat"
}

# The end record's line count put right after editing.
fixend() { awk -F'\t' -v OFS='\t' '$1 == "end" { $2 = NR - 1 } 1'; }

# replay EVENTS [DROP]: the self cost of each (file, line), from the events
# alone: every interval goes to the innermost frame's current line, a frame
# starts (call or resume) on its function's first line, an l event moves
# it.  Frames of functions whose module matches the regex DROP are not
# there: their time goes to the kept frame below, on the line it called
# the first of them from; the kept frame's own time stays on its lines.
replay() {
	awk -F'\t' -v drop="${2:-^$}" '
	function charge(t, i,  k, key) {
		if (!dep[t]) return
		for (k = 1; k <= K; k++) {
			key = file[top[t]] "\t" cur[t]
			cost[key, k] += $(i + k - 1) - last[t, k]
		}
		keys[file[top[t]] "\t" cur[t]] = 1
	}
	function stamp(t, i,  k) { for (k = 1; k <= K; k++) last[t, k] = $(i + k - 1) }
	# the innermost kept frame: its function and line
	function retop(t,  d) {
		for (d = dep[t]; d > 0 && gone[t, d]; d--) ;
		top[t] = d ? fr[t, d] : 0
		cur[t] = d ? ln[t, d] : 0
		kept[t] = d
	}
	$1 == "cost" { K++ }
	$1 == "fn" { file[$2] = $5; first[$2] = $6; dropped[$2] = $4 ~ drop }
	$1 == "c" || $1 == "s" {
		t = $2; charge(t, 5); stamp(t, 5)
		# a dropped chain entered from a kept frame: its time goes on
		# the line of that call, then the kept frame goes on from its own
		if (dropped[$3] && dep[t] && !gone[t, dep[t]]) { back[t, dep[t] + 1] = ln[t, dep[t]]; ln[t, dep[t]] = $4 }
		d = ++dep[t]; fr[t, d] = $3; ln[t, d] = first[$3]; gone[t, d] = dropped[$3]
		retop(t); next
	}
	$1 == "r" || $1 == "y" {
		t = $2; charge(t, 3); stamp(t, 3)
		if ((t, dep[t]) in back) { ln[t, dep[t] - 1] = back[t, dep[t]]; delete back[t, dep[t]] }
		dep[t]--; retop(t); next
	}
	$1 == "l" {
		t = $2; charge(t, 4); stamp(t, 4)
		if (!gone[t, dep[t]]) { ln[t, dep[t]] = $3; cur[t] = $3 }
		next
	}
	$1 == "end" { for (t in dep) charge(t, 3) } # frames open close at the end
	END {
		for (key in keys) {
			s = key; z = 1
			for (k = 1; k <= K; k++) { s = s "\t" cost[key, k]; if (cost[key, k]) z = 0 }
			if (!z) print s
		}
	}' "$1" | sort
}

# plines PROFILE: the same from a profile layer stream: each node's line
# records, or its self on its function's first line without any.
plines() {
	awk -F'\t' '
	function flush(  k, s) {
		if (!n || nl) return
		add(file[fnof], first[fnof], self)
	}
	function add(f, l, v,  k, key, a) {
		split(v, a, " ")
		key = f "\t" l; keys[key] = 1
		for (k = 1; k <= K; k++) cost[key, k] += a[k]
	}
	$1 == "cost" { K++ }
	$1 == "fn" { file[$2] = $5; first[$2] = $6 }
	$1 == "node" {
		flush(); n = $2; nl = 0; fnof = $4; self = ""
		for (k = 1; k <= K; k++) self = self " " $(6 + K + k)
		next
	}
	$1 == "line" {
		nl++; v = ""
		for (k = 1; k <= K; k++) v = v " " $(3 + k)
		add(file[fnof], $3, v); next
	}
	{ flush(); n = 0 }
	END {
		for (key in keys) {
			s = key; z = 1
			for (k = 1; k <= K; k++) { s = s "\t" cost[key, k]; if (cost[key, k]) z = 0 }
			if (!z) print s
		}
	}' "$1" | sort
}

# sumrule PROFILE: a node's line records come right after it, lines
# increasing, and add up to its self cost in every column.
sumrule() {
	awk -F'\t' '
	function check(  k) {
		if (!n || !nl) return
		for (k = 1; k <= K; k++)
			if (sum[k] != self[k]) { print "node " n " column " k ": lines " sum[k] " self " self[k]; bad = 1 }
	}
	$1 == "cost" { K++ }
	$1 == "node" {
		check(); n = $2; nl = 0; prev = -1
		for (k = 1; k <= K; k++) { self[k] = $(6 + K + k); sum[k] = 0 }
		next
	}
	$1 == "line" {
		if ($2 != n) { print NR ": line record of node " $2 " after node " n; bad = 1 }
		if ($3 <= prev) { print NR ": line " $3 " after " prev; bad = 1 }
		prev = $3; nl++; lines++
		for (k = 1; k <= K; k++) sum[k] += $(3 + k)
		next
	}
	{ check(); n = 0 }
	END { if (!lines) { print "no line records"; bad = 1 } exit bad }' "$1"
}

# strip: a version 2 profile without its line records, as version 1.
strip() { awk -F'\t' -v OFS='\t' 'NR == 1 { $2 = 1 } $1 != "line"' "$@" | fixend; }

# tov2: a version 1 profile with its nodes' self split over two lines: a
# third (rounded down) on the function's first line + 2, the rest on it.
tov2() {
	awk -F'\t' -v OFS='\t' '
	NR == 1 { $2 = 2 }
	$1 == "cost" { K++ }
	$1 == "fn" { first[$2] = $6 }
	{ print }
	$1 == "node" {
		a = ""; b = ""; any = 0
		for (k = 1; k <= K; k++) {
			s = $(6 + K + k); t = int(s / 3)
			a = a "\t" (s - t); b = b "\t" t; if (t) any = 1
		}
		if (any) { print "line", $2, first[$4] a; print "line", $2, first[$4] + 2 b }
	}' "$@" | fixend
}

# rejects TEXT LINE WHAT: pcg-cat refuses the stream (printf TEXT) at LINE.
rejects() {
	printf "$1" >s.pcg
	run "$CAT" s.pcg
	[ "$status" -eq 1 ] || die "status $status, expected 1: $output"
	[[ "$output" == "pcg-cat: s.pcg:$2: "*"$3"* ]] || die "expected 's.pcg:$2: ...$3...', got: $output"
}

@test "lines: an events stream's line costs are those of a replay of its events" {
	"$CAT" "$EV" >p.pcg
	head -1 p.pcg | grep -qx "$(printf 'pcg\t2\tprofile')"
	sumrule p.pcg
	replay "$EV" >want
	plines p.pcg >got
	diff -u want got
	# recursion: the re-entered frame started again on fib's first line (40)
	grep -qx "$(printf '/app/main.py\t40\t2\t2')" got
	# a resumed generator starts on its first line too (30: 1 before, 1 after the resume)
	grep -qx "$(printf '/app/main.py\t30\t2\t2')" got
}

@test "lines: a profile with line costs reads and writes back byte for byte" {
	"$CAT" "$EV" >p.pcg
	"$CAT" p.pcg | cmp - p.pcg
	pcg-filter p.pcg | cmp - p.pcg
	# node 5, len (C, first line 0), has no line records: all its self is
	# on line 0; written out, that and a line without cost are left out
	! awk -F'\t' '$1 == "line" && $2 == 5' p.pcg | grep -q .
	awk -F'\t' -v OFS='\t' '{ print } $1 == "node" && $2 == 5 { print "line", 5, 0, 3, 2; print "line", 5, 7, 0, 0 }' \
	    p.pcg | fixend >q.pcg
	"$CAT" q.pcg | cmp - p.pcg
}

@test "lines: version 1 streams read and write as before; line costs change nothing else" {
	local f n=0
	for f in "$DATA"/*.pcg; do
		case "$f" in */*bad*|*/lines-*) continue ;; esac
		head -1 "$f" | grep -q "$(printf '^pcg\t1\t')" || continue
		"$CAT" "$f" >v1.pcg
		head -1 v1.pcg | grep -q "$(printf '^pcg\t1\t')" || die "$f: not version 1 any more"
		! grep -q "$(printf '^line\t')" v1.pcg || die "$f: line records from version 1"
		grep -q "$(printf '^node\t')" v1.pcg || continue
		tov2 v1.pcg >v2.pcg
		"$CAT" v2.pcg >w.pcg
		cmp w.pcg v2.pcg || die "$f: version 2 not canonical"
		strip w.pcg | cmp - v1.pcg || die "$f: line records changed something else"
		n=$((n + 1))
	done
	[ "$n" -ge 8 ] || die "only $n files tried"
}

@test "lines: bad line records and line events are rejected at their line" {
	local H='pcg\t2\tprofile\ncost\twall\tns\ncost\tcpu\tns\nthread\t1\t1\tM\nfn\t1\tpy\tm\t/f.py\t1\tf\n'
	local N='node\t1\t0\t1\t0\t1\t9\t9\t9\t9\n'
	printf "${H}${N}line\t1\t1\t4\t4\nline\t1\t2\t5\t5\nend\t8\t9\t9\n" >ok.pcg
	"$CAT" ok.pcg | cmp - ok.pcg
	rejects "${H/pcg\\t2/pcg\\t1}${N}line\t1\t1\t9\t9\nend\t7\t9\t9\n" 7 "line record in a version 1 stream"
	rejects "${H}line\t1\t1\t9\t9\n${N}end\t7\t9\t9\n" 6 "not right after"
	rejects "${H}${N}node\t2\t1\t1\t5\t1\t0\t0\t0\t0\nline\t1\t1\t9\t9\nend\t8\t9\t9\n" 8 "right after node 2"
	rejects "${H}${N}rec\t1\t1\t3\t1\t0\t0\nline\t1\t1\t9\t9\nend\t8\t9\t9\n" 8 "not right after"
	rejects "${H}${N}line\t1\t2\t4\t4\nline\t1\t2\t5\t5\nend\t8\t9\t9\n" 8 "lines must increase"
	rejects "${H}${N}line\t1\t2\t4\t4\nline\t1\t1\t5\t5\nend\t8\t9\t9\n" 8 "lines must increase"
	rejects "${H}${N}line\t1\t1\t4\t4\nline\t1\t2\t5\t4\nend\t8\t9\t9\n" 8 "sum to 8 in cost column 2, its self cost is 9"
	rejects "${H}${N}line\t1\t1\t4\t5\nline\t1\t2\t6\t4\nend\t8\t9\t9\n" 8 "sum to 10 in cost column 1"
	rejects "${H}${N}line\t1\t1\t18446744073709551615\t4\nline\t1\t2\t6\t4\nend\t8\t9\t9\n" 8 "more than 64 bits"
	rejects "${H}${N}line\t1\t1\t9\nend\t7\t9\t9\n" 7 "line record has 4 fields, expected 5"
	rejects "${H}${N}line\t0\t1\t9\t9\nend\t7\t9\t9\n" 7 "line record for node 0"
	local E='pcg\t2\tevents\ncost\twall\tns\nthread\t1\t1\tM\nfn\t1\tpy\tm\t/f.py\t1\tf\n'
	printf "${E}c\t1\t1\t0\t0\nl\t1\t2\t5\nr\t1\t6\nend\t7\t6\n" >ok.pcg
	"$CAT" ok.pcg | grep -q "$(printf '^line\t1\t2\t1$')"
	rejects "${E/pcg\\t2/pcg\\t1}c\t1\t1\t0\t0\nl\t1\t2\t5\nr\t1\t6\nend\t8\t6\n" 6 "line event in a version 1 stream"
	rejects "${E}l\t1\t2\t5\nend\t6\t6\n" 5 "line event with no frame open in thread 1"
	rejects "${E}c\t1\t1\t0\t0\nr\t1\t3\nl\t1\t2\t5\nend\t8\t6\n" 7 "line event with no frame open"
	rejects "${E}c\t1\t1\t0\t7\nl\t1\t2\t5\nend\t7\t9\n" 6 "time goes backwards"
	rejects "${E}c\t1\t1\t0\t0\nl\t2\t2\t5\nend\t7\t9\n" 6 "undefined thread id 2"
	rejects "${E}c\t1\t1\t0\t0\nl\t1\t5\nend\t7\t9\n" 6 "l record has 3 fields, expected 4"
	rejects "${E}c\t1\t1\t0\t0\nline\t1\t2\t5\nend\t7\t9\n" 6 "unknown record 'line' in an events layer"
	rejects "${H}${N}l\t1\t2\t5\t5\nend\t7\t9\t9\n" 7 "unknown record 'l' in a profile layer"
	rejects 'pcg\t3\tevents\ncost\twall\tns\nend\t2\t0\n' 1 "reads 1 and 2"
}

@test "lines: merge adds line costs; version 1 self goes on the first line; --mean keeps the sum rule" {
	"$CAT" "$EV" >p.pcg
	pcg-merge p.pcg p.pcg >pp.pcg
	sumrule pp.pcg
	# every line record doubled, nothing else moved
	diff <(grep "$(printf '^line\t')" p.pcg | awk -F'\t' -v OFS='\t' '{ $4 *= 2; $5 *= 2 } 1') \
	     <(grep "$(printf '^line\t')" pp.pcg)
	# version 1 + version 2: version 2, the v1 self on the function's first line
	strip p.pcg >v1.pcg
	pcg-merge v1.pcg p.pcg >m.pcg
	head -1 m.pcg | grep -qx "$(printf 'pcg\t2\tprofile')"
	sumrule m.pcg
	# work (first line 10): 2 of its own there in p.pcg + its whole self (28) from v1
	awk -F'\t' '$1 == "node" && $4 == 2 && $3 == 1 { n = $2 } $1 == "line" && $2 == n && $3 == 10 { print $4 }' m.pcg | grep -qx 30
	pcg-merge p.pcg v1.pcg | cmp - m.pcg
	pcg-merge p.pcg pp.pcg | pcg-merge - v1.pcg | cmp - <(pcg-merge p.pcg <(pcg-merge pp.pcg v1.pcg))
	# the lines of the merged profile, stripped, are the merge of the stripped ones
	strip m.pcg | grep -v '^meta' >a
	pcg-merge v1.pcg v1.pcg | grep -v '^meta' >b
	diff a b
	# --mean: three runs whose sums do not divide evenly
	pcg-merge --mean p.pcg pp.pcg v1.pcg >mean.pcg
	sumrule mean.pcg
	"$CAT" mean.pcg >/dev/null
	pcg-merge --mean p.pcg p.pcg p.pcg | grep -v -e '^meta' -e '^end' >a
	grep -v -e '^meta' -e '^end' p.pcg >b
	diff a b
}

@test "lines: filter puts a dropped frame's lines on the kept caller's call-site line, exactly" {
	"$CAT" "$EV" >p.pcg
	pcg-filter --drop-stdlib "$EV" >fe.pcg
	pcg-filter --drop-stdlib p.pcg >fp.pcg
	cmp fe.pcg fp.pcg
	sumrule fp.pcg
	replay "$EV" '^json' >want
	plines fp.pcg >got
	diff -u want got
	# json.dumps ran 19 ns from work's line 13 (main thread), 6 from line 11 (worker)
	grep -qx "$(printf '/app/main.py\t13\t21\t16')" got
	awk -F'\t' '$1 == "thread" { t = $2 } t == 2 && $1 == "line" && $3 == 11' fp.pcg |
	    grep -qx "$(printf 'line\t8\t11\t8\t4')"
	# the callback stays a callee of work, at line 13, with its own lines
	awk -F'\t' '$1 == "node" && $4 == 3 && $5 == 13' fp.pcg | grep -q .
}

@test "lines: every filter option keeps the sum rule and changes nothing but lines" {
	local f o
	for f in filter-app filter-nested filter-rec filter-minself-roots; do
		tov2 "$DATA/$f.pcg" >in2.pcg
		strip in2.pcg >in1.pcg
		for o in "" --drop-stdlib --drop-builtins "--drop json.*" "--keep __main__" "--drop imp*" \
			"--min-incl 20%" "--min-self 100" "--focus main" "--focus walk" \
			"--drop-stdlib --drop-builtins --min-incl 10%"; do
			pcg-filter $o in1.pcg >o1.pcg 2>/dev/null || continue
			pcg-filter $o in2.pcg >o2.pcg || die "$f $o: failed with lines"
			"$CAT" o2.pcg >/dev/null || die "$f $o: output rejected"
			if grep -q "$(printf '^line\t')" o2.pcg; then
				sumrule o2.pcg || die "$f $o: sum rule"
			fi
			strip o2.pcg | cmp - o1.pcg || die "$f $o: lines changed the rest"
			# all the self cost is still on some line of the kept functions
			[ "$(plines o2.pcg | awk -F'\t' '{ s += $3 } END { print s + 0 }')" = \
			  "$(awk -F'\t' '$1 == "cost" { K++ } $1 == "node" { s += $(7 + K) } END { print s + 0 }' o2.pcg)" ] ||
				die "$f $o: line total"
		done
	done
}

@test "lines: filter on the events stream: focus, keep and drops agree with the profile" {
	"$CAT" "$EV" >p.pcg
	for o in "--focus work" "--keep __main__" "--drop-builtins" "--drop __main__:default" "--min-self 3"; do
		pcg-filter $o "$EV" >fe.pcg
		pcg-filter $o p.pcg >fp.pcg
		cmp fe.pcg fp.pcg || die "$o: events and profile disagree"
		sumrule fe.pcg
	done
	pcg-filter --keep __main__ "$EV" >fe.pcg
	replay "$EV" '^(json|builtins)$' >want
	plines fe.pcg >got
	diff -u want got
}

# sources FILE: the profile's source files made under ., "lineN = N" on line N.
sources() {
	local f
	for f in /app/main.py /usr/lib/python3.11/json/__init__.py; do
		mkdir -p ".${f%/*}"
		seq 1 200 | sed 's/.*/line& = &/' >".$f"
	done
	sed "s#\t/#\t$PWD/#g" "$1"
}

@test "lines: callgrind output: callgrind_annotate's per-line costs and totals are the profile's" {
	command -v callgrind_annotate >/dev/null || skip "no callgrind_annotate"
	sources "$EV" >ev.pcg
	"$CAT" ev.pcg >p.pcg
	pcg-emit -o cg.out ev.pcg
	callgrind_annotate --auto=yes --show-percs=no --threshold=100 --context=1000 cg.out >ann 2>&1
	# per (file, line): the annotated source, costs before "lineN = N"
	awk '
	/^-- Auto-annotated source: / { f = $4; if (f !~ /^\//) f = ENVIRON["PWD"] "/" f; next }
	f && / line[0-9]+ = [0-9]+$/ {
		c1 = $1 == "." ? 0 : $1; c2 = $2 == "." ? 0 : $2
		gsub(",", "", c1); gsub(",", "", c2)
		if (c1 || c2) print f "\t" $NF "\t" c1 "\t" c2
	}' ann | sort >got
	plines p.pcg | awk -F'\t' '$1 != ""' >want
	[ -s want ] && [ "$(wc -l <want)" -ge 20 ]
	diff -u want got
	# the totals: the run's self cost, all of it
	grep -E '^ *[0-9,]+ +[0-9,]+ +PROGRAM TOTALS' ann | tr -d , | awk '{ print $1, $2 }' >tot
	awk -F'\t' '$1 == "node" { a += $9; b += $10 } END { print a, b }' p.pcg | diff - tot
	# one cost line per source line, all in the function's own file
	! grep -Eq '^f[ie]=' cg.out
}

@test "lines: the other formats show the same as without line costs" {
	mkdir x y
	"$CAT" "$EV" >x/p.pcg
	strip x/p.pcg >y/p.pcg
	for f in text pstats collapsed speedscope; do
		(cd x && pcg-emit -F "$f" -o ../a p.pcg)
		(cd y && pcg-emit -F "$f" -o ../b p.pcg)
		cmp a b || die "$f differs"
	done
	cp x/p.pcg p.pcg
	cp y/p.pcg v1.pcg
	# line events open and close no frame: speedscope's timeline of an
	# events stream is the same without them
	mkdir ex ey
	cp "$EV" ex/ev.pcg
	awk -F'\t' -v OFS='\t' 'NR == 1 { $2 = 1 } $1 != "l"' "$EV" | fixend >ey/ev.pcg
	(cd ex && pcg-emit -F speedscope -o ../a ev.pcg)
	(cd ey && pcg-emit -F speedscope -o ../b ev.pcg)
	cmp a b
	# an events stream gives the same totals as its profile
	pcg-emit -F text "$EV" | cmp - <(pcg-emit -F text p.pcg)
	pcg-emit -F collapsed "$EV" | cmp - <(pcg-emit -F collapsed p.pcg)
	# callgrind without lines: the functions' self totals match those with lines
	pcg-emit -o a.cg p.pcg
	pcg-emit -o b.cg v1.pcg
	diff <(grep '^totals' a.cg) <(grep '^totals' b.cg)
	diff <(grep -v '^[0-9]' a.cg) <(grep -v '^[0-9]' b.cg)
}

@test "lines: several inputs, one callgrind file per thread, an events stream cut short" {
	"$CAT" "$EV" >p.pcg
	pcg-emit -o two.cg p.pcg "$EV"
	pcg-merge p.pcg "$EV" | pcg-emit -o - - | cmp - two.cg
	# per thread: the cost lines of its file add up to its totals
	pcg-emit --separate-threads -o sep p.pcg
	for f in sep-01 sep-02; do
		awk '/^calls=/ { skip = 1; next } skip { skip = 0; next }
		     /^[0-9]/ { a += $2; b += $3 } /^totals:/ { t = $2 " " $3 }
		     END { if (a " " b != t) { print FILENAME ": " a " " b " vs " t; exit 1 } }' "$f"
	done
	grep -qx '11 2 1' sep-02 # the worker's own time on work's line 11
	# cut inside thread 1's json.dumps: what precedes the cut keeps its lines
	head -40 "$EV" >cut.pcg
	pcg-merge --partial cut.pcg >m.pcg
	sumrule m.pcg
	pcg-filter --partial --drop-stdlib cut.pcg >f.pcg
	sumrule f.pcg
	# the run ends at the last reading seen, the partial reader's end
	replay <(cat cut.pcg; awk -F'\t' '$1 == "end" { print "end\t40\t" $3 "\t" $4 }' m.pcg) '^json' >want
	plines f.pcg >got
	diff -u want got
}

@test "lines: a dropped chain's time goes on the line it was called from; the caller's own stays put" {
	# filter-nested with line events, each function on its first line + 1
	# from its start: the module is on line 2 while its call says line 3
	awk -F'\t' -v OFS='\t' 'NR == 1 { $2 = 2 } $1 == "fn" { first[$2] = $6 } { print }
	    $1 == "c" && first[$3] { print "l", $2, first[$3] + 1, $5 }' "$DATA/filter-nested.pcg" |
	    fixend >ev.pcg
	pcg-filter --drop 'imp*' ev.pcg >fe.pcg
	sumrule fe.pcg
	replay ev.pcg '^imp' >want
	plines fe.pcg >got
	diff -u want got
	# the module: its own 40 on line 2, the dropped imp's 10 and the
	# chain's other dropped time on line 3
	grep -qx "$(printf '/app/m.py\t2\t40')" got
	strip fe.pcg | cmp - <(pcg-filter --drop 'imp*' "$DATA/filter-nested.pcg")
	# the profile of the same run: the same own lines, the folded part
	# placed as its self is (pcg-filter(1), HOW COST MOVES)
	"$CAT" ev.pcg >p.pcg
	pcg-filter --drop 'imp*' p.pcg >fp.pcg
	sumrule fp.pcg
	strip fp.pcg | cmp - <("$CAT" "$DATA/filter-nested.pcg" | pcg-filter --drop 'imp*')
	grep -qx "$(printf 'line\t1\t2\t40')" fp.pcg
}

# cgself FILE: each callgrind function's self cost, its cost lines summed.
cgself() {
	# (N) NAME defines id N, on fn= and cfn= lines alike
	awk '/^c?fn=\(/ { n = $0; sub(/^c?fn=\(/, "", n); nm = n; sub(/\).*/, "", n)
	                   if (sub(/^[0-9]+\) /, "", nm)) name[n] = nm
	                   if ($0 ~ /^fn=/) f = name[n]; next }
	     /^calls=/ { skip = 1; next }
	     /^[0-9]/ { if (skip) { skip = 0; next } s[f] += $2 }
	     END { for (f in s) print f, s[f] }' "$1" | sort
}

@test "lines: clones (fn'2) with line costs: each function's lines add up to its self as without" {
	# main calls a, which calls b, and b, which calls a: a under b is a'2, with self
	printf 'pcg\t1\tprofile\ncost\twall\tns\nthread\t1\t1\tM\nfn\t1\tpy\tm\t/s.py\t1\tmain\n%s\n' \
	    'node	1	0	1	0	1	100	10' >ab.pcg
	printf '%s\n' 'fn	2	py	m	/s.py	10	a' 'node	2	1	2	3	1	40	20' 'fn	3	py	m	/s.py	20	b' \
	    'node	3	2	3	12	1	20	20' 'node	4	1	3	4	1	50	30' 'node	5	4	2	22	1	20	20' 'end	0	100' >>ab.pcg
	fixend <ab.pcg >"$BATS_TEST_TMPDIR/clone-ab.pcg"
	for f in "$BATS_TEST_TMPDIR/clone-ab" "$DATA/emit-mutual" "$DATA/emit-rootrec-events" "$DATA/emit-mutual-events"; do
		"$CAT" "$f.pcg" >v1.pcg
		tov2 v1.pcg >v2.pcg
		pcg-emit -o a.cg v2.pcg
		pcg-emit -o b.cg v1.pcg
		grep -q "^fn=.*'2" a.cg || die "$f: no clone"
		[ "$(grep -c '^[0-9]' a.cg)" -gt "$(grep -c '^[0-9]' b.cg)" ] || die "$f: no line split"
		diff <(cgself a.cg) <(cgself b.cg) || die "$f: self per function"
		diff <(grep -v '^[0-9]' a.cg) <(grep -v '^[0-9]' b.cg) || die "$f: calls differ"
	done
	# the last round was clone-ab: a'2's 20 (under b) on a's lines 10 and 12
	pcg-emit -o a.cg "$BATS_TEST_TMPDIR/clone-ab.pcg" # version 1: all on line 10
	tov2 "$BATS_TEST_TMPDIR/clone-ab.pcg" | pcg-emit -o b.cg -
	awk "/^fn=.* a'2\$/ { f = 1; next } /^(fn|cfn|calls)=/ { f = 0 } f && /^[0-9]/" b.cg | tr '\n' ' ' | grep -qx '10 14 12 6 '
	awk "/^fn=.* a'2\$/ { f = 1; next } /^(fn|cfn|calls)=/ { f = 0 } f && /^[0-9]/" a.cg | tr '\n' ' ' | grep -qx '10 20 '
}

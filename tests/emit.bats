#!/usr/bin/env bats
# pcg-emit: pcg streams in, callgrind format out.  The oracle is
# callgrind_annotate; the expected numbers are worked out by hand from the
# event times in tests/data/emit-*-events.pcg (see the comments per test).

load common

PY="$BATS_TEST_DIRNAME/py"

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# The inclusive view of callgrind_annotate, with its warnings.
annotate() {
	callgrind_annotate --inclusive=yes --tree=both "$@" 2>&1
}

# Inclusive cost of FUNCTION (the "*" line of its block), commas removed.
incl() { # ANNOTATE_OUTPUT FUNCTION
	printf '%s\n' "$1" | F=$2 awk '
		BEGIN { f = ENVIRON["F"] }
		{ line = $0; sub(/^ +/, "", line) }
		index(line, "*  ") && substr(line, length(line) - length(f) + 1) == f &&
		    substr(line, length(line) - length(f), 1) == ":" {
			n = $1; gsub(/,/, "", n); print n; exit }'
}

# What both readers require of a file beyond the spec (see
# /work/shared/notes/callgrind-readers.md): header order, ids defined once
# before use and never redefined, fl= before the first fn=(N) name, a cost
# line after every calls=, no calls=0, no raw control bytes.
valid() { # FILE
	local f=$1
	[ "$(head -n 1 "$f")" = "# callgrind format" ] || { die "$f: no '# callgrind format' first"; return; }
	if LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$f"); then
		die "$f: raw control byte"; return
	fi
	LC_ALL=C awk '
		function use(tab, s,   id, name) {
			if (!match(s, /^\([0-9]+\)/)) { bad = bad "uncompressed " s "\n"; return }
			id = substr(s, 2, RLENGTH - 2); name = substr(s, RLENGTH + 1)
			sub(/^ +/, "", name)
			if (name == "") {
				if (!((tab, id) in def)) bad = bad "undefined " tab " id " id "\n"
			} else if ((tab, id) in def) {
				bad = bad "redefined " tab " id " id "\n"
			} else def[tab, id] = name
		}
		/^events:/ { events = NR }
		/^cmd:/ && events { bad = bad "cmd: after events:\n" }
		/^summary:/ { bad = bad "summary: line\n" }
		/^fl=/ { fl = 1; use("file", substr($0, 4)) }
		/^cf[il]=/ { use("file", substr($0, 5)) }
		/^fn=/ { if (!fl) bad = bad "fn= before fl=\n"; use("fn", substr($0, 4)) }
		/^cfn=/ { use("fn", substr($0, 5)) }
		/^calls=/ { if ($0 ~ /^calls=0 /) bad = bad "calls=0\n"; call = NR; next }
		call && NR == call + 1 && !/^[0-9]+( [0-9]+)+$/ { bad = bad "no cost after calls= at " NR "\n" }
		{ call = 0 }
		END { if (!events) bad = bad "no events:\n"; printf "%s", bad; exit bad != "" }
	' "$f" >&2 || { die "$f: invalid callgrind file"; return; }
	local a
	a=$(annotate "$f") || { die "callgrind_annotate failed on $f"; return; }
	# (^: the annotated sources may say WARNING themselves, Django's do)
	if printf '%s\n' "$a" | grep -q '^WARNING'; then
		die "callgrind_annotate: $a"; return
	fi
	# Nothing above 100% of the total.
	printf '%s\n' "$a" | grep -o '([0-9.]*%)' | tr -d '(%)' |
		awk '$1 > 100 { print "above 100%: " $1; bad = 1 } END { exit bad }' >&2 ||
		{ die "$f: $a"; return; }
	return 0
}

@test "emit: --help, --version and a bad option" {
	run pcg-emit --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: pcg-emit "*"--separate-threads"* ]]
	run pcg-emit --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^pcg-emit\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run pcg-emit --bogus "$DATA/emit-fib.pcg"
	[ "$status" -eq 2 ]
	[[ "$output" == *$'\n'"usage: pcg-emit "* ]]
	run pcg-emit -o
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: pcg-emit "* ]]
}

@test "emit: GNU options: after the operands, -oFILE, --opt=value, --" {
	pcg-emit -o want "$DATA/emit-fib.pcg"
	pcg-emit "$DATA/emit-fib.pcg" -oafter
	cmp want after
	pcg-emit --no-clones -o want "$DATA/emit-mutual.pcg"
	pcg-emit "$DATA/emit-mutual.pcg" --no-clones -o after
	cmp want after
	# after --, a dash-named file is an operand, not an option
	cp "$DATA/emit-fib.pcg" ./-x
	pcg-emit -o dash -- -x
	pcg-emit -o want "$DATA/emit-fib.pcg"
	cmp want dash
	run pcg-emit "$DATA/emit-fib.pcg" --no-such-option
	[ "$status" -eq 2 ] && [[ "$output" == *"usage: pcg-emit "* ]] || die "$status: $output"
	run pcg-emit --no-clones=yes "$DATA/emit-fib.pcg"
	[ "$status" -eq 2 ] || die "a value for a flag: status $status"
}

@test "emit: header order and contents" {
	pcg-emit "$DATA/emit-fib.pcg" >out
	valid out
	# First lines exactly; cmd: before events:, event names from the columns.
	diff - <(sed -n 1,9p out) <<-EOF
	# callgrind format
	version: 1
	creator: pcg-emit $(pcg-emit --version | cut -d' ' -f2)
	pid: 4242
	cmd: python3 fib.py
	desc: Note: <thread N: NAME> is thread N, which nothing calls; it calls the functions the thread started in
	positions: line
	event: wall_ns : Wall-clock time (ns)
	events: wall_ns
	EOF
	[ "$(tail -n 1 out)" = "totals: 100" ]
	! grep -q '^thread:' out
}

# emit-fib-events.pcg: <module> 0-100; fib 10-90, recursing into itself
# 20-50 (line 4); len from the inner fib 30-35 and the outer 60-70 (line 5).
# self: <module> 20, fib 65, len 15; fib on the stack 80 (once, not 110).
@test "emit: direct recursion counts inclusive time once" {
	pcg-emit "$DATA/emit-fib.pcg" >out
	valid out
	a=$(annotate out)
	[ "$(incl "$a" '__main__.<module>')" = 100 ]
	[ "$(incl "$a" fib)" = 80 ]
	[ "$(incl "$a" builtins.len)" = 15 ]
	# callers and callees of fib: one plain call, one recursive call of cost 0
	printf '%s\n' "$a" | grep -Eq '^ +80 \(80\.00%\)  < /home/u/fib\.py:__main__\.<module> \(1x\)'
	printf '%s\n' "$a" | grep -Eq '^ +0 +< /home/u/fib\.py:fib \(1x\)'
	printf '%s\n' "$a" | grep -Eq '^ +15 \(15\.00%\)  > +<built-in>:builtins\.len \(2x\)'
	# self cost of fib at its first line, the recursive call at line 4
	grep -q '^3 65$' out
	grep -A2 '^cfn=(3)$' out | grep -q '^4 0$'
}

# emit-mutual-events.pcg: main 0-100 calls a (line 3) 10-90; a calls b
# (line 12) 20-80; b calls a (line 22) 30-70; that a calls b (line 12) 40-60.
# a on the stack 80, b 60; self main 20, a 40, b 40.
@test "emit: mutual recursion a->b->a: inclusive = time on stack, never above 100%" {
	pcg-emit "$DATA/emit-mutual.pcg" >out
	valid out
	a=$(annotate out)
	[ "$(incl "$a" main)" = 100 ]
	[ "$(incl "$a" a)" = 80 ]
	[ "$(incl "$a" b)" = 60 ]
	# a->b: the first call and the recursive one, 2 calls, 60 in all
	printf '%s\n' "$a" | grep -Eq '^ +60 \(60\.00%\)  > +/src/mutual\.py:b \(2x\)'
	# b->a: 1 call, its time already in main->a; it turns back, so it
	# calls the clone a'2, which has no cost of its own
	printf '%s\n' "$a" | grep -Fxq "  0           >   /src/mutual.py:a'2 (1x) []"
	printf '%s\n' "$a" | grep -Fxq "  0           *  /src/mutual.py:a'2"
	printf '%s\n' "$a" | grep -Eq '^ +80 \(80\.00%\)  < /src/mutual\.py:main \(1x\)'
	[ "$(grep -c "^c\?fn=([0-9]*) .*'" out)" -eq 1 ]
	# the merged graph: b calls a itself, a cycle
	pcg-emit --no-clones "$DATA/emit-mutual.pcg" >out
	valid out
	a=$(annotate out)
	printf '%s\n' "$a" | grep -Eq '^ +0 +< /src/mutual\.py:b \(1x\)'
	[ "$(incl "$a" a)" = 80 ]
	! grep -q "'" out
}

# emit-rootrec-events.pcg: the thread starts in a (0-50), which calls b
# (line 5) 10-40, which calls a again (line 15) 20-30: a is both the thread's
# root and a callee.  a on the stack 50, b 30.
@test "emit: recursion into the thread's root function" {
	pcg-emit "$DATA/emit-rootrec-events.pcg" >out
	valid out
	a=$(annotate out)
	[ "$(incl "$a" a)" = 50 ]
	[ "$(incl "$a" b)" = 30 ]
	printf '%s\n' "$a" | grep -Fxq '50 (100.0%)  < <thread>:<thread 1: MainThread> (1x) []'
	printf '%s\n' "$a" | grep -Fxq ' 0           < /r.py:b (1x) []'
}

# A random trace with deep direct and mutual recursion: for every function,
# callgrind_annotate's inclusive cost must be the time it was on the stack,
# computed here straight from the events.
@test "emit: random recursive trace: inclusive = time on stack for every function" {
	awk -v OFS='\t' 'BEGIN {
		srand(7); nf = 40
		print "pcg", 1, "events"; print "cost", "wall", "ns"; print "thread", 1, 1, "M"
		for (i = 1; i <= nf; i++) print "fn", i, "py", "m", "/r" i % 7 ".py", i, "f" i
		n = nf + 3
		for (t = 1; t <= 20000; t++) {
			if (d < 1 || (d < 25 && rand() < 0.52)) {
				print "c", 1, (d ? 1 + int(rand() * nf) : 1), 1 + int(rand() * 9), t; d++
			} else {
				print "r", 1, t; d--
			}
			n++
		}
		print "end", n, t
	}' >rand.pcg
	# time on the stack per function, each instant counted once per function
	awk -F'\t' '
		$1 == "c" || $1 == "r" || $1 == "end" {
			t = $NF
			for (f in on) if (on[f] > 0) tot[f] += t - last
			last = t
			if ($1 == "c") { st[++d] = $3; on[$3]++ }
			if ($1 == "r") { on[st[d--]]-- }
		}
		END { for (f in tot) print "f" f, tot[f] }' rand.pcg | sort >want
	# the inclusive costs of a function's clones (f3, f3'2, ...) add up
	for o in '' --no-clones; do
		pcg-emit $o -o rand.cg rand.pcg
		valid rand.cg
		callgrind_annotate --inclusive=yes --threshold=100 rand.cg |
			awk '$NF ~ /^\/r[0-9]\.py:f[0-9]+(\x27[0-9]+)?$/ {
				n = $1; gsub(/,/, "", n); sub(/.*:/, "", $NF); sub(/\x27.*/, "", $NF)
				t[$NF] += n }
			END { for (f in t) print f, t[f] }' |
			sort >got
		[ "$(wc -l <want)" -eq 40 ]
		diff want got
	done
	# and the default has clones, and no cycle, where the merged graph has
	run python3 "$PY/cgcycles.py" rand.cg
	[ "$status" -eq 1 ]
	pcg-emit -o rand.cg rand.pcg
	python3 "$PY/cgcycles.py" rand.cg
	[ "$(grep -c "^fn=([0-9]*) f[0-9]*'[0-9]*$" rand.cg)" -gt 40 ]
}

@test "emit: the events layer gives the same bytes as the profile layer" {
	for s in fib mutual threads; do
		pcg-emit "$DATA/emit-$s.pcg" >p.out
		pcg-emit "$DATA/emit-$s-events.pcg" >e.out
		cmp p.out e.out || die "$s: events and profile differ"
	done
}

# emit-threads-events.pcg: thread 1 <module> 0-100, work 10-60 calling
# time.sleep 20-50, a lambda (line 9) 70-75; thread 2 starts in work 15-55,
# which calls another lambda (line 10) 30-40.
@test "emit: several threads combined into one part" {
	pcg-emit "$DATA/emit-threads.pcg" >out
	valid out
	a=$(annotate out)
	[ "$(tail -n 1 out)" = "totals: 140" ]
	[ "$(incl "$a" '<thread 1: MainThread>')" = 100 ]
	[ "$(incl "$a" '<thread 2: worker\tone\x01>')" = 40 ]
	[ "$(incl "$a" 'work\tit \xff')" = 90 ]
	[ "$(incl "$a" time.sleep)" = 30 ]
	# work's callers: <module> in thread 1, the thread root in thread 2
	printf '%s\n' "$a" | grep -Fq ' 50 (35.71%)  < /tmp/my dir/prog é.py:__main__.<module> (1x)'
	printf '%s\n' "$a" | grep -Fq ' 40 (28.57%)  < <thread>:<thread 2: worker\tone\x01> (1x)'
	! grep -q '^thread:' out
}

@test "emit: names with spaces, tabs, control and non-ASCII bytes, lambdas, builtins" {
	pcg-emit "$DATA/emit-threads.pcg" >out
	valid out
	grep -Fxq 'cfi=(2) /tmp/my dir/prog é.py' out
	grep -Fxq 'cfn=(4) work\tit \xff' out
	grep -Fxq 'fn=(3) <thread 2: worker\tone\x01>' out
	grep -Fxq 'cmd: python3 /tmp/my dir/prog é.py --n\t1' out
	# two lambdas of one file get their lines; a builtin its module
	grep -Fq ') <lambda>:9' out
	grep -Fq ') <lambda>:10' out
	grep -Fxq 'cfi=(3) <built-in>' out
	grep -Fq ') time.sleep' out
	! grep -q ') <lambda>$' out
}

@test "emit: every byte value in a name: valid UTF-8 text, no control bytes, distinct" {
	esc=$(LC_ALL=C awk 'BEGIN {
		for (i = 1; i < 256; i++) {
			if (i == 9) s = s "\\t"; else if (i == 10) s = s "\\n";
			else if (i == 13) s = s "\\r"; else if (i == 92) s = s "\\\\";
			else if (i < 32 || i == 127) s = s sprintf("\\x%02x", i);
			else s = s sprintf("%c", i);
		}
		printf "%s", s }')
	{
		printf 'pcg\t1\tprofile\ncost\twall\tns\nthread\t1\t1\t%s\n' "$esc"
		printf 'fn\t1\tpy\tm\t/%s.py\t1\t%s\n' "$esc" "$esc"
		printf 'node\t1\t0\t1\t0\t1\t9\t6\n'
		printf 'fn\t2\tpy\tm\t/a.py\t2\t\n'
		printf 'node\t2\t1\t2\t3\t1\t1\t1\n'
		printf 'fn\t3\tpy\tm\t/a.py\t3\t  \\x00\n'
		printf 'node\t3\t1\t3\t4\t1\t2\t2\n'
		printf 'end\t9\t9\n'
	} >bytes.pcg
	pcg-emit -o out bytes.pcg
	valid out
	iconv -f UTF-8 -t UTF-8 out >/dev/null || die "not UTF-8"
	# escapes for control bytes and for bytes that are not UTF-8
	grep -Fq '\x01\x02' out
	grep -Fq '\t\n\x0b\x0c\r' out
	grep -Fq '\x7f\x80\x81' out
	grep -Fq '\xfe\xff' out
	# an empty name gets a placeholder; leading spaces would be skipped by
	# the readers, so they are dropped here
	grep -q '^cfn=([0-9]*) <unnamed>$' out
	grep -q '^cfn=([0-9]*) \\x00$' out
	[ "$(grep -c '^c\?fn=([0-9]*) .' out)" -eq 4 ]
}

@test "emit: same name in files with the same base name stays distinct" {
	pcg-emit "$DATA/emit-collide.pcg" >out
	valid out
	a=$(annotate out)
	# KCachegrind keys on base name + function name: a/ and b/ setup at the
	# same line need the module, c/ only its line.
	[ "$(incl "$a" a.setup:3)" = 10 ]
	[ "$(incl "$a" b.setup:3)" = 10 ]
	[ "$(incl "$a" setup:7)" = 10 ]
}

# Module code is named by its module wherever it runs, so a script's app.py
# and a package's app.py never read alike; two modules of one name (two
# runs merged) get their files.
@test "emit: module code always names its module; same module name: the file" {
	{
		printf 'pcg\t1\tprofile\ncost\twall\tns\nthread\t1\t1\tM\n'
		printf 'fn\t1\tpy\t__main__\t/home/u/app.py\t1\t<module>\n'
		printf 'node\t1\t0\t1\t0\t1\t100\t40\n'
		printf 'fn\t2\tpy\tflask.app\t/usr/lib/python3/dist-packages/flask/app.py\t1\t<module>\n'
		printf 'node\t2\t1\t2\t2\t1\t20\t20\n'
		printf 'fn\t3\tpy\tapp\t/srv/a/app.py\t1\t<module>\n'
		printf 'node\t3\t1\t3\t3\t1\t20\t20\n'
		printf 'fn\t4\tpy\tapp\t/srv/b/app.py\t1\t<module>\n'
		printf 'node\t4\t1\t4\t4\t1\t10\t10\n'
		printf 'fn\t5\tpy\tutil\t/home/u/util.py\t1\t<module>\n'
		printf 'node\t5\t1\t5\t5\t1\t10\t10\n'
		printf 'end\t13\t100\n'
	} >mods.pcg
	pcg-emit -o out mods.pcg
	valid out
	a=$(annotate out)
	[ "$(incl "$a" '__main__.<module>')" = 100 ]
	[ "$(incl "$a" 'flask.app.<module>')" = 20 ]
	[ "$(incl "$a" 'util.<module>')" = 10 ]
	[ "$(incl "$a" 'app.<module>:1 (/srv/a/app.py)')" = 20 ]
	[ "$(incl "$a" 'app.<module>:1 (/srv/b/app.py)')" = 10 ]
	! grep -q '[ )]<module>' out
}

# pcg-filter's stand-in for dropped roots says what it is, and so does the
# header, for it and for the thread roots.
@test "emit: the synthetic functions are named for what they are" {
	pcg-filter --drop threading "$DATA/filter-app.pcg" | pcg-emit -o out
	valid out
	grep -Fxq 'desc: Note: <dropped by pcg-filter> is the time of dropped code that no kept function called' out
	grep -Fxq 'desc: Note: <thread N: NAME> is thread N, which nothing calls; it calls the functions the thread started in' out
	grep -q '^cfn=([0-9]*) <dropped by pcg-filter>$' out
	grep -q '^cfi=([0-9]*) <pcg-filter>$' out
	! grep -q 'filtered)' out
	pcg-emit -o out "$DATA/emit-fib.pcg"
	! grep -q 'pcg-filter' out
}

@test "emit: --separate-threads -o FILE writes FILE-01, FILE-02" {
	pcg-emit --separate-threads -o out "$DATA/emit-threads.pcg"
	[ ! -e out ]
	[ "$(ls)" = "$(printf 'out-01\nout-02')" ]
	valid out-01
	valid out-02
	grep -qx 'thread: 1' out-01
	grep -qx 'thread: 2' out-02
	[ "$(tail -n 1 out-01)" = "totals: 100" ]
	[ "$(tail -n 1 out-02)" = "totals: 40" ]
	a=$(annotate out-02)
	[ "$(incl "$a" 'work\tit \xff')" = 40 ]
	! grep -q 'MainThread\|<module>' out-02
	# thread: comes before events:, like callgrind's
	[ "$(grep -n '^thread:' out-01 | cut -d: -f1)" -lt "$(grep -n '^events:' out-01 | cut -d: -f1)" ]
}

@test "emit: --separate-threads without -o names files after the pid" {
	pcg-emit --separate-threads "$DATA/emit-threads.pcg"
	[ "$(ls)" = "$(printf 'callgrind.out.500-01\ncallgrind.out.500-02')" ]
	valid callgrind.out.500-01
	# no pid and no -o: an error, nothing written
	grep -v '^meta' "$DATA/emit-fib.pcg" | awk -F'\t' -v OFS='\t' '$1 == "end" { $2 -= 3 } 1' >nopid.pcg
	pcg-emit nopid.pcg >/dev/null
	run pcg-emit --separate-threads nopid.pcg
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-emit: "*"-o"* ]]
	run pcg-emit --separate-threads -o - nopid.pcg
	[ "$status" -eq 1 ]
	[ "$(ls | wc -l)" -eq 3 ]
}

@test "emit: generator resumed elsewhere: no calls=0, time kept" {
	# gen runs 10-20 called from main, is resumed from consume 40-50.
	pcg-emit "$DATA/emit-gen-events.pcg" >out
	valid out
	a=$(annotate out)
	[ "$(incl "$a" gen)" = 20 ]
	[ "$(incl "$a" consume)" = 30 ]
	[ "$(incl "$a" main)" = 70 ]
}

@test "emit: several cost columns" {
	pcg-emit "$DATA/emit-2cost.pcg" >out
	valid out
	grep -qx 'events: wall_ns cpu_ns' out
	grep -qx 'event: cpu_ns : CPU time of the thread (ns)' out
	grep -qx 'totals: 100 80' out
	a=$(annotate out)
	printf '%s\n' "$a" | grep -Fxq ' 60 (60.00%) 50 (62.50%)  *  /x.py:f'
}

@test "emit: deterministic, stdin and - read like a file" {
	pcg-emit "$DATA/emit-threads-events.pcg" >a
	pcg-emit "$DATA/emit-threads-events.pcg" >b
	pcg-emit <"$DATA/emit-threads-events.pcg" >c
	pcg-emit - <"$DATA/emit-threads-events.pcg" >d
	cmp a b && cmp a c && cmp a d
}

@test "emit: -o FILE writes the file, leaves no temporary" {
	pcg-emit -o out.cg "$DATA/emit-mutual.pcg"
	pcg-emit "$DATA/emit-mutual.pcg" | cmp - out.cg
	[ "$(ls)" = out.cg ]
	pcg-emit -oout2.cg "$DATA/emit-mutual.pcg"
	cmp out.cg out2.cg
}

@test "emit: several inputs are merged as pcg-merge merges them, in either order" {
	pcg-emit "$DATA/emit-fib.pcg" "$DATA/emit-mutual-events.pcg" >out
	valid out
	a=$(annotate out)
	[ "$(tail -n 1 out)" = "totals: 200" ]
	[ "$(incl "$a" fib)" = 80 ]
	[ "$(incl "$a" b)" = 60 ]
	# threads of one name are one thread, as with pcg-merge
	[ "$(incl "$a" '<thread 1: MainThread>')" = 200 ]
	! grep -q '<thread 2:' out || die "MainThread twice"
	# the same function in two inputs is one function
	pcg-emit "$DATA/emit-fib.pcg" "$DATA/emit-fib-events.pcg" >twice
	valid twice
	a=$(annotate twice)
	[ "$(incl "$a" fib)" = 160 ]
	[ "$(grep -c '^fn=([0-9]*) fib$' twice; grep -c '^cfn=([0-9]*) fib$' twice)" = "$(printf '0\n1')" ]
	# the same bytes as pcg-merge | pcg-emit, in both orders; an input's
	# incomplete mark stays, whichever comes first
	printf 'pcg\t1\tprofile\nmeta\tincomplete\tlost a thread\n' >inc.pcg
	tail -n +2 "$DATA/emit-fib-events.pcg" | sed '$d' >>inc.pcg
	n=$(wc -l <inc.pcg)
	sed -n '$p' "$DATA/emit-fib-events.pcg" | awk -F'\t' -v n="$n" '{ print "end\t" n "\t" $3 }' >>inc.pcg
	sed -i '1s/profile/events/' inc.pcg
	pcg-filter inc.pcg >/dev/null || die "inc.pcg does not read"
	for pair in "$DATA/emit-fib.pcg inc.pcg" "inc.pcg $DATA/emit-fib.pcg" \
	    "$DATA/emit-threads.pcg $DATA/emit-mutual-events.pcg inc.pcg" "$DATA/emit-mutual-events.pcg $DATA/emit-threads.pcg"; do
		pcg-emit $pair >direct
		pcg-merge $pair | pcg-emit >piped
		cmp direct piped || { diff direct piped >&2; die "pcg-emit $pair differs from pcg-merge | pcg-emit"; }
	done
	for pair in "$DATA/emit-fib.pcg inc.pcg" "inc.pcg $DATA/emit-fib.pcg"; do
		pcg-emit $pair | grep -qx 'desc: Incomplete: lost a thread' || die "pcg-emit $pair dropped incomplete"
	done
}

@test "emit: inputs with different cost columns are an error naming both" {
	run pcg-emit -o out "$DATA/emit-fib.pcg" "$DATA/emit-2cost.pcg"
	[ "$status" -eq 1 ]
	[[ "$output" == "pcg-emit: "*emit-fib.pcg*emit-2cost.pcg* ]]
	[ "$(ls)" = "" ]
}

# Malformed input: "pcg-emit: FILE:LINE: ...", exit 1, no output file, and
# an existing output file left as it was.
bad() { # LINE PRINTF_FORMAT
	printf "$2" >bad.pcg
	echo old >out
	run pcg-emit -o out bad.pcg
	[ "$status" -eq 1 ] || die "status $status for: $2"
	[[ "$output" == "pcg-emit: bad.pcg:$1: "* ]] || die "message '$output' for: $2"
	[ "$(cat out)" = old ] || die "output changed"
	[ "$(ls)" = "$(printf 'bad.pcg\nout')" ] || die "left behind: $(ls)"
	run pcg-emit --separate-threads -o sep bad.pcg
	[ "$status" -eq 1 ] && [ -z "$(ls sep* 2>/dev/null)" ] || die "separate: $output"
}

H='pcg\t1\tprofile\ncost\twall\tns\nthread\t1\t1\tM\nfn\t1\tpy\tm\t/f.py\t1\tf\n'
N='node\t1\t0\t1\t0\t1\t5\t5\n'

@test "emit: bad input: unknown tag, field count, number, undefined function" {
	bad 5 "${H}zzz\t1\nend\t5\t0\n"
	bad 5 "${H}node\t1\t0\t1\t0\t1\t5\nend\t5\t5\n"
	bad 5 "${H}node\t1\t0\t1\t0\tx\t5\t5\nend\t5\t5\n"
	bad 5 "${H}node\t1\t0\t1\t0\t01\t5\t5\nend\t5\t5\n"
	bad 5 "${H}node\t1\t0\t2\t0\t1\t5\t5\nend\t5\t5\n"
}

@test "emit: bad input: child before parent, bad rec, events without a frame" {
	bad 5 "${H}node\t1\t2\t1\t0\t1\t5\t5\nend\t5\t5\n"
	bad 6 "${H}${N}rec\t1\t7\t3\t1\t0\nend\t6\t5\n"
	bad 7 'pcg\t1\tevents\ncost\twall\tns\nthread\t1\t1\tM\nfn\t1\tpy\tm\t/f.py\t1\tf\nc\t1\t1\t0\t0\nr\t1\t5\nr\t1\t6\nend\t7\t6\n'
}

@test "emit: bad input: header, version, CRLF, truncation" {
	bad 1 'cost\twall\tns\nend\t1\t0\n'
	bad 1 'pcg\t3\tprofile\ncost\twall\tns\nend\t2\t0\n'
	bad 1 'pcg\t1\tprofile\r\ncost\twall\tns\nend\t2\t0\n'
	bad 6 "${H}${N}"
	bad 6 "${H}${N}end\t9\t5\n"
	bad 7 "${H}${N}end\t5\t5\n${N}"
	bad 1 ''
}

# Self costs of FILE: every cost line but those after calls=, added up,
# and the totals: line; both must be equal (first event).
selfsum() { # FILE
	awk '/^calls=/ { skip = 1; next }
	     /^[0-9]+ [0-9]/ { if (!skip) s += $2; skip = 0; next }
	     { skip = 0 }
	     /^totals:/ { t = $2 }
	     END { printf "%d %d\n", s, t }' "$1"
}

# Inclusive cost per function, as callgrind_annotate computes it, clones
# (NAME'2, ...) added to their function.
inclusive() { # FILE
	(cd / && callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$1") |
		awk 'match($0, /^ *[0-9,]+ \( *[0-9.]+%\)  /) {
			n = $1; gsub(/,/, "", n); f = substr($0, RLENGTH + 1)
			sub(/\x27[0-9]+$/, "", f); t[f] += n }
		END { for (f in t) print t[f], f }' | sort
}

# tests/py/shapes.py: the programs whose merged graphs have cycles, each
# with a function its cycle must hold (its last name component).  Traced on every interpreter; the
# merged graph (--no-clones) must show the cycle to tests/py/cgcycles.py
# (which would otherwise prove nothing), the default no cycle at all, with
# the same numbers: calls per function (clones added up) equal pcg's and
# cProfile's (not for threads: cProfile sees one thread before 3.12), self
# costs add up to the total, inclusive costs over the clones equal the
# merged graph's, and callgrind_annotate shows nothing above 100%.
@test "emit: dispatcher, visitor, middleware, mutual recursion, generators, threads: no cycle, same numbers" {
	local p s shape member
	cd "$BATS_TEST_TMPDIR"
	PYS=$(pythons)
	[ -n "$PYS" ] || skip "no Python interpreter found on this machine"
	for p in $PYS; do
		say "shapes on $p"
		for s in dispatch:hookexec visitor:generic_visit middleware:inner \
		    mutual:is_odd generators:evens threads:multicall; do
			shape=${s%%:*} member=${s#*:}
			pcg-trace -q -o prof "$p" "$PY/shapes.py" "$shape" >out 2>err ||
				{ cat err >&2; die "$p: pcg-trace shapes.py $shape failed"; }
			pcg-emit --no-clones -o merged prof
			run python3 "$PY/cgcycles.py" merged
			[ "$status" -eq 1 ] || die "$p $shape: cgcycles.py found no cycle in the merged graph"
			# (qualified names from 3.11: NodeVisitor.generic_visit)
			printf '%s\n' "$output" | grep -Eq "[ .]$member( |\$)" ||
				die "$p $shape: no cycle holds $member: $output"
			pcg-emit -o cg prof
			valid cg
			python3 "$PY/cgcycles.py" cg >&2 || die "$p $shape: cycles left"
			grep -q "^c\?fn=([0-9]*) .*'[0-9]*$" cg || die "$p $shape: no clone"
			"$p" "$PY/counts.py" pcg prof "$PY/shapes.py" >want
			"$p" "$PY/counts.py" callgrind cg "$PY/shapes.py" >got
			[ -s want ] && diff want got >&2 || die "$p $shape: calls differ from pcg's"
			if [ "$shape" != threads ]; then
				"$p" "$PY/counts.py" cprofile "$PY/shapes.py" "$shape" >want 2>/dev/null ||
					die "$p: cProfile run of $shape failed"
				diff want got >&2 || die "$p $shape: calls differ from cProfile's"
			else
				# one part per thread: none has a cycle either
				pcg-emit --separate-threads -o part prof
				[ -e part-03 ] || die "$p: fewer than 3 thread parts"
				for f in part-*; do
					python3 "$PY/cgcycles.py" "$f" >&2 || die "$p threads: cycles left in $f"
				done
			fi
			set -- $(selfsum cg)
			[ "$1" -eq "$2" ] && [ "$1" -gt 0 ] || die "$p $shape: self costs $1, total $2"
			[ "$(selfsum merged)" = "$1 $2" ] || die "$p $shape: totals differ from the merged graph's"
			inclusive "$PWD/merged" >want
			inclusive "$PWD/cg" >got
			[ "$(wc -l <want)" -gt 10 ] && diff want got >&2 ||
				die "$p $shape: inclusive costs differ from the merged graph's"
		done
	done
}

# Real programs nobody here wrote, Debian's pytest and Django, as users run
# them: their merged graphs hold cycles (pluggy's hooks, Django's
# middleware and imports), the default output none, with or without the
# standard library.  Skipped loudly without the packages; in CI a failure
# (.ci/run installs python3-pytest and python3-django).
realprog() { # MODULE
	/usr/bin/python3 -c "import $1" 2>/dev/null && return
	[ -z "${CI:-}" ] || die "CI: /usr/bin/python3 has no $1 (.ci/run installs python3-$1)"
	skip "no $1 for /usr/bin/python3 (apt-get install python3-$1): not tried on it"
}

# PROFILE: the merged graph has cycles, the default none, the numbers hold.
nocycles() { # PROFILE
	pcg-emit --no-clones -o merged "$1"
	run python3 "$PY/cgcycles.py" merged
	[ "$status" -eq 1 ] || die "$1: cgcycles.py found no cycle in the merged graph"
	say "$1 merged: ${lines[0]}"
	pcg-emit -o cg "$1"
	valid cg
	python3 "$PY/cgcycles.py" cg >&2 || die "$1: cycles left"
	# (a name is given once, where its id is first used: fn= or cfn=)
	say "$1 default: $(grep -c "^c\?fn=([0-9]*) .*'[0-9]*$" cg) clones of $(grep -c '^c\?fn=([0-9]*) ' merged) functions"
	[ "$(selfsum merged)" = "$(selfsum cg)" ] || die "$1: totals differ"
	inclusive "$PWD/merged" >want
	inclusive "$PWD/cg" >got
	diff want got >&2 || die "$1: inclusive costs differ from the merged graph's"
	pcg-filter --drop-stdlib "$1" >f.pcg
	pcg-emit -o cg f.pcg
	python3 "$PY/cgcycles.py" cg >&2 || die "$1 --drop-stdlib: cycles left"
}

@test "emit: real pytest run (python3 -m pytest): no cycle" {
	realprog pytest
	mkdir t
	cat >t/test_real.py <<-'PY'
	import json
	import pytest

	@pytest.fixture
	def data():
	    return {"a": [1, 2, 3], "b": {"c": "d"}}

	@pytest.mark.parametrize("n", range(10))
	def test_roundtrip(data, n):
	    data["n"] = n
	    assert json.loads(json.dumps(data)) == data

	class TestClass:
	    def test_raises(self):
	        with pytest.raises(ZeroDivisionError):
	            1 / 0
	PY
	pcg-trace -q -o prof /usr/bin/python3 -m pytest -q -p no:cacheprovider t >out 2>&1 ||
		{ cat out >&2; die "pytest run failed"; }
	grep -q '11 passed' out
	nocycles prof
	# the test file's functions are called as often as pcg counted
	pcg-emit -o cg prof
	/usr/bin/python3 "$PY/counts.py" pcgall prof t/test_real.py >want
	/usr/bin/python3 "$PY/counts.py" callgrind cg t/test_real.py >got
	grep -q 'test_roundtrip 10$' got && diff want got >&2
}

@test "emit: real Django run (manage.py check of a startproject): no cycle" {
	realprog django
	/usr/bin/python3 -m django startproject site1
	cd site1
	pcg-trace -q -o ../prof /usr/bin/python3 manage.py check >../out 2>&1 ||
		{ cat ../out >&2; die "manage.py check failed"; }
	cd ..
	grep -q 'no issues' out
	nocycles prof
}

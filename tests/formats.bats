#!/usr/bin/env bats
# pcg-emit's other formats (-F text, collapsed, pstats): each checked against
# a tool nobody here wrote where there is one (callgrind_annotate on the
# callgrind output of the same profile, flamegraph.pl, Python's pstats and
# cProfile).

load common

PY="$BATS_TEST_DIRNAME/py"

setup() {
	pysetup
}

# The rows of a text table: "SELF INCL CALLS PERCALL NAME LOC".
rows() { awk 'go { print } /^ +self /{ go = 1 }' "$1"; }

# The total of a text table, in its header's unit ("wall: 100 ns in all").
ttotal() { sed -n 's/^[a-z]*: \([0-9.]*\) [a-z]* in all,.*/\1/p' "$1"; }

# Inclusive cost of FUNCTION in callgrind_annotate's inclusive view.
cgincl() { # CALLGRIND_FILE FUNCTION
	(cd / && callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>&1) | F=$2 awk '
		{ n = $1; gsub(/,/, "", n); f = $NF; sub(/.*:/, "", f) }
		f == ENVIRON["F"] && n ~ /^[0-9]+$/ { print n; exit }'
}

@test "text: the numbers of the hand-made profiles, and callgrind_annotate's" {
	pcg-emit -F text "$DATA/emit-fib.pcg" > out
	[ "$(ttotal out)" = 100 ]
	# emit.bats works these out: self fib 65, <module> 20, len 15;
	# fib on the stack 80 once (not 110), called twice, once primitive
	rows out > r
	diff - r <<-EOF
	        65         80       2/1         80  fib  /home/u/fib.py:3
	        20        100         1        100  __main__.<module>  /home/u/fib.py:1
	        15         15         2          7  builtins.len  <built-in>
	EOF
	pcg-emit "$DATA/emit-fib.pcg" > cg
	[ "$(cgincl "$PWD/cg" fib)" = 80 ]
	pcg-emit -F text "$DATA/emit-mutual.pcg" > out
	rows out | awk '{ print $2, $3, $5 }' | sort > r
	diff - r <<-EOF
	100 1 main
	60 2/1 b
	80 2/1 a
	EOF
	# the second cost column
	pcg-emit -F text --cost cpu "$DATA/emit-2cost.pcg" > out
	grep -q '^cpu: 80 ns in all' out
	run pcg-emit -F text --cost nope "$DATA/emit-2cost.pcg"
	[ "$status" -eq 1 ] && [[ "$output" == *"no such cost column"* ]]
	run pcg-emit -F nope "$DATA/emit-fib.pcg"
	[ "$status" -eq 1 ] && [[ "$output" == *"no such format"* ]]
	run pcg-emit -F text --separate-threads -o x "$DATA/emit-fib.pcg"
	[ "$status" -eq 1 ]
}

@test "text: a recursive program: inclusive never above the total, as callgrind_annotate says, every interpreter" {
	local p
	for p in $PYS; do
		say "formats_rec.py on $p"
		# --raw: the formats, not compensation (it can take a short
		# function's every interval to 0: fib gone from callgrind_annotate)
		pcg-trace -q --raw -o prof "$p" "$PY/formats_rec.py" > /dev/null || die "$p: pcg-trace failed"
		pcg-emit -F text --limit 0 prof > out
		pcg-emit prof > cg
		t=$(ttotal out)
		[ -n "$t" ] || die "$p: no total"
		rows out > r
		[ "$(wc -l < r)" -ge 8 ] || die "$p: few rows"
		awk -v t="$t" '$2 + 0 > t + 0 { print "above the total " t ": " $0; bad = 1 } END { exit bad }' r >&2 ||
			die "$p: an inclusive time above the total"
		grep -Eq '^ +[0-9.]+ +[0-9.]+ +1973/1 +[0-9.]+  fib  ' r || die "$p: fib not 1973/1 calls"
		grep -Eq ' 260/10 +[0-9.]+  even  ' r || die "$p: even not 260/10 calls"
		grep -Eq ' 250/10 +[0-9.]+  odd  ' r || die "$p: odd not 250/10 calls"
		# no line wider than a terminal
		awk 'length($0) > 80 { print; bad = 1 } END { exit bad }' out >&2 || die "$p: a line over 80 columns"
		# the totals and fib's inclusive time are callgrind_annotate's
		# (in the table's unit, ms: a run takes more than 1 ms; decimals cut)
		want=$(awk '/^totals:/ { printf "%d.%03d", int($2 / 1e6), int($2 / 1000) % 1000 }' cg)
		[ "$t" = "$want" ] || die "$p: total $t, callgrind $want"
		want=$(cgincl "$PWD/cg" fib | awk '{ printf "%d.%03d", int($1 / 1e6), int($1 / 1000) % 1000 }')
		got=$(awk '$5 == "fib" { print $2 }' r)
		[ "$got" = "$want" ] || die "$p: fib incl $got, callgrind_annotate $want"
	done
}

@test "text: --sort orders by each column, --limit cuts" {
	pcg-trace -q -o prof /usr/bin/python3 "$PY/formats_rec.py" > /dev/null
	for key in self incl calls percall name; do
		pcg-emit -F text --sort "$key" --limit 0 prof > out
		grep -q "^sorted by $key, all " out || die "$key: header"
		case $key in
		self) c=1 ;; incl) c=2 ;; calls) c=3 ;; percall) c=4 ;; name) c=5 ;;
		esac
		# (names cut to fit start with ...: left out)
		rows out | awk -v c="$c" '$5 !~ /^\.\.\./ { v = $c; sub(/\/.*/, "", v); print v }' > col
		if [ "$key" = name ]; then
			LC_ALL=C sort -c col || die "not sorted by name"
		else
			sort -g -r -c col || die "not sorted by $key"
		fi
	done
	pcg-emit -F text --sort calls --limit 3 prof > out
	grep -q '^sorted by calls, the first 3$' out
	[ "$(rows out | wc -l)" -eq 3 ]
	[ "$(rows out | awk 'NR == 1 { print $5 }')" = builtins.len ]
	# the default: 30 rows
	pcg-emit -F text prof > out
	[ "$(rows out | wc -l)" -eq 30 ]
	run pcg-emit -F text --sort bogus prof
	[ "$status" -eq 1 ]
	run pcg-emit -F text --limit x prof
	[ "$status" -eq 1 ]
}

# The sum of a collapsed file's values.
csum() { awk '{ s += $NF } END { print s + 0 }' "$1"; }

@test "collapsed: values add up to the total, per cost column, and stacks are unique" {
	for f in emit-fib emit-mutual emit-threads emit-2cost filter-app filter-nested; do
		pcg-emit -F collapsed "$DATA/$f.pcg" > out
		pcg-emit "$DATA/$f.pcg" > cg
		[ "$(csum out)" = "$(awk '/^totals:/ { print $2 }' cg)" ] || die "$f: sum $(csum out)"
		! awk '{ $NF = ""; print }' out | sort | uniq -d | grep -q . || die "$f: a stack twice"
		! grep -Ev '^[^ ].* [1-9][0-9]*$' out || die "$f: a line not 'STACK VALUE'"
	done
	pcg-emit -F collapsed --cost cpu "$DATA/emit-2cost.pcg" > out
	pcg-emit "$DATA/emit-2cost.pcg" > cg
	[ "$(csum out)" = "$(awk '/^totals:/ { print $3 }' cg)" ]
	# one thread: no thread frame; several: each stack starts with its thread
	pcg-emit -F collapsed "$DATA/emit-fib.pcg" > out
	diff - out <<-EOF
	__main__.<module> 20
	__main__.<module>;fib 65
	__main__.<module>;fib;builtins.len 15
	EOF
	pcg-emit -F collapsed "$DATA/emit-threads.pcg" > out
	[ "$(grep -c '^<thread [12]: ' out)" -eq "$(wc -l < out)" ]
	# a ';' in a name is not a frame separator
	sed 's/	work\\tit/	wo;rk/' "$DATA/emit-threads.pcg" > semi.pcg
	pcg-emit -F collapsed semi.pcg > out
	grep -qF '<thread 2: worker\tone\x01>;wo\x3brk \xff' out
}

@test "collapsed: a known program's stacks, on every interpreter" {
	local p
	for p in $PYS; do
		say "formats_rec.py on $p"
		# --raw: compensation can take even's and odd's self (a compare
		# and a call each) to 0, and a stack without cost is not written
		pcg-trace -q --raw -o prof "$p" "$PY/formats_rec.py" > /dev/null || die "$p: pcg-trace failed"
		pcg-emit -F collapsed prof > out
		pcg-emit prof > cg
		[ "$(csum out)" = "$(awk '/^totals:/ { print $2 }' cg)" ] || die "$p: the sum is not the total"
		awk '{ $NF = ""; print }' out | sed 's/ $//' > stacks
		# recursion folds into the frame it re-entered: fib once, even
		# and odd once each, whatever the depth
		for s in '__main__.<module>;main;fib' '__main__.<module>;main;even;odd' \
			'__main__.<module>;main;work;builtins.len'; do
			grep -qFx "$s" stacks || die "$p: no stack $s"
		done
		! grep -q 'fib;fib\|even;odd;even' stacks || die "$p: recursion not folded"
	done
}

@test "collapsed: flamegraph.pl draws it (Debian's flamegraph package)" {
	command -v flamegraph.pl > /dev/null || command -v flamegraph > /dev/null ||
		skip "flamegraph.pl not installed (Debian package flamegraph): not checked"
	fg=$(command -v flamegraph.pl || command -v flamegraph)
	pcg-trace -q --raw -o prof /usr/bin/python3 "$PY/formats_rec.py" > /dev/null
	pcg-emit -F collapsed prof > out
	"$fg" out > fg.svg 2> err || die "flamegraph.pl failed: $(cat err)"
	grep -q '<svg' fg.svg
	for f in fib even odd work; do grep -q ">$f<\|>$f (" fg.svg || die "no $f in the SVG"; done
}

@test "pstats: pstats.Stats loads it and call counts are cProfile's, on every interpreter" {
	local p s
	for p in $PYS; do
		for s in calls.py formats_rec.py cnames.py; do
			say "$s on $p"
			m=cprofile M=pstats
			[ "$s" = cnames.py ] && m=cprofile-owners M=pstats-owners
			"$p" "$PY/counts.py" $m "$PY/$s" > want 2> /dev/null || die "$p: cProfile run of $s failed"
			pcg-trace -q -o prof "$p" "$PY/$s" > /dev/null || die "$p: pcg-trace $s failed"
			pcg-emit -F pstats -o out.prof prof 2> err || { cat err >&2; die "$p: pcg-emit failed"; }
			nosan err
			"$p" -c 'import pstats, sys; pstats.Stats(sys.argv[1]).sort_stats("cumulative").print_stats()' \
				out.prof > printed 2>&1 || { cat printed >&2; die "$p: pstats does not load it"; }
			grep -q 'function calls' printed || die "$p: print_stats printed no summary"
			"$p" "$PY/counts.py" $M out.prof "$PY/$s" > got
			diff want got >&2 || die "$p: $s: counts differ from cProfile's"
		done
		# primitive calls too, and times: tt adds up to the total, no ct
		# above it (seconds; the total from the callgrind output)
		pcg-trace -q -o prof "$p" "$PY/formats_rec.py" > /dev/null
		pcg-emit -F pstats -o out.prof prof
		total=$(pcg-emit prof | awk '/^totals:/ { print $2 }')
		"$p" - out.prof "$PY/formats_rec.py" "$total" <<-'EOF' || die "$p: pstats figures"
		import cProfile, pstats, sys, os
		st = pstats.Stats(sys.argv[1]).stats
		total = int(sys.argv[3]) / 1e9
		tt = sum(v[2] for v in st.values())
		assert abs(tt - total) < 1e-9 * len(st), (tt, total)
		assert all(v[3] <= total + 1e-12 for v in st.values()), 'ct above the total'
		src = os.path.abspath(sys.argv[2])
		prof = cProfile.Profile()
		sys.stdout = open(os.devnull, 'w')
		prof.runctx(compile(open(src).read(), src, 'exec'), {'__name__': '__main__'}, None)
		sys.stdout = sys.__stdout__
		want = {k[2]: v[:2] for k, v in pstats.Stats(prof).stats.items() if k[0] == src}
		got = {k[2]: v[:2] for k, v in st.items() if k[0] == src}
		for f in ('fib', 'even', 'odd', 'work', 'main'):
		    assert want[f] == got[f], (f, want[f], got[f])
		EOF
	done
}

@test "pycachegrind -F passes the format to pcg-emit" {
	pycachegrind --no-gui -F pstats -o out.prof /usr/bin/python3 "$PY/formats_rec.py" > /dev/null 2> err ||
		{ cat err >&2; die "pycachegrind -F pstats failed"; }
	grep -q 'wrote out.prof (pstats)' err
	/usr/bin/python3 -c 'import pstats, sys; pstats.Stats(sys.argv[1]).print_stats()' out.prof | grep -q '1973/1 .*(fib)'
	pycachegrind --no-gui -q -F collapsed -o out.folded /usr/bin/python3 "$PY/formats_rec.py" > /dev/null
	grep -q '^__main__.<module>;main;fib [0-9]*$' out.folded
	mkdir d && cd d
	pycachegrind --no-gui -q -F text /usr/bin/python3 "$PY/formats_rec.py" > /dev/null
	grep -q '^sorted by self' pcg.*.text
	run pycachegrind --no-gui -q -F nope /usr/bin/python3 "$PY/formats_rec.py"
	[ "$status" -ne 0 ] && [[ "$output" == *"no such format"* ]]
}

# speedscope_check.py's facts about a speedscope file (it fails on a file
# that breaks the schema's required fields or an evented profile that does
# not nest; with speedscope's npm package, on one its schema file rejects);
# json.tool parses it first, as UTF-8.
sscheck() {
	local d
	python3 -m json.tool "$1" > /dev/null || die "$1: not JSON"
	d=$(ssdir) && [ -f "$d/file-format-schema.json" ] || d=
	python3 "$PY/speedscope_check.py" "$1" ${d:+"$d/file-format-schema.json"}
}

# The sum of the profiles' own time (the weights of sampled ones).
ssown() { awk '$1 == "profile" { s += $NF } END { print s + 0 }' "$1"; }

@test "speedscope: the hand-made profiles: schema, nesting, weights add up to the total, names in JSON" {
	ssdir > /dev/null || say "speedscope's npm package not found: its schema file not used, the checker's fields only"
	for f in emit-fib emit-mutual emit-threads emit-2cost filter-app filter-nested \
		emit-fib-events emit-gen-events emit-mutual-events emit-rootrec-events emit-threads-events; do
		pcg-emit -F speedscope -o out.json "$DATA/$f.pcg"
		sscheck out.json > chk || die "$f: $(cat chk)"
		pcg-emit "$DATA/$f.pcg" > cg
		[ "$(ssown chk)" = "$(awk '/^totals:/ { print $2 }' cg)" ] || die "$f: own time $(ssown chk)"
		# an events stream gives a timeline, a profile samples
		if head -n 1 "$DATA/$f.pcg" | grep -q events; then
			! grep -q '^profile sampled' chk || die "$f: sampled from events"
		else
			! grep -q '^profile evented' chk || die "$f: evented from a profile"
		fi
	done
	# the second cost column; several inputs merge into a profile: sampled
	pcg-emit -F speedscope --cost cpu -o out.json "$DATA/emit-2cost.pcg"
	[ "$(ssown <(sscheck out.json))" = "$(pcg-emit "$DATA/emit-2cost.pcg" | awk '/^totals:/ { print $3 }')" ]
	pcg-emit -F speedscope -o out.json "$DATA/emit-fib-events.pcg" "$DATA/emit-fib.pcg"
	sscheck out.json > chk
	[ "$(grep -c '^profile sampled' chk)" -eq 1 ] && [ "$(ssown chk)" -eq 200 ]
	# the timeline: a yield closes the generator's frame, its resumption
	# opens it again inside its consumer; frames are function ids - 1
	pcg-emit -F speedscope "$DATA/emit-gen-events.pcg" | grep '^{"type":"[OC]"' > ev
	diff - ev <<-'EOF'
	{"type":"O","frame":0,"at":0},
	{"type":"O","frame":1,"at":10},
	{"type":"C","frame":1,"at":20},
	{"type":"O","frame":2,"at":30},
	{"type":"O","frame":1,"at":40},
	{"type":"C","frame":1,"at":50},
	{"type":"C","frame":2,"at":60},
	{"type":"C","frame":0,"at":70}
	EOF
	# any bytes in names: control characters as JSON escapes, a byte that
	# is not UTF-8 (0xff) as U+FFFD, UTF-8 as it is; a thread per profile
	pcg-emit -F speedscope -o out.json "$DATA/emit-threads-events.pcg"
	python3 - out.json <<-'EOF'
	import json, sys
	f = json.load(open(sys.argv[1], encoding='utf-8'))
	names = [x['name'] for x in f['shared']['frames']]
	assert names == ['__main__.<module>', 'work\tit \ufffd', 'time.sleep', '<lambda>', '<lambda>'], names
	assert f['shared']['frames'][0] == {'name': '__main__.<module>', 'file': '/tmp/my dir/prog é.py', 'line': 1}
	assert 'file' not in f['shared']['frames'][2]
	assert [p['name'] for p in f['profiles']] == ['<thread 1: MainThread>', '<thread 2: worker\tone\x01>']
	assert f['name'] == 'python3 /tmp/my dir/prog é.py --n\\t1'.replace('\\t', '\t'), f['name']
	assert all(p['unit'] == 'nanoseconds' and p['endValue'] == 100 for p in f['profiles'])
	EOF
	grep -qF '"name":"work\tit \ufffd"' out.json
	grep -qF '"name":"<thread 2: worker\tone\u0001>"' out.json
	# a profile read cut short (--partial): frames still open close at the end
	head -n 18 "$DATA/emit-threads-events.pcg" > cut.pcg
	pcg-emit -F speedscope --partial -o out.json cut.pcg
	sscheck out.json > chk || die "cut: $(cat chk)"
}

@test "speedscope: a real program's timeline and its profile, on every interpreter" {
	local p
	for p in $PYS; do
		say "formats_rec.py on $p"
		# --raw: no function's self cost compensated to 0 (as below)
		pcg-trace -q --raw --events -o run.ev "$p" "$PY/formats_rec.py" > /dev/null || die "$p: pcg-trace failed"
		pcg-emit -F speedscope -o ev.json run.ev 2> err || { cat err >&2; die "$p: pcg-emit failed"; }
		nosan err
		sscheck ev.json > ev.chk || die "$p: $(cat ev.chk)"
		# the real nesting: fib(15) is 15 frames deep, even(50) 26 evens
		# and 25 odds
		grep -qx 'depth fib 15' ev.chk && grep -qx 'depth even 26' ev.chk && grep -qx 'depth odd 25' ev.chk ||
			die "$p: depths $(grep -E '^depth (fib|even|odd) ' ev.chk)"
		# the same run aggregated: a sample per context, each function's
		# self cost as the timeline has it, to the nanosecond, and the
		# weights add up to the total
		pcg-merge run.ev | pcg-emit -F speedscope -o prof.json
		sscheck prof.json > prof.chk || die "$p: $(cat prof.chk)"
		# (a function whose every interval compensation took to 0 is a
		# zero-length frame in the timeline and no sample in the profile)
		diff <(grep '^self ' ev.chk | grep -v ' 0$') <(grep '^self ' prof.chk | grep -v ' 0$') >&2 ||
			die "$p: self costs differ"
		pcg-emit run.ev > cg
		[ "$(ssown ev.chk)" = "$(awk '/^totals:/ { print $2 }' cg)" ] || die "$p: timeline not the total"
		[ "$(ssown prof.chk)" = "$(awk '/^totals:/ { print $2 }' cg)" ] || die "$p: weights not the total"
		# a function's time on the stack, counted once: pcg-emit -F
		# text's inclusive time (ms, cut to 3 decimals)
		pcg-emit -F text --limit 0 run.ev > txt
		for f in fib even odd work main; do
			want=$(awk -v f="$f" '$5 == f { print $2 }' txt)
			got=$(awk -v f="$f" '$1 == "total" && $2 == f { printf "%d.%03d", int($NF / 1e6), int($NF / 1000) % 1000 }' ev.chk)
			[ "$got" = "$want" ] || die "$p: $f on the stack $got ms, text says $want"
		done
		# and from a profile-layer trace
		pcg-trace -q --raw -o run.pcg "$p" "$PY/formats_rec.py" > /dev/null
		pcg-emit -F speedscope -o prof.json run.pcg
		sscheck prof.json > prof.chk || die "$p: $(cat prof.chk)"
		[ "$(ssown prof.chk)" = "$(pcg-emit run.pcg | awk '/^totals:/ { print $2 }')" ] || die "$p: weights"
		grep -q '^self fib .*/formats_rec.py:6 [1-9]' prof.chk || die "$p: no fib"
	done
}

# speedscope's own page, from its npm package (PCG_SPEEDSCOPE: the folder
# that holds its index.html; default: where .ci/run installs it).
ssdir() {
	local d=${PCG_SPEEDSCOPE:-$BATS_TEST_DIRNAME/../build/speedscope/node_modules/speedscope/dist/release}
	[ -f "$d/index.html" ] && (cd "$d" && pwd)
}

# chromium, headless, on URL with a fresh profile: chromium ARGS... URL
browse() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$PWD/chromium.$RANDOM" --window-size=1280,800 --virtual-time-budget=10000 "$@" 2> /dev/null
}

@test "speedscope: speedscope itself shows the file in chromium, as a user opens it" {
	command -v chromium > /dev/null || skip "chromium not installed (Debian package chromium): not checked"
	ss=$(ssdir) || skip "speedscope's npm package not found (npm install --prefix build/speedscope speedscope; or PCG_SPEEDSCOPE=DIR): not checked"
	pcg-trace -q --events -o run.ev /usr/bin/python3 "$PY/formats_rec.py" > /dev/null
	mkdir www
	ln -s "$ss" www/speedscope
	pcg-emit -F speedscope -o www/ev.json run.ev
	pcg-merge run.ev | pcg-emit -F speedscope -o www/prof.json
	sscheck www/ev.json > ev.chk
	sscheck www/prof.json > prof.chk
	# served on 127.0.0.1 only, for a minute at most
	python3 "$PY/speedscope_view.py" serve www port 60 &
	srv=$!
	for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
	url="http://127.0.0.1:$(cat port)/speedscope/index.html#profileURL=%2F"
	# the timeline as it opens (time order): drawn, in colour
	browse --screenshot="$PWD/ev.png" "${url}ev.json"
	cp ev.png "${PCG_SHOTS:-$BATS_TEST_TMPDIR}/speedscope-evented.png" 2> /dev/null || true
	read -r w h share < <(python3 "$PY/speedscope_view.py" png ev.png)
	[ "$w" -eq 1280 ] && [ "$h" -eq 800 ] || { kill "$srv"; die "screenshot ${w}x$h"; }
	awk -v s="$share" 'BEGIN { exit !(s > 0.02) }' || { kill "$srv"; die "screenshot: $share coloured"; }
	# speedscope's sandwich table: each function's total and self as the
	# file has them; the profile's name in its title
	browse --dump-dom "${url}ev.json&view=sandwich" > ev.dom
	python3 "$PY/speedscope_view.py" sandwich ev.dom ev.chk fib even odd work main builtins.len >&2 ||
		{ kill "$srv"; die "the evented profile, as speedscope shows it"; }
	grep -q '<title>/usr/bin/python3 .*formats_rec.py - speedscope</title>' ev.dom || { kill "$srv"; die "title"; }
	grep -q '&lt;thread 1: MainThread&gt;' ev.dom || { kill "$srv"; die "no thread's name"; }
	# the sampled profile: each function's self (totals of a mutual
	# recursion are the tree's, folded: fib, work and main only)
	browse --dump-dom "${url}prof.json&view=sandwich" > prof.dom
	python3 "$PY/speedscope_view.py" sandwich prof.dom prof.chk fib work main builtins.len >&2 ||
		{ kill "$srv"; die "the sampled profile, as speedscope shows it"; }
	kill "$srv" 2> /dev/null || true
}

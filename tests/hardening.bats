#!/usr/bin/env bats
# Hardening of the common reader and writer (man/pcg-format.5): whatever the
# input, a program either reads it exactly or says `prog: FILE:LINE: what`
# and exits 1; never a crash, a hang, unbounded memory or a wrong profile.
# Driver: $PCG_BUILD/test/pcg-cat (fuzz/pcg-cat.c, built by `make`, not
# installed) reads one stream and writes it as a canonical profile.

load common

setup() {
	CAT=$PCG_BUILD/test/pcg-cat
	[ -x "$CAT" ] || die "$CAT missing: run make (or make check)"
	T=$BATS_TEST_TMPDIR
}

# The profile layer's header, and the events layer's.
ph() { printf 'pcg\t1\tprofile\ncost\twall\tns\n'; }
eh() { printf 'pcg\t1\tevents\ncost\twall\tns\n'; }
# A profile header with one meta record: meta KEY VALUE (VALUE as printf's format).
pm() { printf 'pcg\t1\tprofile\nmeta\t%s\t' "$1"; printf "$2"; printf '\ncost\twall\tns\n'; }

# Append the trailer with the right line count: endline FILE T...
endline() {
	local f=$1 n
	shift
	n=$(wc -l <"$f")
	printf 'end\t%d' "$n" >>"$f"
	printf '\t%s' "$@" >>"$f"
	printf '\n' >>"$f"
}

# No sanitizer report in what a run printed.
clean() {
	case "$output" in
	*Sanitizer* | *"runtime error"*) die "sanitizer: ${output:0:2000}" ;;
	esac
}

# rejects FILE LINE [WORDS]: exit 1 with one line "pcg-cat: FILE:LINE: ...".
rejects() {
	run "$CAT" "$1"
	clean
	[ "$status" -eq 1 ] || die "$1: status $status, expected 1: $output"
	[ "${#lines[@]}" -eq 1 ] || die "$1: expected one line: $output"
	[[ "$output" == "pcg-cat: $1:$2: "* ]] || die "$1: expected 'pcg-cat: $1:$2: ...', got: $output"
	if printf '%s' "$output" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		die "control byte in message: $(printf '%s' "$output" | od -c | head)"
	fi
	[ -z "${3:-}" ] || [[ "$output" == *"$3"* ]] || die "$1: expected '$3' in: $output"
}

# accepts FILE: reads, and the canonical output reads back to itself.
accepts() {
	run "$CAT" -o "$T/rt1" "$1"
	clean
	[ "$status" -eq 0 ] || die "$1: status $status: $output"
	run "$CAT" -o "$T/rt2" "$T/rt1"
	clean
	[ "$status" -eq 0 ] || die "$1: canonical output rejected: $output"
	cmp "$T/rt1" "$T/rt2" || die "$1: second write differs"
}

# A small stream of each layer, used by several tests.
sample_profile() { cat "$BATS_TEST_DIRNAME/../fuzz/corpus/profile-threads.pcg"; }
sample_events() { cat "$BATS_TEST_DIRNAME/../fuzz/corpus/events-rec-threads.pcg"; }

@test "hardening: the examples of pcg-format(5) read, the profile one canonically" {
	man=$BATS_TEST_DIRNAME/../man/pcg-format.5
	sed -n '/^\.SH EXAMPLE/,/^\.fi/p' "$man" | sed '1,2d;$d' >"$T/ex.pcg"
	sed -n '/^The same run as events/,/^\.fi/p' "$man" | sed '1,2d;$d' >"$T/ev.pcg"
	head -1 "$T/ex.pcg" | grep -q profile || die "example not found"
	head -1 "$T/ev.pcg" | grep -q events || die "events example not found"
	accepts "$T/ex.pcg"
	cmp "$T/ex.pcg" "$T/rt1" || die "the profile example is not canonical"
	accepts "$T/ev.pcg"
}

@test "hardening: seed streams round-trip; tests/data: round-trip or FILE:LINE" {
	for f in "$BATS_TEST_DIRNAME"/../fuzz/corpus/*; do
		accepts "$f"
	done
	# Others' data holds bad streams on purpose: each must be read whole or
	# rejected properly.
	for f in "$DATA"/*; do
		[ -f "$f" ] || continue
		run "$CAT" "$f"
		clean
		case "$status" in
		0) accepts "$f" ;;
		1) [[ "$output" == "pcg-cat: $f:"[0-9]*": "* ]] || die "$f: $output" ;;
		*) die "$f: status $status: $output" ;;
		esac
	done
}

@test "hardening: empty file, missing newline at EOF, CRLF, CR inside a field" {
	: >"$T/empty"
	rejects "$T/empty" 1 "empty"
	ph >"$T/nonl" && printf 'end\t2\t0' >>"$T/nonl"
	rejects "$T/nonl" 3 "newline"
	printf 'pcg\t1\tprofile\r\ncost\twall\tns\r\nend\t2\t0\r\n' >"$T/crlf"
	rejects "$T/crlf" 1 "carriage return"
	ph >"$T/crlf2" && printf 'end\t2\t0\r\n' >>"$T/crlf2"
	rejects "$T/crlf2" 3 "carriage return"
	pm k 'a\rb' >"$T/cr" && endline "$T/cr" 0
	rejects "$T/cr" 2 "control"
	printf '\n' >"$T/nl"
	rejects "$T/nl" 1
}

@test "hardening: every truncation of a stream, at a line or a byte, is rejected" {
	for layer in profile events; do
		sample_$layer >"$T/full"
		n=$(wc -l <"$T/full")
		for ((k = 0; k < n; k++)); do
			head -n "$k" "$T/full" >"$T/cut"
			rejects "$T/cut" $((k + 1))
		done
	done
	cp "$BATS_TEST_DIRNAME/../fuzz/corpus/man-events.pcg" "$T/full"
	size=$(wc -c <"$T/full")
	for ((c = 1; c < size; c++)); do
		head -c "$c" "$T/full" >"$T/cut"
		run "$CAT" "$T/cut"
		clean
		[ "$status" -eq 1 ] || die "cut at byte $c: status $status"
		[[ "$output" == "pcg-cat: $T/cut:"[0-9]*": "* ]] || die "cut at byte $c: $output"
	done
}

@test "hardening: data after the end record, a wrong count, a second end" {
	sample_profile >"$T/s" && printf 'meta\tk\tv\n' >>"$T/s"
	n=$(wc -l <"$T/s")
	rejects "$T/s" "$n" "after the end"
	sample_profile >"$T/s" && printf '\n' >>"$T/s"
	rejects "$T/s" "$n" "after the end"
	sample_profile | sed 's/^end\t21\t/end\t20\t/' >"$T/s"
	rejects "$T/s" 22 "counts 20 lines"
	ph >"$T/s" && printf 'end\t2\t0\nend\t3\t0\n' >>"$T/s"
	rejects "$T/s" 4 "after the end"
}

@test "hardening: NUL bytes: rejected raw anywhere, kept when escaped" {
	# Regression: a NUL tag matched strchr("crys", 0) and was read as a return.
	rejects "$DATA/bad-nul-tag.pcg" 6 "unknown record '\\x00'"
	eh >"$T/s" && printf 'thread\t1\t1\tt\nfn\t1\tpy\tm\tf\t1\tg\nc\t1\t1\t0\t0\n' >>"$T/s"
	printf 'r\0\t1\t5\n' >>"$T/s" && endline "$T/s" 9
	rejects "$T/s" 6 "unknown record"
	pm k 'a\0b' >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 2 "control"
	ph >"$T/s" && printf 'end\t2\t1\0\n' >>"$T/s"
	rejects "$T/s" 3 "not a number"
	pm k 'a\\x00b' >"$T/s" && endline "$T/s" 0
	accepts "$T/s"
	cmp "$T/s" "$T/rt1" || die "escaped NUL not kept"
}

@test "hardening: every byte value, and invalid UTF-8, round-trips exactly" {
	# Name = bytes 0..255 in their escaped form; the output must equal the input.
	esc=$(LC_ALL=C awk 'BEGIN {
		for (i = 0; i < 256; i++) {
			if (i == 9) s = s "\\t"; else if (i == 10) s = s "\\n";
			else if (i == 13) s = s "\\r"; else if (i == 92) s = s "\\\\";
			else if (i < 32 || i == 127) s = s sprintf("\\x%02x", i);
			else s = s sprintf("%c", i);
		}
		printf "%s", s }')
	LC_ALL=C
	{ printf 'pcg\t1\tprofile\nmeta\tall\t%s\ncost\twall\tns\n' "$esc"; printf 'thread\t1\t1\t%s\n' "$esc"
	  printf 'fn\t1\tpy\t%s\t%s\t1\t%s\n' "$esc" "$esc" "$esc"
	  printf 'node\t1\t0\t1\t0\t1\t5\t5\n'
	  printf 'fn\t2\tc\t\xff\xfe\xc3\x28\t\t0\t\xed\xa0\x80\xf8\x88\x80\x80\x80\n'
	  printf 'node\t2\t1\t2\t1\t1\t0\t0\n'; } >"$T/s"
	endline "$T/s" 5
	accepts "$T/s"
	cmp "$T/s" "$T/rt1" || die "bytes changed"
	[ "$(LC_ALL=C grep -c $'\xff\xfe' "$T/rt1")" -eq 1 ] || die "raw high bytes not written raw"
}

@test "hardening: bad escapes are rejected" {
	for e in '\q' '\x4G' '\x0A' '\x0' 'ab\' '\X41' '\'; do
		printf 'pcg\t1\tprofile\nmeta\tk\t%s\ncost\twall\tns\n' "$e" >"$T/s" && endline "$T/s" 0
		rejects "$T/s" 2 "field 3"
	done
}

@test "hardening: numbers and ids at their limits" {
	big=18446744073709551615
	ph >"$T/s" && printf 'thread\t1\t%s\tt\nfn\t1\tpy\tm\tf\t4294967294\tg\n' $big >>"$T/s"
	printf 'node\t1\t0\t1\t4294967294\t%s\t%s\t%s\n' $big $big $big >>"$T/s"
	endline "$T/s" $big
	accepts "$T/s"
	cmp "$T/s" "$T/rt1" || die "limits not kept"
	for bad in 18446744073709551616 99999999999999999999 007 -1 +1 '1 ' ' 1' 1e3 0x10 ''; do
		ph >"$T/s" && printf 'end\t2\t%s\n' "$bad" >>"$T/s"
		rejects "$T/s" 3 "field 3"
	done
	# Ids: 32 bits, at most 4294967294.
	ph >"$T/s" && printf 'fn\t4294967295\tpy\tm\tf\t1\tg\n' >>"$T/s" && endline "$T/s" 0
	rejects "$T/s" 3 "out of range"
	ph >"$T/s" && printf 'fn\t4294967294\tpy\tm\tf\t1\tg\n' >>"$T/s" && endline "$T/s" 0
	rejects "$T/s" 3 "out of order"
	ph >"$T/s" && printf 'fn\t0\tpy\tm\tf\t1\tg\n' >>"$T/s" && endline "$T/s" 0
	rejects "$T/s" 3 "out of order"
	ph >"$T/s" && printf 'thread\t1\t1\tt\nfn\t1\tpy\tm\tf\t1\tg\nnode\t1\t4294967294\t1\t0\t1\t0\t0\n' >>"$T/s"
	endline "$T/s" 0
	rejects "$T/s" 5 "not a node defined earlier"
	ph >"$T/s" && printf 'thread\t1\t1\tt\nfn\t1\tpy\tm\tf\t1\tg\nnode\t1\t0\t4294967294\t0\t1\t0\t0\n' >>"$T/s"
	endline "$T/s" 0
	rejects "$T/s" 5 "undefined function"
	eh >"$T/s" && printf 'thread\t1\t1\tt\nfn\t1\tpy\tm\tf\t1\tg\nc\t4294967294\t1\t0\t0\n' >>"$T/s"
	endline "$T/s" 0
	rejects "$T/s" 5 "undefined thread"
}

@test "hardening: a short fn record is reported as such (stale fields)" {
	# Regression: fn read its id before counting fields, from the last line.
	rejects "$DATA/bad-fn-short.pcg" 4 "fn record has 1 fields, expected 7"
}

@test "hardening: a repeat of the newest node or rec is rejected" {
	# Regression: a repeat was detected by comparing with the newest id, so
	# repeating the record just before was accepted and overwrote its costs.
	rejects "$DATA/bad-dup-node.pcg" 8 "repeats"
	rejects "$DATA/bad-dup-rec.pcg" 7 "repeats"
}

@test "hardening: header and cost columns" {
	printf 'pcg\t3\tprofile\ncost\twall\tns\nend\t2\t0\n' >"$T/s"
	rejects "$T/s" 1 "version"
	printf 'pcg\t1\tcallgrind\ncost\twall\tns\nend\t2\t0\n' >"$T/s"
	rejects "$T/s" 1 "layer"
	printf 'pcg\t1\tprofile\t\ncost\twall\tns\nend\t2\t0\n' >"$T/s"
	rejects "$T/s" 1
	printf 'pcg\t1\tprofile\nend\t1\n' >"$T/s"
	rejects "$T/s" 2 "cost"
	printf 'pcg\t1\tprofile\ncost\tcpu\tns\nend\t2\t0\n' >"$T/s"
	rejects "$T/s" 2 "first cost column"
	rejects "$DATA/bad-cost-first.pcg" 2 "first cost column"
	{ ph; for i in 2 3 4 5 6 7 8 9; do printf 'cost\tc%d\tns\n' $i; done; } >"$T/s"
	endline "$T/s" 0 0 0 0 0 0 0 0 0
	rejects "$T/s" 10 "more than 8"
	ph >"$T/s" && printf 'thread\t1\t1\tt\ncost\tc\tns\n' >>"$T/s" && endline "$T/s" 0 0
	rejects "$T/s" 4 "cost record after"
	ph >"$T/s" && printf 'thread\t1\t1\tt\nmeta\tk\tv\n' >>"$T/s" && endline "$T/s" 0
	rejects "$T/s" 4 "meta record after"
	# An empty meta key or value is a string like any other.
	printf 'pcg\t1\tprofile\nmeta\t\t\ncost\twall\tns\nend\t3\t0\n' >"$T/s"
	accepts "$T/s"
	cmp "$T/s" "$T/rt1"
}

@test "hardening: node and rec validation" {
	pre() { ph; printf 'fn\t1\tpy\tm\tf\t1\ta\nfn\t2\tpy\tm\tf\t2\tb\nthread\t1\t1\tt\nnode\t1\t0\t1\t0\t1\t0\t0\n'; }
	# parent in another thread
	{ pre; printf 'thread\t2\t2\tu\nnode\t2\t1\t2\t0\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 8 "another thread"
	# parent defined later, or itself
	{ pre; printf 'node\t2\t3\t2\t0\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "not a node defined earlier"
	{ pre; printf 'node\t2\t2\t2\t0\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "not a node defined earlier"
	# node ids out of order
	{ pre; printf 'node\t3\t1\t2\t0\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "out of order"
	# same (parent, fn, line) twice
	{ pre; printf 'node\t2\t1\t2\t4\t1\t0\t0\nnode\t3\t1\t2\t4\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 8 "repeats"
	# rec: before a node of the thread, repeated, target elsewhere, no parent 0
	{ pre; printf 'rec\t1\t1\t3\t1\t0\nnode\t2\t1\t2\t4\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 8 "after the thread's rec"
	{ pre; printf 'rec\t1\t1\t3\t1\t0\nrec\t1\t1\t3\t1\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 8 "repeats"
	# a repeat is found at the end: an error met before it is the one told
	# (the reader does not sort the profile to look for repeats first)
	{ pre; printf 'node\t2\t1\t2\t4\t1\t0\t0\nnode\t3\t1\t2\t4\t1\t0\t0\nbogus\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 9 "unknown record"
	{ pre; printf 'thread\t2\t2\tu\nnode\t2\t0\t2\t0\t1\t0\t0\nrec\t2\t1\t3\t1\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 9 "another thread"
	{ pre; printf 'rec\t0\t1\t3\t1\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "not a node"
	# node before any thread; wrong field counts
	{ ph; printf 'fn\t1\tpy\tm\tf\t1\ta\nnode\t1\t0\t1\t0\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 4 "before any thread"
	{ pre; printf 'node\t2\t1\t2\t0\t1\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "fields"
	{ pre; printf 'rec\t1\t1\t3\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "fields"
	# duplicate function identity; bad kind
	{ pre; printf 'fn\t3\tpy\tm\tf\t1\ta\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "same identity"
	{ pre; printf 'fn\t3\tpython\tm\tf\t1\ta\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "kind"
	# events records in a profile and the other way round
	{ pre; printf 'c\t1\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 7 "unknown record"
	{ eh; printf 'thread\t1\t1\tt\nfn\t1\tpy\tm\tf\t1\ta\nnode\t1\t0\t1\t0\t1\t0\t0\n'; } >"$T/s"
	endline "$T/s" 0
	rejects "$T/s" 5 "unknown record"
}

@test "hardening: events: time order, unmatched returns, undefined names" {
	pre() { eh; printf 'thread\t1\t1\tt\nthread\t2\t2\tu\nfn\t1\tpy\tm\tf\t1\ta\nc\t1\t1\t0\t10\n'; }
	{ pre; printf 'r\t1\t9\n'; } >"$T/s" && endline "$T/s" 20
	rejects "$T/s" 7 "backwards"
	# times are per thread: another thread may be behind
	{ pre; printf 'c\t2\t1\t0\t5\nr\t2\t6\nr\t1\t11\n'; } >"$T/s" && endline "$T/s" 20
	accepts "$T/s"
	{ pre; printf 'r\t1\t11\nr\t1\t12\n'; } >"$T/s" && endline "$T/s" 20
	rejects "$T/s" 8 "return with no frame"
	{ pre; printf 'y\t2\t12\n'; } >"$T/s" && endline "$T/s" 20
	rejects "$T/s" 7 "yield with no frame"
	{ pre; printf 'c\t1\t2\t0\t12\n'; } >"$T/s" && endline "$T/s" 20
	rejects "$T/s" 7 "undefined function"
	{ pre; printf 'c\t3\t1\t0\t12\n'; } >"$T/s" && endline "$T/s" 20
	rejects "$T/s" 7 "undefined thread"
	{ pre; printf 'c\t0\t1\t0\t12\n'; } >"$T/s" && endline "$T/s" 20
	rejects "$T/s" 7 "undefined thread"
	# the trailer's time is a reading too
	pre >"$T/s" && endline "$T/s" 9
	rejects "$T/s" 7 "backwards"
	{ eh; printf 'c\t1\t1\t0\t0\n'; } >"$T/s" && endline "$T/s" 0
	rejects "$T/s" 3 "undefined thread"
}

@test "hardening: a line of megabytes" {
	awk 'BEGIN { printf "pcg\t1\tprofile\nmeta\tbig\t"
		for (i = 0; i < 1048576; i++) printf "\\x01ab\\\\"
		printf "\ncost\twall\tns\nthread\t1\t1\t"
		for (i = 0; i < 1048576; i++) printf "\xe2\x82\xac"
		printf "\nend\t4\t0\n" }' >"$T/s"
	accepts "$T/s"
	cmp "$T/s" "$T/rt1" || die "long lines changed"
	# A megabyte line of tabs: many fields, rejected by count.
	{ ph; awk 'BEGIN { printf "fn"; for (i = 0; i < 1048576; i++) printf "\t"; printf "\n" }'; } >"$T/s"
	endline "$T/s" 0
	rejects "$T/s" 3 "fields"
}

@test "hardening: a million functions, and many threads calling the last one" {
	# Each of 1,000 threads calls function 1,000,000: the aggregator's per-
	# thread lookup must not grow with the function count (a per-thread array
	# indexed by function id needs 4 GB for this 60 MB input).
	awk 'BEGIN { printf "pcg\t1\tevents\ncost\twall\tns\n"
		for (i = 1; i <= 1000000; i++) printf "fn\t%d\tpy\tm\t/f.py\t%d\tf%d\n", i, i, i
		for (t = 1; t <= 1000; t++) printf "thread\t%d\t%d\tt\nc\t%d\t1000000\t0\t%d\nr\t%d\t%d\n", t, t, t, t, t, t + 1
		printf "end\t%d\t2000\n", 2 + 1000000 + 3000 }' >"$T/s"
	case "$PCG_BUILD" in
	*/san) export ASAN_OPTIONS=hard_rss_limit_mb=3000 ;;
	*) ulimit -v 1500000 ;;
	esac
	run "$CAT" "$T/s"
	clean
	[ "$status" -eq 0 ] || die "status $status: ${output:0:300}"
	[ "${#lines[@]}" -eq 2004 ] || die "${#lines[@]} lines"
	# A million functions used, in the profile layer.
	awk 'BEGIN { printf "pcg\t1\tprofile\ncost\twall\tns\nthread\t1\t1\tt\nfn\t1\tpy\tm\t/f.py\t0\troot\nnode\t1\t0\t1\t0\t1\t0\t0\n"
		for (i = 2; i <= 1000000; i++) printf "fn\t%d\tpy\tm\t/f.py\t%d\tf%d\nnode\t%d\t1\t%d\t%d\t1\t1\t1\n", i, i, i, i, i, i
		printf "end\t%d\t0\n", 5 + 2 * 999999 }' >"$T/p"
	accepts "$T/p"
	cmp "$T/p" "$T/rt1" || die "not canonical"
}

@test "hardening: stacks 100,000 deep: a chain, a recursion, a mutual recursion" {
	# events: f1 calls f2 ... calls f100000, all return
	awk 'BEGIN { n = 100000; printf "pcg\t1\tevents\ncost\twall\tns\nthread\t1\t1\tt\n"
		for (i = 1; i <= n; i++) printf "fn\t%d\tpy\tm\t/f.py\t%d\tf%d\nc\t1\t%d\t%d\t%d\n", i, i, i, i, i - 1, i
		for (i = 1; i <= n; i++) printf "r\t1\t%d\n", n + i
		printf "end\t%d\t%d\n", 3 + 3 * n, 2 * n }' >"$T/chain"
	accepts "$T/chain"
	[ "$(grep -c ^node "$T/rt1")" -eq 100000 ] || die "chain nodes"
	# one function 100,000 deep: one node and one rec edge
	{ eh; printf 'thread\t1\t1\tt\nfn\t1\tpy\tm\t/f.py\t1\tf\n'
	  awk 'BEGIN { for (i = 0; i < 100000; i++) printf "c\t1\t1\t3\t%d\n", i
		for (i = 0; i < 100000; i++) printf "r\t1\t%d\n", 100000 + i }'; } >"$T/rec"
	endline "$T/rec" 200000
	accepts "$T/rec"
	[ "$(grep -c '^node\|^rec' "$T/rt1")" -eq 2 ] || die "recursion not folded: $(cat "$T/rt1")"
	# f and g calling each other, 100,000 deep, open frames closed at end
	{ eh; printf 'thread\t1\t1\tt\nfn\t1\tpy\tm\t/f.py\t1\tf\nfn\t2\tpy\tm\t/f.py\t2\tg\n'
	  awk 'BEGIN { for (i = 0; i < 100000; i++) printf "c\t1\t%d\t5\t%d\n", 1 + i % 2, i }'; } >"$T/mut"
	endline "$T/mut" 100000
	accepts "$T/mut"
	[ "$(grep -c '^node\|^rec' "$T/rt1")" -eq 4 ] || die "mutual recursion not folded"
	# the profile layer: a chain 100,000 deep is written back unchanged
	"$CAT" "$T/chain" >"$T/pchain"
	accepts "$T/pchain"
	cmp "$T/pchain" "$T/rt1"
}

@test "hardening: events aggregate by the arc rule (random streams, fuzz/oracle.py)" {
	command -v python3 >/dev/null || skip "python3 missing: arc-rule oracle NOT run"
	python3 "$BATS_TEST_DIRNAME/../fuzz/oracle.py" "$CAT" $(seq 1 200)
}

@test "hardening: error messages escape what they quote" {
	ph >"$T/s" && printf '\033[2J\t1\n' >>"$T/s" && endline "$T/s" 0
	rejects "$T/s" 3 "'\\x1b[2J'"
}

@test "hardening: a directory or a missing file as input" {
	run "$CAT" "$T"
	[ "$status" -eq 1 ] || die "status $status: $output"
	clean
	run "$CAT" "$T/nonexistent"
	[ "$status" -eq 1 ] || die "status $status: $output"
	[[ "$output" == *"No such file"* ]]
}

@test "hardening: writer: closed stdout (EPIPE), with and without SIGPIPE" {
	awk 'BEGIN { printf "pcg\t1\tprofile\nmeta\tbig\t"
		for (i = 0; i < 300000; i++) printf "xxxxxxxxxx"
		printf "\ncost\twall\tns\nend\t3\t0\n" }' >"$T/s"
	# Default SIGPIPE: killed like any Unix filter whose reader went away.
	run bash -c '"$1" "$2" | true; echo "${PIPESTATUS[0]}"' - "$CAT" "$T/s"
	[ "$output" = 141 ] || die "expected 141, got: $output"
	# SIGPIPE ignored (as under some parents): an error message and exit 1.
	run bash -c 'trap "" PIPE; "$1" "$2" 2>"$3" | true; echo "${PIPESTATUS[0]}"' - "$CAT" "$T/s" "$T/err"
	[ "$output" = 1 ] || die "expected 1, got: $output"
	grep -q '^pcg-cat: write <stdout>: Broken pipe$' "$T/err" || die "message: $(cat "$T/err")"
}

@test "hardening: writer: a full disk (/dev/full), as stdout and as -o" {
	sample_profile >"$T/s"
	run bash -c '"$1" "$2" >/dev/full' - "$CAT" "$T/s"
	[ "$status" -eq 1 ] || die "status $status: $output"
	[[ "$output" == *"No space left on device"* ]] || die "message: $output"
	run "$CAT" -o /dev/full "$T/s"
	[ "$status" -eq 1 ] || die "status $status: $output"
	[[ "$output" == *"/dev/full: No space left on device"* ]] || die "message: $output"
	# -o to a device writes it in place: it never renames over the device node.
	[ -c /dev/full ] || die "/dev/full is no longer a device"
	ls /dev/full.tmp* 2>/dev/null && die "temporary left in /dev"
	run "$CAT" -o /dev/null "$T/s"
	[ "$status" -eq 0 ] && [ -c /dev/null ] || die "-o /dev/null: $status $output"
}

@test "hardening: writer: a failed write leaves no file under the final name" {
	awk 'BEGIN { printf "pcg\t1\tprofile\nmeta\tbig\t"
		for (i = 0; i < 100000; i++) printf "xxxxxxxxxx"
		printf "\ncost\twall\tns\nend\t3\t0\n" }' >"$T/s"
	mkdir "$T/out"
	# A file size limit of 64 KiB (SIGXFSZ ignored: write fails with EFBIG).
	run bash -c 'trap "" XFSZ; ulimit -f 64; "$1" -o "$2" "$3"' - "$CAT" "$T/out/p" "$T/s"
	[ "$status" -eq 1 ] || die "status $status: $output"
	[[ "$output" == "pcg-cat: write $T/out/p: File too large" ]] || die "message: $output"
	[ -z "$(ls -A "$T/out")" ] || die "left: $(ls -A "$T/out")"
	# An existing output is left as it was.
	echo old >"$T/out/p"
	run bash -c 'trap "" XFSZ; ulimit -f 64; "$1" -o "$2" "$3"' - "$CAT" "$T/out/p" "$T/s"
	[ "$status" -eq 1 ] || die "status $status"
	[ "$(cat "$T/out/p")" = old ] || die "output clobbered"
	[ "$(ls -A "$T/out")" = p ] || die "left: $(ls -A "$T/out")"
	# And a successful write replaces it whole.
	"$CAT" -o "$T/out/p" "$T/s"
	cmp "$T/out/p" "$T/s"
	[ "$(ls -A "$T/out")" = p ]
}

# gdb stops a program at ofile_commit, its temporary written and not yet
# renamed, and sends it SIG: ofile_open's handler must remove the temporary
# and the program die of SIG (gdb passes the handler's re-raise on).
killed_at_commit() {
	local sig=$1
	shift
	run timeout 120 gdb -q -batch -ex "handle $sig nostop noprint pass" -ex 'break ofile_commit' -ex run \
		-ex "shell ls -A \"$T\" > \"$T/seen\"" -ex "signal $sig" --args "$@"
	[[ "$output" == *"Breakpoint 1, ofile_commit"* ]] || die "$*: never reached ofile_commit: $output"
	grep -q '^\.out\.tmp' "$T/seen" || die "$*: no hidden temporary at ofile_commit: $(cat "$T/seen")"
	[[ "$output" == *"Program terminated with signal $sig"* ]] || die "$* ($sig): not killed by it: $output"
	[ -z "$(ls -A "$T" | grep '^\.\?out')" ] || die "$* ($sig): left: $(ls -A "$T")"
}

@test "hardening: output: SIGINT, SIGTERM, SIGHUP while writing remove the temporary (emit, merge, filter)" {
	command -v gdb > /dev/null || skip "gdb is not installed: cannot stop a program at ofile_commit"
	cp "$DATA/filter-app.pcg" "$T/s"
	for sig in SIGINT SIGTERM SIGHUP; do
		killed_at_commit $sig "$PCG_BUILD/bin/pcg-emit" -o "$T/out" "$T/s"
		killed_at_commit $sig "$PCG_BUILD/bin/pcg-merge" -o "$T/out" "$T/s"
		killed_at_commit $sig "$PCG_BUILD/bin/pcg-filter" -o "$T/out" "$T/s"
	done
}

# The handlers are not installed for a signal the program ignored from the
# start (nohup, `trap '' HUP`): it must stay ignored.  gdb attaches to a
# pcg-emit waiting on a FIFO, then reads its signal masks at ofile_commit.
@test "hardening: output: a signal ignored from the start stays ignored" {
	command -v gdb > /dev/null || skip "gdb is not installed: cannot stop a program at ofile_commit"
	sample_profile > "$T/s"
	mkfifo "$T/in"
	bash -c 'trap "" HUP; exec "$@"' - "$PCG_BUILD/bin/pcg-emit" -o "$T/out" "$T/in" &
	pid=$!
	# gdb must find pcg-emit there, not the bash before its exec
	for _ in $(seq 100); do
		[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$PCG_BUILD/bin/pcg-emit")" ] && break
		sleep 0.05
	done
	run timeout 120 gdb -q -batch -p "$pid" -ex 'break ofile_commit' -ex "shell (cat \"$T/s\" > \"$T/in\" &)" \
		-ex continue -ex 'info proc status' -ex kill
	[[ "$output" == *"Breakpoint 1, ofile_commit"* ]] || die "never reached ofile_commit: $output"
	ign=$(printf '%s\n' "$output" | awk '$1 == "SigIgn:" { print $2 }')
	cgt=$(printf '%s\n' "$output" | awk '$1 == "SigCgt:" { print $2 }')
	[ -n "$ign" ] && [ -n "$cgt" ] || die "no signal masks: $output"
	# Bit N-1 is signal N.  (SIGINT is ignored too: bats's background job.)
	(( 0x$ign & 1 )) || die "SIGHUP no longer ignored (SigIgn $ign)"
	(( !(0x$cgt & 1) )) || die "SIGHUP caught (SigCgt $cgt)"
	(( 0x$cgt & 0x4000 )) || die "SIGTERM not caught (SigCgt $cgt)"
}

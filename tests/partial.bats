#!/usr/bin/env bats
# --partial: an events stream cut short (SIGKILL) reads, marked incomplete,
# exactly as the same stream with its end record would.
load common

TOOLS="pcg-emit pcg-merge pcg-filter"

# complete FILE: FILE's whole lines and an end record at the last time seen
# (one cost column), the stream the recording would have been.
complete() {
	awk -F'\t' '{ print } $1 ~ /^[crys]$/ && $NF + 0 > t { t = $NF + 0 }
	END { printf "end\t%d\t%d\n", NR, t }' "$1"
}

# strip FILE: without meta incomplete and the end record's line count (the
# mark is one more line), to compare with the completed stream's profile.
strip() {
	grep -v '^meta	incomplete	' "$1" | sed 's/^end	[0-9]*	/end	N	/'
}

# whole FILE: its lines up to the last newline.
whole() {
	local n
	n=$(tr -cd '\n' < "$1" | wc -c)
	head -n "$n" "$1"
}

@test "partial: a stream cut at every byte of its last lines reads as the same stream with its end record" {
	local src="$DATA/emit-threads-events.pcg" size from n prog i=0
	cd "$BATS_TEST_TMPDIR"
	size=$(wc -c < "$src")
	from=$(head -n -8 "$src" | wc -c)
	for ((n = from; n < size; n++)); do
		head -c "$n" "$src" > cut
		whole cut > lines
		complete lines > want.ev
		pcg-filter want.ev > want || die "cut at $n: the stream up to the cut does not read"
		pcg-filter --partial cut > got 2> err || { cat err >&2; die "cut at $n: --partial rejected it"; }
		nosan err
		grep -q "^meta	incomplete	events stream cut short (no end record): read to line $(wc -l < lines)," got ||
			die "cut at $n: no meta incomplete: $(grep incomplete got)"
		diff <(strip got) <(strip want) >&2 || die "cut at $n: not the stream with its end record"
		pcg-merge --partial cut > m || die "cut at $n: pcg-merge --partial"
		grep -q '^meta	incomplete	events stream cut short' m || die "cut at $n: pcg-merge lost incomplete"
		pcg-emit --partial cut > cg || die "cut at $n: pcg-emit --partial"
		grep -q '^desc: Incomplete: events stream cut short' cg || die "cut at $n: pcg-emit shows no Incomplete"
		# Without --partial: the error stays, and names the option.
		set -- $TOOLS
		shift $((i++ % 3))
		prog=$1
		run "$prog" cut
		[ "$status" = 1 ] || die "cut at $n: $prog accepted a truncated stream"
		[[ "$output" == "$prog: cut:"*": truncated: "*"(--partial reads an events stream cut short)" ]] ||
			die "cut at $n: $prog: $output"
	done
}

@test "partial: a profile layer stream cut short is still an error, --partial or not" {
	cd "$BATS_TEST_TMPDIR"
	head -n -1 "$DATA/emit-fib.pcg" > cut
	for prog in $TOOLS; do
		run "$prog" --partial cut
		[ "$status" = 1 ] || die "$prog --partial accepted a cut profile layer"
		[[ "$output" == "$prog: cut:"*": truncated: no end record" ]] || die "$prog: $output"
	done
}

@test "partial: pcg-trace --events killed by SIGKILL: the tools read it with --partial, every call kept" {
	local p st
	pysetup
	for p in $PYS; do
		say "SIGKILL --events, then --partial, on $p"
		killed_events "$p" ev
		[ "$st" = 137 ] || die "$p: status $st"
		! grep -q '^end	' ev || die "$p: a trailer after SIGKILL"
		for prog in $TOOLS; do
			run "$prog" ev
			[ "$status" = 1 ] || die "$p: $prog read a truncated stream"
			[[ "$output" == *"truncated: no end record (--partial reads an events stream cut short)" ]] ||
				die "$p: $prog: $output"
		done
		pcg-merge --partial ev > m 2> err || { cat err >&2; die "$p: pcg-merge --partial"; }
		nosan err
		grep -q '^meta	incomplete	events stream cut short' m || die "$p: not marked incomplete"
		# f's 1000 calls were flushed during the sleep.
		[ "$(awk -F'\t' '$1 == "fn" && $7 == "f" { f = $2 } $1 == "node" && $4 == f { c += $6 } END { print c + 0 }' m)" = 1000 ] ||
			die "$p: f's calls lost"
		# Exact: the same as the stream with its end record at the last time seen.
		complete ev > want.ev
		pcg-merge want.ev > want
		diff <(strip m) <(strip want) >&2 || die "$p: pcg-merge --partial is not the stream completed"
		pcg-filter --partial ev > fo || die "$p: pcg-filter --partial"
		pcg-filter want.ev > want
		diff <(strip fo) <(strip want) >&2 || die "$p: pcg-filter --partial differs"
		pcg-emit --partial ev > cg || die "$p: pcg-emit --partial"
		cmp cg <(pcg-filter --partial ev | pcg-emit) || die "$p: pcg-emit --partial is not the filtered stream's"
		grep -q '^desc: Incomplete: events stream cut short' cg || die "$p: pcg-emit shows no Incomplete"
	done
}

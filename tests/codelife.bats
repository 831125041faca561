#!/usr/bin/env bats
# Code objects die while a program is recorded (a module's body after its
# import, code compiled as the program runs): the recorder keeps none of
# them alive, and a new code object at a dead one's address is a function
# of its own, with its own call-site lines.

load common

PY="$BATS_TEST_DIRNAME/py"

setup() { pysetup; }

@test "codelife: dropped code objects die under the recorder, in both layers" {
	local p mode
	for p in $PYS; do
		say "codelife.py on $p"
		"$p" "$PY/codelife.py" > plain || die "$p: the program failed"
		grep -qx 'ALIVE 0' plain || die "$p: the program's own run: $(tail -1 plain)"
		for mode in "" --events; do
			pcg-trace -q $mode -o prof "$p" "$PY/codelife.py" > out 2> err || die "$p: pcg-trace $mode failed: $(cat err)"
			nosan err
			cmp plain out || die "$p $mode: the output differs: $(diff plain out)"
		done
	done
}

@test "codelife: a code object at a dead one's address is its own function: its calls and call lines the program's" {
	local p what name n
	for p in $PYS; do
		say "codelife.py: counts and lines on $p"
		pcg-trace -q -o prof "$p" "$PY/codelife.py" > out || die "$p: pcg-trace failed"
		"$p" "$PY/counts.py" pcg prof "$PY/codelife.py" > got
		while read -r what name n; do
			[ "$what" = CALLS ] || continue
			grep -Eq "^(py [0-9]+|c) $name $n\$" got || die "$p: $name: not $n calls: $(cat got)"
		done < out
		# The line of each f_K's len() call, as the profile has it.
		awk -F'\t' '$1 == "fn" { name[$2] = $7 } $1 == "node" { fn[$2] = $4; par[$2] = $3; line[$2] = $5 }
		    END { for (n in fn) if (name[fn[n]] == "len" && name[fn[par[n]]] ~ /^f_[0-9]$/)
		            print "SITE", name[fn[par[n]]], line[n] }' prof | sort -u > sites
		grep '^SITE' out | sort > want
		[ "$(wc -l < want)" = 7 ] || die "$p: the program's sites: $(cat want)"
		diff want sites >&2 || die "$p: call-site lines differ from the program's"
	done
}

#!/usr/bin/env bats
# Programs bigger than one machine (README): a Dask cluster of worker
# processes traced with pcg-trace -f, one profile per process, merged and
# emitted; and the tree-reduction merge of examples/pcg-merge-tree, which
# must write the one-shot merge's bytes for any number of inputs.

load common

PY="$BATS_TEST_DIRNAME/py"
EX="$BATS_TEST_DIRNAME/../examples"

setup() {
	pysetup
}

# calls FUNCTION PROFILE: how many times the profile's runs called it
calls() { pcg-emit -F text --sort name --limit 0 "$2" | awk -v f="$1" '$5 == f { sub(/\/.*/, "", $3); print $3 }'; }

@test "pcg-merge-tree: rounds of xargs -n N pcg-merge write the one-shot merge's bytes, any number of inputs" {
	local n
	for n in 1 2 64 65 300; do
		rm -rf runs && mkdir runs
		python3 "$PY/synth_profiles.py" "$DATA/merge-a.pcg" "$n" runs
		pcg-merge -o one.pcg runs/prof.*
		grep -qx "meta	runs	$n" one.pcg || die "$n runs: $(grep runs one.pcg)"
		ls runs/prof.* | "$EX/pcg-merge-tree" tree.pcg || die "$n runs: pcg-merge-tree failed"
		cmp one.pcg tree.pcg || die "$n runs: the tree's merge differs"
	done
	# small rounds (300 inputs, 2 at a time: 9 rounds), merges in parallel
	ls runs/prof.* | "$EX/pcg-merge-tree" -n 2 -j 2 tree.pcg
	cmp one.pcg tree.pcg
	# pcg-merge's options, --mean in the last round only
	pcg-merge --threads=keep --mean -o one.pcg runs/prof.*
	ls runs/prof.* | "$EX/pcg-merge-tree" -n 7 tree.pcg --threads=keep --mean
	cmp one.pcg tree.pcg
	# no input, a missing input: an error, no output
	run "$EX/pcg-merge-tree" none.pcg < /dev/null
	[ "$status" -ne 0 ] && [ ! -e none.pcg ]
	run "$EX/pcg-merge-tree" none.pcg <<< "runs/nosuch"
	[ "$status" -ne 0 ] && [ ! -e none.pcg ]
	run "$EX/pcg-merge-tree" -n 1 none.pcg < /dev/null
	[ "$status" -eq 2 ]
}

@test "a Dask LocalCluster of worker processes, traced with -f: a profile per process, merged and emitted" {
	/usr/bin/python3 -c 'import distributed' 2> /dev/null ||
		skip "Dask distributed not installed for /usr/bin/python3 (Debian package python3-distributed): not checked"
	pcg-trace -f -o prof.%p /usr/bin/python3 "$EX/dask_cluster.py" 2 16 > out 2> err ||
		{ cat err >&2; die "the traced Dask run failed"; }
	nosan err
	grep -qx 'EXPECT task 16' out
	# the client's process (the scheduler, the nannies) and each worker's
	set -- prof.*
	workers=$(grep -l '^meta	cmd	.*spawn_main' prof.* | wc -l)
	say "$# profiles, $workers of worker processes"
	[ "$workers" -eq 2 ] || die "$workers worker processes' profiles"
	[ -n "$(calls main "prof.$(sed -n 's/.*wrote prof\.\([0-9]*\);.*/\1/p' err)")" ] || die "no main in the first profile"
	# the tasks ran in the workers, all of them
	pcg-merge -o all.pcg prof.*
	[ "$(calls task all.pcg)" = 16 ] || die "task called $(calls task all.pcg) times"
	[ "$(calls collatz all.pcg)" = 32000 ]
	for w in $(grep -l '^meta	cmd	.*spawn_main' prof.*); do
		[ -n "$(calls task "$w")" ] || say "worker $w ran no task"
	done
	grep -qx "meta	runs	$#" all.pcg
	say "merged: $(wc -c < all.pcg) bytes, $(grep -c '^node' all.pcg) contexts"
	# the same by rounds, and every format reads it
	ls prof.* | "$EX/pcg-merge-tree" -n 2 tree.pcg
	cmp all.pcg tree.pcg
	pcg-emit -o callgrind.out.dask all.pcg
	grep -q '^c\?fn=([0-9]*) task$' callgrind.out.dask
	pcg-emit -F speedscope -o dask.json all.pcg
	python3 "$PY/speedscope_check.py" dask.json > chk || die "$(cat chk)"
	grep -q '^self task .*/dask_cluster.py:' chk
}

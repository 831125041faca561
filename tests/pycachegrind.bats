#!/usr/bin/env bats
# pycachegrind: the one-command front end, run as a user runs it.

load common
bats_require_minimum_version 1.5.0

setup() { pysetup; }

# python3 on PATH is interpreter $1 (pycachegrind runs python3).
usepy() {
	mkdir -p bin
	printf '#!/bin/sh\nexec %s "$@"\n' "$1" > bin/python3
	chmod +x bin/python3
	PATH=$PWD/bin:$PATH
}

@test "pycachegrind: -m MODULE and -c CODE start python3 as pcg-trace's command line would, ARGs the program's" {
	local p
	printf 'import sys\ndef work(): print("argv", sys.argv[1:])\nwork()\n' > mod.py
	for p in $PYS; do
		say "-m and -c on $p"
		( usepy "$p"
		pycachegrind --no-gui -q -o cg -m mod -x --keep-stdlib > out 2> err || die "$p: -m: $(cat err)"
		grep -qx "argv \['-x', '--keep-stdlib'\]" out || die "$p: -m: $(cat out err)"
		grep -q "fn=([0-9]*) work$" cg || die "$p: -m: no work in the profile"
		pycachegrind --no-gui -q -o cg2 -c 'import sys
def work2(): print("argv", sys.argv[1:])
work2()' a -q > out 2> err || die "$p: -c: $(cat err)"
		grep -qx "argv \['a', '-q'\]" out || die "$p: -c: $(cat out err)"
		grep -q "fn=([0-9]*) work2$" cg2 || die "$p: -c: no work2 in the profile" )
	done
}

@test "pycachegrind: options end at the script or -m/-c; -oFILE; a bad option is status 2" {
	local p=${PYS%%$'\n'*}
	usepy "$p"
	printf 'import sys\nprint("argv", sys.argv[1:])\n' > s.py
	pycachegrind --no-gui -q -ocg s.py -o x --no-gui > out 2> err || die "script: $(cat err)"
	grep -qx "argv \['-o', 'x', '--no-gui'\]" out || die "script: $(cat out err)"
	[ -s cg ] && [ ! -e x ] || die "-ocg: $(ls)"
	run pycachegrind --no-gui --no-such-option s.py
	[ "$status" -eq 2 ] && [[ "$output" == *"usage: pycachegrind "* ]] || die "$status: $output"
}

@test "pycachegrind: the callgrind_annotate command it suggests prints one useful screen" {
	local p=${PYS%%$'\n'*} cmd
	# 400 functions in 400 modules: a large program's shape
	mkdir big
	for i in $(seq 400); do
		printf 'def f%d(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s\n' "$i" > "big/m$i.py"
	done
	{ echo 'import sys; sys.path.insert(0, "big")'
	  for i in $(seq 400); do echo "import m$i; m$i.f$i($i * 50)"; done
	  # A loop with no call in it: its time is all its own, whatever the
	  # calibration measured (a generator's resumptions are compensated,
	  # and a calibration made while this VM ran at half speed takes out
	  # twice too much: hottest() then vanished from the screen).
	  echo 'def hottest():'
	  echo '    s = 0'
	  echo '    for i in range(1000000):'
	  echo '        s += i * i'
	  echo '    return s'
	  echo 'hottest()'; } > big.py
	( usepy "$p"; pycachegrind --no-gui -o cg big.py 2> err ) || die "failed: $(cat err)"
	cmd=$(sed -n 's/^pycachegrind: read it with: //p' err)
	[ -n "$cmd" ] || die "no command suggested: $(cat err)"
	sh -c "$cmd" > ann 2>&1 || die "$cmd failed: $(cat ann)"
	[ "$(wc -l < ann)" -le 50 ] || die "$cmd: $(wc -l < ann) lines"
	grep -q "big.py:hottest" ann || die "$cmd: the hottest function is not shown: $(cat ann)"
	! grep -q "could not be found" ann || die "$cmd: $(grep -A3 "could not be found" ann)"
}

@test "pycachegrind: when dropping the standard library leaves almost nothing of the program, it says so" {
	local p
	# Long enough (0.2 s traced) that no start-up code of the machine's own
	# (an import hook a .pth installs, say) weighs 5 %.
	awk 'BEGIN { printf "{\"a\": [1, 2, {\"b\": null}], \"rows\": ["
	             for (i = 0; i < 5000; i++) printf "%s{\"id\": %d, \"tags\": [\"x\", \"y\"]}", i ? ", " : "", i
	             print "]}" }' > in.json
	printf 'def work():\n    return sum(i * i for i in range(100000))\nwork()\n' > mine.py
	for p in $PYS; do
		say "-m json.tool on $p"
		( usepy "$p"
		# Wall time: one preemption that lands in the little Python code
		# kept could tip it; three tries, then the profile itself is shown.
		for try in 1 2 3; do
			pycachegrind --no-gui -q --keep-pcg raw.pcg -o cg -m json.tool in.json > out 2> err || die "$p: failed: $(cat err)"
			grep -q '"b": null' out || die "$p: the program's output: $(cat out)"
			! grep -Eq "^pycachegrind: with the standard library dropped \(the default\), [0-9.]+% of the time is left in the program's own Python code and [0-9.]+% on .+: --keep-stdlib keeps it\$" err || break
			say "$p: try $try: not said: $(cat err)"
			[ "$try" -lt 3 ] || die "$p: not said: $(cat err)
$(grep '^meta' raw.pcg)
$(pcg-filter --drop-stdlib raw.pcg | pcg-emit -F text --limit 12)
kept Python code: $(pcg-filter --drop-stdlib raw.pcg | pcg-emit -F text --limit 1000 | grep -v '<built-in>' | head -20)"
		done
		pycachegrind --no-gui -q --keep-stdlib -o cg -m json.tool in.json > out 2> err || die "$p: --keep-stdlib failed"
		[ ! -s err ] || die "$p: --keep-stdlib: $(cat err)"
		pycachegrind --no-gui -q -o cg mine.py 2> err || die "$p: mine.py failed"
		[ ! -s err ] || die "$p: said of a program of its own: $(cat err)" )
	done
}

# Loaded by every .bats file: puts the build under test first on PATH.
# PCG_BUILD is set by `make check` (sanitizer build); default: ./build.

# `bats DIR` (bats 1.8) names the test folder DIR/. so that the scripts'
# paths read .../tests/./py/x.py: pcg-trace records a program's file name
# verbatim, as Python gives it, while the helpers (counts.py, meta cmd
# greps) compare it with the normalised path, and no function matched.
BATS_TEST_DIRNAME=$(cd "$BATS_TEST_DIRNAME" && pwd)

: "${PCG_BUILD:=$BATS_TEST_DIRNAME/../build}"
PATH="$PCG_BUILD/bin:$PATH"
DATA="$BATS_TEST_DIRNAME/data"
export PATH DATA PCG_BUILD

# Every interpreter found on the machine: Debian's and pyenv's (3.6+), and
# the Debian sid chroot's 3.14 and 3.15, release and debug builds, through
# the wrappers in tests/sid (sid_ready says when they can run).  Prints one
# path per line; tests loop over them and skip, loudly, when none.
# PCG_PYTHONS (paths, space-separated) replaces the list, to run a test on
# a few of them while working.
pythons() {
	local p seen=
	if [ -n "${PCG_PYTHONS:-}" ]; then
		printf '%s\n' $PCG_PYTHONS
		return
	fi
	for p in /usr/bin/python3 "$HOME"/.pyenv/versions/3.*/bin/python3 /usr/local/bin/python3; do
		[ -x "$p" ] || continue
		case "$p" in *t/bin/python3) continue ;; esac # free-threaded builds
		p=$(readlink -f "$p")
		case " $seen " in *" $p "*) continue ;; esac
		seen="$seen $p"
		echo "$p"
	done
	if sid_ready; then
		for p in python3.14 python3.15 python3.14d python3.15d; do
			echo "$BATS_TEST_DIRNAME/sid/$p"
		done
	fi
}

# The sid chroot exists and this user may enter it (root).
sid_ready() {
	[ -e "${PCG_SID:-/var/tmp/pcg-sid}/.pcg-complete" ] && [ "$(id -u)" -eq 0 ]
}

# Fail with a message (bats shows stderr of the failing test).
die() { echo "$*" >&2; return 1; }

# setup() of the files that run Python: in the test's folder, PYS the
# interpreters found, or skip.
pysetup() {
	cd "$BATS_TEST_TMPDIR" || return
	PYS=$(pythons)
	[ -n "$PYS" ] || skip "no Python interpreter found on this machine"
}

# Loudly, the interpreters a test runs on (bats shows fd 3).
say() { echo "# $*" >&3; }

# minor P: the interpreter's minor version (3.X -> X).
minor() { "$1" -c 'import sys; print(sys.version_info[1])'; }

# nosan FILE: no sanitizer report in FILE (a program's stderr).
nosan() {
	! grep -Eq "Sanitizer|runtime error" "$1" || { head -40 "$1" >&2; die "sanitizer report in $1"; }
}

# killed_events P FILE: pcg-trace --events -o FILE of a program on P that
# calls f() 1000 times, sleeps past a flush (0.6 s) and SIGKILLs itself;
# its status in st (the caller's local), pcg-trace's stderr in err.
killed_events() {
	rm -f "$2"
	set +e
	pcg-trace -q --events -o "$2" "$1" -c 'import os, signal, time
def f(): pass
def main():
    for i in range(1000): f()
    time.sleep(0.6)
    os.kill(os.getpid(), signal.SIGKILL)
main()' 2> err
	st=$?
	set -e
}

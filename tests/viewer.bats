#!/usr/bin/env bats
# pycachegrind (viewer.bats): the front end's hand-over to KCachegrind.  The viewer and
# dbus-send are stand-ins here that log what they were asked; what
# KCachegrind does with the request was looked at under Xvfb (see
# ../shared/notes/callgrind-readers.md).

load common

setup() {
	pysetup
	mkdir fake
	# a viewer that stays up a little, like KCachegrind loading a file
	cat >fake/kcachegrind <<-'SH'
	#!/bin/sh
	echo "$$ $*" >>"$LOG/kc"
	/bin/sleep 3
	SH
	# D-Bus: not there yet the first time, then the slot answers
	cat >fake/dbus-send <<-'SH'
	#!/bin/sh
	echo "$*" >>"$LOG/dbus"
	[ "$(wc -l <"$LOG/dbus")" -ge 2 ] || { echo "Error org.freedesktop.DBus.Error.ServiceUnknown" >&2; exit 1; }
	printf 'method return\n   boolean true\n'
	SH
	chmod +x fake/kcachegrind fake/dbus-send
	printf 'def main():\n    return sum(range(9))\n\nmain()\n' >prog.py
	export LOG=$PWD
}

@test "pycachegrind: asks KCachegrind to open on the program's entry, __main__.<module>" {
	p=$(pythons | head -n 1)
	DISPLAY=:99 PATH="$PWD/fake:$PATH" pycachegrind -o cg.out "$p" prog.py
	# the viewer logs itself: it may come after dbus-send's second call
	for _ in $(seq 50); do [ "$(wc -l <dbus 2>/dev/null)" = 2 ] && [ -s kc ] && break; sleep 0.1; done
	read -r pid args <kc
	[ "$args" = cg.out ]
	[ "$(wc -l <dbus)" -eq 2 ] || die "dbus-send: $(cat dbus)"
	[ "$(sed -n 2p dbus)" = "--session --print-reply --dest=org.kde.kcachegrind-$pid /kcachegrind/MainWindow_1 org.kde.kcachegrind.setFunction string:__main__.<module>" ]
	# the function asked for is in the file, by that name
	grep -q '^c\?fn=([0-9]*) __main__\.<module>$' cg.out
	# it stopped asking once answered
	sleep 0.5
	[ "$(wc -l <dbus)" -eq 2 ]
}

@test "pycachegrind: no dbus-send, no display: the viewer alone, or the hint" {
	p=$(pythons | head -n 1)
	rm fake/dbus-send
	# (nothing else on PATH: the recorder and the filters are found by
	# pycachegrind's own directory)
	DISPLAY=:99 PATH="$PWD/fake:$PCG_BUILD/bin" pycachegrind -o cg.out "$p" prog.py
	for _ in $(seq 30); do [ -s kc ] && break; sleep 0.1; done
	[ -s kc ] && [ ! -e dbus ]
	rm kc
	run env -u DISPLAY -u WAYLAND_DISPLAY PATH="$PWD/fake:$PATH" pycachegrind -o cg.out "$p" prog.py
	[ "$status" -eq 0 ]
	[[ "$output" == *"read it with"* ]]
	sleep 0.3
	[ ! -e kc ]
}

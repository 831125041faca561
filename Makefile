# pcg: make builds into $(B); make check builds again with ASan/UBSan into
# build/san and runs the Bats suite against it.
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
MANDIR   ?= $(PREFIX)/share/man
VERSION   = 0.1.0

CC       ?= cc
CFLAGS   ?= -O2 -g
B        ?= build
PCG_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DPCG_VERSION_STRING='"$(VERSION)"' -Wall -Wextra -fPIC -Icommon $(CFLAGS)
SAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:common/%.c=$(B)/obj/common/%.o)
COMMON_HDR = $(wildcard common/*.h)
# Single-file commands: cmd/NAME.c.  Folder commands add themselves to PROGS
# and write their own rules in cmd/NAME/rules.mk.
PROGS     = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
SCRIPTS   =
MANPAGES  = $(wildcard man/*.1 man/*.5)

all: build-all

include $(wildcard cmd/*/rules.mk)

build-all: $(B)/libpcg.a $(PROGS:%=$(B)/bin/%) $(SCRIPTS:%=$(B)/bin/%) $(EXTRA_TARGETS)

$(B)/obj/common/%.o: common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(PCG_CFLAGS) -c -o $@ $<

$(B)/libpcg.a: $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $(COMMON_OBJ)

$(B)/bin/%: cmd/%.c $(B)/libpcg.a $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(PCG_CFLAGS) -o $@ $< $(B)/libpcg.a $(LDFLAGS)

check:
	$(MAKE) B=build/san CFLAGS="$(SAN_CFLAGS)" build-all
	PCG_BUILD=$(CURDIR)/build/san tests/run

install: build-all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	for p in $(PROGS) $(SCRIPTS); do cp -f $(B)/bin/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANPAGES); do s=$${m##*.}; cp -f $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	$(INSTALL_EXTRA)

clean:
	rm -rf build

.PHONY: all build-all check install clean bench

# Hardening: the reader's test driver (not installed) and its libFuzzer run.
build-all: $(B)/test/pcg-cat

$(B)/test/pcg-cat: fuzz/pcg-cat.c $(B)/libpcg.a $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(PCG_CFLAGS) -o $@ fuzz/pcg-cat.c $(B)/libpcg.a $(LDFLAGS)

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DPCG_FUZZ \
	-DPCG_VERSION_STRING='"$(VERSION)"' -Wall -Wextra -Icommon -g -O1 \
	-fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

build/fuzz/fuzz-read: fuzz/fuzz-read.c $(COMMON_SRC) $(COMMON_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ fuzz/fuzz-read.c $(COMMON_SRC)

# Runs FUZZ_SECONDS on a working copy of the seed corpus; findings land in
# build/fuzz/ (crash-*, leak-*, timeout-*) and make fails.
fuzz: build/fuzz/fuzz-read
	sh fuzz/run.sh build/fuzz/fuzz-read $(FUZZ_SECONDS)

.PHONY: fuzz

# Benchmarks against cProfile and yappi (never part of check): bench/bench.py
# documents BENCH_QUICK=1, BENCH_RUNS=N, BENCH_PYTHONS=all and the rest.
bench: build-all
	BENCH_BIN="$(abspath $(B))/bin" /usr/bin/python3 bench/bench.py

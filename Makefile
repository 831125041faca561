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

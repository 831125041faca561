# pcg-trace: the launcher, the recorder shared object loaded into Python,
# and its bootstrap.  The recorder is dlopen'ed by an uninstrumented python,
# so it is built without ASan (UBSan kept) and with its own copy of common/.
PROGS += pcg-trace
REC_CFLAGS = $(filter-out -fsanitize=address -fsanitize=address%,$(subst -fsanitize=address$(comma)undefined,-fsanitize=undefined,$(PCG_CFLAGS))) \
	-fvisibility=hidden -pthread -flto
comma := ,
REC_SRC = cmd/pcg-trace/rec.c cmd/pcg-trace/out.c cmd/pcg-trace/signals.c cmd/pcg-trace/fork.c cmd/pcg-trace/calib.c cmd/pcg-trace/cpu.c cmd/pcg-trace/hooks.c cmd/pcg-trace/names.c cmd/pcg-trace/cpython.c \
	cmd/pcg-trace/chain.c
REC_HDR = cmd/pcg-trace/rec.h cmd/pcg-trace/cpython.h cmd/pcg-trace/pattern.h $(COMMON_HDR)
EXTRA_TARGETS += $(B)/lib/pcg/pcg-recorder.so $(B)/lib/pcg/sitecustomize.py

$(B)/bin/pcg-trace: cmd/pcg-trace/pcg-trace.c cmd/pcg-trace/remote.c cmd/pcg-trace/remote.h cmd/pcg-trace/pattern.h $(B)/libpcg.a $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(PCG_CFLAGS) -DPCG_LIBDIR='"$(LIBDIR)/pcg"' -o $@ cmd/pcg-trace/pcg-trace.c cmd/pcg-trace/remote.c $(B)/libpcg.a $(LDFLAGS)

$(B)/lib/pcg/pcg-recorder.so: $(REC_SRC) $(COMMON_SRC) $(REC_HDR)
	@mkdir -p $(@D)
	$(CC) $(REC_CFLAGS) -shared -o $@ $(REC_SRC) $(COMMON_SRC) -ldl $(LDFLAGS)

$(B)/lib/pcg/sitecustomize.py: cmd/pcg-trace/sitecustomize.py
	@mkdir -p $(@D)
	cp -f cmd/pcg-trace/sitecustomize.py $@

INSTALL_EXTRA += mkdir -p $(DESTDIR)$(LIBDIR)/pcg && \
	cp -f $(B)/lib/pcg/pcg-recorder.so $(B)/lib/pcg/sitecustomize.py $(DESTDIR)$(LIBDIR)/pcg/;

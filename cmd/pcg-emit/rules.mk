# pcg-emit: main and the display names in pcg-emit.c, one file per format.
PROGS += pcg-emit
EMIT_SRC = cmd/pcg-emit/pcg-emit.c cmd/pcg-emit/stats.c cmd/pcg-emit/callgrind.c \
	cmd/pcg-emit/text.c cmd/pcg-emit/collapsed.c \
	cmd/pcg-emit/pstats.c cmd/pcg-emit/speedscope.c

$(B)/bin/pcg-emit: $(EMIT_SRC) cmd/pcg-emit/emit.h $(B)/libpcg.a $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(PCG_CFLAGS) -Icmd/pcg-emit -o $@ $(EMIT_SRC) $(B)/libpcg.a $(LDFLAGS)

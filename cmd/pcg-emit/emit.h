/*
 * pcg-emit: what every output format shares.  pcg-emit.c reads the input
 * and gives each function a display name (setup_names); each format, in a
 * file of its own, writes from that.
 */
#ifndef PCG_EMIT_H
#define PCG_EMIT_H

#include "pcg.h"

/* The profile's counters are one past the last id (id 0 means none). */
#define LASTFN(p)     ((p)->nfn ? (p)->nfn - 1 : 0)
#define LASTTHREAD(p) ((p)->nthread ? (p)->nthread - 1 : 0)
#define LASTNODE(p)   ((p)->nnode ? (p)->nnode - 1 : 0)

/* One callgrind function: a pcg function, or the synthetic root of a thread. */
struct cfun {
	char *file, *name;  /* display strings, NUL-terminated */
	uint32_t line;
	uint32_t fileno;    /* index into the sorted unique display files */
	uint32_t rank;      /* position in the output order */
	uint32_t fnid;      /* callgrind id in the current part, 0: not yet */
	uint32_t base;      /* the function a clone splits (itself if no clone) */
	uint32_t level;     /* 1, or N of a clone fn'N */
};

struct emit {
	const struct pcg_profile *p;
	struct cfun *fun;   /* 1..nfn: pcg functions; nfn+t: root of thread t */
	size_t nfun;
	char **files;       /* unique display files, sorted */
	uint32_t *flid;     /* per file: callgrind id in the current part */
	size_t nfiles;
	uint64_t *outer;    /* per node: time its outermost frame was on stack */
	uint32_t *cl;       /* per node: the function its arc calls (clone or not) */
	int noclones;       /* --no-clones: one callgrind function per function */
	int filtered;       /* pcg-filter's stand-in is one of the functions */
	int sep;            /* --separate-threads */
	const char *sort;   /* --sort KEY, NULL: the format's default */
	const char *cost;   /* --cost NAME, NULL: the first column */
	uint64_t limit;     /* --limit N */
	int haslimit;
	char evname[PCG_MAXCOST][64];
	int layer;          /* the input's (several inputs: merged, PCG_PROFILE) */
	void *fmtdata;      /* what a format's reader hook kept, or NULL */
};

/* Open addressing from a nonzero 64-bit key to a 32-bit value. */
struct tab64 {
	uint64_t *key;
	uint32_t *val;
	size_t cap, n;
};

void tab64_init(struct tab64 *t, size_t n);
uint32_t *tab64_slot(struct tab64 *t, uint64_t k, int *isnew);
void tab64_free(struct tab64 *t);

size_t utf8len(const unsigned char *s, size_t n);
char *clean(const char *str, size_t len, const char *ifempty);
char *cleanstr(struct pcg_str s, const char *ifempty);
void setup_clones(struct emit *e);
size_t costcol(const struct pcg_profile *p, const char *name);

/* Per function, one cost column: what the table formats show. */
struct fstat {
	uint64_t calls;  /* every call, recursive ones included */
	uint64_t prim;   /* calls made while the function was not on the stack */
	uint64_t self;
	uint64_t incl;   /* time on the stack, counted once (pcg_outer) */
	int seen;        /* some context runs it */
};
struct fstat *fnstats(const struct emit *e, size_t k);

/* The formats: write e to path (NULL or "-": stdout); in names the input. */
void callgrind(struct emit *e, const char *path, const char *in);
void text(struct emit *e, const char *path, const char *in);
void collapsed(struct emit *e, const char *path, const char *in);
void pstats(struct emit *e, const char *path, const char *in);
void speedscope(struct emit *e, const char *path, const char *in);
/* Reading one events stream for speedscope: a hook that keeps the timeline. */
void speedscope_hook(struct emit *e, struct pcg_evhook *h);

#endif

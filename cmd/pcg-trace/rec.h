/* The recorder's state, shared by its setup, naming and hook files. */
#ifndef REC_H
#define REC_H

#include <stdint.h>
#include <time.h>

#include "pcg.h"
#include "pyapi.h"

/* One per thread, reached through a thread-local pointer. */
struct th {
	struct pcg_stack st;   /* profile layer aggregation */
	uint32_t id;           /* pcg thread id */
	uint32_t depth, cap;
	uintptr_t *key;        /* per frame: code object, or PyMethodDef | 1 */
	uint32_t pline;        /* 3.12+: line of the pending Python call */
	int pset;
};

/* A code object or PyMethodDef and its function id. */
struct ent {
	const void *key;
	uint32_t fn, flags;
	PyObject *cocode; /* generators before 3.12: co_code, for their state */
};

struct lent {
	const void *code;
	int32_t off;
	uint32_t line;
};

struct rec {
	int on, events, fd, monitoring, tool, hooked;
	int follow;         /* -f: forked children record on, into their own file */
	int own;            /* we name and write our own file (a followed process) */
	int prelude;        /* events, forked child: header and known fns not yet written */
	uint32_t forkfn, forkth; /* ... the fns and threads known at the fork */
	char *pattern;      /* -f: absolute output name pattern (%p: pid) */
	unsigned umask;
	struct pcg_profile p;
	struct th **th;
	size_t nth, capth;
	uint64_t base;      /* clock reading of time 0, moved on by our flushes */
	char *buf;          /* events layer: pending output */
	size_t blen;
	uint64_t lines;
	uint64_t flushed;   /* time of the last flush */
	uint32_t nfn;       /* fn records written */
	struct ent *ent;    /* open addressing by key */
	size_t entcap, nent;
	struct lent *lent;  /* call-site line cache by (code, offset) */
	size_t lentcap, nlent;
	PyObject *missing, *threading, *none;
	int fastlong;       /* 3.12+ compact ints readable directly */
};

extern struct rec R;
extern __thread struct th *cur __attribute__((tls_model("initial-exec")));

#define BUFSZ (1 << 20)
#define FLUSH_NS 200000000 /* at most this much of a run is lost at SIGKILL */

static inline uint64_t
clk(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
now(void)
{
	return clk() - R.base;
}

/* names.c */
struct ent *code_ent(PyObject *code, PyObject *frame);
struct ent *cfunc_ent(const void *ml, PyObject *callable, int descr);
uint32_t site_line(PyObject *code, long off);
struct th *newthread(void);

/* rec.c */
void ev_fn(uint32_t id);
void ev_flush(void);
char *ev_room(size_t n);
char *ev_u64(char *p, uint64_t v);
char *ev_str(char *p, const char *s, size_t len);
void finish(void);

/* hooks.c */
int hooks_install(void);
void hooks_off(void);
void hooks_cpop(void);

/* chain.c: the program's own profiler */
extern const void *chain_lsp[2];
int chain_hook(PyObject *obj, PyObject *f, int what, PyObject *arg);
void chain_lsprof(void);
void chain_install(PyTraceFunc ours, PyObject *threadhook);
void chain_install_mon(void); /* 3.12+ */

#endif

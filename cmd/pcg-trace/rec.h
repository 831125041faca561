/* The recorder's state, shared by its setup, naming and hook files. */
#ifndef REC_H
#define REC_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "pcg.h"
#include "cpython.h"

/* One per thread, reached through a thread-local pointer. */
struct th {
	struct pcg_stack st;   /* profile layer aggregation */
	uint32_t id;           /* pcg thread id */
	uint32_t depth, cap;
	uintptr_t *key;        /* per frame: code object (| 2 before 3.12: a generator's), or PyMethodDef | 1 */
	uint32_t *line;        /* per frame: the line it was called from */
	PyObject *pcode;       /* 3.12+: the pending call's code and offset */
	long poff;
	int pset;
	uintptr_t popped;      /* 3.12+: the key of the frame that ended last */
	uint64_t last;         /* time of the thread's last event */
	uint64_t owed;         /* the recorder's own time so far, 1/1024 ns (compensation) */
	uint32_t gen;          /* the recording it belongs to (R.gen) */
	/* --cpu (cpu.c) */
	const volatile uint32_t *cpulock; /* its task-clock page's lock, or NULL */
	uint32_t cpuseq;       /* the lock at the last sync */
	int64_t cpu0;          /* its CPU time at reading 0 */
	uint64_t cpusync;      /* the reading at the last sync ... */
	uint64_t cpuwall;      /* ... and the wall clock then (now()) */
	uint64_t lastcpu;      /* its last event's cpu reading */
	uint64_t cpuw;         /* the wall reading of its last cpu reading (UINT64_MAX: none since cpu0) */
	uint32_t nline;        /* --lines: line events recorded (calib.c counts them) */
};

/* A code object or PyMethodDef and its function id. */
struct ent {
	const void *key;
	uint32_t fn, flags;
	/* generators before 3.12: the bytes of co_code, for their state */
	const unsigned char *co;
	size_t nco;
	PyObject *cob;  /* ... held while the code lives */
};

/* A call site's line: the direct-mapped cache in front of struct sites. */
struct lent {
	const void *code;
	int32_t off;
	uint32_t line;
};

/* The call-site lines of one code object: offset + 1 (0: empty slot) to
 * line, open addressing.  A table of these, by code, goes with each code
 * object when it dies (names.c). */
struct site {
	uint32_t off1, line;
};

struct sites {
	const void *code;
	struct site *s;
	uint32_t n, cap;
};

/* Kinds of event, by what one costs: a Python call or return, a C call
 * or return, a generator's resumption or yield (its frame exists already).
 * From 3.12 more, that the profile has no record for or that cost more
 * than a call of their own: a call of a type that ran no Python code (its
 * CALL and C_RETURN callbacks, int(x)); the more such a call costs when
 * it ran some, by what was called (a class whose instances have a dict,
 * one with __slots__, a class whose __init__ takes *args or **kwargs, an
 * object that is no type: a __call__, a partial); the more a Python
 * function started without a CALL costs (a property, a special method),
 * its caller's line looked up through frame objects, and a new generator
 * so started (a for loop's).  And a new source line (--lines). */
enum {
	BIAS_PY, BIAS_C, BIAS_GEN,
	BIAS_TYPE, BIAS_INIT, BIAS_SLOTS, BIAS_VARINIT, BIAS_OBJ, BIAS_FROMC, BIAS_NEWGEN,
	BIAS_LINE, NBIAS
};

/* The recording (rec.c starts it, hooks.c and names.c fill it). */
struct rec {
	int on, tool, hooked;
	int paused;         /* --paused: recording off for now (hooks_pause) */
	int attached;       /* started by pcg-trace -p (pcg_attach_start) */
	int lines;          /* --lines: line events too */
	uint32_t gen;       /* recordings so far in this process: a thread's
	                     * struct th from an earlier one is not its own */
	int cpu;            /* --cpu: a second cost column, the thread's CPU time */
	int cpupage;        /* ... read through a perf page (cpu.c); else the syscall */
	uint32_t bias[NBIAS]; /* 1/1024 ns, by BIAS_* (calib.c) */
	struct pcg_profile p;
	struct th **th;
	size_t nth, capth;
	uint64_t base;      /* clock reading of time 0, moved on by our flushes */
	int tsc;            /* the clock is the TSC, scaled by mult / 2^32 to ns */
	uint64_t mult;
	struct ent *ent;    /* open addressing by key */
	size_t entcap, nent;
	struct sites *sites; /* call-site lines, by code object (names.c) */
	size_t sitescap, nsites;
	struct lent lfront[256]; /* direct-mapped, in front of them */
	PyObject *missing, *threading, *none;
};

/* Where it goes (out.c). */
struct out {
	int fd, events;
	int follow;         /* -f: forked children record on, into their own file */
	int own;            /* we name and write our own file (a followed process) */
	int prelude;        /* events, forked child: header and known fns not yet written */
	uint32_t forkfn, forkth; /* ... the fns and threads known at the fork */
	char *pattern;      /* -f: absolute output name pattern (%p: pid) */
	unsigned execs;     /* -f: how many execs made this process's image */
	unsigned umask;
	char *buf;          /* events layer: pending output */
	size_t blen;
	uint64_t lines;
	uint64_t flushed;   /* time of the last flush */
	uint32_t nfn;       /* fn records written */
};

extern struct rec R;
extern struct out O;
extern __thread struct th *cur __attribute__((tls_model("initial-exec")));

#define BUFSZ (1 << 20)
#define FLUSH_NS 200000000 /* at most this much of a run is lost at SIGKILL */

static inline uint64_t
monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Two reads per call are most of a tiny call's cost: the TSC takes a third
 * of clock_gettime's time here (see clock_pick). */
static inline uint64_t
clk(void)
{
#ifdef __x86_64__
	if (R.tsc)
		return __builtin_ia32_rdtsc();
#endif
	return monotonic_ns();
}

/* Nanoseconds since time 0. */
static inline uint64_t
now(void)
{
	uint64_t d = clk() - R.base;

#ifdef __x86_64__
	if (R.tsc)
		return (uint64_t)(((unsigned __int128)d * R.mult) >> 32);
#endif
	return d;
}

/*
 * The recorder's own time, from clock reading T0 until now, is not the
 * program's: the wall clock moves back by it (all threads: the others
 * wait for the GIL meanwhile), and so does this thread's CPU clock.
 */
static inline void
unbill(uint64_t t0)
{
	uint64_t d = clk() - t0;

	R.base += d;
#ifdef __x86_64__
	if (R.tsc)
		d = (uint64_t)(((unsigned __int128)d * R.mult) >> 32);
#endif
	if (R.cpu && cur)
		cur->cpu0 += (int64_t)d;
}

/*
 * The time of a thread's event, less the recorder's own time in the thread
 * so far (compensation: each event adds what one costs, measured at start,
 * so each interval between two events loses the cost of one), and never
 * earlier than its last event: the cost may be overestimated, and the TSCs
 * of two CPUs may differ by a few cycles when the thread moves.
 */
static inline uint64_t
thread_time(const struct th *t, uint64_t ts)
{
	uint64_t o = t->owed >> 10;

	ts = ts > o ? ts - o : 0;
	return ts < t->last ? t->last : ts;
}

static inline uint64_t
stamp(struct th *t, uint64_t ts, uint32_t cost)
{
	t->owed += cost;
	return t->last = thread_time(t, ts);
}

/* cpu.c */
uint64_t cpu_sync(struct th *t);
uint64_t cpu_thread_ns(void);
const char *cpu_setup(struct th *first);
void cpu_thread_init(struct th *t);
void cpu_thread_rebase(struct th *t);
void cpu_thread_free(struct th *t);
void cpu_forked(struct th *t);

/*
 * --cpu: the thread's CPU time at wall clock ts (raw, before compensation),
 * for an event whose wall reading is w.  Not switched out since the last
 * sync (its page's lock did not move), it ran all along: the sync's CPU
 * time plus the wall time since.  Less the recorder's own time, as the
 * wall column (compensation); never before its last event, and never more
 * than that plus the wall time since it: the kernel's figure is read by a
 * system call some time after ts, and a loaded machine or the hypervisor
 * can stall it (200 us seen), so a function would show more CPU than wall
 * time.  What the cap holds back is not lost: the next readings take it
 * (a capped reading is below the kernel's figure, a later one is not).
 * Another thread's frames (hooks_pause) end at that thread's last reading.
 * A hypervisor's stolen time is no switch (the lock stays) but not CPU
 * time either: 83 ms of a 300 ms loop once, on a loaded VM.  So the sum
 * is trusted for CPU_GUESS_NS after a sync at most (a system call a
 * millisecond: 0.04 % of a thread's time at worst).
 */
#define CPU_GUESS_NS 1000000
static inline uint64_t
cpu_stamp(struct th *t, uint64_t ts, uint64_t w)
{
	uint64_t c, o = t->owed >> 10, d = ts > t->cpuwall ? ts - t->cpuwall : 0;

	if (t != cur)
		c = t->lastcpu;
	else if (t->cpulock && *t->cpulock == t->cpuseq && d < CPU_GUESS_NS)
		c = t->cpusync + d;
	else
		c = cpu_sync(t);
	c = c > o ? c - o : 0;
	if (t->cpuw > w) /* its first reading: the time since cpu0 is not its events' */
		t->cpuw = w;
	if (c > t->lastcpu + (w - t->cpuw))
		c = t->lastcpu + (w - t->cpuw);
	if (c < t->lastcpu)
		c = t->lastcpu;
	t->cpuw = w;
	return t->lastcpu = c;
}

/* An event's readings: v[0] wall, v[1] cpu (--cpu). */
static inline void
stamps(struct th *t, uint64_t ts, uint32_t cost, uint64_t *v)
{
	v[0] = stamp(t, ts, cost);
	if (R.cpu)
		v[1] = cpu_stamp(t, ts, v[0]);
}

/* names.c */
void names_init(void);
struct ent *code_ent_new(PyObject *code, PyObject *frame);
struct ent *cfunc_ent_new(const void *ml, PyObject *callable, int descr);

static inline size_t
hptr(const void *p)
{
	return (size_t)(((uintptr_t)p >> 4) * 0x9e3779b97f4a7c15ULL >> 17);
}

/* The entry of a code object or PyMethodDef seen before, or NULL. */
static inline struct ent *
ent_find(const void *key)
{
	size_t i;

	for (i = hptr(key) & (R.entcap - 1); R.ent[i].key; i = (i + 1) & (R.entcap - 1))
		if (R.ent[i].key == key)
			return &R.ent[i];
	return NULL;
}

/* The source line of a byte offset in a code object, cached: a small
 * direct-mapped cache in front of the table, for the hot call sites. */
uint32_t site_line_slow(PyObject *code, long off);

static inline uint32_t
site_line(PyObject *code, long off)
{
	struct lent *fe = &R.lfront[((uintptr_t)code >> 4 ^ (uintptr_t)off) & 255];

	if (fe->code != code || fe->off != off) {
		fe->line = site_line_slow(code, off);
		fe->code = code;
		fe->off = off;
	}
	return fe->line;
}

/* The entry of a code object; a new one names its function, on the
 * recorder's time, not the program's (the clock is moved back). */
static inline struct ent *
code_ent(PyObject *code, PyObject *frame)
{
	struct ent *e = ent_find(code);
	uint64_t t;

	if (e)
		return e;
	t = clk();
	e = code_ent_new(code, frame);
	unbill(t);
	return e;
}

/* The entry of a C function or method (its PyMethodDef), likewise. */
static inline struct ent *
cfunc_ent(const void *ml, PyObject *callable, int descr)
{
	struct ent *e = ent_find(ml);
	uint64_t t;

	if (e)
		return e;
	t = clk();
	e = cfunc_ent_new(ml, callable, descr);
	unbill(t);
	return e;
}
struct th *newthread(void);

/* out.c */
void out_init(int fd, int events, int follow, int own, unsigned execs, const char *pattern);
int out_begin(void);
void out_atfork_child(void);
void out_forked(uint32_t tid);
void out_mark(char kind);
void ev_fn(uint32_t id);
void ev_thread(uint32_t id, uint64_t native, struct pcg_str name);
void ev_flush(void);
char *ev_room(size_t n);
void finish(void);

/* signals.c */
void sig_install(void);
void sig_toggle_install(void);
void sig_atfork_prepare(void);
void sig_atfork_parent(void);
void sig_atfork_child(int followed);
void sig_held_die(void);

/* fork.c */
void fork_install(void);

/* calib.c */
int calib_begin(int events);
void calib_end(void);
void calib_abort(void);
int calib_raise(void);

/* hooks.c */
int hooks_install(void);
int hooks_trace(PyObject *obj, PyObject *f, int what, PyObject *arg);
void hooks_off(void);
void hooks_pause(int paused);
void hooks_calib(int in);
void hooks_remove(void);
void hooks_stacks(void);
void hooks_adopt(struct th *t);
void hooks_cpop(void);
void hooks_endall(uint64_t ts);

/* chain.c: the program's own profiler */
extern const void *chain_lsp[2];
int chain_hook(PyObject *obj, PyObject *f, int what, PyObject *arg);
void chain_lsprof(void);
void chain_resume(void *ts, int mine);
void chain_paused(PyObject *callable);
void chain_install(PyTraceFunc ours, PyObject *threadhook);
void chain_install_mon(void); /* 3.12+ */
int chain_trace(PyObject *obj, PyObject *f, int what, PyObject *arg);
void chain_check_trace(void);

#endif

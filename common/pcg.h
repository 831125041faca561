/*
 * pcg-format v1 and v2 (see man/pcg-format.5): the in-memory profile, its reader,
 * its canonical writer, and the aggregator that turns call/return events into
 * the calling-context tree.  One implementation shared by every program and by
 * the in-process recorder.
 */
#ifndef PCG_H
#define PCG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PCG_VERSION 1       /* written without line costs */
#define PCG_VERSION_LINES 2 /* written with them (p->lines) */
#define PCG_MAXCOST 8

enum pcg_kind { PCG_PY = 0, PCG_C = 1 };
enum pcg_layer { PCG_PROFILE = 0, PCG_EVENTS = 1 };

/* A byte string: may hold any byte, NUL included. */
struct pcg_str {
	char *s;
	size_t len;
};

struct pcg_fn {
	struct pcg_str module, file, name;
	uint32_t line;
	uint8_t kind;
};

struct pcg_thread {
	struct pcg_str name;
	uint64_t native;
};

/*
 * A calling context.  A plain node is "fn called from the context `parent` at
 * call-site line `line`" (parent 0: a root of its thread).  A recursive edge
 * (target != 0) is "the context `parent` called, at `line`, a function that was
 * already on the stack; the call re-entered the context `target`": its cost
 * has no self part and it has no children.  Folding recursion this way keeps
 * the tree's size bounded by the program's structure, not its run length.
 *
 * incl is the time this edge carried as callgrind reads a call arc: for each
 * instant, the arc from the innermost activation of each function on the stack
 * to the frame above it gets the time, so that self(F) + sum of F's outgoing
 * incl equals the time F was on the stack, counted once (see pcg-format(5)).
 */
struct pcg_node {
	uint32_t thread, parent, fn, line;
	uint32_t target; /* a rec edge: the context re-entered; a node: 0 */
};

/* Whether n is a recursive edge. */
static inline int pcg_rec(const struct pcg_node *n) { return n->target != 0; }

struct pcg_meta {
	struct pcg_str key;
	struct pcg_str *val;
	size_t nval;
};

/*
 * Open-addressing table from a hashed key to a 1-based id: ids only, 4
 * bytes a slot, since the recorder's profile is mostly its tables.  The
 * entries themselves give the keys; a table holds ids 1 to n-1 of its
 * array, so that growing rebuilds it from there with no old copy alive.
 */
struct pcg_tab {
	uint32_t *slot;
	size_t cap; /* power of two, 0 when empty */
};

/*
 * A line cost entry: the part of node's self cost spent on source line
 * `line` of its function.  Its ncost values are in pcg_profile.lval.
 */
struct pcg_linekey {
	uint32_t node, line;
};

/* The high 32 bits of node id's calls (pcg_profile.callshi). */
struct pcg_callhi {
	uint32_t id, hi;
};

/* Ids count from 1; nfn, nthread and nnode are one past the last id. */
struct pcg_profile {
	size_t ncost;
	struct pcg_str costname[PCG_MAXCOST], costunit[PCG_MAXCOST];
	uint64_t duration[PCG_MAXCOST]; /* the end record's time, per cost column */

	struct pcg_meta *meta;
	size_t nmeta, capmeta;

	struct pcg_fn *fn; /* index 0 unused: ids are 1-based */
	size_t nfn, capfn;
	struct pcg_tab fntab;

	struct pcg_thread *thread; /* index 0 unused */
	size_t nthread, capthread;

	struct pcg_node *node; /* index 0 unused */
	uint32_t *calls;       /* per node: the low 32 bits of the calls its edge
	                        * carried (pcg_calls(); 20-byte nodes) ... */
	struct pcg_callhi *callshi; /* ... the high ones of the rare nodes that have
	                        * them, open addressing by id */
	size_t ncallshi, capcallshi;
	uint64_t *cost;        /* per node: incl[ncost] then self[ncost] */
	size_t nnode, capnode;
	struct pcg_tab nodetab; /* empty after pcg_node_add() until a find */

	/*
	 * Line costs (format version 2), kept only when lines is set, by
	 * pcg_lines_on(): by a version 2 reader, or by the recorder before its
	 * first event (a frame open before runs on its function's first line).
	 * Then, for every node with line entries, their values sum to its self
	 * cost, per column; a node with none has all its self on its
	 * function's first line (p->fn[fn].line), as in version 1.  Entries
	 * count from 1.
	 */
	int lines;
	int agg1; /* ncost == 1 and no lines: pcg_enter()'s one test for its fast path */
	struct pcg_linekey *lkey; /* index 0 unused */
	uint64_t *lval;           /* per entry: ncost values */
	size_t nline, capline;    /* one past the last entry id */
	struct pcg_tab linetab;
};

void pcg_init(struct pcg_profile *p);
void pcg_free(struct pcg_profile *p);

/* Declare a cost column (at most PCG_MAXCOST); before any node exists. */
void pcg_add_cost(struct pcg_profile *p, const char *name, const char *unit);
void pcg_add_meta(struct pcg_profile *p, struct pcg_str key, const struct pcg_str *val, size_t nval);
/* Value of the first meta record with this key, or NULL. */
const struct pcg_meta *pcg_find_meta(const struct pcg_profile *p, const char *key);
int pcg_cost_find(const struct pcg_profile *p, const char *name);

/* Find or add; strings are copied.  Identity = (kind, module, file, line, name). */
uint32_t pcg_fn_intern(struct pcg_profile *p, const struct pcg_fn *f);
/* Id of the function with this identity, or 0. */
uint32_t pcg_fn_find(const struct pcg_profile *p, const struct pcg_fn *f);
uint32_t pcg_thread_add(struct pcg_profile *p, uint64_t native, struct pcg_str name);
/* Find or add the child of `parent` (0: root) in `thread`. */
uint32_t pcg_node_get(struct pcg_profile *p, uint32_t thread, uint32_t parent, uint32_t fn, uint32_t line);
/*
 * Add a node known to be new (a rec edge: target set, fn = the target's fn;
 * its calls are 0).  The node table is built only when a find first needs
 * it: a reader that rules out repeats by itself spares hashing every node.
 */
uint32_t pcg_node_add(struct pcg_profile *p, const struct pcg_node *n);
/*
 * Build the node table of nodes added by pcg_node_add(): the first node that
 * repeats an earlier one's key, or 0 (0 too if the table exists already).
 */
uint32_t pcg_node_repeat(struct pcg_profile *p);
/* Free the node table (8 to 16 bytes a node); a later find builds it again. */
void pcg_node_unindex(struct pcg_profile *p);
/*
 * Start loading the table slot of key n (as for pcg_node_add()): a caller
 * that knows its keys a few finds ahead hides a cache miss per find.
 */
void pcg_node_prefetch(const struct pcg_profile *p, const struct pcg_node *n);
/* Find or add the recursive edge parent -> target at line. */
uint32_t pcg_rec_get(struct pcg_profile *p, uint32_t thread, uint32_t parent, uint32_t target, uint32_t line);

/* A node's calls: read, set, added to, one more call (agg.c). */
uint64_t pcg_calls_slow(const struct pcg_profile *p, uint32_t id);
void pcg_calls_set(struct pcg_profile *p, uint32_t id, uint64_t calls);
void pcg_calls_carry(struct pcg_profile *p, uint32_t id);
static inline uint64_t pcg_calls(const struct pcg_profile *p, uint32_t id)
{
	return p->ncallshi ? pcg_calls_slow(p, id) : p->calls[id];
}
static inline void pcg_calls_add(struct pcg_profile *p, uint32_t id, uint64_t calls)
{
	pcg_calls_set(p, id, pcg_calls(p, id) + calls);
}
static inline void pcg_calls_inc(struct pcg_profile *p, uint32_t id)
{
	if (!++p->calls[id])
		pcg_calls_carry(p, id);
}

static inline uint64_t *pcg_incl(const struct pcg_profile *p, uint32_t id) { return p->cost + (size_t)id * 2 * p->ncost; }
static inline uint64_t *pcg_self(const struct pcg_profile *p, uint32_t id) { return p->cost + ((size_t)id * 2 + 1) * p->ncost; }
static inline uint64_t *pcg_lval(const struct pcg_profile *p, uint32_t e) { return p->lval + (size_t)e * p->ncost; }

/*
 * Line costs.  pcg_lines_on() sets p->lines (never set it directly).
 * pcg_line_get(): the entry of (node, line), added with zero
 * costs if new; its values are pcg_lval(p, e) (valid until the next add).
 * pcg_line_add() adds v (ncost values) to it: merge and filter move self
 * cost with it, and must move the node's self along.  Neither sets lines.
 * pcg_line_index(): entry ids sorted by (node, line); the entries of node n
 * are idx[start[n]] .. idx[start[n + 1] - 1] (start has nnode + 1 values).
 * Caller frees both.
 */
void pcg_lines_on(struct pcg_profile *p);
uint32_t pcg_line_get(struct pcg_profile *p, uint32_t node, uint32_t line);
void pcg_line_add(struct pcg_profile *p, uint32_t node, uint32_t line, const uint64_t *v);
/* A new entry known to be new (a reader's): no table until a get needs one. */
void pcg_line_append(struct pcg_profile *p, uint32_t node, uint32_t line, const uint64_t *v);
uint32_t *pcg_line_index(const struct pcg_profile *p, uint32_t **start);

/*
 * Per node, ncost values each: the time the node held its function's
 * innermost frame, its self plus the INCL of every arc leaving it, plain or
 * recursive (pcg-format(5)); for a plain node, the time its outermost frame
 * was on the stack.  Caller frees.
 */
uint64_t *pcg_outer(const struct pcg_profile *p);

struct pcg_str pcg_cstr(const char *s);
int pcg_str_eq(struct pcg_str a, struct pcg_str b);
/* Byte-wise order, shorter first on a common prefix. */
int pcg_str_cmp(struct pcg_str a, struct pcg_str b);

/* The decimal digits of v, ending just before end (20 at most); returns
 * their start.  Two digits a division: numbers are most of what is written,
 * four per call in the recorder's events layer. */
static inline char *
pcg_utoa(char *end, uint64_t v)
{
	static const char two[] =
	    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849"
	    "5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

	for (; v >= 100; v /= 100) {
		end -= 2;
		memcpy(end, two + v % 100 * 2, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, two + v * 2, 2);
	} else {
		*--end = '0' + v;
	}
	return end;
}

/* The same digits written at p, forwards; returns their end. */
static inline char *
pcg_u64(char *p, uint64_t v)
{
	uint64_t w = v;
	unsigned n = 1;

	while (w >= 10000) {
		w /= 10000;
		n += 4;
	}
	n += (w >= 10) + (w >= 100) + (w >= 1000);
	pcg_utoa(p + n, v);
	return p + n;
}

/* Escaping of string fields: any bytes in, a TAB- and newline-free field
 * out.  pcg_escape writes at most PCG_ESCAPED(len) bytes at dst and returns
 * their end; pcg_put_str writes them to fp. */
#define PCG_ESCAPED(len) (4 * (len))
char *pcg_escape(char *dst, const char *s, size_t len);
void pcg_put_str(FILE *fp, const char *s, size_t len);
/* Unescape in place; returns the new length or -1 on a bad escape/byte. */
long pcg_unescape(char *s, size_t len, const char **why);

/*
 * What a program does with the events of an events layer stream, instead of
 * aggregating them all (pcg-filter prunes there).  fn() learns of each fn
 * record as it is read (the meta records known); event() gets each event,
 * checked: tag 'c' or 's' with its fn and line, 'r' or 'y', 'l' with its
 * line (version 2), the thread's stack s and the readings t, and calls
 * pcg_enter(), pcg_leave() and pcg_line() on s as it sees fit; end() closes
 * what it left open on s at the run's end t.
 */
struct pcg_stack;
struct pcg_evhook {
	void *ctx;
	void (*fn)(void *ctx, struct pcg_profile *p, uint32_t fn);
	void (*event)(void *ctx, struct pcg_profile *p, struct pcg_stack *s, char tag, uint32_t fn,
	    uint32_t line, const uint64_t *t);
	void (*end)(void *ctx, struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t);
};

/*
 * How to read a stream; NULL: whole, as pcg-format(5) says.  partial reads an
 * events stream cut short (no end record, its last line perhaps cut, as a
 * recording killed by SIGKILL leaves it): what precedes the cut is read, the
 * frames still open are closed at the last time seen, and meta incomplete
 * says so.  hook: see pcg_evhook (a profile layer stream does not use it).
 */
struct pcg_readopt {
	int partial;
	const struct pcg_evhook *hook;
};

/*
 * Read one whole stream (either layer) and add it to p, which must be freshly
 * initialised.  The events layer is aggregated on the fly.  On malformed
 * input: "argv0: NAME:LINE: what" on stderr and exit 1.  NAME "-" is stdin.
 * Returns the stream's layer.
 * (Compiled with -DPCG_FUZZ, read.c longjmps to pcg_fuzz_jmp instead, the
 * reader's memory freed and p left for pcg_free(): see fuzz/fuzz-read.c.)
 */
int pcg_read(struct pcg_profile *p, FILE *fp, const char *name, const struct pcg_readopt *o);
/* Open (or stdin for "-") and read; exits on error. */
int pcg_read_path(struct pcg_profile *p, const char *path, const struct pcg_readopt *o);

/*
 * Merging profiles (pcg-merge(1); pcg-emit given several inputs): init, read
 * and fold each input, end; out is then the merged profile, to be written
 * only (its node table is stale).  threads: PCG_THREADS_*, as --threads.
 */
enum { PCG_THREADS_NAME, PCG_THREADS_KEEP, PCG_THREADS_JOIN };

struct pcg_merge {
	struct pcg_profile out;
	int threads, mean;
	const char *first;    /* the input whose cost columns out has */
	uint64_t runs;
	struct pcg_meta *run; /* one per run: pid, then the command line */
	size_t nrun, caprun;
	struct pcg_meta *inc; /* every distinct `incomplete` of the inputs */
	size_t ninc, capinc;
	struct pcg_meta *comp; /* every distinct `compensation` of the inputs */
	size_t ncomp, capcomp;
	const char *compfrom; /* the first input, compensated if comp_on */
	int comp_on;
	uint32_t *ord;        /* out's thread ids, sorted by thread key */
	size_t nord, capord;
	uint32_t *fmap, *tmap, *nmap; /* input id -> out id, per input */
	size_t capf, capt, capn;
};

void pcg_merge_init(struct pcg_merge *m, int threads, int mean);
void pcg_merge_read(struct pcg_merge *m, const char *path, const struct pcg_readopt *o);
void pcg_merge_end(struct pcg_merge *m);
void pcg_merge_free(struct pcg_merge *m);

/* Write p as a canonical profile layer stream.  Returns 0, or -1 on I/O error. */
int pcg_write(const struct pcg_profile *p, FILE *fp);

/*
 * Canonical order: threads as stored; within a thread, nodes depth first with
 * children sorted by (function identity, call line); recursive edges after the
 * thread's nodes.  order[] lists node ids in that order (rec edges last per
 * thread) and rank[id] gives each node's position.  Caller frees both.
 */
void pcg_canon(const struct pcg_profile *p, uint32_t **order, uint32_t **rank);

/*
 * Sort n keys by v[3], v[2], v[1], v[0] (an LSD radix sort, a byte at a time:
 * a byte that is the same in every key costs no pass).  tmp has room for n;
 * returns k or tmp, whichever holds the result.
 */
struct pcg_key {
	uint32_t v[4];
	uint32_t id;
};
struct pcg_key *pcg_keysort(struct pcg_key *k, struct pcg_key *tmp, size_t n);

/* Compare two functions by identity (kind, module, file, line, name). */
int pcg_fn_cmp(const struct pcg_fn *a, const struct pcg_fn *b);
/* rank[id]: the function's place (0, 1, ...) in that order.  Caller frees. */
uint32_t *pcg_fn_ranks(const struct pcg_profile *p);

/*
 * Aggregation of events into p: one pcg_stack per thread.  Times are the
 * cost-column readings of the event (ncost values).  enter() with resume != 0
 * continues a suspended generator/coroutine: no call is counted.
 *
 * With p->lines, each frame also has a current line: enter() starts the new
 * frame (call or resume) on its function's first line; pcg_line() charges
 * the time since the thread's previous event to the innermost frame's self
 * and its current line, then makes `line` current; enter() and leave()
 * charge the self time they end to the current line of the frame that ran.
 * A caller continues on its current line (the call site) after a return.
 * pcg_line() with no frame open, or without p->lines, does nothing.
 */
struct pcg_frame {
	uint32_t node;  /* the context this frame runs in */
	uint32_t edge;  /* node or rec edge that is charged this frame's incl */
	uint32_t fn;
	uint32_t prev;  /* depth+1 of the previous innermost frame of fn, or 0 */
	uint32_t paused;
	uint32_t slot;  /* innermost frame of fn: its slot in pcg_stack.inner */
};

/* p->lines: a frame's current line and the entry of (its node, that line).
 * Apart from pcg_frame, whose 24 bytes index with two lea's. */
struct pcg_linecur {
	uint32_t entry, line;
};

/* A recently used edge of this thread: (parent, fn, line, target) -> edge. */
struct pcg_edgememo {
	uint32_t parent, fn, line, target, edge;
};
#define PCG_MEMO_BITS 10

/* A recently used line entry of this thread: (node, line) -> entry. */
struct pcg_linememo {
	uint32_t node, line, entry;
};
#define PCG_LMEMO_BITS 10

struct pcg_stack {
	uint32_t thread;
	struct pcg_edgememo *memo; /* 1 << PCG_MEMO_BITS entries, or NULL */
	struct pcg_linememo *lmemo; /* 1 << PCG_LMEMO_BITS entries, or NULL */
	struct pcg_frame *frame;
	uint64_t *arc;   /* per frame, 2 * ncost: its arc's start, then its sum */
	size_t depth, cap;
	struct pcg_linecur *lcur; /* p->lines: per frame, else NULL */
	size_t caplcur;
	uint32_t *inner; /* hash of the fns on the stack: depth+1 of each one's innermost frame */
	size_t ninner;   /* slots: a power of two, 0 before the first call */
	uint64_t last[PCG_MAXCOST]; /* time of the previous event */
};

void pcg_stack_init(struct pcg_stack *s, uint32_t thread);
void pcg_stack_free(struct pcg_stack *s);
void pcg_enter(struct pcg_profile *p, struct pcg_stack *s, uint32_t fn, uint32_t line, const uint64_t *t, int resume);
void pcg_leave(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t);
void pcg_line(struct pcg_profile *p, struct pcg_stack *s, uint32_t line, const uint64_t *t);
/* The innermost frame's current line (p->lines), or 0 with no frame open. */
uint32_t pcg_curline(const struct pcg_profile *p, const struct pcg_stack *s);
/* Close every open frame at time t (frames still on the stack at exit). */
void pcg_close(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t);

#endif

/*
 * Reader of both layers.  A line is split in place into fields; strings are
 * unescaped in place.  Anything man/pcg-format.5 does not allow is an error
 * "NAME:LINE: what", exit 1: a profile is never silently wrong.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

struct field {
	char *s;
	size_t len;
};

enum stage { HEADER, META, COST, BODY, DONE };

/* A thread of an events stream, as the stream has it (a hook may feed the
 * aggregator fewer frames). */
struct evthread {
	size_t depth;               /* frames open */
	uint64_t last[PCG_MAXCOST]; /* time of the previous event */
};

struct reader {
	struct pcg_profile *p;
	const char *name;
	size_t lineno;
	struct field *f;
	size_t nf, capf;
	int layer;
	int version;          /* 1, or 2: line costs */
	enum stage stage;
	uint32_t thread;      /* profile layer: thread whose records follow */
	int inrecs;           /* profile layer: its rec records have begun */
	struct pcg_stack *st; /* events layer: one per thread, index = id */
	size_t capst;
	struct evthread *et;  /* events layer: one per thread, index = id */
	size_t capet;
	const struct pcg_evhook *hook; /* events layer: fed the events, or NULL */
	int partial;          /* events layer: a stream cut short reads */
	uint32_t *nodemap;    /* profile layer: stream node id -> profile id */
	size_t nnode, capnodemap;
	size_t *lineof;       /* profile layer: profile node id -> its line */
	size_t caplineof;
	uint32_t lnode;       /* profile layer: the node whose line records may follow, or 0 */
	uint32_t lline;       /* its last line record's LINE */
	size_t nlines;        /* its line records so far */
	uint64_t lsum[PCG_MAXCOST]; /* their SELF, summed */
	FILE *fp;
	char *buf;            /* input: lines are split and unescaped in place */
	size_t capbuf, len, pos; /* bytes held, start of the unread ones */
	int eof;
};

/* egrow() without zeroing the room: for arrays written before they are read. */
static void
grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;

	if (need < *cap)
		return;
	while (n <= need)
		n *= 2;
	*arr = ereallocarray(*arr, n, size);
	*cap = n;
}

static void
reader_free(struct reader *r)
{
	size_t i;

	for (i = 1; r->st && i < r->p->nthread; i++)
		pcg_stack_free(&r->st[i]);
	free(r->st);
	free(r->et);
	free(r->f);
	free(r->nodemap);
	free(r->lineof);
	free(r->buf);
}

#ifdef PCG_FUZZ
/*
 * Fuzz build only: the target sets pcg_fuzz_jmp, and an error frees the
 * reader and jumps back instead of exiting, so that one process survives
 * millions of inputs and leak checking sees the error paths too.
 */
#include <setjmp.h>
jmp_buf pcg_fuzz_jmp;
char pcg_fuzz_msg[256];
#endif

static void __attribute__((noreturn))
vbad(const struct reader *r, size_t lineno, const char *fmt, va_list ap)
{
#ifdef PCG_FUZZ
	vsnprintf(pcg_fuzz_msg, sizeof(pcg_fuzz_msg), fmt, ap);
	reader_free((struct reader *)r);
	longjmp(pcg_fuzz_jmp, 1);
#endif
	fprintf(stderr, "%s: %s:%zu: ", argv0, r->name, lineno);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(1);
}

static void __attribute__((format(printf, 3, 4), noreturn))
badat(const struct reader *r, size_t lineno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, lineno, fmt, ap);
}

/*
 * Nodes and rec edges are added unchecked, as the common case needs no node
 * table (see canonical()): any repeat among them is reported at the end, as
 * the error of its line.  An error before the end is reported as it is met,
 * without sorting the profile first to look for an earlier repeat: the
 * stream is rejected either way.
 */
static void __attribute__((format(printf, 2, 3), noreturn))
bad(const struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, r->lineno, fmt, ap);
}

static int
is(const struct field *f, const char *s)
{
	return f->len == strlen(s) && !memcmp(f->s, s, f->len);
}

static void
split(struct reader *r, char *line, size_t len)
{
	char *s = line, *end = line + len, *tab;

	r->nf = 0;
	for (;;) {
		if (r->nf == r->capf)
			egrow((void **)&r->f, &r->capf, r->nf, sizeof(*r->f));
		tab = memchr(s, '\t', end - s);
		r->f[r->nf].s = s;
		r->f[r->nf].len = (tab ? tab : end) - s;
		r->nf++;
		if (!tab)
			break;
		s = tab + 1;
	}
}

/*
 * A field for an error message: escaped like a string field so that NULs,
 * control bytes and terminal escapes in bad input show up harmlessly, and
 * cut at 24 bytes.  One static buffer: at most one use per message.
 */
static const char *
shown(const struct field *f)
{
	static char buf[24 * 4 + 4];
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < f->len && i < 24; i++) {
		unsigned char c = f->s[i];
		if (c >= 0x20 && c != 0x7f && c != '\\') {
			buf[o++] = c;
			continue;
		}
		buf[o++] = '\\';
		buf[o++] = 'x';
		buf[o++] = hex[c >> 4];
		buf[o++] = hex[c & 15];
	}
	if (i < f->len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static void
nfields(const struct reader *r, size_t want)
{
	if (r->nf != want)
		bad(r, "%s record has %zu fields, expected %zu", shown(&r->f[0]), r->nf, want);
}

static uint64_t __attribute__((noinline))
numslow(const struct reader *r, size_t i, const char *what)
{
	uint64_t v;

	if (parse_u64(r->f[i].s, r->f[i].len, &v) < 0)
		bad(r, "field %zu (%s): not a number: '%s'", i + 1, what, shown(&r->f[i]));
	return v;
}

/* The common case inline: 19 digits cannot overflow, no check per digit. */
static uint64_t
num(const struct reader *r, size_t i, const char *what)
{
	const char *s = r->f[i].s;
	size_t k, len = r->f[i].len;
	uint64_t v = 0;
	unsigned d;

	if (!len || len > 19 || (s[0] == '0' && len > 1))
		return numslow(r, i, what);
	for (k = 0; k < len; k++) {
		if ((d = (unsigned char)s[k] - '0') > 9)
			return numslow(r, i, what);
		v = v * 10 + d;
	}
	return v;
}

static uint32_t
num32(const struct reader *r, size_t i, const char *what)
{
	uint64_t v = num(r, i, what);

	if (v > UINT32_MAX - 1)
		bad(r, "field %zu (%s): %llu is out of range", i + 1, what, (unsigned long long)v);
	return v;
}

static struct pcg_str
str(const struct reader *r, size_t i, const char *what)
{
	const char *why;
	long n = pcg_unescape(r->f[i].s, r->f[i].len, &why);
	struct pcg_str s;

	if (n < 0)
		bad(r, "field %zu (%s): %s", i + 1, what, why);
	s.s = r->f[i].s;
	s.len = n;
	return s;
}

static void
costs(const struct reader *r, size_t i, uint64_t *v)
{
	size_t k;

	for (k = 0; k < r->p->ncost; k++)
		v[k] = num(r, i + k, "cost");
}

static void
header(struct reader *r)
{
	uint64_t v;

	if (!is(&r->f[0], "pcg") || r->nf != 3)
		bad(r, "not a pcg stream (missing 'pcg<TAB>VERSION<TAB>LAYER' header)");
	if (parse_u64(r->f[1].s, r->f[1].len, &v) < 0 || (v != PCG_VERSION && v != PCG_VERSION_LINES))
		bad(r, "unsupported format version '%s' (this program reads %d and %d)", shown(&r->f[1]),
		    PCG_VERSION, PCG_VERSION_LINES);
	r->version = v;
	if (v == PCG_VERSION_LINES)
		pcg_lines_on(r->p);
	if (is(&r->f[2], "profile"))
		r->layer = PCG_PROFILE;
	else if (is(&r->f[2], "events"))
		r->layer = PCG_EVENTS;
	else
		bad(r, "unknown layer (expected 'profile' or 'events')");
	r->stage = META;
}

static void
meta(struct reader *r)
{
	struct pcg_str key, *val;
	size_t i;

	if (r->stage > META)
		bad(r, "meta record after cost records");
	if (r->nf < 3)
		bad(r, "meta record needs a key and at least one value");
	key = str(r, 1, "key");
	/* Unescape every value before allocating: bad() must leak nothing. */
	for (i = 2; i < r->nf; i++)
		r->f[i].len = str(r, i, "value").len;
	val = ereallocarray(NULL, r->nf - 2, sizeof(*val));
	for (i = 2; i < r->nf; i++) {
		val[i - 2].s = r->f[i].s;
		val[i - 2].len = r->f[i].len;
	}
	pcg_add_meta(r->p, key, val, r->nf - 2);
	free(val);
}

static void
cost(struct reader *r)
{
	struct pcg_str name, unit;

	if (r->stage > COST)
		bad(r, "cost record after the header");
	nfields(r, 3);
	if (r->p->ncost == PCG_MAXCOST)
		bad(r, "more than %d cost columns", PCG_MAXCOST);
	name = str(r, 1, "name");
	unit = str(r, 2, "unit");
	if (!name.len || memchr(name.s, '\0', name.len) || memchr(unit.s, '\0', unit.len))
		bad(r, "cost column name must be non-empty, without NUL");
	if (!r->p->ncost && (name.len != 4 || memcmp(name.s, "wall", 4) || unit.len != 2 ||
	    memcmp(unit.s, "ns", 2)))
		bad(r, "the first cost column must be 'wall' in 'ns'");
	/* Fields are split already: ending them in place clobbers only separators. */
	name.s[name.len] = '\0';
	unit.s[unit.len] = '\0';
	pcg_add_cost(r->p, name.s, unit.s);
	r->stage = COST;
}

static void
fn(struct reader *r)
{
	struct pcg_fn f;
	uint32_t id, have;

	/* Count first: fields past nf are stale pointers into an old line. */
	nfields(r, 7);
	id = num32(r, 1, "id");
	if (id != r->p->nfn)
		bad(r, "function id %u out of order (expected %zu)", id, r->p->nfn);
	if (is(&r->f[2], "py"))
		f.kind = PCG_PY;
	else if (is(&r->f[2], "c"))
		f.kind = PCG_C;
	else
		bad(r, "function kind must be 'py' or 'c'");
	f.module = str(r, 3, "module");
	f.file = str(r, 4, "file");
	f.line = num32(r, 5, "line");
	f.name = str(r, 6, "name");
	if ((have = pcg_fn_find(r->p, &f)))
		bad(r, "function %u is function %u again (same identity)", id, have);
	pcg_fn_intern(r->p, &f);
	if (r->hook && r->layer == PCG_EVENTS)
		r->hook->fn(r->hook->ctx, r->p, id);
}

static void
thread(struct reader *r)
{
	uint32_t id;
	uint64_t native;
	struct pcg_str name;

	nfields(r, 4);
	id = num32(r, 1, "id");
	native = num(r, 2, "native id");
	name = str(r, 3, "name");
	if (id != r->p->nthread)
		bad(r, "thread id %u out of order (expected %zu)", id, r->p->nthread);
	pcg_thread_add(r->p, native, name);
	r->thread = id;
	r->inrecs = 0;
	if (r->layer == PCG_EVENTS) {
		egrow((void **)&r->st, &r->capst, id, sizeof(*r->st));
		pcg_stack_init(&r->st[id], id);
		egrow((void **)&r->et, &r->capet, id, sizeof(*r->et));
	}
}

static uint32_t
fnref(const struct reader *r, size_t i)
{
	uint32_t id = num32(r, i, "function");

	if (id == 0 || id >= r->p->nfn)
		bad(r, "undefined function id %u", id);
	return id;
}

/* A node of the current thread defined earlier (0 allowed where root is). */
static uint32_t
noderef(const struct reader *r, size_t i, const char *what, int zero_ok)
{
	uint32_t id = num32(r, i, what);

	if (id == 0 && zero_ok)
		return 0;
	if (id == 0 || id > r->nnode)
		bad(r, "%s %u is not a node defined earlier", what, id);
	if (r->p->node[r->nodemap[id]].thread != r->thread)
		bad(r, "%s %u belongs to another thread", what, id);
	return r->nodemap[id];
}

/* Add a node or rec edge, unchecked for now, and note its line. */
static uint32_t
added(struct reader *r, const struct pcg_node *k)
{
	uint32_t n = pcg_node_add(r->p, k);

	grow((void **)&r->lineof, &r->caplineof, n, sizeof(*r->lineof));
	r->lineof[n] = r->lineno;
	return n;
}

/*
 * Are p's nodes surely distinct?  They are if the children of each context
 * come in strictly increasing (function identity, line) order and each
 * thread's rec edges in strictly increasing (parent, target, line) order, as
 * canonical order (pcg-format(5)), which every pcg program writes, has them.
 * One pass of integer compares tells, where a table costs a cache miss per
 * node; a stream in another order gets the table.
 */
static int
canonical(const struct pcg_profile *p)
{
	uint32_t *rank = pcg_fn_ranks(p), *kid = ecalloc(p->nnode, sizeof(*kid));
	const struct pcg_node *n, *l, *prev = NULL;
	uint32_t i, thread = 0;
	int ok = 1;

	for (i = 1; ok && i < p->nnode; i++) {
		n = &p->node[i];
		if (n->thread != thread) {
			thread = n->thread;
			kid[0] = 0; /* newest child of 0: the thread's newest root */
			prev = NULL;
		}
		if (pcg_rec(n)) {
			l = prev;
			ok = !l || (l->parent != n->parent ? l->parent < n->parent :
			    l->target != n->target ? l->target < n->target : l->line < n->line);
			prev = n;
			continue;
		}
		if (kid[n->parent]) {
			l = &p->node[kid[n->parent]];
			ok = rank[l->fn] != rank[n->fn] ? rank[l->fn] < rank[n->fn] : l->line < n->line;
		}
		kid[n->parent] = i;
	}
	free(rank);
	free(kid);
	return ok;
}

/* The stream id of profile node n: nodemap rises with both. */
static uint32_t
streamid(const struct reader *r, uint32_t n)
{
	size_t lo = 1, hi = r->nnode + 1, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->nodemap[mid] < n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
repeats(const struct reader *r)
{
	const struct pcg_profile *p = r->p;
	uint32_t n;

	if (r->layer != PCG_PROFILE || p->nodetab.cap || p->nnode < 3 || canonical(p))
		return;
	if (!(n = pcg_node_repeat(r->p)))
		return;
	if (pcg_rec(&p->node[n]))
		badat(r, r->lineof[n], "rec record repeats an earlier one (same parent, target and line)");
	badat(r, r->lineof[n], "node %u repeats the parent, function and line of an earlier node",
	    streamid(r, n));
}

static void
node(struct reader *r)
{
	struct pcg_profile *p = r->p;
	struct pcg_node k = { 0 };
	uint32_t id, parent, f, line, n;

	nfields(r, 6 + 2 * p->ncost);
	if (!r->thread)
		bad(r, "node record before any thread record");
	if (r->inrecs)
		bad(r, "node record after the thread's rec records");
	id = num32(r, 1, "id");
	if (id != r->nnode + 1)
		bad(r, "node id %u out of order (expected %zu)", id, r->nnode + 1);
	parent = noderef(r, 2, "parent", 1);
	f = fnref(r, 3);
	line = num32(r, 4, "line");
	k.thread = r->thread;
	k.parent = parent;
	k.fn = f;
	k.line = line;
	n = added(r, &k);
	grow((void **)&r->nodemap, &r->capnodemap, id, sizeof(*r->nodemap));
	r->nodemap[id] = n;
	r->nnode = id;
	pcg_calls_set(p, n, num(r, 5, "calls"));
	costs(r, 6, pcg_incl(p, n));
	costs(r, 6 + p->ncost, pcg_self(p, n));
	r->lnode = id;
	r->nlines = 0;
}

/*
 * The end of a node's line records (any other record ends them): if it had
 * any, they must add up to its self cost, column by column.
 */
static void
endlines(struct reader *r)
{
	const uint64_t *self = pcg_self(r->p, r->nodemap[r->lnode]);
	size_t k;

	for (k = 0; r->nlines && k < r->p->ncost; k++)
		if (r->lsum[k] != self[k])
			badat(r, r->lineno - 1, "the line records of node %u sum to %llu in cost column %zu, "
			    "its self cost is %llu", r->lnode, (unsigned long long)r->lsum[k], k + 1,
			    (unsigned long long)self[k]);
	r->lnode = 0;
}

/* line NODE LINE SELF...: part of the self cost of the node just read. */
static void
linerec(struct reader *r)
{
	struct pcg_profile *p = r->p;
	uint64_t v[PCG_MAXCOST];
	uint32_t id, ln;
	size_t k;

	nfields(r, 3 + p->ncost);
	if (r->version < PCG_VERSION_LINES)
		bad(r, "line record in a version %d stream (line costs need version %d)", r->version,
		    PCG_VERSION_LINES);
	id = num32(r, 1, "node");
	ln = num32(r, 2, "line");
	costs(r, 3, v);
	if (!r->lnode)
		bad(r, "line record for node %u not right after that node's record", id);
	if (id != r->lnode)
		bad(r, "line record for node %u right after node %u (it must follow its own node)", id,
		    r->lnode);
	if (r->nlines && ln <= r->lline)
		bad(r, "line %u of node %u after its line %u (lines must increase)", ln, id, r->lline);
	for (k = 0; k < p->ncost; k++) {
		if (!r->nlines)
			r->lsum[k] = 0;
		if (r->lsum[k] > UINT64_MAX - v[k])
			bad(r, "the line records of node %u sum to more than 64 bits", id);
		r->lsum[k] += v[k];
	}
	r->nlines++;
	r->lline = ln;
	pcg_line_append(p, r->nodemap[id], ln, v); /* new: lines increase, nodes are new */
}

static void
rec(struct reader *r)
{
	struct pcg_profile *p = r->p;
	struct pcg_node k = { 0 };
	uint32_t parent, target, line, n;

	nfields(r, 5 + p->ncost);
	if (!r->thread)
		bad(r, "rec record before any thread record");
	parent = noderef(r, 1, "parent", 0);
	target = noderef(r, 2, "target", 0);
	line = num32(r, 3, "line");
	k.thread = r->thread;
	k.parent = parent;
	k.fn = p->node[target].fn;
	k.line = line;
	k.target = target;
	n = added(r, &k);
	pcg_calls_set(p, n, num(r, 4, "calls"));
	costs(r, 5, pcg_incl(p, n));
	r->inrecs = 1;
}

static struct pcg_stack *
evthread(const struct reader *r)
{
	uint32_t id = num32(r, 1, "thread");

	if (id == 0 || id >= r->p->nthread)
		bad(r, "undefined thread id %u", id);
	return &r->st[id];
}

/* Readings t of thread s are never earlier than its previous event's. */
static void
notbefore(const struct reader *r, uint32_t thread, const uint64_t *t)
{
	const uint64_t *last = r->et[thread].last;
	size_t k;

	for (k = 0; k < r->p->ncost; k++)
		if (t[k] < last[k])
			bad(r, "time goes backwards in thread %u (%llu after %llu)", thread,
			    (unsigned long long)t[k], (unsigned long long)last[k]);
}

static void
event(struct reader *r, char tag)
{
	uint64_t t[PCG_MAXCOST];
	struct pcg_stack *s;
	struct evthread *e;
	uint32_t f = 0, line = 0;
	int enter = tag == 'c' || tag == 's';
	size_t at = enter ? 4 : tag == 'l' ? 3 : 2; /* where T starts */

	nfields(r, at + r->p->ncost);
	if (tag == 'l' && r->version < PCG_VERSION_LINES)
		bad(r, "line event in a version %d stream (line events need version %d)", r->version,
		    PCG_VERSION_LINES);
	s = evthread(r);
	e = &r->et[s->thread];
	if (enter)
		f = fnref(r, 2);
	if (enter || tag == 'l')
		line = num32(r, at - 1, "line");
	costs(r, at, t);
	notbefore(r, s->thread, t);
	if (!enter && !e->depth)
		bad(r, "%s with no frame open in thread %u",
		    tag == 'r' ? "return" : tag == 'y' ? "yield" : "line event", s->thread);
	if (tag != 'l')
		e->depth += enter ? 1 : -1;
	memcpy(e->last, t, r->p->ncost * sizeof(*t));
	if (r->hook)
		r->hook->event(r->hook->ctx, r->p, s, tag, f, line, t);
	else if (enter)
		pcg_enter(r->p, s, f, line, t, tag == 's');
	else if (tag == 'l')
		pcg_line(r->p, s, line, t);
	else
		pcg_leave(r->p, s, t);
}

/* The end of the run at time t: every frame still open closes then. */
static void
finish(struct reader *r, const uint64_t *t)
{
	size_t i;

	memcpy(r->p->duration, t, r->p->ncost * sizeof(*t));
	for (i = 1; r->layer == PCG_EVENTS && i < r->p->nthread; i++) {
		notbefore(r, i, r->p->duration);
		if (r->hook)
			r->hook->end(r->hook->ctx, r->p, &r->st[i], r->p->duration);
		else
			pcg_close(r->p, &r->st[i], r->p->duration);
	}
	r->stage = DONE;
}

static void
end(struct reader *r)
{
	uint64_t lines, t[PCG_MAXCOST];

	nfields(r, 2 + r->p->ncost);
	lines = num(r, 1, "lines");
	if (lines != r->lineno - 1)
		bad(r, "end record counts %llu lines but %zu precede it: stream corrupt or truncated",
		    (unsigned long long)lines, r->lineno - 1);
	costs(r, 2, t);
	repeats(r);
	finish(r, t);
}

/* May the stream end here, cut short?  (Only an events stream, with --partial.) */
static int
cutok(const struct reader *r)
{
	return r->partial && r->layer == PCG_EVENTS && r->stage >= COST && r->stage != DONE;
}

/*
 * An events stream cut short: its run ends at the last time seen in any
 * thread (readings of one column share a clock: the end record's must not
 * precede any thread's), and the profile says it was cut.
 */
static void
cutshort(struct reader *r)
{
	static const char why[] = "events stream cut short (no end record): read to line %zu, "
	    "open frames closed at the last time seen";
	uint64_t t[PCG_MAXCOST] = { 0 };
	char buf[sizeof(why) + 24];
	struct pcg_str v;
	size_t i, k;

	for (i = 1; i < r->p->nthread; i++)
		for (k = 0; k < r->p->ncost; k++)
			t[k] = r->et[i].last[k] > t[k] ? r->et[i].last[k] : t[k];
	finish(r, t);
	snprintf(buf, sizeof(buf), why, r->lineno - 1);
	v = pcg_cstr(buf);
	pcg_add_meta(r->p, pcg_cstr("incomplete"), &v, 1);
}

/* The message for a stream without its end: where --partial helps, it says so. */
static const char *
truncated(const struct reader *r, const char *what)
{
	static char buf[128];

	if (r->layer != PCG_EVENTS || r->stage < COST || r->partial)
		return what;
	snprintf(buf, sizeof(buf), "%s (--partial reads an events stream cut short)", what);
	return buf;
}

static void
record(struct reader *r)
{
	struct field *t = &r->f[0];

	if (r->stage == HEADER) {
		header(r);
		return;
	}
	if (r->stage == DONE)
		bad(r, "data after the end record");
	if (is(t, "meta")) {
		meta(r);
		return;
	}
	if (is(t, "cost")) {
		cost(r);
		return;
	}
	if (r->stage < COST)
		bad(r, "missing cost record before the body");
	r->stage = BODY;
	if (r->layer == PCG_PROFILE && is(t, "line")) {
		linerec(r);
		return;
	}
	if (r->lnode)
		endlines(r);
	if (is(t, "fn"))
		fn(r);
	else if (is(t, "thread"))
		thread(r);
	else if (is(t, "end"))
		end(r);
	else if (r->layer == PCG_PROFILE && is(t, "node"))
		node(r);
	else if (r->layer == PCG_PROFILE && is(t, "rec"))
		rec(r);
	else if (r->layer == PCG_EVENTS && t->len == 1 && memchr("crysl", t->s[0], 5))
		event(r, t->s[0]);
	else
		bad(r, "unknown record '%s' in a%s layer", shown(t),
		    r->layer == PCG_PROFILE ? " profile" : "n events");
}

/* Read more input after the unread bytes, moved to the start of the buffer. */
static void
fill(struct reader *r)
{
	size_t n;

	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	if (r->len == r->capbuf)
		egrow((void **)&r->buf, &r->capbuf, r->len, 1);
	n = fread(r->buf + r->len, 1, r->capbuf - r->len, r->fp);
	r->len += n;
	if (!n)
		r->eof = 1;
}

/*
 * The next line, its newline included (none on the last line of a stream
 * that lacks it), or NULL at the end.  Lines stay in the buffer, read in
 * large blocks: no copy per line.
 */
static char *
nextline(struct reader *r, size_t *n)
{
	char *s, *nl;

	for (;;) {
		s = r->buf + r->pos;
		if ((nl = memchr(s, '\n', r->len - r->pos))) {
			*n = nl - s + 1;
			r->pos += *n;
			return s;
		}
		if (r->eof) {
			*n = r->len - r->pos;
			r->pos = r->len;
			return *n ? s : NULL;
		}
		fill(r);
	}
}

static int
readfp(struct pcg_profile *p, FILE *fp, const char *name, const struct pcg_readopt *o)
{
	struct reader r = { 0 };
	char *line;
	size_t n;
	int layer;

	r.p = p;
	r.name = name;
	r.fp = fp;
	r.hook = o ? o->hook : NULL;
	r.partial = o && o->partial;
	r.capbuf = 1 << 18;
	r.buf = emalloc(r.capbuf);
	while ((line = nextline(&r, &n))) {
		r.lineno++;
		if (line[n - 1] != '\n' && cutok(&r)) {
			r.lineno--; /* cut inside its last record: that record is lost */
			break;
		}
		if (line[n - 1] != '\n')
			bad(&r, "%s", truncated(&r, "truncated: last line has no newline"));
		if (n > 1 && line[n - 2] == '\r')
			bad(&r, "carriage return before newline (CRLF line ends are not allowed)");
		split(&r, line, n - 1);
		record(&r);
	}
	if (ferror(fp)) {
		int err = errno;
		eprintf("%s: read error: %s", name, strerror(err));
	}
	r.lineno++;
	if (r.stage == HEADER)
		bad(&r, "empty input: missing pcg header");
	if (cutok(&r))
		cutshort(&r);
	if (r.stage != DONE)
		bad(&r, "%s", truncated(&r, "truncated: no end record"));
	layer = r.layer;
	reader_free(&r);
	return layer;
}

int
pcg_read(struct pcg_profile *p, FILE *fp, const char *name, const struct pcg_readopt *o)
{
	return readfp(p, fp, name, o);
}

int
pcg_read_path(struct pcg_profile *p, const char *path, const struct pcg_readopt *o)
{
	FILE *fp;
	int layer;

	if (!strcmp(path, "-"))
		return readfp(p, stdin, "-", o);
	if (!(fp = fopen(path, "r")))
		eprintf("%s: %s", path, strerror(errno));
	layer = readfp(p, fp, path, o);
	fclose(fp);
	return layer;
}

long
pcg_unescape(char *s, size_t len, const char **why)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c < 0x20 || c == 0x7f) {
			*why = "raw control byte (must be escaped)";
			return -1;
		}
		if (c != '\\') {
			s[o++] = c;
			continue;
		}
		if (++i == len) {
			*why = "backslash at end of field";
			return -1;
		}
		switch (s[i]) {
		case '\\': s[o++] = '\\'; break;
		case 't': s[o++] = '\t'; break;
		case 'n': s[o++] = '\n'; break;
		case 'r': s[o++] = '\r'; break;
		case 'x': {
			static const char hex[] = "0123456789abcdef";
			const char *h, *l;
			/* memchr over 16 bytes: a NUL is no digit either */
			if (len - i < 3 || !(h = memchr(hex, s[i + 1], 16)) ||
			    !(l = memchr(hex, s[i + 2], 16))) {
				*why = "bad \\x escape (two lowercase hex digits expected)";
				return -1;
			}
			s[o++] = (h - hex) << 4 | (l - hex);
			i += 2;
			break;
		}
		default:
			*why = "unknown backslash escape";
			return -1;
		}
	}
	return o;
}

/*
 * Events to calling-context tree.  A call of a function already on the stack
 * re-enters the context of its innermost frame (a rec edge), which bounds the
 * tree by the program's structure.  Inclusive cost follows the arc rule of
 * pcg-format(5): a frame's arc earns time only while the function that called
 * it has no newer frame above it, so each function's time is counted once.
 *
 * This runs twice per call inside the traced program: no library calls on
 * the common path.  Each stack finds a function's innermost frame through a
 * small hash table of the functions on it (s->inner, s->ninner slots): memory
 * grows with the stack's depth, not with functions times threads.
 */
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

void
pcg_stack_init(struct pcg_stack *s, uint32_t thread)
{
	memset(s, 0, sizeof(*s));
	s->thread = thread;
}

void
pcg_stack_free(struct pcg_stack *s)
{
	free(s->frame);
	free(s->arc);
	free(s->inner);
	free(s->memo);
	free(s->lmemo);
	free(s->lcur);
	memset(s, 0, sizeof(*s));
}

/* Home slot of fn; ninner is a power of two. */
static inline size_t
home(const struct pcg_stack *s, uint32_t fn)
{
	return (size_t)((fn * 0x9e3779b97f4a7c15ULL) >> 32) & (s->ninner - 1);
}

/* The slot holding fn's innermost frame (depth+1), or the empty one for it. */
static inline size_t
slotof(const struct pcg_stack *s, uint32_t fn)
{
	size_t i = home(s, fn);

	while (s->inner[i] && s->frame[s->inner[i] - 1].fn != fn)
		i = (i + 1) & (s->ninner - 1);
	return i;
}

/* Slot i holds frame d (depth+1), which knows it: its leave needs no lookup. */
static inline void
place(struct pcg_stack *s, size_t i, uint32_t d)
{
	s->inner[i] = d;
	s->frame[d - 1].slot = i;
}

/* Keep the load at most one half: at most `depth` functions are on the stack. */
static void
reserve(struct pcg_stack *s, size_t depth)
{
	uint32_t *old = s->inner;
	size_t i, oldn = s->ninner, n = oldn ? oldn : 16;

	if (depth * 2 <= oldn)
		return;
	while (depth * 2 > n)
		n *= 2;
	s->inner = ecalloc(n, sizeof(*s->inner));
	s->ninner = n;
	for (i = 0; i < oldn; i++)
		if (old[i])
			place(s, slotof(s, s->frame[old[i] - 1].fn), old[i]);
	free(old);
}

/* Empty slot i; shift later entries of its probe run back (no tombstones). */
static void
unslot(struct pcg_stack *s, size_t i)
{
	size_t j = i, k, mask = s->ninner - 1;

	for (;;) {
		j = (j + 1) & mask;
		if (!s->inner[j])
			break;
		k = home(s, s->frame[s->inner[j] - 1].fn);
		/* Entry j may move to i only if its home is not cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		place(s, i, s->inner[j]);
		i = j;
	}
	s->inner[i] = 0;
}

/* Frames are a small array apart from their costs, so that a deep stack of
 * one-column frames stays in cache. */
static void __attribute__((noinline))
grow(struct pcg_stack *s, size_t n, int lines)
{
	size_t cap;

	if (lines && s->depth >= s->caplcur)
		egrow((void **)&s->lcur, &s->caplcur, s->depth, sizeof(*s->lcur));
	if (lines && !s->lmemo)
		s->lmemo = ecalloc((size_t)1 << PCG_LMEMO_BITS, sizeof(*s->lmemo));

	if (s->depth >= UINT32_MAX - 1)
		eprintf("stack of thread %u deeper than %u frames", s->thread, UINT32_MAX - 2);
	if (s->depth >= s->cap) {
		cap = s->cap;
		egrow((void **)&s->frame, &s->cap, s->depth, sizeof(*s->frame));
		egrow((void **)&s->arc, &cap, s->depth, 2 * n * sizeof(*s->arc));
	}
	reserve(s, s->depth + 1);
	if (!s->memo)
		s->memo = ecalloc((size_t)1 << PCG_MEMO_BITS, sizeof(*s->memo));
}

/* The edge for a call; the memo answers a loop's repeated calls cheaply. */
static inline uint32_t
edge(struct pcg_profile *p, struct pcg_stack *s, uint32_t parent, uint32_t fn, uint32_t line, uint32_t target)
{
	uint32_t h = (parent * 0x9e3779b1u) ^ (fn * 0x85ebca77u) ^ (line * 0xc2b2ae3du) ^ target;
	struct pcg_edgememo *m = &s->memo[h >> (32 - PCG_MEMO_BITS)];

	if (m->edge && m->parent == parent && m->fn == fn && m->line == line && m->target == target)
		return m->edge;
	m->parent = parent;
	m->fn = fn;
	m->line = line;
	m->target = target;
	if (target)
		return m->edge = pcg_rec_get(p, s->thread, parent, target, line);
	return m->edge = pcg_node_get(p, s->thread, parent, fn, line);
}

/* A memo miss: the table's answer, remembered. */
static uint32_t __attribute__((noinline))
linemiss(struct pcg_profile *p, struct pcg_linememo *m, uint32_t node, uint32_t line)
{
	m->node = node;
	m->line = line;
	return m->entry = pcg_line_get(p, node, line);
}

/* pcg_line()'s miss: a tail call, so that its common path saves no register. */
static void __attribute__((noinline))
linemove(struct pcg_profile *p, struct pcg_linememo *m, uint32_t node, uint32_t line, struct pcg_linecur *c)
{
	c->entry = linemiss(p, m, node, line);
}

/* The line entry of (node, line); a memo as for edges, since a loop runs
 * the same few lines over and over.  s->lmemo exists once a frame does. */
static inline uint32_t
lineentry(struct pcg_profile *p, struct pcg_stack *s, uint32_t node, uint32_t line)
{
	uint32_t h = (node * 0x9e3779b1u) ^ (line * 0x85ebca77u);
	struct pcg_linememo *m = &s->lmemo[h >> (32 - PCG_LMEMO_BITS)];

	if (m->entry && m->node == node && m->line == line)
		return m->entry;
	return linemiss(p, m, node, line);
}

/*
 * A frame with no line entry was opened before pcg_lines_on() (which the
 * recorder calls before its first event, so this is for safety): it runs
 * on its function's first line, as a node without lines has its self.
 */
static struct pcg_linecur * __attribute__((noinline))
lateline(struct pcg_profile *p, struct pcg_stack *s, size_t d)
{
	uint32_t first = p->fn[s->frame[d].fn].line;

	if (d >= s->caplcur)
		egrow((void **)&s->lcur, &s->caplcur, d, sizeof(*s->lcur));
	if (!s->lmemo)
		s->lmemo = ecalloc((size_t)1 << PCG_LMEMO_BITS, sizeof(*s->lmemo));
	s->lcur[d].line = first;
	s->lcur[d].entry = pcg_line_get(p, s->frame[d].node, first);
	return &s->lcur[d];
}

/* Frame d's current line and entry. */
static inline struct pcg_linecur *
curline(struct pcg_profile *p, struct pcg_stack *s, size_t d)
{
	if (d < s->caplcur && s->lcur[d].entry)
		return &s->lcur[d];
	return lateline(p, s, d);
}

/*
 * The bodies take the number of cost columns as an argument and are always
 * inlined, so that the one-column case the recorder uses compiles to
 * straight-line code (and the two columns of pcg-trace --cpu).  `lines` is
 * a constant too: without line costs the
 * code is what it was before them.
 */
static inline __attribute__((always_inline)) void
enter_n(struct pcg_profile *p, struct pcg_stack *s, uint32_t fn, uint32_t line, const uint64_t *t,
    int resume, size_t n, int lines)
{
	struct pcg_frame *f;
	uint64_t *arc;
	uint32_t parent, q;
	size_t k, slot;

	if (s->depth >= s->cap || (s->depth + 1) * 2 > s->ninner || (lines && s->depth >= s->caplcur))
		grow(s, n, lines); /* with lines, also s->lcur and s->lmemo */
	if (s->depth) {
		uint64_t *self = p->cost + ((size_t)s->frame[s->depth - 1].node * 2 + 1) * n;
		for (k = 0; k < n; k++)
			self[k] += t[k] - s->last[k];
		if (lines) {
			uint32_t e = curline(p, s, s->depth - 1)->entry;
			uint64_t *lv = p->lval + (size_t)e * n;
			for (k = 0; k < n; k++)
				lv[k] += t[k] - s->last[k];
		}
	}
	for (k = 0; k < n; k++)
		s->last[k] = t[k];
	parent = s->depth ? s->frame[s->depth - 1].node : 0;
	slot = slotof(s, fn);
	q = s->inner[slot];
	f = &s->frame[s->depth];
	f->fn = fn;
	f->prev = q;
	f->paused = 0;
	arc = s->arc + s->depth * 2 * n;
	for (k = 0; k < n; k++) {
		arc[k] = t[k];
		arc[n + k] = 0;
	}
	f->node = q ? s->frame[q - 1].node : 0;
	f->edge = edge(p, s, parent, fn, line, f->node);
	if (!q)
		f->node = f->edge;
	if (lines) {
		s->lcur[s->depth].line = p->fn[fn].line;
		s->lcur[s->depth].entry = lineentry(p, s, f->node, p->fn[fn].line);
	}
	if (!resume)
		pcg_calls_inc(p, f->edge);
	place(s, slot, ++s->depth);
	/* fn's older frame no longer is its innermost: the arc above it pauses
	 * (for a direct recursion that is this new frame itself). */
	if (q) {
		arc = s->arc + (size_t)q * 2 * n;
		for (k = 0; k < n; k++)
			arc[n + k] += t[k] - arc[k];
		s->frame[q].paused = 1;
	}
}

static inline __attribute__((always_inline)) void
leave_n(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t, size_t n, int lines)
{
	struct pcg_frame *f;
	uint64_t *self, *incl, *arc;
	size_t k;

	if (!s->depth)
		return;
	f = &s->frame[--s->depth];
	arc = s->arc + s->depth * 2 * n;
	self = p->cost + ((size_t)f->node * 2 + 1) * n;
	incl = p->cost + (size_t)f->edge * 2 * n;
	if (lines) {
		uint32_t e = curline(p, s, s->depth)->entry;
		uint64_t *lv = p->lval + (size_t)e * n;
		for (k = 0; k < n; k++)
			lv[k] += t[k] - s->last[k];
	}
	for (k = 0; k < n; k++) {
		self[k] += t[k] - s->last[k];
		s->last[k] = t[k];
		incl[k] += arc[n + k] + (f->paused ? 0 : t[k] - arc[k]);
	}
	if (f->prev)
		place(s, f->slot, f->prev);
	else
		unslot(s, f->slot);
	/* fn's older frame is innermost again: the arc above it runs (unless that
	 * arc is the frame just popped, a direct recursion). */
	if (f->prev && f->prev != s->depth) {
		arc = s->arc + (size_t)f->prev * 2 * n;
		s->frame[f->prev].paused = 0;
		for (k = 0; k < n; k++)
			arc[k] = t[k];
	}
}

/* Everything but the recorder's case, out of line: that one keeps its code. */
static void __attribute__((noinline))
enter_other(struct pcg_profile *p, struct pcg_stack *s, uint32_t fn, uint32_t line, const uint64_t *t, int resume)
{
	if (p->lines && p->ncost == 1)
		enter_n(p, s, fn, line, t, resume, 1, 1);
	else if (p->lines)
		enter_n(p, s, fn, line, t, resume, p->ncost, 1);
	else if (p->ncost == 2) /* pcg-trace --cpu */
		enter_n(p, s, fn, line, t, resume, 2, 0);
	else
		enter_n(p, s, fn, line, t, resume, p->ncost, 0);
}

static void __attribute__((noinline))
leave_other(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	if (p->lines && p->ncost == 1)
		leave_n(p, s, t, 1, 1);
	else if (p->lines)
		leave_n(p, s, t, p->ncost, 1);
	else if (p->ncost == 2)
		leave_n(p, s, t, 2, 0);
	else
		leave_n(p, s, t, p->ncost, 0);
}

/* p->agg1: one column, no lines (the recorder's usual case). */
void
pcg_enter(struct pcg_profile *p, struct pcg_stack *s, uint32_t fn, uint32_t line, const uint64_t *t, int resume)
{
	if (__builtin_expect(!p->agg1, 0)) {
		enter_other(p, s, fn, line, t, resume);
		return;
	}
	enter_n(p, s, fn, line, t, resume, 1, 0);
}

void
pcg_leave(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	if (__builtin_expect(!p->agg1, 0)) {
		leave_other(p, s, t);
		return;
	}
	leave_n(p, s, t, 1, 0);
}

/* The time since the thread's last event, charged to the innermost frame's
 * self and current line: any number of columns. */
static void __attribute__((noinline))
linecharge(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	size_t k, n = p->ncost;
	uint64_t *self = pcg_self(p, s->frame[s->depth - 1].node), *lv = pcg_lval(p, s->lcur[s->depth - 1].entry);

	for (k = 0; k < n; k++) {
		self[k] += t[k] - s->last[k];
		lv[k] += t[k] - s->last[k];
		s->last[k] = t[k];
	}
}

uint32_t
pcg_curline(const struct pcg_profile *p, const struct pcg_stack *s)
{
	size_t d = s->depth;

	if (!d || !p->lines)
		return 0;
	if (d > s->caplcur || !s->lcur[d - 1].entry)
		return p->fn[s->frame[d - 1].fn].line; /* see lateline() */
	return s->lcur[d - 1].line;
}

/* pcg_line() on a frame opened before line costs were on: then as usual. */
static void __attribute__((noinline))
line_late(struct pcg_profile *p, struct pcg_stack *s, uint32_t line, const uint64_t *t)
{
	lateline(p, s, s->depth - 1);
	pcg_line(p, s, line, t);
}

/*
 * Once per executed line in the recorder: the one-column path makes no
 * call but a tail call on a memo miss, which spares saving registers: two
 * adds, and a memo probe when the line moved.
 */
void
pcg_line(struct pcg_profile *p, struct pcg_stack *s, uint32_t line, const uint64_t *t)
{
	struct pcg_frame *f;
	struct pcg_linecur *c;
	struct pcg_linememo *m;
	uint32_t h;

	if (!s->depth || !p->lines)
		return;
	if (s->depth > s->caplcur || !s->lcur[s->depth - 1].entry) {
		line_late(p, s, line, t);
		return;
	}
	f = &s->frame[s->depth - 1];
	c = &s->lcur[s->depth - 1];
	if (p->ncost == 1) {
		uint64_t d = t[0] - s->last[0];
		p->cost[(size_t)f->node * 2 + 1] += d;
		p->lval[c->entry] += d;
		s->last[0] = t[0];
	} else {
		linecharge(p, s, t);
	}
	if (c->line == line)
		return;
	c->line = line;
	h = (f->node * 0x9e3779b1u) ^ (line * 0x85ebca77u);
	m = &s->lmemo[h >> (32 - PCG_LMEMO_BITS)];
	if (m->entry && m->node == f->node && m->line == line)
		c->entry = m->entry;
	else
		linemove(p, m, f->node, line, c);
}

void
pcg_close(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	while (s->depth)
		pcg_leave(p, s, t);
}

/*
 * pcg-filter: drop functions from a profile without losing their cost.
 *
 * A dropped frame's self cost goes to the nearest kept frame below it in the
 * same calling context, and its kept callees hang from that frame at the line
 * where the dropped chain was entered.  The tree keeps whole stack contexts,
 * so a callback called from inside dropped code (sorted(key=...),
 * json.dumps(default=...)) lands under the kept code that called the dropped
 * code, with its own cost.  One pass in node id order does it: a reader's
 * parent always has a smaller id than its children.  Only a recursion folded
 * across kept and dropped code (nested imports) hides where frames ran: then
 * graft(), uncross() and refit() place the time as best the tree tells, and
 * balance() makes each kept function's time on the stack exact, which the
 * input does tell.  An events stream needs none of that: the reader's hook
 * (struct evprune) leaves the dropped frames, and those outside --focus, out
 * before aggregating, and only thresholds work on the aggregate.  --focus on
 * a profile whose focus re-enters a context outside it cannot be exact and
 * is refused (unfocusable()).
 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

enum { OUT, KEPT, DROPPED }; /* a node's fate: outside --focus, kept, dropped */

struct thr {
	int set, pct, timed; /* timed: N had a unit of time */
	uint64_t v; /* pct: millionths of a percent; else units of the --cost column */
};

static struct {
	char **drop, **keep, **focus;
	size_t ndrop, nkeep, nfocus;
	int stdlib, builtins, partial;
	struct thr minincl, minself;
	const char *cost; /* the limits' column (NULL: the first) */
	const char *out;
} opt;

static const char *inpath; /* for messages */

/* The function that stands for dropped roots: never dropped itself. */
static const struct pcg_fn synthfn = {
	{ "pcg", 3 }, { "", 0 }, { "(filtered)", 10 }, 0, PCG_C
};

static const char synopsis[] =
    "usage: %s [--drop PAT]... [--keep PAT]... [--drop-stdlib] [--drop-builtins]\n"
    "       [--min-incl N%%|N[UNIT]] [--min-self N%%|N[UNIT]] [--cost NAME] [--focus FUNC]...\n"
    "       [--partial] [-o FILE] [FILE]\n";

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, synopsis, argv0);
	exit(2);
}

static void __attribute__((noreturn))
badopt(const char *o, const char *v, const char *why)
{
	fprintf(stderr, "%s: %s '%s': %s\n", argv0, o, v, why);
	exit(2);
}

static int
streq(struct pcg_str s, const char *c, size_t n)
{
	return s.len == n && !memcmp(s.s, c, n);
}

static int
issynth(const struct pcg_fn *f)
{
	return !pcg_fn_cmp(f, &synthfn);
}

/*
 * A module pattern names a module and the package under it: "json" matches
 * json and json.encoder.  Strings are NUL-terminated in a profile.
 */
static int
modmatch(const char *pat, size_t plen, struct pcg_str m)
{
	char *p = emalloc(plen + 1), *q = emalloc(m.len + 1), c;
	size_t i;
	int hit = 0;

	memcpy(p, pat, plen);
	p[plen] = '\0';
	memcpy(q, m.s, m.len);
	q[m.len] = '\0';
	for (i = 1; i <= m.len && !hit; i++) {
		if (i < m.len && q[i] != '.')
			continue;
		c = q[i];
		q[i] = '\0';
		hit = !fnmatch(p, q, 0);
		q[i] = c;
	}
	free(p);
	free(q);
	return hit;
}

/* Patterns with '/' glob the file; MOD:NAME globs module and name; else module. */
static int
patmatch(const char *pat, const struct pcg_fn *f)
{
	const char *colon;

	if (strchr(pat, '/'))
		return f->file.len && !fnmatch(pat, f->file.s, 0);
	if ((colon = strchr(pat, ':')))
		return modmatch(pat, colon - pat, f->module) && !fnmatch(colon + 1, f->name.s, 0);
	return modmatch(pat, strlen(pat), f->module);
}

static int
anymatch(char **pat, size_t n, const struct pcg_fn *f)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (patmatch(pat[i], f))
			return 1;
	return 0;
}

/* FUNC is a qualified name, or module:name. */
static int
focusmatch(const char *func, const struct pcg_fn *f)
{
	const char *colon = strchr(func, ':');

	if (!colon)
		return streq(f->name, func, strlen(func));
	return streq(f->module, func, colon - func) && streq(f->name, colon + 1, strlen(colon + 1));
}

/* Is path under dir (as a directory, not a name prefix)? */
static int
under(struct pcg_str path, struct pcg_str dir)
{
	while (dir.len > 1 && dir.s[dir.len - 1] == '/')
		dir.len--;
	if (!dir.len || path.len <= dir.len || memcmp(path.s, dir.s, dir.len))
		return 0;
	return path.s[dir.len] == '/' || (dir.len == 1 && dir.s[0] == '/');
}

static int
undermeta(const struct pcg_profile *p, const char *key, struct pcg_str path)
{
	size_t i, j, n = strlen(key);

	for (i = 0; i < p->nmeta; i++) {
		if (!streq(p->meta[i].key, key, n))
			continue;
		for (j = 0; j < p->meta[i].nval; j++)
			if (under(path, p->meta[i].val[j]))
				return 1;
	}
	return 0;
}

/*
 * Standard library: Python code under a recorded stdlib directory but not
 * under a site directory (site-packages lives inside the stdlib one), or
 * frozen into the interpreter ("<frozen os>"), which only stdlib modules are.
 */
static int
isstdlib(const struct pcg_profile *p, const struct pcg_fn *f)
{
	if (f->kind != PCG_PY)
		return 0;
	if (f->file.len > 8 && !memcmp(f->file.s, "<frozen ", 8))
		return 1;
	return undermeta(p, "stdlib", f->file) && !undermeta(p, "site", f->file);
}

/* Per function of p: 1 if a --focus function (NULL without --focus). */
static uint8_t *
focusfns(const struct pcg_profile *p)
{
	uint8_t *fo;
	size_t i, j;

	if (!opt.nfocus)
		return NULL;
	fo = ecalloc(p->nfn, 1);
	for (j = 0; j < opt.nfocus; j++) {
		int hit = 0;
		for (i = 1; i < p->nfn; i++)
			if (focusmatch(opt.focus[j], &p->fn[i]))
				fo[i] = hit = 1;
		if (!hit)
			eprintf("--focus '%s': no such function in the profile", opt.focus[j]);
	}
	return fo;
}

static int
isfocus(const struct pcg_fn *f)
{
	size_t j;

	for (j = 0; j < opt.nfocus; j++)
		if (focusmatch(opt.focus[j], f))
			return 1;
	return 0;
}

/* Drop f by the pattern options?  Focus functions and the synthetic one stay. */
static int
patdrop(const struct pcg_profile *p, const struct pcg_fn *f)
{
	if (isfocus(f) || issynth(f))
		return 0;
	return (opt.nkeep && !anymatch(opt.keep, opt.nkeep, f)) ||
	    anymatch(opt.drop, opt.ndrop, f) ||
	    (opt.builtins && f->kind == PCG_C) || (opt.stdlib && isstdlib(p, f));
}

/* Per function: 1 to drop by the pattern options. */
static uint8_t *
patdrops(const struct pcg_profile *p)
{
	uint8_t *d = ecalloc(p->nfn, 1);
	size_t i;

	for (i = 1; i < p->nfn; i++)
		d[i] = patdrop(p, &p->fn[i]);
	return d;
}

/*
 * Pruning an events stream as it is read, event by event: exact.  A dropped
 * frame's time stays with the kept frame below it; a kept function called
 * from dropped frames enters that frame at the call line of the chain's
 * first dropped frame, or as a root (line 0) if the chain starts at the
 * root.  Time when only dropped frames are open goes to a root of synthfn
 * in its thread, one call.  With --focus, only the frames at and above an
 * outermost focus frame are fed to the aggregator, that frame as a root at
 * line 0, and the time outside them is left out.
 */
struct evthr {
	uint32_t *mark; /* per open frame in focus: 0 kept, else 1 + its dropped chain's line */
	uint32_t *back; /* line costs: per first frame of a dropped chain, the kept frame's line */
	size_t depth, cap, capback;
	size_t focusat; /* --focus: 1 + the depth of the outermost focus frame open, 0: none */
	uint64_t last[PCG_MAXCOST];   /* time of the previous event */
	uint64_t orphan[PCG_MAXCOST]; /* time with only dropped frames open */
	int orphaned;                 /* a dropped frame was a root */
};

struct evprune {
	uint8_t *drop, *focus; /* per function */
	size_t capdrop, capfocus;
	struct evthr *thr;     /* per thread id */
	size_t capthr;
};

static void
evfn(void *ctx, struct pcg_profile *p, uint32_t f)
{
	struct evprune *e = ctx;

	egrow((void **)&e->drop, &e->capdrop, f, 1);
	egrow((void **)&e->focus, &e->capfocus, f, 1);
	e->drop[f] = patdrop(p, &p->fn[f]);
	e->focus[f] = isfocus(&p->fn[f]);
}

static struct evthr *
evthr(struct evprune *e, uint32_t thread)
{
	if (thread >= e->capthr)
		egrow((void **)&e->thr, &e->capthr, thread, sizeof(*e->thr));
	return &e->thr[thread];
}

/* The time since the previous event, if only dropped frames ran. */
static void
orphan(const struct pcg_profile *p, struct evthr *q, const struct pcg_stack *s, const uint64_t *t)
{
	size_t k;

	for (k = 0; k < p->ncost; k++) {
		if (q->depth && !s->depth && !opt.nfocus)
			q->orphan[k] += t[k] - q->last[k];
		q->last[k] = t[k];
	}
}

static void
eventer(struct evprune *e, struct pcg_profile *p, struct pcg_stack *s, struct evthr *q,
    uint32_t f, uint32_t line, const uint64_t *t, int resume)
{
	uint32_t top = q->depth ? q->mark[q->depth - 1] : 0;

	egrow((void **)&q->mark, &q->cap, q->depth, sizeof(*q->mark));
	if (opt.nfocus && !q->focusat) {
		q->mark[q->depth++] = 0;
		if (!e->focus[f])
			return; /* outside the focus */
		q->focusat = q->depth;
		pcg_enter(p, s, f, 0, t, resume);
		return;
	}
	if (e->drop[f]) {
		q->mark[q->depth++] = top ? top : (s->depth ? line : 0) + 1;
		q->orphaned |= !s->depth;
		/* the chain's time is the kept frame's, on the line it entered
		 * the chain from (the line it was on, in a recording), and the
		 * kept frame goes on from its own line after the chain */
		if (!top && s->depth && p->lines) {
			egrow((void **)&q->back, &q->capback, q->depth, sizeof(*q->back));
			q->back[q->depth - 1] = pcg_curline(p, s);
			pcg_line(p, s, line, t);
		}
		return;
	}
	q->mark[q->depth++] = 0;
	pcg_enter(p, s, f, top ? top - 1 : line, t, resume);
}

static void
evevent(void *ctx, struct pcg_profile *p, struct pcg_stack *s, char tag, uint32_t f, uint32_t line,
    const uint64_t *t)
{
	struct evprune *e = ctx;
	struct evthr *q = evthr(e, s->thread);
	size_t d;

	orphan(p, q, s, t);
	if (tag == 'c' || tag == 's') {
		eventer(e, p, s, q, f, line, t, tag == 's');
		return;
	}
	if (tag == 'l') {
		/* A dropped frame's lines are the kept frame's call-site line, on
		 * which the aggregator's innermost frame stays; outside the
		 * focus no frame is open. */
		if (!q->mark[q->depth - 1] && (!opt.nfocus || q->focusat))
			pcg_line(p, s, line, t);
		return;
	}
	d = --q->depth;
	if (opt.nfocus && (!q->focusat || d + 1 < q->focusat))
		return; /* outside the focus */
	if (opt.nfocus && d + 1 == q->focusat)
		q->focusat = 0;
	if (!q->mark[d])
		pcg_leave(p, s, t);
	else if (p->lines && s->depth && (!d || !q->mark[d - 1]))
		pcg_line(p, s, q->back[d], t); /* the end of a dropped chain */
}

/* The thread's end: its open frames close, its orphaned time goes to synthfn. */
static void
evend(void *ctx, struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	struct evthr *q = evthr(ctx, s->thread);
	uint32_t n;
	size_t k;

	orphan(p, q, s, t);
	pcg_close(p, s, t);
	if (!q->orphaned)
		return;
	n = pcg_node_get(p, s->thread, 0, pcg_fn_intern(p, &synthfn), 0);
	if (!pcg_calls(p, n))
		pcg_calls_set(p, n, 1);
	for (k = 0; k < p->ncost; k++) {
		pcg_incl(p, n)[k] += q->orphan[k];
		pcg_self(p, n)[k] += q->orphan[k];
	}
}

static void
evfree(struct evprune *e)
{
	size_t i;

	for (i = 0; i < e->capthr; i++) {
		free(e->thr[i].mark);
		free(e->thr[i].back);
	}
	free(e->thr);
	free(e->drop);
	free(e->focus);
}

static void
addcost(struct pcg_profile *out, uint32_t to, const struct pcg_profile *in, uint32_t from, int incl, int self)
{
	size_t k;

	for (k = 0; k < in->ncost; k++) {
		if (incl)
			pcg_incl(out, to)[k] += pcg_incl(in, from)[k];
		if (self)
			pcg_self(out, to)[k] += pcg_self(in, from)[k];
	}
}

/* Everything but the nodes. */
static void
copyhead(const struct pcg_profile *in, struct pcg_profile *out)
{
	size_t i;

	pcg_init(out);
	for (i = 0; i < in->ncost; i++)
		pcg_add_cost(out, in->costname[i].s, in->costunit[i].s);
	memcpy(out->duration, in->duration, sizeof(out->duration));
	if (in->lines)
		pcg_lines_on(out);
	for (i = 0; i < in->nmeta; i++)
		pcg_add_meta(out, in->meta[i].key, in->meta[i].val, in->meta[i].nval);
	for (i = 1; i < in->nthread; i++)
		pcg_thread_add(out, in->thread[i].native, in->thread[i].name);
}

struct map {
	const struct pcg_profile *in;
	struct pcg_profile *out;
	const uint8_t *drop, *focus;
	uint32_t *fn;    /* in fn -> out fn, 0: not yet */
	uint32_t *img;   /* in node -> out node of its nearest kept context */
	uint32_t *eline; /* dropped node: line where its dropped chain was entered */
	uint8_t *st;     /* in node -> OUT, KEPT or DROPPED */
	uint32_t *synth; /* thread -> its (filtered) root in out, 0: not yet */
	uint64_t *outer; /* in node: time its context was on the stack */
	uint64_t *want;  /* out node: the same, summed over what maps to it */
	uint64_t *want0; /* want before refit() spends it */
	uint64_t *fresh; /* out node: INCL of arcs new under their caller */
	uint32_t *depth; /* out node: depth in its tree */
	size_t cap;      /* of want, fresh and depth, in nodes */
	uint32_t *cross; /* in rec edges that re-entered a dropped context above */
	size_t ncross, capcross;
	uint32_t *xhead; /* in node: 1 + first cross edge into it, 0: none */
	uint32_t *xnext; /* cross edge: 1 + next one into the same context */
	uint32_t *lidx, *lstart; /* in->lines: its line entries by node (pcg_line_index) */
};

static uint32_t
mapfn(struct map *m, uint32_t f)
{
	if (!m->fn[f])
		m->fn[f] = pcg_fn_intern(m->out, &m->in->fn[f]);
	return m->fn[f];
}

/* Per-out-node arrays follow the out profile as it grows. */
static void __attribute__((noinline))
regrow(struct map *m)
{
	size_t n = m->out->nnode, K = m->in->ncost ? m->in->ncost : 1, old = m->cap;

	m->cap = n * 2;
	m->want = ereallocarray(m->want, m->cap * K, sizeof(*m->want));
	m->fresh = ereallocarray(m->fresh, m->cap * K, sizeof(*m->fresh));
	m->depth = ereallocarray(m->depth, m->cap, sizeof(*m->depth));
	memset(m->want + old * K, 0, (m->cap - old) * K * sizeof(*m->want));
	memset(m->fresh + old * K, 0, (m->cap - old) * K * sizeof(*m->fresh));
	memset(m->depth + old, 0, (m->cap - old) * sizeof(*m->depth));
}

/* Called for every node mapped: the common case inline. */
static inline void
grow(struct map *m)
{
	if (m->out->nnode > m->cap)
		regrow(m);
}

/* a * b / c rounded down, for b <= c: exact where it matters (b == c). */
static uint64_t
muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	if (b >= c)
		return a;
	if (!b || a <= UINT64_MAX / b)
		return a * b / c;
	return (uint64_t)((long double)a * b / c);
}

/* Add v (one value per cost column) to out node n's INCL, as fresh if its caller changed. */
static void
addv(struct map *m, uint32_t n, const uint64_t *v, int fresh)
{
	size_t k, K = m->in->ncost;

	grow(m);
	for (k = 0; k < K; k++) {
		pcg_incl(m->out, n)[k] += v[k];
		if (fresh)
			m->fresh[n * K + k] += v[k];
	}
}

/* Add in node i's INCL to out node n's, as fresh if its caller changed. */
static void
addincl(struct map *m, uint32_t n, uint32_t i, int fresh)
{
	addv(m, n, pcg_incl(m->in, i), fresh);
}

static uint32_t
synthroot(struct map *m, uint32_t t)
{
	if (!m->synth[t])
		m->synth[t] = pcg_node_get(m->out, t, 0, pcg_fn_intern(m->out, &synthfn), 0);
	grow(m);
	return m->synth[t];
}

/* Out node n stands for in node i's context too: its time on the stack. */
static void
stands(struct map *m, uint32_t n, uint32_t i)
{
	size_t k, K = m->in->ncost;

	grow(m);
	for (k = 0; k < K; k++)
		m->want[n * K + k] += m->outer[(size_t)i * K + k];
}

/*
 * In node i's self cost goes to out node n: on its own lines if i is kept
 * (n is its function's), else all of it on line `at` of n's function, the
 * line where the dropped chain was entered.  Lines, like self, are exact.
 */
static void
selflines(struct map *m, uint32_t n, uint32_t i, int kept, uint32_t at)
{
	const struct pcg_profile *in = m->in;
	size_t j;

	if (!in->lines)
		return;
	if (!kept || m->lstart[i] == m->lstart[i + 1]) {
		pcg_line_add(m->out, n, kept ? in->fn[in->node[i].fn].line : at, pcg_self(in, i));
		return;
	}
	for (j = m->lstart[i]; j < m->lstart[i + 1]; j++)
		pcg_line_add(m->out, n, in->lkey[m->lidx[j]].line, pcg_lval(in, m->lidx[j]));
}

/* The line of its image where dropped node i's self went (see selflines()). */
static uint32_t
droppedline(const struct map *m, uint32_t i)
{
	return m->in->node[i].parent ? m->eline[i] : synthfn.line;
}

/* A plain node: kept (merged into its image), dropped (self to the image) or out. */
static void
mapnode(struct map *m, uint32_t i)
{
	const struct pcg_node *nd = &m->in->node[i];
	uint32_t p = nd->parent, np = 0, line = 0, n;
	int froot = 0;

	if (m->focus && (!p || m->st[p] == OUT)) {
		if (!m->focus[nd->fn]) {
			m->st[i] = OUT;
			return;
		}
		/* outermost frame of a focus function: a root, all merged */
		p = 0;
		froot = 1;
	} else if (!m->drop[nd->fn]) {
		np = p ? m->img[p] : 0;
		line = !p || m->st[p] == KEPT ? nd->line : m->eline[p];
		if (np && np == m->synth[nd->thread])
			np = line = 0; /* no kept caller: a root of its own */
	} else {
		m->st[i] = DROPPED;
		if (p) {
			m->img[i] = m->img[p];
			m->eline[i] = m->st[p] == KEPT ? nd->line : m->eline[p];
		} else {
			/*
			 * No kept caller: the kept callees become roots, and a
			 * synthetic leaf root beside them takes the self cost
			 * (its INCL is set by rootfit()).  It is no function:
			 * one call, however many roots it stands for, so that a
			 * second pass dropping more roots keeps it as it is.
			 */
			m->img[i] = synthroot(m, nd->thread);
			m->eline[i] = nd->line;
			stands(m, m->img[i], i);
		}
		addcost(m->out, m->img[i], m->in, i, 0, 1);
		selflines(m, m->img[i], i, 0, droppedline(m, i));
		return;
	}
	n = pcg_node_get(m->out, nd->thread, np, mapfn(m, nd->fn), line);
	m->st[i] = KEPT;
	m->img[i] = n;
	pcg_calls_add(m->out, n, pcg_calls(m->in, i));
	addcost(m->out, n, m->in, i, 0, 1);
	selflines(m, n, i, 1, 0);
	/* A focus root's arc is its function's time on the stack there: the
	 * input's arc paused whenever its caller's function was re-entered. */
	if (froot)
		addv(m, n, m->outer + (size_t)i * m->in->ncost, 0);
	else
		addincl(m, n, i, p && m->st[p] != KEPT);
	stands(m, n, i);
	m->depth[n] = np ? m->depth[np] + 1 : 0;
}

/*
 * Is a a strict descendant of anc in out?  A synthetic root stands for the
 * dropped roots under which all of its thread ran.
 */
static int
below(const struct map *m, uint32_t a, uint32_t anc)
{
	if (a && anc && anc == m->synth[m->out->node[anc].thread])
		return a != anc && m->out->node[a].thread == m->out->node[anc].thread;
	if (!a || !anc || m->depth[a] <= m->depth[anc])
		return 0;
	while (m->depth[a] > m->depth[anc])
		a = m->out->node[a].parent;
	return a == anc;
}

/*
 * A recursive edge from p into a dropped context t whose kept image is below
 * p's crosses: the frames it re-entered ran above p, in contexts that map
 * above it.  Collect them, indexed by t, for graft() and uncross().
 */
static void
findcross(struct map *m, uint32_t i)
{
	const struct pcg_node *nd = &m->in->node[i];
	uint32_t p = nd->parent, t = nd->target;

	if (m->st[p] == OUT || m->st[t] != DROPPED || !below(m, m->img[p], m->img[t]))
		return;
	egrow((void **)&m->cross, &m->capcross, m->ncross, sizeof(*m->cross));
	m->cross[m->ncross++] = i;
}

static void
indexcross(struct map *m)
{
	size_t c;

	m->xhead = ecalloc(m->in->nnode, sizeof(*m->xhead));
	m->xnext = ecalloc(m->ncross + 1, sizeof(*m->xnext));
	for (c = 0; c < m->ncross; c++) {
		uint32_t t = m->in->node[m->cross[c]].target;
		m->xnext[c] = m->xhead[t];
		m->xhead[t] = c + 1;
	}
}

/*
 * Could cross edge c have entered the dropped code that called kept context
 * nt?  Not if its maker's image is above nt: the caller of nt's function
 * there would be its static caller again.  Weighted by its INCL (plus one,
 * so that edges that took no time still count).
 */
static uint64_t
xweight(const struct map *m, size_t c, uint32_t nt)
{
	uint32_t r = m->cross[c], g = m->img[m->in->node[r].parent];

	return below(m, nt, g) ? 0 : pcg_incl(m->in, r)[0] + 1;
}

/*
 * Rec edge i from dropped code into kept context nt, whose caller's image is
 * below nt: the call ran above nt, on a branch that a folded recursion moved
 * out of its place.  The cross edges into its dropped ancestors tell from
 * where those branches were entered: hang the edge from their makers'
 * images, sharing its calls and INCL in proportion to theirs.  Returns 0 if
 * there is none.
 */
static int
graft(struct map *m, uint32_t i, uint32_t nt, int stat)
{
	const struct pcg_profile *in = m->in;
	const struct pcg_node *nd = &in->node[i];
	uint64_t W = 0, ws = 0, acc = 0, w, calls, gc = 0, v[PCG_MAXCOST], gv[PCG_MAXCOST] = { 0 };
	uint32_t t, c, mk, g, r, top = 0;
	size_t k, pass;

	for (t = nd->parent; t && m->st[t] == DROPPED; t = in->node[t].parent)
		top = t;
	for (pass = 0; pass < 2; pass++) {
		if (pass && !W)
			return 0;
		if (pass && stat) {
			/* the static route, weighted by the INCL of its entry */
			acc = ws;
			gc = muldiv(pcg_calls(in, i), acc, W + ws);
			r = pcg_rec_get(m->out, nd->thread, nt, nt, m->eline[nd->parent]);
			pcg_calls_add(m->out, r, gc);
			for (k = 0; k < in->ncost; k++)
				gv[k] = muldiv(pcg_incl(in, i)[k], acc, W + ws);
			W += ws;
		}
		for (t = nd->parent; t && m->st[t] == DROPPED; t = in->node[t].parent)
			for (c = m->xhead[t]; c; c = m->xnext[c - 1]) {
				if (!(w = xweight(m, c - 1, nt)))
					continue;
				if (!pass) {
					W += w;
					continue;
				}
				acc += w;
				calls = muldiv(pcg_calls(in, i), acc, W) - gc;
				gc += calls;
				for (k = 0; k < in->ncost; k++) {
					v[k] = muldiv(pcg_incl(in, i)[k], acc, W) - gv[k];
					gv[k] += v[k];
				}
				mk = in->node[m->cross[c - 1]].parent;
				g = m->img[mk];
				r = pcg_rec_get(m->out, nd->thread, g, nt, g == nt ? 0 : m->st[mk] == KEPT ? in->node[m->cross[c - 1]].line : m->eline[mk]);
				pcg_calls_add(m->out, r, calls);
				/* onto nt itself: a direct recursion, its time nt's arc's */
				addv(m, g == nt ? nt : r, v, 1);
			}
		if (!pass && stat)
			ws = pcg_incl(in, top)[0] + 1;
	}
	return 1;
}

/*
 * A call from inside the focus to a function already on the stack below it
 * re-entered that function's context, outside the focus: the frames it
 * opened there, which ran inside the focus, are summed with those that ran
 * outside it, and no profile tells them apart.  An events stream does.
 */
static void __attribute__((noreturn))
unfocusable(const struct map *m, uint32_t i)
{
	const struct pcg_profile *in = m->in;
	const struct pcg_fn *from = &in->fn[in->node[in->node[i].parent].fn], *to = &in->fn[in->node[i].fn];

	eprintf("%s: --focus: %s calls %s, which was on the stack below the focus already: "
	    "a profile keeps that call's cost in %s's context outside the focus and cannot "
	    "cut it out exactly; focus the run's events stream (pcg-trace --events), which is exact",
	    inpath, from->name.s, to->name.s, to->name.s);
}

/*
 * A recursive edge into a dropped or out-of-focus context vanishes, calls
 * with the function: its time is in the self cost of the target context,
 * which went to that context's kept image (see uncross() for when that image
 * is not where the frames ran).  A kept one follows its parent; re-parented
 * onto its own function it is a direct recursion, INCL 0.
 */
static void
maprec(struct map *m, uint32_t i)
{
	const struct pcg_node *nd = &m->in->node[i];
	uint32_t p = nd->parent, t = nd->target, np, nt, line, r;

	if (m->st[p] != OUT && m->st[t] == OUT)
		unfocusable(m, i);
	if (m->st[p] == OUT || m->st[t] != KEPT)
		return;
	np = m->img[p];
	nt = m->img[t];
	line = m->st[p] == KEPT ? nd->line : m->eline[p];
	if (m->st[p] != KEPT && np == nt && graft(m, i, nt, 1))
		return;
	if (m->st[p] != KEPT && below(m, nt, np)) {
		if (graft(m, i, nt, 0))
			return;
		/*
		 * nt was on the stack below the caller, so the caller ran above
		 * it although its context is an ancestor's: a recursion the tree
		 * folded re-entered it.  With no cross edge to tell where, take
		 * nt, a direct recursion from an unknown line.  Its INCL ran
		 * while the dropped caller's function was re-entered, which
		 * paused the arc into nt: without the dropped frames that arc
		 * runs on, so the time is nt's.
		 */
		np = nt;
		line = 0;
		addincl(m, nt, i, 1);
	}
	r = pcg_rec_get(m->out, nd->thread, np, nt, line);
	pcg_calls_add(m->out, r, pcg_calls(m->in, i));
	if (m->st[p] == KEPT || m->out->node[np].fn != m->out->node[nt].fn)
		addincl(m, r, i, m->st[p] != KEPT);
}

/*
 * An arc new under its caller (a kept callee of a dropped chain, a recursion
 * re-parented) carries the INCL it had under its dropped caller, which paused
 * when that caller's function was re-entered, not when the kept one's was.
 * Where the tree is exact that is already right.  Where a folded recursion
 * hid which frame ran above which, share out again, in proportion, what each
 * kept context's time on the stack leaves after its self and its other arcs,
 * so that each kept context keeps its time on the stack where it can.
 */
static void
refit(struct map *m)
{
	struct pcg_profile *o = m->out;
	size_t i, k, K = o->ncost;
	uint64_t *fixed = ecalloc(m->cap * K + 1, sizeof(*fixed));
	uint64_t *fresh = ecalloc(m->cap * K + 1, sizeof(*fresh));

	for (i = 1; i < o->nnode; i++) {
		uint32_t g = o->node[i].parent;
		for (k = 0; g && k < K; k++) {
			fresh[g * K + k] += m->fresh[i * K + k];
			fixed[g * K + k] += pcg_incl(o, i)[k] - m->fresh[i * K + k];
		}
	}
	for (i = 1; i < o->nnode; i++) {
		uint32_t g = o->node[i].parent;
		for (k = 0; g && k < K; k++) {
			size_t j = g * K + k;
			uint64_t f = m->fresh[i * K + k], have = pcg_self(o, g)[k] + fixed[j], room, share;
			if (!f)
				continue;
			room = m->want[j] > have ? m->want[j] - have : 0;
			share = muldiv(room, f, fresh[j]);
			pcg_incl(o, i)[k] += share - f;
			m->want[j] = have + room - share;
			fresh[j] -= f;
		}
	}
	free(fixed);
	free(fresh);
}

/*
 * Line costs of what uncross() moves: the dropped nodes whose self went to
 * each out node (by out node, in id order), what of each one's self is left
 * there, and per (out node, column) the first one with some left.
 */
struct unlines {
	uint32_t *start, *list, *at;
	uint64_t *left;
};

static void
unlines_init(struct unlines *u, const struct map *m)
{
	const struct pcg_profile *in = m->in;
	size_t i, k, n = 0, K = in->ncost, no = m->out->nnode;

	u->start = ecalloc(no + 1, sizeof(*u->start));
	for (i = 1; i < in->nnode; i++)
		if (m->st[i] == DROPPED && !pcg_rec(&in->node[i]))
			u->start[m->img[i] + 1]++, n++;
	for (i = 1; i <= no; i++)
		u->start[i] += u->start[i - 1];
	u->list = ereallocarray(NULL, n + 1, sizeof(*u->list));
	u->at = ereallocarray(NULL, no * K + 1, sizeof(*u->at));
	for (i = 0; i < no; i++)
		for (k = 0; k < K; k++)
			u->at[i * K + k] = u->start[i];
	for (i = 1; i < in->nnode; i++)
		if (m->st[i] == DROPPED && !pcg_rec(&in->node[i]))
			u->list[u->at[m->img[i] * K]++] = i;
	for (i = 0; i < no; i++)
		for (k = 0; k < K; k++)
			u->at[i * K + k] = u->start[i];
	u->left = ereallocarray(NULL, in->nnode * K + 1, sizeof(*u->left));
	for (i = 1; i < in->nnode; i++)
		for (k = 0; k < K; k++)
			u->left[i * K + k] = pcg_rec(&in->node[i]) ? 0 : pcg_self(in, i)[k];
}

/* Take x of column k from g's lines that dropped code gave it, to p's line. */
static void
unlines_move(struct unlines *u, struct map *m, uint32_t g, uint32_t p, uint32_t line, size_t k, uint64_t x)
{
	size_t K = m->in->ncost;
	uint32_t i, *at = &u->at[g * K + k];

	pcg_lval(m->out, pcg_line_get(m->out, p, line))[k] += x;
	while (x && *at < u->start[g + 1]) {
		uint64_t *left, y;
		i = u->list[*at];
		left = &u->left[i * K + k];
		y = x < *left ? x : *left;
		pcg_lval(m->out, pcg_line_get(m->out, g, droppedline(m, i)))[k] -= y;
		*left -= y;
		x -= y;
		if (!*left)
			++*at;
	}
}

static void
unlines_free(struct unlines *u)
{
	free(u->start);
	free(u->list);
	free(u->at);
	free(u->left);
}

/*
 * A recursion from a kept context p into a dropped context whose image g is
 * an ancestor: the frames it opened ran above p, but their self cost is in
 * the dropped context and went to g.  Move it back, as much as the
 * recursion's INCL, what g got from dropped code and p's time on the stack
 * allow (its self and plain arcs may not exceed it).  With line costs it
 * leaves the lines of g where dropped code put it and goes on p's line of
 * the recursive call.
 */
static void
uncross(struct map *m)
{
	struct pcg_profile *o = m->out;
	const struct pcg_profile *in = m->in;
	size_t c, i, k, K = o->ncost;
	uint64_t *used, *dself;
	struct unlines u = { 0 };

	if (!m->ncross)
		return;
	used = ecalloc(m->cap * K + 1, sizeof(*used));
	dself = ecalloc(m->cap * K + 1, sizeof(*dself));
	if (in->lines)
		unlines_init(&u, m);

	for (i = 1; i < o->nnode; i++)
		for (k = 0; o->node[i].parent && k < K; k++)
			used[o->node[i].parent * K + k] += pcg_incl(o, i)[k] - m->fresh[i * K + k];
	for (i = 1; i < o->nnode; i++)
		for (k = 0; !pcg_rec(&o->node[i]) && k < K; k++)
			used[i * K + k] += pcg_self(o, i)[k];
	for (i = 1; i < in->nnode; i++)
		for (k = 0; !pcg_rec(&in->node[i]) && m->st[i] == DROPPED && k < K; k++)
			dself[(size_t)m->img[i] * K + k] += pcg_self(in, i)[k];
	for (c = 0; c < m->ncross; c++) {
		uint32_t r = m->cross[c], p = m->img[in->node[r].parent], g = m->img[in->node[r].target];
		uint32_t rp = in->node[r].parent, line = m->st[rp] == KEPT ? in->node[r].line : m->eline[rp];
		for (k = 0; k < K; k++) {
			uint64_t x = pcg_incl(in, r)[k], room = m->want[p * K + k] - used[p * K + k];
			if (m->want[p * K + k] < used[p * K + k])
				room = 0;
			x = x < room ? x : room;
			x = x < dself[g * K + k] ? x : dself[g * K + k];
			dself[g * K + k] -= x;
			used[p * K + k] += x;
			pcg_self(o, g)[k] -= x;
			pcg_self(o, p)[k] += x;
			if (in->lines)
				unlines_move(&u, m, g, p, line, k, x);
		}
	}
	if (in->lines)
		unlines_free(&u);
	free(used);
	free(dself);
}

/* Per out function: the time its kept contexts were on the stack, from want. */
static uint64_t *
targets(const struct map *m)
{
	const struct pcg_profile *o = m->out;
	size_t i, k, K = o->ncost;
	uint64_t *tgt = ecalloc(o->nfn * K + 1, sizeof(*tgt));

	for (i = 1; i < o->nnode; i++)
		for (k = 0; !pcg_rec(&o->node[i]) && k < K; k++)
			tgt[o->node[i].fn * K + k] += m->want[i * K + k];
	return tgt;
}

/* Can arc a carry time for its caller?  A direct recursion never does. */
static int
arcof(const struct pcg_profile *o, uint32_t a)
{
	uint32_t g = o->node[a].parent;

	return g && o->node[g].fn != o->node[a].fn ? o->node[g].fn : 0;
}

/* Per out function: 1 if a recursive edge re-enters it. */
static uint8_t *
recfns(const struct pcg_profile *o)
{
	uint8_t *r = ecalloc(o->nfn, 1);
	size_t i;

	for (i = 1; i < o->nnode; i++)
		if (pcg_rec(&o->node[i]))
			r[o->node[i].fn] = 1;
	return r;
}

/*
 * Which arcs balance() may change first: 1, changed caller; 2, unchanged
 * caller; 3, pinned: a call between two functions that never recurse
 * carries exactly the time its callee's context was on the stack.
 */
static int
tier(const struct map *m, const uint8_t *rf, uint32_t a, size_t k)
{
	const struct pcg_profile *o = m->out;

	if (!pcg_rec(&o->node[a]) && !rf[o->node[a].fn] && !rf[o->node[o->node[a].parent].fn])
		return 3;
	return m->fresh[a * o->ncost + k] ? 1 : 2;
}

/*
 * The exact part: a kept function's time on the stack is the same instants
 * with or without the dropped frames, and the input gives it exactly.  Once
 * the contexts are fitted, make each function's self cost plus outgoing INCL
 * equal it, adding to or taking from its outgoing arcs in proportion to their
 * INCL, by tiers (see tier()): the first that can take the difference.
 * Shares are cumulative differences of a rounded-down running total, so
 * they add up to the difference exactly, unless the arcs cannot hold it.
 */
static void
balance(struct map *m, const uint64_t *tgt)
{
	struct pcg_profile *o = m->out;
	size_t i, k, K = o->ncost, nf = o->nfn, n = nf * K + 1;
	uint64_t *cur = ecalloc(n, sizeof(*cur)), *acc = ecalloc(n, sizeof(*acc));
	uint64_t *given = ecalloc(n, sizeof(*given)), *w[4];
	uint8_t *rf = recfns(o), *sel = ecalloc(n, 1);
	uint32_t synth = pcg_fn_find(o, &synthfn);
	int t;

	for (t = 1; t < 4; t++)
		w[t] = ecalloc(n, sizeof(*w[t]));
	for (i = 1; i < o->nnode; i++) {
		uint32_t f = arcof(o, i), g = o->node[i].parent;
		for (k = 0; k < K; k++) {
			int tr = f ? tier(m, rf, i, k) : 4;
			if (tr == 3)
				pcg_incl(o, i)[k] = m->want0[i * K + k];
			if (!pcg_rec(&o->node[i]))
				cur[o->node[i].fn * K + k] += pcg_self(o, i)[k];
			if (g)
				cur[o->node[g].fn * K + k] += pcg_incl(o, i)[k];
			for (t = tr; t < 4; t++)
				w[t][f * K + k] += pcg_incl(o, i)[k];
		}
	}
	for (i = 0; i < n; i++) {
		uint64_t d = tgt[i] > cur[i] ? tgt[i] - cur[i] : cur[i] - tgt[i];
		for (t = 1; t < 3 && !(w[t][i] && (tgt[i] > cur[i] || d <= w[t][i])); t++)
			;
		sel[i] = t;
	}
	for (i = 1; i < o->nnode; i++) {
		uint32_t f = arcof(o, i);
		for (k = 0; f && f != synth && k < K; k++) {
			size_t j = f * K + k;
			uint64_t *x = &pcg_incl(o, i)[k], W = w[sel[j]][j], d, v, cap;
			int up = tgt[j] > cur[j];
			if (tgt[j] == cur[j] || !W || !*x || tier(m, rf, i, k) > sel[j])
				continue;
			d = up ? tgt[j] - cur[j] : cur[j] - tgt[j];
			if (!up && d > W)
				d = W; /* cannot take more than the arcs hold */
			acc[j] += *x;
			v = muldiv(d, acc[j], W) - given[j];
			/* a call never takes more than its callee's time on the stack;
			 * what it cannot take goes on to the next arcs */
			cap = tgt[o->node[i].fn * K + k];
			if (up && v > (cap > *x ? cap - *x : 0))
				v = cap > *x ? cap - *x : 0;
			given[j] += v;
			*x = up ? *x + v : *x - v;
		}
	}
	for (t = 1; t < 4; t++)
		free(w[t]);
	free(cur);
	free(acc);
	free(given);
	free(rf);
	free(sel);
}

/*
 * Dropped roots: the synthetic leaf's INCL is its self cost, and the roots
 * that were their callees share what the thread's roots had in the input
 * beyond the other roots and that leaf, as balance() does for a function
 * (the thread is on the stack from start to end); the leaf keeps what they
 * cannot take, so that the roots' total never changes.
 */
static void
rootfit(struct map *m)
{
	const struct pcg_profile *in = m->in;
	struct pcg_profile *o = m->out;
	size_t i, k, K = o->ncost, T = in->nthread;
	uint64_t *tgt = ecalloc(T * K + 1, sizeof(*tgt)), *cur = ecalloc(T * K + 1, sizeof(*cur));
	uint64_t *wf = ecalloc(T * K + 1, sizeof(*wf)), *acc = ecalloc(T * K + 1, sizeof(*acc));
	uint64_t *given = ecalloc(T * K + 1, sizeof(*given));

	for (i = 1; i < T; i++) {
		if (m->synth[i] && !pcg_calls(o, m->synth[i]))
			pcg_calls_set(o, m->synth[i], 1);
		for (k = 0; m->synth[i] && k < K; k++)
			pcg_incl(o, m->synth[i])[k] = pcg_self(o, m->synth[i])[k];
	}
	for (i = 1; i < in->nnode; i++)
		for (k = 0; !in->node[i].parent && !pcg_rec(&in->node[i]) && k < K; k++)
			tgt[in->node[i].thread * K + k] += pcg_incl(in, i)[k];
	for (i = 1; i < o->nnode; i++)
		for (k = 0; !o->node[i].parent && k < K; k++) {
			cur[o->node[i].thread * K + k] += pcg_incl(o, i)[k];
			if (m->fresh[i * K + k])
				wf[o->node[i].thread * K + k] += pcg_incl(o, i)[k];
		}
	for (i = 1; i < o->nnode; i++) {
		size_t t = o->node[i].thread;
		for (k = 0; !o->node[i].parent && m->synth[t] && k < K; k++) {
			size_t j = t * K + k;
			uint64_t *x = &pcg_incl(o, i)[k], w = m->fresh[i * K + k] ? *x : 0;
			int up = tgt[j] > cur[j];
			uint64_t d = up ? tgt[j] - cur[j] : cur[j] - tgt[j];
			if (!d || !w)
				continue;
			acc[j] += w;
			w = muldiv(up || d <= wf[j] ? d : wf[j], acc[j], wf[j]) - given[j];
			given[j] += w;
			*x = up ? *x + w : *x - w;
		}
	}
	/* what those roots could not take stays with the leaf: the total holds */
	for (i = 1; i < T; i++)
		for (k = 0; m->synth[i] && k < K; k++) {
			size_t j = i * K + k;
			uint64_t *x = &pcg_incl(o, m->synth[i])[k];
			if (tgt[j] > cur[j])
				*x += tgt[j] - cur[j] - given[j];
			else
				*x -= cur[j] - tgt[j] - given[j] < *x ? cur[j] - tgt[j] - given[j] : *x;
		}
	free(tgt);
	free(cur);
	free(wf);
	free(acc);
	free(given);
}

/*
 * A root's arc never pauses: it is its frame's time on the stack, which
 * holds the root's self and calls.  Where a folded recursion ran a kept
 * function above a kept root while the tree made it a root too (nested
 * imports: __import__ called back from importlib under another import),
 * the two roots' times overlap, and after rootfit() the calls of a root can
 * exceed its arc: its function's time on the stack, exact but overlapping,
 * does not fit in the thread.  Take the excess from the root's calls, in
 * proportion to their INCL, so that no root holds more than its arc and the
 * thread never more than its total.
 */
/* Lower node I's inclusive cost K by up to WANT, never below its self;
 * returns by how much. */
static uint64_t
lower(struct pcg_profile *o, size_t i, size_t k, uint64_t want)
{
	uint64_t *x = &pcg_incl(o, i)[k], room = *x - pcg_self(o, i)[k], v = want < room ? want : room;

	*x -= v;
	return v;
}

static void
rootcap(struct pcg_profile *o)
{
	size_t i, k, K = o->ncost, n = o->nnode * K + 1, T = o->nthread;
	uint64_t *kids = ecalloc(n, sizeof(*kids)), *acc = ecalloc(n, sizeof(*acc));
	uint64_t *given = ecalloc(n, sizeof(*given)), *raise = ecalloc(T * K + 1, sizeof(*raise));
	uint32_t *big = ecalloc(T + 1, sizeof(*big));

	/* a root whose self alone is above its arc (rootfit() shares by INCL)
	 * takes it from the thread's other roots, the largest first, whose
	 * calls pay below; their room (incl - self) adds up to at least what
	 * is taken: the roots' incl add up to the total, all selfs too */
	for (i = 1; i < o->nnode; i++) {
		uint32_t t = o->node[i].thread;
		if (o->node[i].parent || pcg_rec(&o->node[i]))
			continue;
		if (!big[t] || pcg_incl(o, i)[0] > pcg_incl(o, big[t])[0])
			big[t] = i;
		for (k = 0; k < K; k++)
			if (pcg_self(o, i)[k] > pcg_incl(o, i)[k]) {
				raise[t * K + k] += pcg_self(o, i)[k] - pcg_incl(o, i)[k];
				pcg_incl(o, i)[k] = pcg_self(o, i)[k];
			}
	}
	for (i = 1; i < T; i++)
		for (k = 0; big[i] && k < K; k++)
			raise[i * K + k] -= lower(o, big[i], k, raise[i * K + k]);
	for (i = 1; i < o->nnode; i++) {
		uint32_t t = o->node[i].thread;
		for (k = 0; !o->node[i].parent && !pcg_rec(&o->node[i]) && k < K; k++)
			raise[t * K + k] -= lower(o, i, k, raise[t * K + k]);
	}
	for (i = 1; i < o->nnode; i++)
		for (k = 0; o->node[i].parent && k < K; k++)
			kids[o->node[i].parent * K + k] += pcg_incl(o, i)[k];
	for (i = 1; i < o->nnode; i++) {
		uint32_t g = o->node[i].parent;
		for (k = 0; g && !o->node[g].parent && k < K; k++) {
			size_t j = g * K + k;
			uint64_t have = pcg_incl(o, g)[k], self = pcg_self(o, g)[k], over, v;
			if (self + kids[j] <= have)
				continue;
			over = self + kids[j] - have;
			acc[j] += pcg_incl(o, i)[k];
			v = muldiv(over, acc[j], kids[j]) - given[j];
			given[j] += v;
			pcg_incl(o, i)[k] -= v;
		}
	}
	free(kids);
	free(acc);
	free(given);
	free(raise);
	free(big);
}

static void
apply(const struct pcg_profile *in, struct pcg_profile *out, const uint8_t *drop, const uint8_t *focus)
{
	struct map m = { 0 };
	uint64_t *tgt;
	size_t i;

	copyhead(in, out);
	m.in = in;
	m.out = out;
	m.drop = drop;
	m.focus = focus;
	m.fn = ecalloc(in->nfn, sizeof(*m.fn));
	m.img = ecalloc(in->nnode, sizeof(*m.img));
	m.eline = ecalloc(in->nnode, sizeof(*m.eline));
	m.st = ecalloc(in->nnode, sizeof(*m.st));
	m.synth = ecalloc(in->nthread, sizeof(*m.synth));
	m.outer = pcg_outer(in);
	if (in->lines)
		m.lidx = pcg_line_index(in, &m.lstart);
	for (i = 1; i < in->nnode; i++)
		if (!pcg_rec(&in->node[i]))
			mapnode(&m, i);
	for (i = 1; i < in->nnode; i++)
		if (pcg_rec(&in->node[i]))
			findcross(&m, i);
	indexcross(&m);
	for (i = 1; i < in->nnode; i++)
		if (pcg_rec(&in->node[i]))
			maprec(&m, i);
	grow(&m);
	tgt = targets(&m);
	m.want0 = ereallocarray(NULL, m.cap * (in->ncost ? in->ncost : 1), sizeof(*m.want0));
	memcpy(m.want0, m.want, m.cap * (in->ncost ? in->ncost : 1) * sizeof(*m.want0));
	uncross(&m);
	refit(&m);
	balance(&m, tgt);
	rootfit(&m);
	rootcap(out);
	free(tgt);
	free(m.fn);
	free(m.img);
	free(m.eline);
	free(m.st);
	free(m.synth);
	free(m.outer);
	free(m.want);
	free(m.want0);
	free(m.fresh);
	free(m.depth);
	free(m.cross);
	free(m.xhead);
	free(m.xnext);
	free(m.lidx);
	free(m.lstart);
}

static uint64_t
limit(const struct thr *t, uint64_t total)
{
	if (!t->pct)
		return t->v;
	return (uint64_t)((long double)total * t->v / 100000000.0L);
}

/*
 * Functions below a threshold, on cost column K: self, and inclusive as
 * self plus outgoing arcs, over all threads.  Returns NULL if none.
 */
static uint8_t *
thrdrops(const struct pcg_profile *p, size_t k)
{
	uint64_t *self = ecalloc(p->nfn, sizeof(*self)), *incl = ecalloc(p->nfn, sizeof(*incl));
	uint64_t total = 0, li, ls;
	uint8_t *d = NULL, *fo = focusfns(p);
	size_t i;

	for (i = 1; i < p->nnode && p->ncost; i++) {
		const struct pcg_node *nd = &p->node[i];
		if (!pcg_rec(nd)) {
			self[nd->fn] += pcg_self(p, i)[k];
			incl[nd->fn] += pcg_self(p, i)[k];
		}
		if (nd->parent)
			incl[p->node[nd->parent].fn] += pcg_incl(p, i)[k];
		else
			total += pcg_incl(p, i)[k];
	}
	li = limit(&opt.minincl, total);
	ls = limit(&opt.minself, total);
	for (i = 1; i < p->nfn; i++) {
		if ((fo && fo[i]) || issynth(&p->fn[i]))
			continue;
		if ((opt.minincl.set && incl[i] < li) || (opt.minself.set && self[i] < ls)) {
			if (!d)
				d = ecalloc(p->nfn, 1);
			d[i] = 1;
		}
	}
	free(self);
	free(incl);
	free(fo);
	return d;
}

/* N% (up to 6 decimals, at most 100) or N with an optional unit ns, us, ms, s. */
static void
parsethr(const char *o, const char *s, struct thr *t)
{
	static const struct { const char *u; uint64_t mul; } unit[] = {
		{ "", 1 }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	const char *e = s + strspn(s, "0123456789");
	uint64_t v;
	size_t i, nd;

	if (e == s || parse_u64(s, e - s, &v) < 0)
		badopt(o, s, "expected N%, or N with an optional unit ns, us, ms or s");
	t->set = 1;
	if (*e == '.' && s[strlen(s) - 1] != '%')
		badopt(o, s, "a time is a whole number with an optional unit ns, us, ms or s");
	if (*e == '%' || *e == '.') {
		/* fixed point: millionths of a percent */
		nd = *e == '.' ? strspn(e + 1, "0123456789") : 0;
		if (*e == '.' && (!nd || nd > 6 || e[1 + nd] != '%'))
			badopt(o, s, "expected a percentage with at most 6 decimals, as 0.5%");
		for (i = 0; i < 6; i++) {
			v = v <= UINT64_MAX / 10 ? v * 10 : UINT64_MAX;
			if (i < nd)
				v += e[1 + i] - '0';
		}
		e += nd ? 1 + nd : 0;
		if (e[1])
			badopt(o, s, "trailing characters after '%'");
		if (v > 100000000)
			badopt(o, s, "a percentage must be at most 100%");
		t->pct = 1;
		t->v = v;
		return;
	}
	for (i = 0; i < LEN(unit); i++) {
		if (strcmp(e, unit[i].u))
			continue;
		if (v > UINT64_MAX / unit[i].mul)
			badopt(o, s, "too large");
		t->pct = 0;
		t->timed = i > 0;
		t->v = v * unit[i].mul;
		return;
	}
	badopt(o, s, "unknown unit (ns, us, ms or s)");
}

static void
addpat(char ***list, size_t *n, const char *o, const char *pat)
{
	const char *colon = strchr(pat, ':');

	if (!*pat)
		badopt(o, pat, "empty pattern");
	if (colon && !strchr(pat, '/') && (colon == pat || !colon[1]))
		badopt(o, pat, "MODULE:NAME needs both parts");
	*list = ereallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = (char *)pat;
}

static void __attribute__((noreturn))
help(void)
{
	printf(synopsis, argv0);
	printf("  --drop PAT          drop the functions PAT matches (MODULE, MODULE.*, MODULE:NAME)\n"
	    "  --keep PAT          keep only the functions some --keep PAT matches\n"
	    "  --drop-stdlib       drop the standard library's Python code (meta stdlib)\n"
	    "  --drop-builtins     drop every C builtin\n"
	    "  --min-incl LIMIT    then drop the functions whose inclusive cost is below LIMIT\n"
	    "  --min-self LIMIT    then drop the functions whose self cost is below LIMIT\n"
	    "                      (LIMIT: N%% of the total, or N with a unit ns, us, ms or s)\n"
	    "  --cost NAME         the cost column of the limits (default the first, wall time;\n"
	    "                      cpu for pcg-trace --cpu's)\n"
	    "  --focus FUNC        keep only the calls of FUNC (NAME or MODULE:NAME) and their callees\n"
	    "  --partial           read an events stream cut short (no end record), marked incomplete\n"
	    "  -o FILE             write to FILE (default: standard output)\n"
	    "  -h, --help          show this help;  --version  show the version\n");
	efshut(stdout, "stdout");
	exit(0);
}

/* GNU style: options and the operand in any order; returns the input. */
static const char *
parseargs(int argc, char **argv)
{
	enum { DROP = 256, KEEP, STDLIB, BUILTINS, MININCL, MINSELF, COST, FOCUS, PARTIAL, VERSION };
	static const struct option lo[] = {
		{ "drop", required_argument, NULL, DROP },
		{ "keep", required_argument, NULL, KEEP },
		{ "drop-stdlib", no_argument, NULL, STDLIB },
		{ "drop-builtins", no_argument, NULL, BUILTINS },
		{ "min-incl", required_argument, NULL, MININCL },
		{ "min-self", required_argument, NULL, MINSELF },
		{ "cost", required_argument, NULL, COST },
		{ "focus", required_argument, NULL, FOCUS },
		{ "partial", no_argument, NULL, PARTIAL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, VERSION },
		{ 0 }
	};
	const char *v;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (v = optarg, c) {
		case DROP: addpat(&opt.drop, &opt.ndrop, "--drop", v); break;
		case KEEP: addpat(&opt.keep, &opt.nkeep, "--keep", v); break;
		case STDLIB: opt.stdlib = 1; break;
		case BUILTINS: opt.builtins = 1; break;
		case MININCL: parsethr("--min-incl", v, &opt.minincl); break;
		case MINSELF: parsethr("--min-self", v, &opt.minself); break;
		case COST: opt.cost = v; break;
		case FOCUS:
			if (!*v || *v == ':' || (strchr(v, ':') && !strchr(v, ':')[1]))
				badopt("--focus", v, "expected NAME or MODULE:NAME");
			opt.focus = ereallocarray(opt.focus, opt.nfocus + 1, sizeof(*opt.focus));
			opt.focus[opt.nfocus++] = (char *)v;
			break;
		case PARTIAL: opt.partial = 1; break;
		case 'o': opt.out = v; break;
		case 'h': help();
		case VERSION:
			printf("%s %s\n", argv0, PCG_VERSION_STRING);
			efshut(stdout, "stdout");
			exit(0);
		default: usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (opt.cost && !opt.minincl.set && !opt.minself.set)
		badopt("--cost", opt.cost, "only the limits use a cost column: give --min-incl or --min-self");
	return optind < argc ? argv[optind] : "-";
}

int
main(int argc, char **argv)
{
	struct pcg_profile in, out, next;
	struct ofile of;
	struct evprune ep = { 0 };
	struct pcg_evhook hook = { &ep, evfn, evevent, evend };
	struct pcg_readopt ro = { 0, &hook };
	uint8_t *fo, *drop;
	const char *path;
	int pruned, k = 0;

	argv0 = "pcg-filter";
	path = inpath = parseargs(argc, argv);
	pcg_init(&in);
	/* An events stream is pruned exactly as it is read, event by event. */
	ro.partial = opt.partial;
	pruned = pcg_read_path(&in, path, &ro) == PCG_EVENTS;
	evfree(&ep);
	if (opt.cost && (k = pcg_cost_find(&in, opt.cost)) < 0)
		eprintf("%s: --cost %s: no such cost column", path, opt.cost);
	if ((opt.minincl.timed || opt.minself.timed) && in.ncost &&
	    !pcg_str_eq(in.costunit[k], pcg_cstr("ns")))
		eprintf("%s: a limit in units of time on cost column %.*s, which is not in ns", path,
		    (int)in.costname[k].len, in.costname[k].s);
	if (opt.stdlib && !pcg_find_meta(&in, "stdlib"))
		eprintf("%s: --drop-stdlib: the profile records no stdlib directory (meta stdlib)", path);
	fo = focusfns(&in); /* an events stream is focused already: only checked */
	if (pruned) {
		free(fo);
		fo = NULL;
	}
	drop = pruned ? ecalloc(in.nfn, 1) : patdrops(&in);
	if (fo || memchr(drop + 1, 1, in.nfn - 1)) {
		apply(&in, &out, drop, fo);
		pcg_free(&in);
	} else {
		out = in; /* nothing to do: the identity */
	}
	free(fo);
	free(drop);
	/* Dropping moves cost: repeat until every kept function passes (idempotence). */
	while ((opt.minincl.set || opt.minself.set) && (drop = thrdrops(&out, (size_t)k))) {
		apply(&out, &next, drop, NULL);
		free(drop);
		pcg_free(&out);
		out = next;
	}
	ofile_open(&of, opt.out);
	if (pcg_write(&out, of.fp) < 0)
		eprintf("%s: write error", opt.out ? opt.out : "stdout");
	ofile_commit(&of);
	pcg_free(&out);
	free(opt.drop);
	free(opt.keep);
	free(opt.focus);
	return 0;
}

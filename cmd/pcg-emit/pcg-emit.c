/*
 * pcg-emit: write pcg streams (either layer) for a viewer.  Here: the
 * options, the input, and the display names of the functions, which every
 * format uses; each format is a file of its own (callgrind.c).
 */
#include <inttypes.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"
#include "emit.h"

static const struct emit *cmpctx; /* for qsort comparators */

/*
 * The output formats, the first one the default (pcg-emit(1), FORMATS).
 * hook, if any, is given the events of a lone events stream as it is read.
 */
static const struct format {
	const char *name;
	void (*write)(struct emit *e, const char *path, const char *in);
	void (*hook)(struct emit *e, struct pcg_evhook *h);
} formats[] = {
	{ "callgrind", callgrind, NULL },
	{ "text", text, NULL },
	{ "collapsed", collapsed, NULL },
	{ "pstats", pstats, NULL },
	{ "speedscope", speedscope, speedscope_hook },
};

static const char synopsis[] =
    "usage: %s [-o FILE] [-F FORMAT] [--sort KEY] [--limit N] [--cost NAME]\n"
    "       [--separate-threads] [--no-clones] [--partial] [FILE...]\n";

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, synopsis, argv0);
	exit(2);
}

static void __attribute__((noreturn))
help(void)
{
	printf(synopsis, argv0);
	printf("  -o FILE             write to FILE (default: standard output)\n"
	    "  -F, --format=FORMAT callgrind (default), text, collapsed, pstats or speedscope\n"
	    "  --sort=KEY          text: order by self (default), incl, calls, percall or name\n"
	    "  --limit=N           text: the first N rows (default 30; 0: all)\n"
	    "  --cost=NAME         the cost column, but for callgrind (default the first)\n"
	    "  --separate-threads  callgrind: one file per thread: FILE-01, FILE-02...\n"
	    "  --no-clones         callgrind: one function per Python function, cycles and all\n"
	    "  --partial           read an events stream cut short (no end record), marked incomplete\n"
	    "  -h, --help          show this help;  --version  show the version\n");
	efshut(stdout, "<stdout>");
	exit(0);
}

/* The cost column called name (NULL: the first). */
size_t
costcol(const struct pcg_profile *p, const char *name)
{
	int k;

	if (!p->ncost)
		eprintf("the profile has no cost column");
	if (!name)
		return 0;
	if ((k = pcg_cost_find(p, name)) < 0)
		eprintf("--cost %s: no such cost column", name);
	return (size_t)k;
}

/* Length of the well-formed UTF-8 sequence at s, or 0. */
size_t
utf8len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/*
 * A display copy of a pcg string: callgrind files are line based, both
 * readers skip spaces after "(N)" and KCachegrind decodes UTF-8, so control
 * bytes and bytes that are not UTF-8 become C-style escapes (keeping distinct
 * names distinct) and leading spaces go.  An empty result would read as an id
 * reference.
 */
char *
clean(const char *str, size_t len, const char *ifempty)
{
	const unsigned char *s = (const unsigned char *)str;
	char *o = emalloc(len * 4 + strlen(ifempty) + 1), *q = o;
	size_t i = 0, n;

	while (i < len && s[i] == ' ')
		i++;
	while (i < len) {
		unsigned char c = s[i];
		if (c == '\t')
			q += sprintf(q, "\\t");
		else if (c == '\n')
			q += sprintf(q, "\\n");
		else if (c == '\r')
			q += sprintf(q, "\\r");
		else if (c < 0x20 || c == 0x7f || !(n = utf8len(s + i, len - i)))
			q += sprintf(q, "\\x%02x", c);
		else {
			memcpy(q, s + i, n);
			q += n;
			i += n;
			continue;
		}
		i++;
	}
	*q = '\0';
	if (q == o)
		strcpy(o, ifempty);
	return o;
}

char *
cleanstr(struct pcg_str s, const char *ifempty)
{
	return clean(s.s, s.len, ifempty);
}

/* a b c concatenated; n, unless ~0, appended after c. */
static char *
cat(const char *a, const char *b, const char *c, uint32_t n)
{
	size_t len = strlen(a) + strlen(b) + strlen(c) + 12;
	char *s = emalloc(len);

	if (n == UINT32_MAX)
		snprintf(s, len, "%s%s%s", a, b, c);
	else
		snprintf(s, len, "%s%s%s%" PRIu32, a, b, c, n);
	return s;
}

static const char *
basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* pcg-filter's stand-in for dropped roots (pcg-filter(1)): C, pcg.(filtered). */
static int
isfiltered(const struct pcg_fn *fn)
{
	return fn->kind == PCG_C && pcg_str_eq(fn->module, pcg_cstr("pcg")) &&
	       pcg_str_eq(fn->name, pcg_cstr("(filtered)"));
}

/*
 * The readable name of function f at a uniqueness level (see uniquify):
 * 0 its name, 1 name:LINE, 2 module.name:LINE.  Module code is always
 * module.<module>, as C builtins are always module.name: a bare "<module>"
 * tells nothing, and qualifying only those that collide named the same
 * kind of thing two ways in one profile.
 */
static char *
funname(const struct emit *e, size_t f, int level)
{
	const struct pcg_profile *p = e->p;
	const struct pcg_fn *fn;
	char *base, *mod, *s, *t;
	size_t len;
	int qual;

	if (f > LASTFN(p)) {
		f -= LASTFN(p);
		base = cleanstr(p->thread[f].name, "?");
		len = strlen(base) + 32;
		s = emalloc(len);
		snprintf(s, len, "<thread %zu: %s>", f, base);
		free(base);
		return s;
	}
	fn = &p->fn[f];
	if (isfiltered(fn))
		return estrdup("<dropped by pcg-filter>");
	mod = cleanstr(fn->module, "?");
	base = cleanstr(fn->name, "<unnamed>");
	/* C builtins have no file to tell them apart: qualify by module. */
	qual = (fn->kind == PCG_C || pcg_str_eq(fn->name, pcg_cstr("<module>"))) && fn->module.len;
	if (qual) {
		s = cat(mod, ".", base, UINT32_MAX);
		free(base);
		base = s;
	}
	if (level == 0) {
		s = estrdup(base);
	} else if (level == 1 || qual) {
		s = cat(base, ":", "", fn->line);
	} else {
		t = cat(mod, ".", base, UINT32_MAX);
		s = cat(t, ":", "", fn->line);
		free(t);
	}
	free(mod);
	free(base);
	return s;
}

static int
idcmp(const struct emit *e, uint32_t a, uint32_t b)
{
	size_t nfn = LASTFN(e->p);

	if ((a > nfn) != (b > nfn))
		return a > nfn ? -1 : 1;
	if (a > nfn)
		return a < b ? -1 : a > b;
	return pcg_fn_cmp(&e->p->fn[a], &e->p->fn[b]);
}

/* KCachegrind keys a function by name and the file's last path component. */
static int
keycmp(const void *va, const void *vb)
{
	const struct cfun *a = &cmpctx->fun[*(const uint32_t *)va];
	const struct cfun *b = &cmpctx->fun[*(const uint32_t *)vb];
	int c;

	if ((c = strcmp(basename_of(a->file), basename_of(b->file))))
		return c;
	if ((c = strcmp(a->name, b->name)))
		return c;
	return idcmp(cmpctx, *(const uint32_t *)va, *(const uint32_t *)vb);
}

static int
samekey(const struct cfun *a, const struct cfun *b)
{
	return !strcmp(a->name, b->name) &&
	       !strcmp(basename_of(a->file), basename_of(b->file));
}

/*
 * Distinct functions must get distinct names, or the readers merge them:
 * lengthen the names of every group that collides (add the line, then the
 * module, then the whole file: a script's app.py and a package's), and
 * number whatever still collides.
 */
static void
uniquify(struct emit *e, uint32_t *idx)
{
	size_t i, j, k, n = e->nfun;
	int level, dup = 1;

	for (level = 1; dup && level <= 4; level++) {
		cmpctx = e;
		qsort(idx, n, sizeof(*idx), keycmp);
		dup = 0;
		for (i = 0; i < n; i = j) {
			for (j = i + 1; j < n && samekey(&e->fun[idx[i]], &e->fun[idx[j]]); j++)
				;
			if (j - i < 2)
				continue;
			dup = 1;
			for (k = i; k < j; k++) {
				struct cfun *c = &e->fun[idx[k]];
				char *s;
				if (level < 3)
					s = funname(e, idx[k], level);
				else if (level == 3) {
					char *t = cat(c->name, " (", c->file, UINT32_MAX);
					s = cat(t, ")", "", UINT32_MAX);
					free(t);
				} else
					s = cat(c->name, " #", "", k - i + 1);
				free(c->name);
				c->name = s;
			}
		}
	}
}

static int
filecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Output order: thread roots first, then by file, first line, name, identity. */
static int
rankcmp(const void *va, const void *vb)
{
	uint32_t a = *(const uint32_t *)va, b = *(const uint32_t *)vb;
	const struct cfun *fa = &cmpctx->fun[a], *fb = &cmpctx->fun[b];
	size_t nfn = LASTFN(cmpctx->p);
	int c;

	if (a > nfn || b > nfn)
		return idcmp(cmpctx, a, b);
	if ((c = strcmp(fa->file, fb->file)))
		return c;
	if (fa->line != fb->line)
		return fa->line < fb->line ? -1 : 1;
	if ((c = strcmp(fa->name, fb->name)))
		return c;
	return idcmp(cmpctx, a, b);
}

static void
setup_names(struct emit *e)
{
	const struct pcg_profile *p = e->p;
	uint32_t *idx;
	size_t i, j;

	e->nfun = LASTFN(p) + LASTTHREAD(p);
	e->fun = ecalloc(e->nfun + 1, sizeof(*e->fun));
	idx = emalloc((e->nfun + 1) * sizeof(*idx));
	for (i = 1; i <= e->nfun; i++) {
		struct cfun *c = &e->fun[i];
		idx[i - 1] = i;
		c->base = i;
		c->level = 1;
		c->name = funname(e, i, 0);
		if (i > LASTFN(p)) {
			c->file = estrdup("<thread>");
		} else if (isfiltered(&p->fn[i])) {
			c->file = estrdup("<pcg-filter>");
			e->filtered = 1;
		} else if (p->fn[i].kind == PCG_C) {
			c->file = estrdup("<built-in>");
			c->line = p->fn[i].line;
		} else {
			c->file = cleanstr(p->fn[i].file, "<unknown>");
			c->line = p->fn[i].line;
		}
	}
	uniquify(e, idx);

	cmpctx = e;
	qsort(idx, e->nfun, sizeof(*idx), rankcmp);
	for (i = 0; i < e->nfun; i++)
		e->fun[idx[i]].rank = i;

	e->files = emalloc((e->nfun + 1) * sizeof(*e->files));
	for (i = 0; i < e->nfun; i++)
		e->files[i] = e->fun[i + 1].file;
	qsort(e->files, e->nfun, sizeof(*e->files), filecmp);
	for (i = j = 0; i < e->nfun; i++)
		if (j == 0 || strcmp(e->files[j - 1], e->files[i]))
			e->files[j++] = e->files[i];
	e->nfiles = j;
	e->flid = ecalloc(j + 1, sizeof(*e->flid));
	for (i = 1; i <= e->nfun; i++) {
		char **f = bsearch(&e->fun[i].file, e->files, e->nfiles, sizeof(*e->files), filecmp);
		e->fun[i].fileno = f - e->files;
	}
	free(idx);
}

/*
 * The strongly connected sets of the function graph (an arc for every node
 * and rec edge, self-calls left out): comp[f] numbers f's set, and a set
 * of one function gets 0, since only sets of two or more make cycles.
 * Tarjan's algorithm, iterative: a deep call chain must not overflow the
 * C stack.
 */
static uint32_t *
sccs(size_t nv, const uint32_t *off, const uint32_t *adj)
{
	uint32_t *idx = ecalloc(nv + 1, sizeof(*idx)), *low = emalloc((nv + 1) * sizeof(*low));
	uint32_t *stk = emalloc((nv + 1) * sizeof(*stk)), *cs = emalloc((nv + 1) * sizeof(*cs));
	uint32_t *pos = emalloc((nv + 1) * sizeof(*pos)), *comp = ecalloc(nv + 1, sizeof(*comp));
	char *on = ecalloc(nv + 1, 1);
	uint32_t next = 0, ncomp = 0, v, w;
	size_t r, ns = 0, nc = 0;

	for (r = 1; r <= nv; r++) {
		if (idx[r])
			continue;
		cs[nc++] = r;
		idx[r] = low[r] = ++next, pos[r] = off[r], stk[ns++] = r, on[r] = 1;
		while (nc) {
			v = cs[nc - 1];
			if (pos[v] < off[v + 1]) {
				w = adj[pos[v]++];
				if (!idx[w]) {
					idx[w] = low[w] = ++next, pos[w] = off[w];
					stk[ns++] = w, on[w] = 1, cs[nc++] = w;
				} else if (on[w] && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			if (--nc && low[v] < low[cs[nc - 1]])
				low[cs[nc - 1]] = low[v];
			if (low[v] != idx[v])
				continue;
			/* v roots a set: number it unless it is v alone */
			if (stk[ns - 1] == v) {
				on[v] = 0, ns--;
				continue;
			}
			ncomp++;
			do {
				w = stk[--ns];
				on[w] = 0, comp[w] = ncomp;
			} while (w != v);
		}
	}
	free(idx);
	free(low);
	free(stk);
	free(cs);
	free(pos);
	free(on);
	return comp;
}

/*
 * An open-addressing table of nonzero 64-bit keys, for at most N of them.
 * It starts small and doubles at half full: the distinct keys (function
 * pairs, say) are often far fewer than the nodes that look them up, and a
 * table sized for the nodes is mostly cache misses (24 MB for a million).
 */
#define TAB64_START 1024

void
tab64_init(struct tab64 *t, size_t n)
{
	for (t->cap = 16; t->cap < 2 * n && t->cap < TAB64_START; t->cap *= 2)
		;
	t->n = 0;
	t->key = ecalloc(t->cap, sizeof(*t->key));
	t->val = ecalloc(t->cap, sizeof(*t->val));
}

static size_t
tab64_find(const struct tab64 *t, uint64_t k)
{
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15u) >> 40) & (t->cap - 1);

	while (t->key[i] && t->key[i] != k)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static void
tab64_grow(struct tab64 *t)
{
	struct tab64 old = *t;
	size_t i, j;

	t->cap *= 2;
	t->key = ecalloc(t->cap, sizeof(*t->key));
	t->val = ecalloc(t->cap, sizeof(*t->val));
	for (i = 0; i < old.cap; i++)
		if (old.key[i]) {
			j = tab64_find(t, old.key[i]);
			t->key[j] = old.key[i];
			t->val[j] = old.val[i];
		}
	tab64_free(&old);
}

/* k's value, 0 if k is new; *isnew says which.  The pointer holds until
 * the next call. */
uint32_t *
tab64_slot(struct tab64 *t, uint64_t k, int *isnew)
{
	size_t i = tab64_find(t, k);
	int fresh = !t->key[i];

	if (fresh) {
		if (2 * (t->n + 1) > t->cap) {
			tab64_grow(t);
			i = tab64_find(t, k);
		}
		t->n++;
		t->key[i] = k;
	}
	if (isnew)
		*isnew = fresh;
	return &t->val[i];
}

void
tab64_free(struct tab64 *t)
{
	free(t->key);
	free(t->val);
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The function graph over pcg functions, one arc per caller and callee,
 * self-calls left out: f's callees are adj[off[f]..off[f+1]), in output
 * order, so that both layers of one profile give the same searches.  Every
 * node's arc is sorted, then repeats dropped: a table of the distinct arcs
 * costs a cache miss a node once they are many (a million in the bench's
 * synthetic profile).
 */
static uint32_t *
fngraph(const struct emit *e, uint32_t **offp)
{
	const struct pcg_profile *p = e->p;
	size_t i, m = 0, u = 0, nv = LASTFN(p);
	uint32_t *off = ecalloc(nv + 2, sizeof(*off)), *byrank, *adj;
	struct pcg_key *arc = emalloc((LASTNODE(p) + 1) * sizeof(*arc)), *tmp, *sk;

	byrank = emalloc((e->nfun + 1) * sizeof(*byrank));
	for (i = 1; i <= e->nfun; i++)
		byrank[e->fun[i].rank] = i;
	for (i = 1; i <= LASTNODE(p); i++) {
		const struct pcg_node *n = &p->node[i];
		uint32_t to = pcg_rec(n) ? p->node[n->target].fn : n->fn, from;
		if (!n->parent || (from = p->node[n->parent].fn) == to)
			continue;
		arc[m++] = (struct pcg_key){ { e->fun[to].rank, from, 0, 0 }, 0 };
	}
	tmp = emalloc((m + 1) * sizeof(*tmp));
	sk = pcg_keysort(arc, tmp, m);
	adj = emalloc((m + 1) * sizeof(*adj));
	for (i = 0; i < m; i++)
		if (!i || sk[i].v[0] != sk[i - 1].v[0] || sk[i].v[1] != sk[i - 1].v[1]) {
			adj[u++] = byrank[sk[i].v[0]];
			off[sk[i].v[1] + 1]++;
		}
	for (i = 1; i <= nv + 1; i++)
		off[i] += off[i - 1];
	free(arc);
	free(tmp);
	free(byrank);
	*offp = off;
	return adj;
}

static int
rankcmp32(const void *a, const void *b)
{
	uint32_t x = cmpctx->fun[*(const uint32_t *)a].rank, y = cmpctx->fun[*(const uint32_t *)b].rank;

	return x < y ? -1 : x > y;
}

/*
 * post[f]: f's place in the postorder of a depth-first search of the
 * function graph (fngraph()), from the functions threads start in, then
 * from the others, in output order.  An arc to a function of higher
 * postorder is a back edge of the search: it closes a cycle.
 */
static uint32_t *
postorder(const struct emit *e, const uint32_t *off, const uint32_t *adj)
{
	const struct pcg_profile *p = e->p;
	size_t nv = LASTFN(p), i, ns = 0, n = 0, nstart = 0, nroot;
	uint32_t *post = ecalloc(nv + 1, sizeof(*post)), *pos = emalloc((nv + 1) * sizeof(*pos));
	uint32_t *stk = emalloc((nv + 1) * sizeof(*stk)), *start = emalloc((nv + 1) * sizeof(*start));
	char *seen = ecalloc(nv + 1, 1), *root = ecalloc(nv + 1, 1);

	cmpctx = e;
	for (i = 1; i <= LASTNODE(p); i++)
		if (!p->node[i].parent && !root[p->node[i].fn])
			root[p->node[i].fn] = 1, start[nstart++] = p->node[i].fn;
	qsort(start, nstart, sizeof(*start), rankcmp32);
	for (i = 1, nroot = nstart; i <= nv; i++)
		if (!root[i])
			start[nstart++] = i;
	qsort(start + nroot, nstart - nroot, sizeof(*start), rankcmp32);
	for (i = 0; i < nstart; i++) {
		uint32_t r = start[i];
		if (seen[r])
			continue;
		seen[r] = 1, pos[r] = off[r], stk[ns++] = r;
		while (ns) {
			uint32_t v = stk[ns - 1], w;
			if (pos[v] < off[v + 1]) {
				w = adj[pos[v]++];
				if (!seen[w])
					seen[w] = 1, pos[w] = off[w], stk[ns++] = w;
				continue;
			}
			post[v] = ++n;
			ns--;
		}
	}
	free(pos);
	free(stk);
	free(start);
	free(seen);
	free(root);
	return post;
}

/* Clone n (2, 3, ...) of f, as callgrind function f'n. */
static uint32_t
newclone(struct emit *e, uint32_t f, uint32_t n)
{
	struct cfun *c = &e->fun[++e->nfun];

	*c = e->fun[f];
	c->file = estrdup(c->file);
	c->name = cat(c->name, "'", "", n);
	c->base = f;
	c->level = n;
	return e->nfun;
}

/* Output order: a clone right after its function, by level. */
static int
clonecmp(const void *va, const void *vb)
{
	const struct cfun *a = &cmpctx->fun[*(const uint32_t *)va];
	const struct cfun *b = &cmpctx->fun[*(const uint32_t *)vb];
	uint32_t ra = cmpctx->fun[a->base].rank, rb = cmpctx->fun[b->base].rank;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return a->level < b->level ? -1 : a->level > b->level;
}

/*
 * Which callgrind function each node's arc calls, cloning so that the graph
 * has no cycle of two or more functions.  Within a strongly connected set,
 * a path of the tree keeps the level of the context it came from while its
 * arcs go forward in the depth-first order of postorder(), and goes one level
 * up where an arc turns back (a back edge of that search, where the cycles
 * close); a recursive call into the set does the same.  Arcs then only go
 * forward in (level, order) within a set, or from one set to a later one,
 * so no cycle is left.  Paths enter a set at level 1.  Node ids put parents
 * first (every reader and merge() add a node after its parent).
 */
void
setup_clones(struct emit *e)
{
	const struct pcg_profile *p = e->p;
	size_t i, nn = LASTNODE(p), nf = LASTFN(p), nold = e->nfun;
	uint32_t *off, *adj, *comp, *lev, *idx, *post, c;
	uint64_t *key;
	size_t m;
	struct tab64 t;
	int isnew;

	e->cl = ecalloc(nn + 1, sizeof(*e->cl));
	for (i = 1; i <= nn; i++) {
		const struct pcg_node *n = &p->node[i];
		e->cl[i] = pcg_rec(n) ? p->node[n->target].fn : n->fn;
	}
	if (e->noclones)
		return;
	adj = fngraph(e, &off);
	comp = sccs(nf, off, adj);
	post = postorder(e, off, adj);
	free(adj);
	free(off);

	/* levels, and the distinct (function, level) pairs of the sets */
	lev = ecalloc(nn + 1, sizeof(*lev));
	key = emalloc((nn + 1) * sizeof(*key));
	tab64_init(&t, nn);
	for (i = 1, m = 0; i <= nn; i++) {
		const struct pcg_node *n = &p->node[i];
		uint32_t f = e->cl[i], g = n->parent ? p->node[n->parent].fn : 0;
		lev[i] = 1;
		if (pcg_rec(n) && f == g)
			lev[i] = lev[n->parent]; /* direct recursion: a self-call */
		else if (g && comp[f] && comp[f] == comp[g])
			lev[i] = lev[n->parent] + (post[f] > post[g]); /* turns back */
		if (comp[f]) {
			tab64_slot(&t, (uint64_t)f << 32 | lev[i], &isnew);
			if (isnew)
				key[m++] = (uint64_t)f << 32 | lev[i];
		}
	}

	/*
	 * A function's lowest level keeps its name, its next ones are f'2,
	 * f'3...: renaming moves no arc, and a function met only at one level,
	 * like the module code of a nested import, is not split at all.
	 */
	qsort(key, m, sizeof(*key), u64cmp);
	e->fun = ereallocarray(e->fun, nold + m + 1, sizeof(*e->fun));
	for (i = 0, c = 0; i < m; i++) {
		uint32_t f = key[i] >> 32;
		c = i && key[i - 1] >> 32 == f ? c + 1 : 1;
		*tab64_slot(&t, key[i], NULL) = c == 1 ? f : newclone(e, f, c);
	}
	for (i = 1; i <= nn; i++)
		if (comp[e->cl[i]])
			e->cl[i] = *tab64_slot(&t, (uint64_t)e->cl[i] << 32 | lev[i], NULL);

	/* ranks again, clones included */
	idx = emalloc((e->nfun + 1) * sizeof(*idx));
	for (i = 1; i <= e->nfun; i++)
		idx[i - 1] = i;
	cmpctx = e;
	qsort(idx, e->nfun, sizeof(*idx), clonecmp);
	for (i = 0; i < e->nfun; i++)
		e->fun[idx[i]].rank = i;
	free(idx);
	tab64_free(&t);
	free(key);
	free(comp);
	free(post);
	free(lev);
}

/*
 * The time each node's outermost frame was on the stack: the node's self plus
 * the INCL of every arc leaving it, plain or recursive (pcg-format(5): the
 * function of a context is on the stack exactly when it runs there or one of
 * those arcs is charged).
 */
static void
setup_outer(struct emit *e)
{
	e->outer = pcg_outer(e->p);
}
/*
 * Several inputs: pcg-merge's merge, then through the canonical writer and
 * back, so that functions and nodes are numbered as `pcg-merge | pcg-emit`
 * reads them and both write the same bytes.
 */
static void
mergeall(struct pcg_profile *p, char **paths, int n, const struct pcg_readopt *ro)
{
	struct pcg_merge m;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	int i;

	pcg_merge_init(&m, PCG_THREADS_NAME, 0);
	for (i = 0; i < n; i++)
		pcg_merge_read(&m, paths[i], ro);
	pcg_merge_end(&m);
	if (!(fp = open_memstream(&buf, &len)) || pcg_write(&m.out, fp) < 0 || fclose(fp))
		eprintf("merging the inputs in memory:");
	pcg_merge_free(&m);
	if (!(fp = fmemopen(buf, len, "r")))
		eprintf("fmemopen:");
	pcg_read(p, fp, "(merged)", NULL);
	fclose(fp);
	free(buf);
}

static void
emit_free(struct emit *e)
{
	size_t i;

	for (i = 1; i <= e->nfun; i++) {
		free(e->fun[i].file);
		free(e->fun[i].name);
	}
	free(e->fun);
	free(e->files);
	free(e->flid);
	free(e->outer);
	free(e->cl);
}

int
main(int argc, char *argv[])
{
	struct pcg_profile p;
	struct pcg_readopt ro = { 0 };
	struct pcg_evhook hook;
	struct emit e;
	const struct format *fmt = &formats[0];
	enum { SORT = 256, LIMIT, COST, SEP, NOCLONES, PARTIAL, VERSION };
	static const struct option lo[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "sort", required_argument, NULL, SORT },
		{ "limit", required_argument, NULL, LIMIT },
		{ "cost", required_argument, NULL, COST },
		{ "separate-threads", no_argument, NULL, SEP },
		{ "no-clones", no_argument, NULL, NOCLONES },
		{ "partial", no_argument, NULL, PARTIAL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, VERSION },
		{ 0 }
	};
	const char *out = NULL, *first;
	size_t f;
	int c, i;

	argv0 = "pcg-emit";
	memset(&e, 0, sizeof(e));
	while ((c = getopt_long(argc, argv, "o:F:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'F':
			for (f = 0; f < LEN(formats) && strcmp(formats[f].name, optarg); f++)
				;
			if (f == LEN(formats))
				eprintf("-F %s: no such format (callgrind, text, collapsed, pstats, speedscope)",
				    optarg);
			fmt = &formats[f];
			break;
		case SORT: e.sort = optarg; break;
		case LIMIT:
			if (parse_u64(optarg, strlen(optarg), &e.limit))
				eprintf("--limit %s: not a number", optarg);
			e.haslimit = 1;
			break;
		case COST: e.cost = optarg; break;
		case SEP: e.sep = 1; break;
		case NOCLONES: e.noclones = 1; break;
		case PARTIAL: ro.partial = 1; break;
		case 'h': help();
		case VERSION:
			printf("pcg-emit %s\n", PCG_VERSION_STRING);
			efshut(stdout, "<stdout>");
			return 0;
		default: usage();
		}
	}
	i = optind;

	if (e.sep && fmt->write != callgrind)
		eprintf("--separate-threads writes callgrind files only");

	/* Read everything before writing: a bad input leaves no output. */
	first = i < argc ? argv[i] : "-";
	pcg_init(&p);
	e.layer = PCG_PROFILE;
	if (argc - i > 1) {
		mergeall(&p, argv + i, argc - i, &ro);
	} else {
		if (fmt->hook) {
			fmt->hook(&e, &hook);
			ro.hook = &hook;
		}
		e.layer = pcg_read_path(&p, first, &ro);
	}

	e.p = &p;
	setup_names(&e);
	setup_outer(&e);
	fmt->write(&e, out, first);
	emit_free(&e);
	pcg_free(&p);
	return 0;
}

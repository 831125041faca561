/*
 * pcg-emit -F collapsed: folded stacks, "frame;frame;frame VALUE", one line
 * per calling context, for flamegraph.pl, inferno and speedscope.  A flame
 * graph is a tree of frames, so contexts that differ only in a call line
 * (or in nothing but the recursion edges a profile folds) become one line.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"
#include "emit.h"

/* The frame tree: per frame its parent (0: none), function and self cost. */
struct frames {
	uint32_t *par, *fn;
	uint64_t *val;
	size_t n;
};

/* The frame for function f (thread roots: nfn + thread) under frame par. */
static uint32_t
frame(struct frames *t, struct tab64 *tab, uint32_t par, uint32_t f)
{
	int isnew;
	uint32_t *v = tab64_slot(tab, (uint64_t)par << 32 | f, &isnew);

	if (isnew) {
		*v = ++t->n;
		t->par[*v] = par;
		t->fn[*v] = f;
		t->val[*v] = 0;
	}
	return *v;
}

/* A frame's name: ';' separates frames, so it is written \x3b. */
static void
putframe(FILE *fp, const char *s)
{
	for (; *s; s++)
		if (*s == ';')
			fputs("\\x3b", fp);
		else
			fputc(*s, fp);
}

static void
folded(FILE *fp, const struct emit *e)
{
	const struct pcg_profile *p = e->p;
	size_t i, k = costcol(p, e->cost), nn = LASTNODE(p), depth, cap = 64;
	uint32_t *order, *rank, *of = ecalloc(nn + 1, sizeof(*of)), *path = emalloc(cap * sizeof(*path));
	int threads = LASTTHREAD(p) > 1;
	struct frames t;
	struct tab64 tab;

	t.par = emalloc((nn + LASTTHREAD(p) + 1) * sizeof(*t.par));
	t.fn = emalloc((nn + LASTTHREAD(p) + 1) * sizeof(*t.fn));
	t.val = emalloc((nn + LASTTHREAD(p) + 1) * sizeof(*t.val));
	t.n = 0;
	tab64_init(&tab, nn + LASTTHREAD(p));
	/* canonical order: a node after its parent, the output the same bytes
	 * however the input numbered its nodes */
	pcg_canon(p, &order, &rank);
	for (i = 0; i < nn; i++) {
		uint32_t id = order[i], par;
		const struct pcg_node *n = &p->node[id];
		if (pcg_rec(n))
			continue;
		par = n->parent ? of[n->parent] : threads ? frame(&t, &tab, 0, LASTFN(p) + n->thread) : 0;
		of[id] = frame(&t, &tab, par, n->fn);
		t.val[of[id]] += pcg_self(p, id)[k];
	}
	for (i = 1; i <= t.n; i++) {
		uint32_t f;
		if (!t.val[i])
			continue;
		for (depth = 0, f = i; f; f = t.par[f]) {
			if (depth == cap)
				path = ereallocarray(path, cap *= 2, sizeof(*path));
			path[depth++] = f;
		}
		while (depth--) {
			putframe(fp, e->fun[t.fn[path[depth]]].name);
			fputc(depth ? ';' : ' ', fp);
		}
		fprintf(fp, "%" PRIu64 "\n", t.val[i]);
	}
	tab64_free(&tab);
	free(order);
	free(rank);
	free(of);
	free(path);
	free(t.par);
	free(t.fn);
	free(t.val);
}

void
collapsed(struct emit *e, const char *path, const char *in)
{
	struct ofile o;

	(void)in;
	ofile_open(&o, path);
	folded(o.fp, e);
	ofile_commit(&o);
}

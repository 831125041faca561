/*
 * pcg-emit -F text: a table of the costliest functions, pstats'
 * print_stats with inclusive times that count recursion once, in 80
 * columns.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"
#include "emit.h"

#define WIDTH    80
#define NUMWIDTH 44 /* the four number columns and their gaps */

enum { SELF, INCL, CALLS, PERCALL, NAME };
static const char *keys[] = { "self", "incl", "calls", "percall", "name" };

static const struct emit *ectx;
static const struct fstat *sctx;
static int keyctx;

/* Inclusive per primitive call, as pstats' cumulative percall. */
static uint64_t
percall(const struct fstat *s)
{
	return s->prim ? s->incl / s->prim : s->incl;
}

/* By the key, largest first (names A to Z), then by output order. */
static int
cmp(const void *va, const void *vb)
{
	uint32_t a = *(const uint32_t *)va, b = *(const uint32_t *)vb;
	const struct fstat *x = &sctx[a], *y = &sctx[b];
	uint64_t u = 0, v = 0;
	int c;

	switch (keyctx) {
	case SELF: u = x->self, v = y->self; break;
	case INCL: u = x->incl, v = y->incl; break;
	case CALLS: u = x->calls, v = y->calls; break;
	case PERCALL: u = percall(x), v = percall(y); break;
	case NAME:
		if ((c = strcmp(ectx->fun[a].name, ectx->fun[b].name)))
			return c;
	}
	if (u != v)
		return u > v ? -1 : 1;
	return ectx->fun[a].rank < ectx->fun[b].rank ? -1 : 1;
}

/*
 * Times in ns are shown in ms, us or ns, the largest unit the total has one
 * of, with 3 decimals; per call one unit finer.  div: that unit in ns (1:
 * another unit, shown as it is).
 */
static const char *
unitof(uint64_t total, int ns, uint64_t *div)
{
	*div = !ns ? 1 : total >= 1000000 ? 1000000 : total >= 1000 ? 1000 : 1;
	return !ns ? NULL : *div == 1000000 ? "ms" : *div == 1000 ? "us" : "ns";
}

static void
fmtcost(char *buf, size_t len, uint64_t v, uint64_t div)
{
	if (div == 1)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, v / div, v % div * 1000 / div);
}

/*
 * s cut from the left to at most max bytes, "..." in front, at a UTF-8
 * character's start: the end of a path or of a qualified name says most.
 */
static const char *
tail(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max || max < 4)
		return s;
	for (s += n - (max - 3); (*s & 0xc0) == 0x80; s++)
		;
	return s;
}

/*
 * The function and its file:line in the room the numbers leave: the file
 * loses leading folders first, then both are cut from the left, the
 * location to no less than LOCMIN, so that a row fits in WIDTH columns.
 */
#define LOCMIN 18

static void
putname(FILE *fp, const struct emit *e, uint32_t f)
{
	const struct cfun *c = &e->fun[f];
	const struct pcg_fn *fn = &e->p->fn[f];
	size_t room = WIDTH - NUMWIDTH - 2, nn = strlen(c->name), n;
	char loc[4096];
	const char *file = c->file, *s, *name;

	if (fn->kind == PCG_PY)
		snprintf(loc, sizeof(loc), "%s:%" PRIu32, file, c->line);
	else
		snprintf(loc, sizeof(loc), "%s", file);
	s = loc;
	while (nn + strlen(s) + (s != loc ? 3 : 0) > room && (file = strchr(s + 1, '/')))
		s = file;
	n = strlen(s) + (s != loc ? 3 : 0);
	if (nn + n > room && n > LOCMIN) {
		s = tail(s, nn < room - LOCMIN ? room - nn : LOCMIN);
		n = strlen(s) + 3;
	}
	name = nn + n > room ? tail(c->name, room > n ? room - n : 0) : c->name;
	fprintf(fp, "%s%s  %s%s\n", name == c->name ? "" : "...", name, s == loc ? "" : "...", s);
}

static void
row(FILE *fp, const struct emit *e, uint32_t f, const struct fstat *s, uint64_t div)
{
	char a[32], b[32], c[48], d[32];

	fmtcost(a, sizeof(a), s->self, div);
	fmtcost(b, sizeof(b), s->incl, div);
	if (s->prim != s->calls)
		snprintf(c, sizeof(c), "%" PRIu64 "/%" PRIu64, s->calls, s->prim);
	else
		snprintf(c, sizeof(c), "%" PRIu64, s->calls);
	fmtcost(d, sizeof(d), percall(s), div > 1 ? div / 1000 : 1);
	fprintf(fp, "%10s %10s %9s %10s  ", a, b, c, d);
	putname(fp, e, f);
}

/* The command line, its end cut to fit WIDTH. */
static void
putcmd(FILE *fp, const struct pcg_meta *m)
{
	char buf[WIDTH + 1] = "command:";
	size_t i, n = strlen(buf);

	for (i = 0; i < m->nval && n < WIDTH; i++) {
		char *v = cleanstr(m->val[i], "''");
		n += snprintf(buf + n, sizeof(buf) - n, " %s", v);
		free(v);
	}
	if (n > WIDTH) {
		for (n = WIDTH - 3; (buf[n] & 0xc0) == 0x80; n--)
			;
		strcpy(buf + n, "...");
	}
	fprintf(fp, "%s\n", buf);
}

static void
table(FILE *fp, struct emit *e)
{
	const struct pcg_profile *p = e->p;
	size_t k = costcol(p, e->cost), i, n = 0, nf = LASTFN(p);
	struct fstat *s = fnstats(e, k);
	uint32_t *idx = emalloc((nf + 1) * sizeof(*idx));
	const struct pcg_meta *m = pcg_find_meta(p, "cmd");
	uint64_t total = 0, calls = 0, limit = !e->haslimit ? 30 : e->limit ? e->limit : UINT64_MAX;
	int ns = pcg_str_eq(p->costunit[k], pcg_cstr("ns"));
	char *name = cleanstr(p->costname[k], "?"), *unit = cleanstr(p->costunit[k], "?"), t[32];
	char h[3][24];
	const char *u, *pu;
	uint64_t div;

	for (keyctx = 0; e->sort && keyctx < (int)LEN(keys) && strcmp(keys[keyctx], e->sort); keyctx++)
		;
	if (keyctx == (int)LEN(keys))
		eprintf("--sort %s: no such key (self, incl, calls, percall, name)", e->sort);
	for (i = 1; i <= LASTNODE(p); i++)
		if (!pcg_rec(&p->node[i]))
			total += pcg_self(p, i)[k];
	for (i = 1; i <= nf; i++) {
		calls += s[i].calls;
		if (s[i].seen)
			idx[n++] = i;
	}
	ectx = e, sctx = s;
	qsort(idx, n, sizeof(*idx), cmp);

	if (m)
		putcmd(fp, m);
	u = unitof(total, ns, &div);
	pu = !ns ? NULL : div == 1000000 ? "us" : "ns";
	fmtcost(t, sizeof(t), total, div);
	fprintf(fp, "%s: %s %s in all, %" PRIu64 " calls of %zu functions in %zu thread%s\n",
	    name, t, u ? u : unit, calls, n, LASTTHREAD(p), LASTTHREAD(p) == 1 ? "" : "s");
	for (i = 0; i < p->nmeta; i++)
		if (pcg_str_eq(p->meta[i].key, pcg_cstr("incomplete")))
			fputs("incomplete: the recorder missed calls (meta incomplete)\n", fp);
	fprintf(fp, "sorted by %s, %s%" PRIu64 "\n\n", keys[keyctx],
	    limit < n ? "the first " : "all ", limit < n ? limit : (uint64_t)n);
	snprintf(h[0], sizeof(h[0]), "self %s", u ? u : unit);
	snprintf(h[1], sizeof(h[1]), "incl %s", u ? u : unit);
	snprintf(h[2], sizeof(h[2]), "%s/call", pu ? pu : unit);
	fprintf(fp, "%10s %10s %9s %10s  %s\n", h[0], h[1], "calls", h[2], "function  file:line");
	for (i = 0; i < n && i < limit; i++)
		row(fp, e, idx[i], &s[idx[i]], div);
	free(name);
	free(unit);
	free(idx);
	free(s);
}

void
text(struct emit *e, const char *path, const char *in)
{
	struct ofile o;

	(void)in;
	ofile_open(&o, path);
	table(o.fp, e);
	ofile_commit(&o);
}

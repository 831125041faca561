/*
 * pcg-emit -F pstats: the file pstats.Stats loads (snakeviz, gprof2dot,
 * tuna, python -m pstats), which is marshal's serialisation (version 2 and
 * later) of cProfile's stats dict:
 *
 *	{(file, line, name): (cc, nc, tt, ct, {caller: (nc, cc, tt, ct)})}
 *
 * nc every call, cc the primitive ones (the function not already on the
 * stack), tt self and ct inclusive time in seconds, recursion counted once,
 * callers keyed like functions (cProfile's snapshot_stats puts nc first
 * there).  Only the marshal types CPython reads since 3.4 are written:
 * dict, small tuple, int, long, binary float and str.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"
#include "emit.h"

/* The last '.' of s, or NULL (memrchr is not POSIX). */
static const char *
lastdot(const char *s, size_t n)
{
	while (n--)
		if (s[n] == '.')
			return s + n;
	return NULL;
}

struct buf {
	unsigned char *b;
	size_t n, cap;
};

static void
put(struct buf *b, const void *s, size_t n)
{
	while (b->n + n > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		b->b = ereallocarray(b->b, b->cap, 1);
	}
	memcpy(b->b + b->n, s, n);
	b->n += n;
}

static void
put1(struct buf *b, int c)
{
	unsigned char u = c;

	put(b, &u, 1);
}

/* Little-endian, as marshal's w_long and w_short. */
static void
put32(struct buf *b, uint32_t v)
{
	unsigned char s[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(b, s, 4);
}

/* 'i' for 32 bits, else 'l': the count of 15-bit digits, low digit first. */
static void
wint(struct buf *b, uint64_t v)
{
	uint64_t w;
	uint32_t n;

	if (v <= INT32_MAX) {
		put1(b, 'i');
		put32(b, v);
		return;
	}
	for (n = 0, w = v; w; w >>= 15)
		n++;
	put1(b, 'l');
	put32(b, n);
	for (; v; v >>= 15) {
		unsigned char d[2] = { v & 0xff, (v >> 8) & 0x7f };
		put(b, d, 2);
	}
}

/* 'g': the IEEE double's 8 bytes, little-endian. */
static void
wfloat(struct buf *b, double d)
{
	uint64_t u;
	int i;

	memcpy(&u, &d, sizeof(u));
	put1(b, 'g');
	for (i = 0; i < 8; i++)
		put1(b, u >> (8 * i));
}

/*
 * 'u': UTF-8, which marshal decodes with "surrogatepass": a byte that is
 * not UTF-8 is written as the lone surrogate U+DC80..U+DCFF, which is the
 * str Python itself made of that byte (a file name's surrogateescape).
 */
static void
wstr(struct buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	struct buf t = { 0 };
	size_t i, n;

	for (i = 0; i < len; i += n) {
		if ((n = utf8len(s + i, len - i))) {
			put(&t, s + i, n);
			continue;
		}
		put1(&t, 0xed);
		put1(&t, 0xb0 | s[i] >> 6);
		put1(&t, 0x80 | (s[i] & 0x3f));
		n = 1;
	}
	put1(b, 'u');
	put32(b, t.n);
	put(b, t.b, t.n);
	free(t.b);
}

static void
wcstr(struct buf *b, const char *s)
{
	wstr(b, s, strlen(s));
}

/*
 * The key cProfile gives a function: a Python function's file, first line
 * and code name (the last part of the qualified name), a C function
 * ('~', 0, its label), as _lsprof labels builtins.
 */
static void
wkey(struct buf *b, const struct pcg_fn *fn, int filtered)
{
	const char *dot = lastdot(fn->name.s, fn->name.len);
	size_t nl = fn->name.len;
	struct buf l = { 0 };

	put1(b, ')');
	put1(b, 3);
	if (fn->kind == PCG_PY && !filtered) {
		wstr(b, fn->file.s, fn->file.len);
		wint(b, fn->line);
		if (dot)
			wstr(b, dot + 1, nl - (dot + 1 - fn->name.s));
		else
			wstr(b, fn->name.s, nl);
		return;
	}
	wcstr(b, "~");
	wint(b, 0);
	if (filtered) {
		wcstr(b, "<dropped by pcg-filter>");
		return;
	}
	/* a method, TYPE.NAME: its type's module unless builtins */
	if (dot) {
		put(&l, "<method '", 9);
		put(&l, dot + 1, nl - (dot + 1 - fn->name.s));
		put(&l, "' of '", 6);
		if (fn->module.len && !pcg_str_eq(fn->module, pcg_cstr("builtins"))) {
			put(&l, fn->module.s, fn->module.len);
			put(&l, ".", 1);
		}
		put(&l, fn->name.s, dot - fn->name.s);
		put(&l, "' objects>", 10);
	} else {
		put(&l, "<built-in method ", 17);
		if (fn->module.len) {
			put(&l, fn->module.s, fn->module.len);
			put(&l, ".", 1);
		}
		put(&l, fn->name.s, nl);
		put(&l, ">", 1);
	}
	wstr(b, (char *)l.b, l.n);
	free(l.b);
}

/* One function's or one caller's figures. */
struct ent {
	uint32_t caller, callee; /* groups; caller 0: the function itself */
	uint64_t nc, cc, tt, ct;
};

static struct buf *kctx;
static size_t *koff;

static int
keycmp(const void *va, const void *vb)
{
	uint32_t a = *(const uint32_t *)va, b = *(const uint32_t *)vb;
	size_t na = koff[a + 1] - koff[a], nb = koff[b + 1] - koff[b];
	int c = memcmp(kctx->b + koff[a], kctx->b + koff[b], na < nb ? na : nb);

	if (c)
		return c;
	if (na != nb)
		return na < nb ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int
entcmp(const void *va, const void *vb)
{
	const struct ent *a = va, *b = vb;

	if (a->callee != b->callee)
		return a->callee < b->callee ? -1 : 1;
	return a->caller < b->caller ? -1 : a->caller > b->caller;
}

static void
wtimes(struct buf *b, const struct ent *x, int ns)
{
	wfloat(b, ns ? x->tt / 1e9 : (double)x->tt);
	wfloat(b, ns ? x->ct / 1e9 : (double)x->ct);
}

static void
stats(struct buf *out, const struct emit *e)
{
	const struct pcg_profile *p = e->p;
	size_t i, j, k = costcol(p, e->cost), K = p->ncost, nf = LASTFN(p), ng, na = 0;
	uint32_t *idx = emalloc((nf + 1) * sizeof(*idx)), *grp = ecalloc(nf + 1, sizeof(*grp));
	uint32_t *rep = emalloc((nf + 1) * sizeof(*rep));
	struct ent *g, *a = emalloc((LASTNODE(p) + 1) * sizeof(*a));
	int ns = pcg_str_eq(p->costunit[k], pcg_cstr("ns")), isnew;
	struct buf keys = { 0 };
	struct tab64 t;

	/* functions of one key (two runs' modules of one file) are one */
	koff = emalloc((nf + 2) * sizeof(*koff));
	for (i = 1; i <= nf; i++) {
		koff[i] = keys.n;
		wkey(&keys, &p->fn[i], !strcmp(e->fun[i].file, "<pcg-filter>"));
		idx[i - 1] = i;
	}
	koff[nf + 1] = keys.n;
	kctx = &keys;
	qsort(idx, nf, sizeof(*idx), keycmp);
	for (i = ng = 0; i < nf; i++) {
		if (!i || keycmp(&idx[i - 1], &idx[i]))
			rep[++ng] = idx[i];
		grp[idx[i]] = ng;
	}
	g = ecalloc(ng + 1, sizeof(*g));

	tab64_init(&t, LASTNODE(p));
	for (i = 1; i <= LASTNODE(p); i++) {
		const struct pcg_node *n = &p->node[i];
		uint32_t f = grp[n->fn], *slot;
		struct ent *x = &g[f], *y = NULL;

		x->callee = f;
		if (n->parent) {
			slot = tab64_slot(&t, (uint64_t)grp[p->node[n->parent].fn] << 32 | f, &isnew);
			if (isnew) {
				*slot = na;
				memset(&a[na], 0, sizeof(a[na]));
				a[na].caller = grp[p->node[n->parent].fn];
				a[na++].callee = f;
			}
			y = &a[*slot];
			y->nc += pcg_calls(p, i);
		}
		x->nc += pcg_calls(p, i);
		if (pcg_rec(n))
			continue;
		x->cc += pcg_calls(p, i);
		x->tt += pcg_self(p, i)[k];
		x->ct += e->outer[i * K + k];
		if (y) {
			y->cc += pcg_calls(p, i);
			y->tt += pcg_self(p, i)[k];
			y->ct += e->outer[i * K + k];
		}
	}
	qsort(a, na, sizeof(*a), entcmp);

	put1(out, '{');
	for (i = 1, j = 0; i <= ng; i++) {
		if (!g[i].callee) /* no context ran it */
			continue;
		put(out, keys.b + koff[rep[i]], koff[rep[i] + 1] - koff[rep[i]]);
		put1(out, ')');
		put1(out, 5);
		wint(out, g[i].cc);
		wint(out, g[i].nc);
		wtimes(out, &g[i], ns);
		put1(out, '{');
		for (; j < na && a[j].callee < i; j++)
			;
		for (; j < na && a[j].callee == i; j++) {
			uint32_t c = rep[a[j].caller];
			put(out, keys.b + koff[c], koff[c + 1] - koff[c]);
			put1(out, ')');
			put1(out, 4);
			wint(out, a[j].nc);
			wint(out, a[j].cc);
			wtimes(out, &a[j], ns);
		}
		put1(out, '0');
	}
	put1(out, '0');
	tab64_free(&t);
	free(keys.b);
	free(koff);
	free(idx);
	free(grp);
	free(rep);
	free(g);
	free(a);
}

void
pstats(struct emit *e, const char *path, const char *in)
{
	struct buf b = { 0 };
	struct ofile o;

	(void)in;
	stats(&b, e);
	ofile_open(&o, path);
	fwrite(b.b, 1, b.n, o.fp);
	ofile_commit(&o);
	free(b.b);
}

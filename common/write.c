/* Canonical writer of the profile layer, and string escaping. */
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

char *
pcg_escape(char *p, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c != 0x7f && c != '\\') {
			*p++ = c;
			continue;
		}
		*p++ = '\\';
		switch (c) {
		case '\\': *p++ = '\\'; break;
		case '\t': *p++ = 't'; break;
		case '\n': *p++ = 'n'; break;
		case '\r': *p++ = 'r'; break;
		default:
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	return p;
}

void
pcg_put_str(FILE *fp, const char *s, size_t len)
{
	char buf[PCG_ESCAPED(256)];
	size_t n;

	for (; len; s += n, len -= n) {
		n = len < 256 ? len : 256;
		fwrite(buf, 1, pcg_escape(buf, s, n) - buf, fp);
	}
}

static void
putfield(FILE *fp, struct pcg_str s)
{
	fputc('\t', fp);
	pcg_put_str(fp, s.s, s.len);
}

/*
 * Node and rec records are made in a buffer of our own, written out 64 KiB
 * at a time: printf's generality, or even a stdio call per record, cost
 * more than all the formatting.  A record holds at most 5 + 2 * PCG_MAXCOST
 * numbers of 1 + 20 bytes.
 */
#define RECMAX (8 + (5 + 2 * PCG_MAXCOST) * 21)
#define BUFMAX (1 << 16)

struct wbuf {
	FILE *fp;
	char *buf;
	size_t n;
};

/* Hand the buffer to stdio: before anything is written to fp directly. */
static void
wflush(struct wbuf *w)
{
	fwrite(w->buf, 1, w->n, w->fp);
	w->n = 0;
}

/* TAB and a decimal number at s; returns the end. */
static char *
putnum(char *s, uint64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *b = pcg_utoa(e, v);

	*--b = '\t';
	memcpy(s, b, e - b);
	return s + (e - b);
}

static char *
putcosts(char *s, const uint64_t *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		s = putnum(s, v[k]);
	return s;
}

static void
putnode(struct wbuf *w, const struct pcg_profile *p, uint32_t id, const uint32_t *rank, const uint32_t *fnout)
{
	const struct pcg_node *nd = &p->node[id];
	char *s;

	if (w->n + RECMAX > BUFMAX)
		wflush(w);
	s = w->buf + w->n;
	if (pcg_rec(nd)) {
		memcpy(s, "rec", 3);
		s = putnum(s + 3, rank[nd->parent]);
		s = putnum(s, rank[nd->target]);
	} else {
		memcpy(s, "node", 4);
		s = putnum(s + 4, rank[id]);
		s = putnum(s, rank[nd->parent]);
		s = putnum(s, fnout[nd->fn]);
	}
	s = putnum(s, nd->line);
	s = putnum(s, pcg_calls(p, id));
	s = putcosts(s, pcg_incl(p, id), p->ncost);
	if (!pcg_rec(nd))
		s = putcosts(s, pcg_self(p, id), p->ncost);
	*s++ = '\n';
	w->n = s - w->buf;
}

/*
 * The line records of node id, canonical: entries with some cost, unless
 * all of it is on the function's first line (no records say that).  The
 * entries must add up to the node's self: an internal error otherwise.
 */
static size_t
putlines(struct wbuf *w, const struct pcg_profile *p, uint32_t id, uint32_t out, const uint32_t *idx,
    const uint32_t *start)
{
	uint64_t sum[PCG_MAXCOST] = { 0 };
	size_t j, k, K = p->ncost, nz = 0, n = 0;
	uint32_t first = p->fn[p->node[id].fn].line, e;
	int onfirst = 1;
	char *s;

	if (start[id] == start[id + 1])
		return 0;
	for (j = start[id]; j < start[id + 1]; j++) {
		e = idx[j];
		for (k = 0; k < K; k++)
			sum[k] += pcg_lval(p, e)[k];
		for (k = 0; k < K && !pcg_lval(p, e)[k]; k++)
			;
		if (k < K) {
			nz++;
			onfirst &= p->lkey[e].line == first;
		}
	}
	for (k = 0; k < K; k++)
		if (sum[k] != pcg_self(p, id)[k])
			eprintf("internal error: the line costs of a node do not add up to its self cost");
	if (!nz || onfirst)
		return 0;
	for (j = start[id]; j < start[id + 1]; j++) {
		e = idx[j];
		for (k = 0; k < K && !pcg_lval(p, e)[k]; k++)
			;
		if (k == K)
			continue;
		if (w->n + RECMAX > BUFMAX)
			wflush(w);
		s = w->buf + w->n;
		memcpy(s, "line", 4);
		s = putnum(s + 4, out);
		s = putnum(s, p->lkey[e].line);
		s = putcosts(s, pcg_lval(p, e), K);
		*s++ = '\n';
		w->n = s - w->buf;
		n++;
	}
	return n;
}

#define DIGIT(k, d) ((k).v[(d) / 4] >> ((d) % 4 * 8) & 255)

/* The bytes (0: least significant) that differ among the keys, in dl[]. */
static unsigned
varying(const struct pcg_key *k, size_t n, unsigned *dl)
{
	uint32_t diff[4] = { 0 };
	unsigned d, nd = 0;
	size_t i;

	for (i = 1; i < n; i++)
		for (d = 0; d < 4; d++)
			diff[d] |= k[i].v[d] ^ k[0].v[d];
	for (d = 0; d < 16; d++)
		if (diff[d / 4] >> (d % 4 * 8) & 255)
			dl[nd++] = d;
	return nd;
}

struct pcg_key *
pcg_keysort(struct pcg_key *k, struct pcg_key *tmp, size_t n)
{
	size_t (*cnt)[256] = ecalloc(16, sizeof(*cnt)), i, sum, c;
	unsigned dl[16], d, j, nd = varying(k, n, dl);
	struct pcg_key *t;

	for (i = 0; i < n; i++)
		for (j = 0; j < nd; j++)
			cnt[dl[j]][DIGIT(k[i], dl[j])]++;
	for (j = 0; j < nd; j++) {
		d = dl[j];
		for (i = sum = 0; i < 256; i++) {
			c = cnt[d][i];
			cnt[d][i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[cnt[d][DIGIT(k[i], d)]++] = k[i];
		t = k;
		k = tmp;
		tmp = t;
	}
	free(cnt);
	return k;
}

/* Sort key of a node (thread, parent, fn rank, line) or rec edge (thread, parent, target, line). */
static struct pcg_key
nodekey(uint32_t thread, uint32_t parent, uint32_t what, uint32_t line, uint32_t id)
{
	struct pcg_key k = { { line, what, parent, thread }, id };

	return k;
}

/* qsort has no context argument: sort (fn, profile) pairs instead. */
struct fnref {
	const struct pcg_fn *fn;
	uint32_t id;
};

static int
fnrefcmp(const void *a, const void *b)
{
	return pcg_fn_cmp(((const struct fnref *)a)->fn, ((const struct fnref *)b)->fn);
}

uint32_t *
pcg_fn_ranks(const struct pcg_profile *p)
{
	struct fnref *r = ereallocarray(NULL, p->nfn, sizeof(*r));
	uint32_t *rank = ecalloc(p->nfn, sizeof(*rank));
	size_t i;

	for (i = 1; i < p->nfn; i++) {
		r[i - 1].fn = &p->fn[i];
		r[i - 1].id = i;
	}
	qsort(r, p->nfn - 1, sizeof(*r), fnrefcmp);
	for (i = 0; i + 1 < p->nfn; i++)
		rank[r[i].id] = i;
	free(r);
	return rank;
}

#define THREAD(k) ((k).v[3])

/* A child's place among its siblings: (thread,) function rank, line; id. */
struct sib {
	uint64_t hi, lo;
	uint32_t id;
};

static int
sibcmp(const void *va, const void *vb)
{
	const struct sib *a = va, *b = vb;

	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* Sort the ids child[lo..hi) as canonical siblings (roots: thread first). */
static void
sortsibs(const struct pcg_profile *p, const uint32_t *fnrank, uint32_t *child, size_t lo, size_t hi,
    struct sib *tmp)
{
	size_t i;

	for (i = lo; i < hi; i++) {
		const struct pcg_node *nd = &p->node[child[i]];
		tmp[i - lo].hi = (uint64_t)nd->thread << 32 | fnrank[nd->fn];
		tmp[i - lo].lo = nd->line;
		tmp[i - lo].id = child[i];
	}
	qsort(tmp, hi - lo, sizeof(*tmp), sibcmp);
	for (i = lo; i < hi; i++)
		child[i] = tmp[i - lo].id;
}

/*
 * Non-rec nodes depth first, threads in order; rank[] = their output ids.
 * The children of each context are grouped by a counting sort on the
 * parent (16 bytes a node at the peak, where a sort of whole keys took 56:
 * the recorder writes at exit, beside the whole tree), then each group is
 * sorted on its own.
 */
static size_t
canon_nodes(const struct pcg_profile *p, uint32_t *order, uint32_t *rank)
{
	uint32_t *fnrank = pcg_fn_ranks(p), *start = ecalloc(p->nnode + 1, sizeof(*start)), *child;
	size_t i, k, nk = 0, big = 0, n = 0, sp, cap = 64, *stack, *end;
	struct sib *tmp;

	for (i = 1; i < p->nnode; i++)
		if (!pcg_rec(&p->node[i]))
			start[p->node[i].parent]++, nk++;
	for (i = 0, k = 0; i <= p->nnode - 1; i++) { /* group ends */
		if (start[i] > big)
			big = start[i];
		start[i] = k += start[i];
	}
	start[p->nnode] = nk;
	child = ereallocarray(NULL, nk + 1, sizeof(*child));
	for (i = p->nnode; i-- > 1;)
		if (!pcg_rec(&p->node[i]))
			child[--start[p->node[i].parent]] = i; /* start[] becomes the group starts */
	tmp = ereallocarray(NULL, big + 1, sizeof(*tmp));
	for (i = 0; i < p->nnode; i++)
		if (start[i + 1] - start[i] > 1)
			sortsibs(p, fnrank, child, start[i], start[i + 1], tmp);
	free(tmp);
	/* Depth first from the roots (parent 0's group, in thread order). */
	stack = ereallocarray(NULL, cap, sizeof(*stack));
	end = ereallocarray(NULL, cap, sizeof(*end));
	stack[0] = start[0];
	end[0] = start[1];
	for (sp = 1; sp;) {
		uint32_t id;
		if (stack[sp - 1] == end[sp - 1]) {
			sp--;
			continue;
		}
		id = child[stack[sp - 1]++];
		order[n++] = id;
		if (start[id] == start[id + 1])
			continue;
		if (sp == cap) {
			cap *= 2;
			stack = ereallocarray(stack, cap, sizeof(*stack));
			end = ereallocarray(end, cap, sizeof(*end));
		}
		stack[sp] = start[id];
		end[sp++] = start[id + 1];
	}
	for (i = 0; i < n; i++)
		rank[order[i]] = i + 1;
	free(stack);
	free(end);
	free(child);
	free(start);
	free(fnrank);
	return n;
}

void
pcg_canon(const struct pcg_profile *p, uint32_t **orderp, uint32_t **rankp)
{
	uint32_t *order = ereallocarray(NULL, p->nnode, sizeof(*order));
	uint32_t *rank = ecalloc(p->nnode, sizeof(*rank));
	struct pcg_key *key, *tmp, *rk;
	size_t i, j, nn, nr = 0, out;

	nn = canon_nodes(p, order, rank);
	key = ereallocarray(NULL, p->nnode - nn, sizeof(*key)); /* the rec edges */
	for (i = 1; i < p->nnode; i++) {
		const struct pcg_node *nd = &p->node[i];
		if (pcg_rec(nd))
			key[nr++] = nodekey(nd->thread, rank[nd->parent], rank[nd->target], nd->line, i);
	}
	tmp = ereallocarray(NULL, nr + 1, sizeof(*tmp));
	rk = pcg_keysort(key, tmp, nr);
	/* Each thread's nodes, then its rec edges: merged from the back, in
	 * place (no second array of every node at the writer's peak). */
	for (i = nn, j = nr, out = nn + nr; j > 0; ) {
		if (i > 0 && p->node[order[i - 1]].thread > THREAD(rk[j - 1]))
			order[--out] = order[--i];
		else
			order[--out] = rk[--j].id;
	}
	free(key);
	free(tmp);
	*orderp = order;
	*rankp = rank;
}

static void
putfn(struct wbuf *w, const struct pcg_profile *p, uint32_t fn, uint32_t *fnout, uint32_t *nfnout, size_t *lines)
{
	const struct pcg_fn *f = &p->fn[fn];
	FILE *fp = w->fp;

	if (fnout[fn])
		return;
	wflush(w);
	fnout[fn] = ++*nfnout;
	fprintf(fp, "fn\t%u\t%s", fnout[fn], f->kind == PCG_C ? "c" : "py");
	putfield(fp, f->module);
	putfield(fp, f->file);
	fprintf(fp, "\t%u", f->line);
	putfield(fp, f->name);
	fputc('\n', fp);
	++*lines;
}

static void
putheader(FILE *fp, const struct pcg_profile *p, size_t *lines)
{
	size_t i, j;

	fprintf(fp, "pcg\t%d\tprofile\n", p->lines ? PCG_VERSION_LINES : PCG_VERSION);
	for (i = 0; i < p->nmeta; i++) {
		fputs("meta", fp);
		putfield(fp, p->meta[i].key);
		for (j = 0; j < p->meta[i].nval; j++)
			putfield(fp, p->meta[i].val[j]);
		fputc('\n', fp);
	}
	for (i = 0; i < p->ncost; i++) {
		fputs("cost", fp);
		putfield(fp, p->costname[i]);
		putfield(fp, p->costunit[i]);
		fputc('\n', fp);
	}
	*lines = 1 + p->nmeta + p->ncost;
}

int
pcg_write(const struct pcg_profile *p, FILE *fp)
{
	uint32_t *order, *rank, *fnout = ecalloc(p->nfn, sizeof(*fnout)), nfnout = 0;
	uint32_t *lidx = NULL, *lstart = NULL;
	size_t i = 0, lines, t, n = p->nnode - 1;
	struct wbuf w = { fp, emalloc(BUFMAX), 0 };
	char *s;

	pcg_canon(p, &order, &rank);
	if (p->lines)
		lidx = pcg_line_index(p, &lstart);
	putheader(fp, p, &lines);
	for (t = 1; t < p->nthread; t++) {
		fprintf(fp, "thread\t%zu\t%llu", t, (unsigned long long)p->thread[t].native);
		putfield(fp, p->thread[t].name);
		fputc('\n', fp);
		lines++;
		for (; i < n && p->node[order[i]].thread == t; i++) {
			const struct pcg_node *nd = &p->node[order[i]];
			putfn(&w, p, nd->fn, fnout, &nfnout, &lines);
			putnode(&w, p, order[i], rank, fnout);
			lines++;
			if (lidx && !pcg_rec(nd))
				lines += putlines(&w, p, order[i], rank[order[i]], lidx, lstart);
		}
		wflush(&w);
	}
	s = w.buf;
	memcpy(s, "end", 3);
	s = putcosts(putnum(s + 3, lines), p->duration, p->ncost);
	*s++ = '\n';
	w.n = s - w.buf;
	wflush(&w);
	free(w.buf);
	free(order);
	free(rank);
	free(fnout);
	free(lidx);
	free(lstart);
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

/* Canonical writer of the profile layer, and string escaping. */
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

void
pcg_put_str(FILE *fp, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c != 0x7f && c != '\\')
			continue;
		fwrite(s + run, 1, i - run, fp);
		run = i + 1;
		fputc('\\', fp);
		switch (c) {
		case '\\': fputc('\\', fp); break;
		case '\t': fputc('t', fp); break;
		case '\n': fputc('n', fp); break;
		case '\r': fputc('r', fp); break;
		default:
			fputc('x', fp);
			fputc(hex[c >> 4], fp);
			fputc(hex[c & 15], fp);
		}
	}
	fwrite(s + run, 1, len - run, fp);
}

static void
putfield(FILE *fp, struct pcg_str s)
{
	fputc('\t', fp);
	pcg_put_str(fp, s.s, s.len);
}

/* TAB and a decimal number: printf's generality costs a quarter of a write. */
static void
putnum(FILE *fp, uint64_t v)
{
	char buf[24], *e = buf + sizeof(buf), *s = e;

	do
		*--s = '0' + v % 10;
	while (v /= 10);
	*--s = '\t';
	fwrite(s, 1, e - s, fp);
}

static void
putcosts(FILE *fp, const uint64_t *v, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		putnum(fp, v[k]);
}

/* Sort key of a node: everything canonical order needs, as integers. */
struct nodekey {
	uint32_t thread, parent, fnrank, line, id;
};

static int
keycmp(const void *a, const void *b)
{
	const struct nodekey *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	if (x->fnrank != y->fnrank)
		return x->fnrank < y->fnrank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return 0;
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

/* Depth-first walk of one thread's nodes; keys sorted, first[] per parent. */
static size_t
walk(const struct nodekey *key, size_t lo, size_t hi, const size_t *first, const size_t *nchild,
    uint32_t *order, size_t n)
{
	size_t *stack, *end, sp = 0, cap = 64;

	stack = ereallocarray(NULL, cap, sizeof(*stack));
	end = ereallocarray(NULL, cap, sizeof(*end));
	stack[0] = lo;
	end[0] = hi;
	sp = 1;
	while (sp) {
		size_t i = stack[sp - 1];
		uint32_t id;
		if (i == end[sp - 1]) {
			sp--;
			continue;
		}
		stack[sp - 1]++;
		id = key[i].id;
		order[n++] = id;
		if (!nchild[id])
			continue;
		if (sp == cap) {
			cap *= 2;
			stack = ereallocarray(stack, cap, sizeof(*stack));
			end = ereallocarray(end, cap, sizeof(*end));
		}
		stack[sp] = first[id];
		end[sp] = first[id] + nchild[id];
		sp++;
	}
	free(stack);
	free(end);
	return n;
}

struct reckey {
	uint32_t thread, parent, target, line, id;
};

static int
reccmp(const void *a, const void *b)
{
	const struct reckey *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* Non-rec nodes depth first, per thread; rank[] = their output ids. */
static size_t
canon_nodes(const struct pcg_profile *p, uint32_t *order, uint32_t *rank)
{
	uint32_t *fnrank = pcg_fn_ranks(p);
	struct nodekey *key = ereallocarray(NULL, p->nnode, sizeof(*key));
	size_t *first = ecalloc(p->nnode, sizeof(*first));
	size_t *nchild = ecalloc(p->nnode, sizeof(*nchild));
	size_t i, r, nk = 0, n = 0;

	for (i = 1; i < p->nnode; i++) {
		const struct pcg_node *nd = &p->node[i];
		if (!nd->rec) {
			struct nodekey k = { nd->thread, nd->parent, fnrank[nd->fn], nd->line, i };
			key[nk++] = k;
		}
	}
	qsort(key, nk, sizeof(*key), keycmp);
	for (i = nk; i-- > 0;)
		if (key[i].parent) {
			first[key[i].parent] = i;
			nchild[key[i].parent]++;
		}
	/* A thread's roots (parent 0) lead its run of sorted keys. */
	for (i = 0; i < nk; i = r) {
		for (r = i; r < nk && key[r].thread == key[i].thread && key[r].parent == 0; r++)
			;
		n = walk(key, i, r, first, nchild, order, n);
		for (r = i; r < nk && key[r].thread == key[i].thread; r++)
			;
	}
	for (i = 0; i < n; i++)
		rank[order[i]] = i + 1;
	free(fnrank);
	free(key);
	free(first);
	free(nchild);
	return n;
}

void
pcg_canon(const struct pcg_profile *p, uint32_t **orderp, uint32_t **rankp)
{
	uint32_t *order = ereallocarray(NULL, p->nnode, sizeof(*order));
	uint32_t *rank = ecalloc(p->nnode, sizeof(*rank));
	uint32_t *nodes = ereallocarray(NULL, p->nnode, sizeof(*nodes));
	struct reckey *rk = ereallocarray(NULL, p->nnode, sizeof(*rk));
	size_t i, j = 0, nn, nr = 0, out = 0;

	nn = canon_nodes(p, nodes, rank);
	for (i = 1; i < p->nnode; i++) {
		const struct pcg_node *nd = &p->node[i];
		if (nd->rec) {
			struct reckey k = { nd->thread, rank[nd->parent], rank[nd->target], nd->line, i };
			rk[nr++] = k;
		}
	}
	qsort(rk, nr, sizeof(*rk), reccmp);
	/* Interleave: each thread's nodes, then its rec edges. */
	for (i = 0; i < nn || j < nr;) {
		uint32_t t = i < nn ? p->node[nodes[i]].thread : rk[j].thread;
		if (j < nr && rk[j].thread < t)
			t = rk[j].thread;
		while (i < nn && p->node[nodes[i]].thread == t)
			order[out++] = nodes[i++];
		while (j < nr && rk[j].thread == t)
			order[out++] = rk[j++].id;
	}
	free(nodes);
	free(rk);
	*orderp = order;
	*rankp = rank;
}

static void
putfn(FILE *fp, const struct pcg_profile *p, uint32_t fn, uint32_t *fnout, uint32_t *nfnout, size_t *lines)
{
	const struct pcg_fn *f = &p->fn[fn];

	if (fnout[fn])
		return;
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

	fprintf(fp, "pcg\t%d\tprofile\n", PCG_VERSION);
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
	size_t i = 0, lines, t, n = p->nnode - 1;

	pcg_canon(p, &order, &rank);
	putheader(fp, p, &lines);
	for (t = 1; t < p->nthread; t++) {
		fprintf(fp, "thread\t%zu\t%llu", t, (unsigned long long)p->thread[t].native);
		putfield(fp, p->thread[t].name);
		fputc('\n', fp);
		lines++;
		for (; i < n && p->node[order[i]].thread == t; i++) {
			const struct pcg_node *nd = &p->node[order[i]];
			putfn(fp, p, nd->fn, fnout, &nfnout, &lines);
			if (nd->rec) {
				fputs("rec", fp);
				putnum(fp, rank[nd->parent]);
				putnum(fp, rank[nd->target]);
			} else {
				fputs("node", fp);
				putnum(fp, rank[order[i]]);
				putnum(fp, rank[nd->parent]);
				putnum(fp, fnout[nd->fn]);
			}
			putnum(fp, nd->line);
			putnum(fp, nd->calls);
			putcosts(fp, pcg_incl(p, order[i]), p->ncost);
			if (!nd->rec)
				putcosts(fp, pcg_self(p, order[i]), p->ncost);
			fputc('\n', fp);
			lines++;
		}
	}
	fprintf(fp, "end\t%zu", lines);
	putcosts(fp, p->duration, p->ncost);
	fputc('\n', fp);
	free(order);
	free(rank);
	free(fnout);
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

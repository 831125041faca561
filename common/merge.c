/*
 * Merging profiles: pcg-merge, and pcg-emit given several inputs, so that
 * `pcg-emit a b` and `pcg-merge a b | pcg-emit` agree.
 *
 * Inputs are read one at a time into a scratch profile and folded into the
 * output profile, so memory follows the merged tree, not the number of inputs.
 * Everything the output holds is derived from the inputs' contents, never
 * from their order: threads are sorted by a key made of their names, meta
 * records are sorted, costs are sums, and the canonical writer orders the
 * rest.  Merging is thus associative and commutative, byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

/* Name of the one thread of --threads=join when its threads' names differ. */
#define JOINNAME "(all threads)"

static int
iskey(const struct pcg_meta *m, const char *key)
{
	return pcg_str_eq(m->key, pcg_cstr(key));
}

static struct pcg_str
strcopy(struct pcg_str s)
{
	struct pcg_str r = { emalloc(s.len + 1), s.len };

	memcpy(r.s, s.s, s.len);
	r.s[s.len] = '\0';
	return r;
}

static void
addv(uint64_t *to, const uint64_t *v, size_t n, const char *path)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (to[k] > UINT64_MAX - v[k])
			eprintf("%s: a sum of counts or costs overflows 64 bits", path);
		to[k] += v[k];
	}
}

static void
costlist(char *buf, size_t len, const struct pcg_profile *p)
{
	size_t k, n = 0;

	buf[0] = '\0';
	for (k = 0; k < p->ncost && n < len; k++)
		n += snprintf(buf + n, len - n, "%s%s/%s", k ? " " : "", p->costname[k].s,
		    p->costunit[k].s);
}

/* The first input sets the cost columns; the others must have the same. */
static void
checkcosts(struct pcg_merge *m, const struct pcg_profile *in, const char *path)
{
	char a[512], b[512];
	size_t k;

	if (!m->first) {
		for (k = 0; k < in->ncost; k++)
			pcg_add_cost(&m->out, in->costname[k].s, in->costunit[k].s);
		m->first = path;
		return;
	}
	for (k = 0; k < in->ncost && in->ncost == m->out.ncost; k++)
		if (!pcg_str_eq(in->costname[k], m->out.costname[k]) ||
		    !pcg_str_eq(in->costunit[k], m->out.costunit[k]))
			break;
	if (k == in->ncost && k == m->out.ncost)
		return;
	costlist(a, sizeof(a), &m->out);
	costlist(b, sizeof(b), in);
	eprintf("%s and %s have different cost columns (%s; %s)", m->first, path, a, b);
}

/* Keys this program writes itself rather than carrying over. */
static int
special(const struct pcg_meta *md)
{
	return iskey(md, "runs") || iskey(md, "run") || iskey(md, "creator") || iskey(md, "mean") ||
	    iskey(md, "incomplete") || iskey(md, "compensation");
}

static int
sameval(const struct pcg_meta *a, const struct pcg_meta *b)
{
	size_t i;

	if (a->nval != b->nval)
		return 0;
	for (i = 0; i < a->nval; i++)
		if (!pcg_str_eq(a->val[i], b->val[i]))
			return 0;
	return 1;
}

/* Do a and b hold the same records of this key, in the same order? */
static int
samekey(const struct pcg_profile *a, const struct pcg_profile *b, struct pcg_str key)
{
	size_t i = 0, j = 0;

	for (;; i++, j++) {
		while (i < a->nmeta && !pcg_str_eq(a->meta[i].key, key))
			i++;
		while (j < b->nmeta && !pcg_str_eq(b->meta[j].key, key))
			j++;
		if (i == a->nmeta || j == b->nmeta)
			return i == a->nmeta && j == b->nmeta;
		if (!sameval(&a->meta[i], &b->meta[j]))
			return 0;
	}
}

static void
freemeta(struct pcg_meta *md)
{
	size_t i;

	free(md->key.s);
	for (i = 0; i < md->nval; i++)
		free(md->val[i].s);
	free(md->val);
}

/* Drop every record of key from p's meta (key must not point into it). */
static void
dropkey(struct pcg_profile *p, struct pcg_str key)
{
	size_t i, n = 0;

	for (i = 0; i < p->nmeta; i++) {
		if (pcg_str_eq(p->meta[i].key, key))
			freemeta(&p->meta[i]);
		else
			p->meta[n++] = p->meta[i];
	}
	p->nmeta = n;
}

/*
 * Other keys survive only if every input has the same records of them: the
 * first input's are the candidates, each later input can only remove some.
 * Presence in all inputs is what keeps this associative.
 */
static void
intersectmeta(struct pcg_merge *m, const struct pcg_profile *in, int firstin)
{
	struct pcg_profile *out = &m->out;
	struct pcg_str key;
	size_t i;

	if (firstin) {
		for (i = 0; i < in->nmeta; i++)
			if (!special(&in->meta[i]))
				pcg_add_meta(out, in->meta[i].key, in->meta[i].val, in->meta[i].nval);
		return;
	}
	for (i = 0; i < out->nmeta;) {
		if (samekey(out, in, out->meta[i].key)) {
			i++;
			continue;
		}
		/* The key's records all sit at i or later: an earlier one would
		 * have compared unequal already. */
		key = strcopy(out->meta[i].key);
		dropkey(out, key);
		free(key.s);
	}
}

/* A copy of the record KEY FIRST VAL... appended to the array *V. */
static void
pushmeta(struct pcg_meta **v, size_t *n, size_t *cap, const char *key,
    const struct pcg_str *first, const struct pcg_str *val, size_t nval)
{
	struct pcg_meta *r;
	size_t i, k = first != NULL;

	egrow((void **)v, cap, *n, sizeof(**v));
	r = &(*v)[(*n)++];
	r->key = strcopy(pcg_cstr(key));
	r->nval = k + nval;
	r->val = ereallocarray(NULL, r->nval, sizeof(*r->val));
	if (first)
		r->val[0] = strcopy(*first);
	for (i = 0; i < nval; i++)
		r->val[k + i] = strcopy(val[i]);
}

/* Add a run record: pid, then the command line. */
static void
addrun(struct pcg_merge *m, struct pcg_str pid, const struct pcg_str *cmd, size_t ncmd)
{
	pushmeta(&m->run, &m->nrun, &m->caprun, "run", &pid, cmd, ncmd);
}

/* Every distinct record of KEY in IN joins *V; returns how many IN has. */
static size_t
folddistinct(struct pcg_meta **v, size_t *n, size_t *cap, const struct pcg_profile *in, const char *key)
{
	size_t i, j, had = 0;

	for (i = 0; i < in->nmeta; i++) {
		if (!iskey(&in->meta[i], key))
			continue;
		had++;
		for (j = 0; j < *n && !sameval(&(*v)[j], &in->meta[i]); j++)
			;
		if (j == *n)
			pushmeta(v, n, cap, key, NULL, in->meta[i].val, in->meta[i].nval);
	}
	return had;
}

/*
 * A profile that missed calls stays marked, whatever it is merged with.
 * Each run's compensation (measured at its start) is kept, one record per
 * distinct measurement; runs with it and runs without (pcg-trace --raw)
 * do not merge: the sum would be neither, and say nothing of which.  A run
 * that recorded nothing (a process killed while it started) has no cost to
 * be either, and merges with both.
 */
static void
foldflags(struct pcg_merge *m, const struct pcg_profile *in, const char *path)
{
	int comp;

	folddistinct(&m->inc, &m->ninc, &m->capinc, in, "incomplete");
	comp = folddistinct(&m->comp, &m->ncomp, &m->capcomp, in, "compensation") > 0;
	if (!comp && in->nnode <= 1)
		return;
	if (m->compfrom && comp != m->comp_on)
		eprintf("%s is compensated, %s is not (pcg-trace --raw): merge profiles recorded alike",
		    comp ? path : m->compfrom, comp ? m->compfrom : path);
	if (!m->compfrom) {
		m->compfrom = path;
		m->comp_on = comp;
	}
}

/*
 * An input without `runs` is one run: its pid and cmd make its run record.
 * A merged input brings its own runs and run records, which must agree.
 * Meta records are lines 2, 3, ... of a stream: errors can name the line.
 * Returns whether the input is merged.
 */
static int
foldruns(struct pcg_merge *m, const struct pcg_profile *in, const char *path)
{
	const struct pcg_meta *md, *pid = pcg_find_meta(in, "pid"), *cmd = pcg_find_meta(in, "cmd");
	uint64_t runs = 1, nrun = 0;
	int merged = 0;
	size_t i;

	for (i = 0; i < in->nmeta; i++) {
		md = &in->meta[i];
		if (iskey(md, "mean"))
			eprintf("%s:%zu: averaged by pcg-merge --mean: merge the summed profiles instead",
			    path, i + 2);
		nrun += iskey(md, "run");
		if (!iskey(md, "runs"))
			continue;
		if (merged)
			eprintf("%s:%zu: meta runs repeated", path, i + 2);
		if (md->nval != 1 || parse_u64(md->val[0].s, md->val[0].len, &runs) < 0 || !runs)
			eprintf("%s:%zu: meta runs: not a positive number", path, i + 2);
		merged = 1;
	}
	if (!merged && nrun)
		eprintf("%s: meta run records without meta runs", path);
	if (merged && nrun != runs)
		eprintf("%s: meta runs is %llu but there are %llu run records", path,
		    (unsigned long long)runs, (unsigned long long)nrun);
	if (m->runs > UINT64_MAX - runs)
		eprintf("%s: too many runs", path);
	m->runs += runs;
	if (!merged) {
		addrun(m, pid ? pid->val[0] : pcg_cstr(""), cmd ? cmd->val : NULL, cmd ? cmd->nval : 0);
		return 0;
	}
	for (i = 0; i < in->nmeta; i++) {
		md = &in->meta[i];
		if (iskey(md, "run"))
			addrun(m, md->val[0], md->val + 1, md->nval - 1);
	}
	return 1;
}

/* Output threads are ordered, and in name and keep mode found, by this key. */
static int
threadcmp(const struct pcg_merge *m, const struct pcg_thread *a, const struct pcg_thread *b)
{
	int c = pcg_str_cmp(a->name, b->name);

	if (c || m->threads != PCG_THREADS_KEEP)
		return c;
	return (a->native > b->native) - (a->native < b->native);
}

/* Each field stays if equal, else takes a fixed value: associative. */
static uint32_t
combine(struct pcg_profile *out, uint32_t id, const struct pcg_thread *t)
{
	struct pcg_thread *o = &out->thread[id];

	if (o->native != t->native)
		o->native = 0;
	if (!pcg_str_eq(o->name, t->name)) {
		free(o->name.s);
		o->name = strcopy(pcg_cstr(JOINNAME));
	}
	return id;
}

static uint32_t
mapthread(struct pcg_merge *m, struct pcg_str name, uint64_t native)
{
	struct pcg_thread key = { name, native };
	size_t lo = 0, hi = m->nord, mid;
	uint32_t id;
	int c;

	if (m->threads == PCG_THREADS_JOIN && m->nord)
		return combine(&m->out, m->ord[0], &key);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (!(c = threadcmp(m, &key, &m->out.thread[m->ord[mid]])))
			return combine(&m->out, m->ord[mid], &key);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	id = pcg_thread_add(&m->out, native, name);
	egrow((void **)&m->ord, &m->capord, m->nord, sizeof(*m->ord));
	memmove(m->ord + lo + 1, m->ord + lo, (m->nord - lo) * sizeof(*m->ord));
	m->ord[lo] = id;
	m->nord++;
	return id;
}

/* In keep mode a single run's threads are labelled PID/NAME (pid unknown: ?). */
static void
mapthreads(struct pcg_merge *m, const struct pcg_profile *in, int merged)
{
	const struct pcg_meta *pid = pcg_find_meta(in, "pid");
	struct pcg_str p = pid ? pid->val[0] : pcg_cstr("?"), name, label;
	size_t i;

	egrow((void **)&m->tmap, &m->capt, in->nthread, sizeof(*m->tmap));
	for (i = 1; i < in->nthread; i++) {
		name = in->thread[i].name;
		if (m->threads != PCG_THREADS_KEEP || merged) {
			m->tmap[i] = mapthread(m, name, in->thread[i].native);
			continue;
		}
		/* NUL-ended: pcg_thread_add copies one byte past len */
		label.len = p.len + 1 + name.len;
		label.s = emalloc(label.len + 1);
		memcpy(label.s, p.s, p.len);
		label.s[p.len] = '/';
		memcpy(label.s + p.len + 1, name.s, name.len);
		label.s[label.len] = '\0';
		m->tmap[i] = mapthread(m, label, in->thread[i].native);
		free(label.s);
	}
}

/*
 * A node maps onto the output node of the same mapped thread, mapped parent,
 * function and line; a rec edge maps its parent and target.  The reader and
 * the aggregator give parents and targets smaller ids than what refers to
 * them, so one pass in id order finds every mapping it needs.
 */
/*
 * The lookups of a big input miss the cache each: ask for the slot of node
 * i + AHEAD already, when its parent (and target) are mapped by then, as
 * they are for most nodes in canonical order.
 */
#define AHEAD 8

static void
prefetch(const struct pcg_merge *m, const struct pcg_profile *in, size_t i, size_t before)
{
	const struct pcg_node *n = &in->node[i];
	struct pcg_node k = { 0 };

	if (n->parent >= before || n->target >= before)
		return;
	k.thread = m->tmap[n->thread];
	k.parent = m->nmap[n->parent];
	k.line = n->line;
	if (pcg_rec(n))
		k.target = m->nmap[n->target];
	else
		k.fn = m->fmap[n->fn];
	pcg_node_prefetch(&m->out, &k);
}

static void
foldnodes(struct pcg_merge *m, const struct pcg_profile *in, const char *path)
{
	struct pcg_profile *out = &m->out;
	size_t i;
	uint32_t id;
	uint64_t c;

	egrow((void **)&m->nmap, &m->capn, in->nnode, sizeof(*m->nmap));
	m->nmap[0] = 0;
	for (i = 1; i < in->nnode; i++) {
		const struct pcg_node *n = &in->node[i];
		if (n->parent >= i || n->target >= i)
			eprintf("%s: node %zu precedes its parent or target", path, i);
		if (i + AHEAD < in->nnode)
			prefetch(m, in, i + AHEAD, i);
		if (pcg_rec(n))
			id = pcg_rec_get(out, m->tmap[n->thread], m->nmap[n->parent],
			    m->nmap[n->target], n->line);
		else
			id = pcg_node_get(out, m->tmap[n->thread], m->nmap[n->parent],
			    m->fmap[n->fn], n->line);
		m->nmap[i] = id;
		c = pcg_calls(out, id);
		addv(&c, &(uint64_t){ pcg_calls(in, i) }, 1, path);
		pcg_calls_set(out, id, c);
		/* incl and self lie side by side */
		addv(pcg_incl(out, id), pcg_incl(in, i), 2 * in->ncost, path);
	}
	if (!in->lines)
		return;
	pcg_lines_on(out);
	for (i = 1; i < in->nline; i++) {
		uint32_t e = pcg_line_get(out, m->nmap[in->lkey[i].node], in->lkey[i].line);
		addv(pcg_lval(out, e), pcg_lval(in, i), in->ncost, path);
	}
}

/*
 * With line costs, a node's self that no input gave lines for (a version 1
 * input, or a node without line records) is on its function's first line:
 * there it goes, so that every node's lines add up to its self.
 */
static void
materialise(struct pcg_profile *out)
{
	size_t i, k, K = out->ncost;
	uint64_t *sum = ecalloc(out->nnode * K + 1, sizeof(*sum)), rest[PCG_MAXCOST];

	for (i = 1; i < out->nline; i++)
		for (k = 0; k < K; k++)
			sum[out->lkey[i].node * K + k] += pcg_lval(out, i)[k];
	for (i = 1; i < out->nnode; i++) {
		int any = 0;
		for (k = 0; !pcg_rec(&out->node[i]) && k < K; k++)
			any |= (rest[k] = pcg_self(out, i)[k] - sum[i * K + k]) != 0;
		if (any)
			pcg_line_add(out, i, out->fn[out->node[i].fn].line, rest);
	}
	free(sum);
}

void
pcg_merge_read(struct pcg_merge *m, const char *path, const struct pcg_readopt *o)
{
	struct pcg_profile in;
	int firstin = !m->first, merged;
	size_t i;

	pcg_init(&in);
	pcg_read_path(&in, path, o);
	checkcosts(m, &in, path);
	merged = foldruns(m, &in, path);
	intersectmeta(m, &in, firstin);
	foldflags(m, &in, path);
	egrow((void **)&m->fmap, &m->capf, in.nfn, sizeof(*m->fmap));
	for (i = 1; i < in.nfn; i++)
		m->fmap[i] = pcg_fn_intern(&m->out, &in.fn[i]);
	mapthreads(m, &in, merged);
	foldnodes(m, &in, path);
	/* Durations add up like the costs they bound. */
	addv(m->out.duration, in.duration, in.ncost, path);
	pcg_free(&in);
}

/*
 * Renumber out's threads in key order, so that the writer, which keeps the
 * stored order, never shows the order of the inputs.  This leaves out's node
 * table stale (the thread is part of a node's key): only writing may follow.
 */
static void
sortthreads(struct pcg_merge *m)
{
	struct pcg_profile *out = &m->out;
	struct pcg_thread *t = ereallocarray(NULL, out->nthread, sizeof(*t));
	uint32_t *newid = ecalloc(out->nthread, sizeof(*newid));
	size_t i;

	for (i = 0; i < m->nord; i++) {
		newid[m->ord[i]] = i + 1;
		t[i + 1] = out->thread[m->ord[i]];
	}
	memcpy(out->thread + 1, t + 1, m->nord * sizeof(*t));
	for (i = 1; i < out->nnode; i++)
		out->node[i].thread = newid[out->node[i].thread];
	free(t);
	free(newid);
}

/* Nearest integer to s/n, halves rounded up; no overflow. */
static uint64_t
divround(uint64_t s, uint64_t n)
{
	uint64_t q = s / n, r = s % n;

	return q + (r >= n - r);
}

/*
 * A node's line costs averaged as running totals: each line gets the
 * rounded mean of the total up to it less that of the total before it, so
 * that they add up to the rounded mean of the node's self, exactly.
 */
static void
averagelines(struct pcg_profile *out, uint64_t runs)
{
	uint32_t *start, *idx = pcg_line_index(out, &start);
	size_t i, j, k, K = out->ncost;

	for (i = 1; i < out->nnode; i++)
		for (k = 0; k < K; k++) {
			uint64_t run = 0, before = 0, now;
			for (j = start[i]; j < start[i + 1]; j++) {
				uint64_t *v = &pcg_lval(out, idx[j])[k];
				run += *v;
				now = divround(run, runs);
				*v = now - before;
				before = now;
			}
		}
	free(idx);
	free(start);
}

static void
average(struct pcg_profile *out, uint64_t runs)
{
	size_t i, k, w = 2 * out->ncost;

	for (i = 1; i < out->nnode; i++) {
		uint64_t *c = pcg_incl(out, i);
		pcg_calls_set(out, i, divround(pcg_calls(out, i), runs));
		for (k = 0; k < w; k++)
			c[k] = divround(c[k], runs);
	}
	for (k = 0; k < out->ncost; k++)
		out->duration[k] = divround(out->duration[k], runs);
}

/* Values in order, bytes first; a prefix is smaller. */
static int
valcmp(const struct pcg_meta *a, const struct pcg_meta *b)
{
	size_t i;
	int c;

	for (i = 0; i < a->nval && i < b->nval; i++)
		if ((c = pcg_str_cmp(a->val[i], b->val[i])))
			return c;
	return (a->nval > b->nval) - (a->nval < b->nval);
}

/* Run records by pid as a number (a shorter decimal is smaller), then bytes. */
static int
runcmp(const struct pcg_meta *a, const struct pcg_meta *b)
{
	if (a->val[0].len != b->val[0].len)
		return a->val[0].len < b->val[0].len ? -1 : 1;
	return valcmp(a, b);
}

/* qsort is not stable: carry each record's position as the last key. */
struct mref {
	struct pcg_meta md;
	size_t pos;
};

static int
metacmp(const void *a, const void *b)
{
	const struct mref *x = a, *y = b;
	int c = pcg_str_cmp(x->md.key, y->md.key);

	if (c)
		return c;
	if (iskey(&x->md, "run") && (c = runcmp(&x->md, &y->md)))
		return c;
	if ((iskey(&x->md, "incomplete") || iskey(&x->md, "compensation")) && (c = valcmp(&x->md, &y->md)))
		return c;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

static void
addmeta1(struct pcg_profile *p, const char *key, const char *val)
{
	struct pcg_str v = pcg_cstr(val);

	pcg_add_meta(p, pcg_cstr(key), &v, 1);
}

/* The *N records of V become out's; V is left empty. */
static void
movemeta(struct pcg_profile *out, struct pcg_meta *v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		egrow((void **)&out->meta, &out->capmeta, out->nmeta, sizeof(*out->meta));
		out->meta[out->nmeta++] = v[i];
	}
	*n = 0;
}

/* The surviving meta, creator, runs, mean, the run, incomplete and
 * compensation records, sorted by key. */
static void
finishmeta(struct pcg_merge *m)
{
	struct pcg_profile *out = &m->out;
	struct mref *r;
	char num[32];
	size_t i;

	addmeta1(out, "creator", "pcg-merge " PCG_VERSION_STRING);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)m->runs);
	addmeta1(out, "runs", num);
	if (m->mean)
		addmeta1(out, "mean", num);
	movemeta(out, m->run, &m->nrun);
	movemeta(out, m->inc, &m->ninc);
	movemeta(out, m->comp, &m->ncomp);
	r = ereallocarray(NULL, out->nmeta, sizeof(*r));
	for (i = 0; i < out->nmeta; i++) {
		r[i].md = out->meta[i];
		r[i].pos = i;
	}
	qsort(r, out->nmeta, sizeof(*r), metacmp);
	for (i = 0; i < out->nmeta; i++)
		out->meta[i] = r[i].md;
	free(r);
}

void
pcg_merge_init(struct pcg_merge *m, int threads, int mean)
{
	memset(m, 0, sizeof(*m));
	pcg_init(&m->out);
	m->threads = threads;
	m->mean = mean;
}

void
pcg_merge_end(struct pcg_merge *m)
{
	sortthreads(m);
	if (m->out.lines)
		materialise(&m->out);
	if (m->mean && m->out.lines)
		averagelines(&m->out, m->runs);
	if (m->mean)
		average(&m->out, m->runs);
	finishmeta(m);
}

void
pcg_merge_free(struct pcg_merge *m)
{
	pcg_free(&m->out);
	free(m->run);
	free(m->inc);
	free(m->comp);
	free(m->ord);
	free(m->fmap);
	free(m->tmap);
	free(m->nmap);
}

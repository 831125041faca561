/* The in-memory profile: function, thread and node tables. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

struct pcg_str
pcg_cstr(const char *s)
{
	struct pcg_str r = { (char *)s, strlen(s) };
	return r;
}

static struct pcg_str
strcopy(struct pcg_str s)
{
	struct pcg_str r = { emalloc(s.len + 1), s.len };

	if (s.len)
		memcpy(r.s, s.s, s.len);
	r.s[s.len] = '\0';
	return r;
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static uint64_t
hashbytes(uint64_t h, struct pcg_str s)
{
	size_t i;

	h = mix(h, s.len);
	for (i = 0; i < s.len; i++)
		h = (h ^ (unsigned char)s.s[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * Probe for the slot of a key: returns the slot holding an id for which
 * eq() is true, or the empty slot where it belongs.
 */
typedef int (*eqfn)(const struct pcg_profile *, uint32_t id, const void *key);
/* The hash of entry id's key, for rebuilding a table. */
typedef uint32_t (*hashfn)(const struct pcg_profile *, uint32_t id);

static uint32_t *
tabprobe(const struct pcg_profile *p, const struct pcg_tab *t, uint32_t h, eqfn eq, const void *key)
{
	size_t mask = t->cap - 1, i = h & mask;

	while (t->slot[i] && !eq(p, t->slot[i], key))
		i = (i + 1) & mask;
	return &t->slot[i];
}

/* Put an id known to be new in t's first free place for its hash. */
static void
tabput(struct pcg_tab *t, uint32_t id, uint32_t h)
{
	size_t j;

	for (j = h & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1))
		;
	t->slot[j] = id;
}

/* An empty table with room for n entries at a load of at most one half;
 * 0 if t has that room already.  The old one goes first: no two coexist. */
static int
tabsize(struct pcg_tab *t, size_t n)
{
	size_t cap;

	if (t->cap && n * 2 < t->cap)
		return 0;
	for (cap = t->cap ? t->cap * 2 : 64; n * 2 >= cap; cap *= 2)
		;
	free(t->slot);
	t->slot = ecalloc(cap, sizeof(*t->slot));
	t->cap = cap;
	return 1;
}

/* Make room for n entries: t holds ids 1 to n-1, rebuilt from their keys. */
static void
tabgrow(const struct pcg_profile *p, struct pcg_tab *t, size_t n, hashfn hash)
{
	uint32_t id;

	if (!tabsize(t, n))
		return;
	for (id = 1; id < n; id++)
		tabput(t, id, hash(p, id));
}

void
pcg_init(struct pcg_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->nfn = p->nthread = p->nnode = 1; /* id 0 means none */
}

static void
freestr(struct pcg_str *s)
{
	free(s->s);
}

void
pcg_free(struct pcg_profile *p)
{
	size_t i, j;

	for (i = 0; i < p->ncost; i++) {
		freestr(&p->costname[i]);
		freestr(&p->costunit[i]);
	}
	for (i = 0; i < p->nmeta; i++) {
		freestr(&p->meta[i].key);
		for (j = 0; j < p->meta[i].nval; j++)
			freestr(&p->meta[i].val[j]);
		free(p->meta[i].val);
	}
	for (i = 1; i < p->nfn; i++) {
		freestr(&p->fn[i].module);
		freestr(&p->fn[i].file);
		freestr(&p->fn[i].name);
	}
	for (i = 1; i < p->nthread; i++)
		freestr(&p->thread[i].name);
	free(p->meta);
	free(p->fn);
	free(p->fntab.slot);
	free(p->thread);
	free(p->node);
	free(p->calls);
	free(p->callshi);
	free(p->cost);
	free(p->nodetab.slot);
	free(p->lkey);
	free(p->lval);
	free(p->linetab.slot);
	memset(p, 0, sizeof(*p));
}

void
pcg_add_cost(struct pcg_profile *p, const char *name, const char *unit)
{
	if (p->ncost == PCG_MAXCOST)
		eprintf("more than %d cost columns", PCG_MAXCOST);
	if (p->nnode > 1)
		eprintf("cost column added after nodes");
	p->costname[p->ncost] = strcopy(pcg_cstr(name));
	p->costunit[p->ncost] = strcopy(pcg_cstr(unit));
	p->ncost++;
	p->agg1 = p->ncost == 1 && !p->lines;
}

void
pcg_lines_on(struct pcg_profile *p)
{
	p->lines = 1;
	p->agg1 = 0;
}

void
pcg_add_meta(struct pcg_profile *p, struct pcg_str key, const struct pcg_str *val, size_t nval)
{
	struct pcg_meta *m;
	size_t i;

	egrow((void **)&p->meta, &p->capmeta, p->nmeta, sizeof(*p->meta));
	m = &p->meta[p->nmeta++];
	m->key = strcopy(key);
	m->nval = nval;
	m->val = ereallocarray(NULL, nval, sizeof(*m->val));
	for (i = 0; i < nval; i++)
		m->val[i] = strcopy(val[i]);
}

/* The index of the cost column called NAME, or -1. */
int
pcg_cost_find(const struct pcg_profile *p, const char *name)
{
	size_t k;

	for (k = 0; k < p->ncost; k++)
		if (pcg_str_eq(p->costname[k], pcg_cstr(name)))
			return (int)k;
	return -1;
}

const struct pcg_meta *
pcg_find_meta(const struct pcg_profile *p, const char *key)
{
	size_t i, n = strlen(key);

	for (i = 0; i < p->nmeta; i++)
		if (p->meta[i].key.len == n && !memcmp(p->meta[i].key.s, key, n))
			return &p->meta[i];
	return NULL;
}

int
pcg_str_eq(struct pcg_str a, struct pcg_str b)
{
	return a.len == b.len && !memcmp(a.s, b.s, a.len);
}

static uint64_t
fnhash(const struct pcg_fn *f)
{
	uint64_t h = mix(f->kind, f->line);

	h = hashbytes(h, f->module);
	h = hashbytes(h, f->file);
	return hashbytes(h, f->name);
}

static int
fneq(const struct pcg_profile *p, uint32_t id, const void *key)
{
	const struct pcg_fn *a = &p->fn[id], *b = key;

	return a->kind == b->kind && a->line == b->line && pcg_str_eq(a->name, b->name) &&
	    pcg_str_eq(a->file, b->file) && pcg_str_eq(a->module, b->module);
}

uint32_t
pcg_fn_find(const struct pcg_profile *p, const struct pcg_fn *f)
{
	if (!p->fntab.cap)
		return 0;
	return *tabprobe(p, &p->fntab, fnhash(f), fneq, f);
}

static uint32_t
fnhash_id(const struct pcg_profile *p, uint32_t id)
{
	return fnhash(&p->fn[id]);
}

uint32_t
pcg_fn_intern(struct pcg_profile *p, const struct pcg_fn *f)
{
	uint32_t *slot;
	struct pcg_fn *n;
	uint32_t id;

	tabgrow(p, &p->fntab, p->nfn, fnhash_id);
	slot = tabprobe(p, &p->fntab, fnhash(f), fneq, f);
	if (*slot)
		return *slot;
	if (p->nfn >= UINT32_MAX - 1)
		eprintf("too many functions");
	egrow((void **)&p->fn, &p->capfn, p->nfn, sizeof(*p->fn));
	id = p->nfn++;
	n = &p->fn[id];
	n->kind = f->kind;
	n->line = f->line;
	n->module = strcopy(f->module);
	n->file = strcopy(f->file);
	n->name = strcopy(f->name);
	*slot = id;
	return id;
}

uint32_t
pcg_thread_add(struct pcg_profile *p, uint64_t native, struct pcg_str name)
{
	uint32_t id;

	if (p->nthread >= UINT32_MAX - 1)
		eprintf("too many threads");
	egrow((void **)&p->thread, &p->capthread, p->nthread, sizeof(*p->thread));
	id = p->nthread++;
	p->thread[id].native = native;
	p->thread[id].name = strcopy(name);
	return id;
}

/* A node's key: (thread, parent, rec, fn for a node or target for a rec, line). */
static uint32_t
nodehash(const struct pcg_node *n)
{
	uint64_t what = pcg_rec(n) ? n->target : n->fn;

	return mix(mix(mix((uint64_t)n->thread << 32 | n->parent, pcg_rec(n)), what), n->line);
}

static int
nodeeq(const struct pcg_profile *p, uint32_t id, const void *key)
{
	const struct pcg_node *a = &p->node[id], *b = key;

	/* a plain node's target is 0; a rec edge's fn is its target's */
	return a->thread == b->thread && a->parent == b->parent && a->line == b->line &&
	    a->target == b->target && (pcg_rec(a) || a->fn == b->fn);
}

/*
 * Append a node to the arrays; the table is the caller's business.  The
 * arrays double without zeroing the room: each node's costs are zeroed as it
 * comes, so that memory never used is never touched.
 */
static uint32_t
newnode(struct pcg_profile *p, const struct pcg_node *key)
{
	size_t cap, w = 2 * (p->ncost ? p->ncost : 1);
	uint32_t id;

	if (p->nnode >= UINT32_MAX - 1)
		eprintf("too many nodes");
	if (p->nnode >= p->capnode) {
		cap = p->capnode ? p->capnode * 2 : 64;
		p->node = ereallocarray(p->node, cap, sizeof(*p->node));
		p->calls = ereallocarray(p->calls, cap, sizeof(*p->calls));
		p->cost = ereallocarray(p->cost, cap, w * sizeof(*p->cost));
		if (!p->capnode) { /* id 0, none, reads as zeros */
			memset(p->node, 0, sizeof(*p->node));
			p->calls[0] = 0;
			memset(p->cost, 0, w * sizeof(*p->cost));
		}
		p->capnode = cap;
	}
	id = p->nnode++;
	p->node[id] = *key;
	p->calls[id] = 0;
	memset(p->cost + id * w, 0, w * sizeof(*p->cost));
	return id;
}

/*
 * Calls past 2^32 - 1: the high bits of the few nodes that have them, in a
 * small table of their own, so that every node's count takes 4 bytes.
 */
static struct pcg_callhi *
callhi(const struct pcg_profile *p, uint32_t id)
{
	size_t mask = p->capcallshi - 1, i = (id * 0x9e3779b1u) & mask;

	while (p->callshi[i].id && p->callshi[i].id != id)
		i = (i + 1) & mask;
	return &p->callshi[i];
}

uint64_t
pcg_calls_slow(const struct pcg_profile *p, uint32_t id)
{
	return (uint64_t)callhi(p, id)->hi << 32 | p->calls[id];
}

/* The table entry of id's high bits, added if new. */
static struct pcg_callhi *
callhi_add(struct pcg_profile *p, uint32_t id)
{
	struct pcg_callhi *old = p->callshi, *h;
	size_t i, cap = p->capcallshi;

	if (2 * (p->ncallshi + 1) > p->capcallshi) {
		p->capcallshi = cap ? 2 * cap : 16;
		p->callshi = ecalloc(p->capcallshi, sizeof(*p->callshi));
		for (i = 0; i < cap; i++)
			if (old[i].id)
				*callhi(p, old[i].id) = old[i];
		free(old);
	}
	if (!(h = callhi(p, id))->id) {
		h->id = id;
		p->ncallshi++;
	}
	return h;
}

void
pcg_calls_set(struct pcg_profile *p, uint32_t id, uint64_t calls)
{
	struct pcg_callhi *h;

	p->calls[id] = (uint32_t)calls;
	if (calls >> 32)
		callhi_add(p, id)->hi = (uint32_t)(calls >> 32);
	else if (p->ncallshi && (h = callhi(p, id))->id)
		h->hi = 0;
}

void
pcg_calls_carry(struct pcg_profile *p, uint32_t id)
{
	struct pcg_callhi *h = callhi_add(p, id);

	if (!++h->hi)
		eprintf("node %" PRIu32 ": more than 2^64 - 1 calls", id);
}

void
pcg_node_unindex(struct pcg_profile *p)
{
	free(p->nodetab.slot);
	memset(&p->nodetab, 0, sizeof(p->nodetab));
}

static uint32_t
nodehash_id(const struct pcg_profile *p, uint32_t id)
{
	return nodehash(&p->node[id]);
}

/* The nodes added by pcg_node_add(), all distinct, are indexed at the
 * first find (the table's first growth). */
static uint32_t
nodeget(struct pcg_profile *p, const struct pcg_node *key)
{
	uint32_t *slot;

	tabgrow(p, &p->nodetab, p->nnode, nodehash_id);
	slot = tabprobe(p, &p->nodetab, nodehash(key), nodeeq, key);
	if (!*slot)
		*slot = newnode(p, key);
	return *slot;
}

void
pcg_node_prefetch(const struct pcg_profile *p, const struct pcg_node *n)
{
#ifdef __GNUC__
	if (p->nodetab.cap)
		__builtin_prefetch(&p->nodetab.slot[nodehash(n) & (p->nodetab.cap - 1)]);
#else
	(void)p;
	(void)n;
#endif
}

uint32_t
pcg_node_add(struct pcg_profile *p, const struct pcg_node *n)
{
	return p->nodetab.cap ? nodeget(p, n) : newnode(p, n);
}

uint32_t
pcg_node_repeat(struct pcg_profile *p)
{
	uint32_t *slot, i;

	if (p->nodetab.cap)
		return 0;
	tabsize(&p->nodetab, p->nnode);
	for (i = 1; i < p->nnode; i++) {
		slot = tabprobe(p, &p->nodetab, nodehash(&p->node[i]), nodeeq, &p->node[i]);
		if (*slot) {
			pcg_node_unindex(p); /* half built: a later find builds it whole */
			return i;
		}
		*slot = i;
	}
	return 0;
}

uint32_t
pcg_node_get(struct pcg_profile *p, uint32_t thread, uint32_t parent, uint32_t fn, uint32_t line)
{
	struct pcg_node k = { thread, parent, fn, line, 0 };

	return nodeget(p, &k);
}

uint32_t
pcg_rec_get(struct pcg_profile *p, uint32_t thread, uint32_t parent, uint32_t target, uint32_t line)
{
	struct pcg_node k = { thread, parent, p->node[target].fn, line, target };

	return nodeget(p, &k);
}

int
pcg_str_cmp(struct pcg_str a, struct pcg_str b)
{
	int c = memcmp(a.s, b.s, a.len < b.len ? a.len : b.len);

	if (c)
		return c;
	return (a.len > b.len) - (a.len < b.len);
}

int
pcg_fn_cmp(const struct pcg_fn *a, const struct pcg_fn *b)
{
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if ((c = pcg_str_cmp(a->module, b->module)) || (c = pcg_str_cmp(a->file, b->file)))
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return pcg_str_cmp(a->name, b->name);
}

uint64_t *
pcg_outer(const struct pcg_profile *p)
{
	size_t i, k, K = p->ncost;
	uint64_t *o = ecalloc(p->nnode * K + 1, sizeof(*o));

	for (i = 1; i < p->nnode; i++)
		for (k = 0; k < K; k++) {
			if (!pcg_rec(&p->node[i]))
				o[i * K + k] += pcg_self(p, i)[k];
			if (p->node[i].parent)
				o[p->node[i].parent * K + k] += pcg_incl(p, i)[k];
		}
	return o;
}

static uint32_t
linehash(uint32_t node, uint32_t line)
{
	return mix((uint64_t)node << 32 | line, 0x5bd1e995);
}

static int
lineeq(const struct pcg_profile *p, uint32_t e, const void *key)
{
	const struct pcg_linekey *a = &p->lkey[e], *b = key;

	return a->node == b->node && a->line == b->line;
}

/* Entries are (node, line) keys in one array and their values in another,
 * ncost each: a line event touches one key and one value, no pointers. */
static uint32_t
newline(struct pcg_profile *p, uint32_t node, uint32_t line)
{
	struct pcg_linekey k = { node, line };
	size_t cap, K = p->ncost ? p->ncost : 1;
	uint32_t e;

	if (!p->nline)
		p->nline = 1; /* id 0 means none */
	if (p->nline >= UINT32_MAX - 1)
		eprintf("too many line entries");
	if (p->nline >= p->capline) {
		cap = p->capline ? p->capline * 2 : 64;
		p->lkey = ereallocarray(p->lkey, cap, sizeof(*p->lkey));
		p->lval = ereallocarray(p->lval, cap, K * sizeof(*p->lval));
		p->capline = cap;
	}
	e = p->nline++;
	p->lkey[e] = k;
	memset(p->lval + (size_t)e * K, 0, K * sizeof(*p->lval));
	return e;
}

static uint32_t
linehash_id(const struct pcg_profile *p, uint32_t e)
{
	return linehash(p->lkey[e].node, p->lkey[e].line);
}

/* The entries added by pcg_line_append(), all distinct, are indexed at
 * the first get (the table's first growth). */
uint32_t
pcg_line_get(struct pcg_profile *p, uint32_t node, uint32_t line)
{
	struct pcg_linekey k = { node, line };
	uint32_t *slot;

	tabgrow(p, &p->linetab, p->nline ? p->nline : 1, linehash_id);
	slot = tabprobe(p, &p->linetab, linehash(node, line), lineeq, &k);
	if (!*slot)
		*slot = newline(p, node, line);
	return *slot;
}

void
pcg_line_append(struct pcg_profile *p, uint32_t node, uint32_t line, const uint64_t *v)
{
	uint32_t e;

	if (p->linetab.cap) {
		pcg_line_add(p, node, line, v);
		return;
	}
	e = newline(p, node, line);
	memcpy(pcg_lval(p, e), v, p->ncost * sizeof(*v));
}

void
pcg_line_add(struct pcg_profile *p, uint32_t node, uint32_t line, const uint64_t *v)
{
	uint64_t *to = pcg_lval(p, pcg_line_get(p, node, line));
	size_t k;

	for (k = 0; k < p->ncost; k++)
		to[k] += v[k];
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Sort the entry ids of one node by line: a few, mostly in order already. */
static void
sortrun(const struct pcg_profile *p, uint32_t *id, size_t n)
{
	uint64_t *v;
	size_t i, j;

	if (n <= 32) {
		for (i = 1; i < n; i++) {
			uint32_t x = id[i], l = p->lkey[x].line;
			for (j = i; j > 0 && p->lkey[id[j - 1]].line > l; j--)
				id[j] = id[j - 1];
			id[j] = x;
		}
		return;
	}
	v = ereallocarray(NULL, n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = (uint64_t)p->lkey[id[i]].line << 32 | id[i];
	qsort(v, n, sizeof(*v), u64cmp);
	for (i = 0; i < n; i++)
		id[i] = (uint32_t)v[i];
	free(v);
}

/* A counting sort by node, then each node's entries by line: 4 bytes an
 * entry and a node, where sorting whole keys took 40 an entry. */
uint32_t *
pcg_line_index(const struct pcg_profile *p, uint32_t **startp)
{
	uint32_t *start = ecalloc(p->nnode + 1, sizeof(*start)), *idx;
	size_t e, i, n = p->nline > 1 ? p->nline - 1 : 0;

	for (e = 1; e <= n; e++)
		start[p->lkey[e].node]++;
	for (i = 0, e = 0; i <= p->nnode; i++) { /* counts to ends */
		e += start[i];
		start[i] = e;
	}
	idx = ereallocarray(NULL, n + 1, sizeof(*idx));
	for (e = n; e >= 1; e--)
		idx[--start[p->lkey[e].node]] = e; /* ends become starts, runs in id order */
	for (i = 1; i < p->nnode; i++)
		if (start[i + 1] - start[i] > 1)
			sortrun(p, idx + start[i], start[i + 1] - start[i]);
	*startp = start;
	return idx;
}

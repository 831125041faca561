/*
 * pcg-emit: write pcg streams (either layer) in the callgrind format read by
 * KCachegrind and callgrind_annotate.
 *
 * Both readers take a function's inclusive cost from the sum of its incoming
 * call arcs, not from self + outgoing.  The profile's INCL values follow the
 * other convention (see pcg-format(5)), so the arcs written here carry, for a
 * plain node, the time that node's outermost frame was on the stack, and 0 for
 * a recursive edge: the sum over a function's incoming arcs is then the time
 * it was on the stack, counted once.  Every thread gets a synthetic root
 * function that calls the thread's roots, so that no function is left
 * without a caller (a root that is also called elsewhere would otherwise lose
 * its root time in both readers).
 *
 * The readers also fold every strongly connected set of functions into one
 * "<cycle N>", which on a framework (plugin hooks, visitors, middleware)
 * swallows most of the program.  The profile is a tree, so the graph need not
 * have cycles: setup_clones() splits the functions of such a set into
 * clones, fn'2, fn'3..., numbered by how often a path through the set has
 * turned back (see pcg-emit(1), Recursion).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"
#include "emit.h"

struct arc {
	uint32_t from, to, line;
	uint64_t calls;
	uint64_t *cost;     /* ncost values */
};

/* Event names are identifiers: NAME_UNIT with anything else made '_'. */
static void
setup_events(struct emit *e)
{
	const struct pcg_profile *p = e->p;
	size_t i, j, n;

	for (i = 0; i < p->ncost; i++) {
		char *s = e->evname[i];
		const struct pcg_str *nm = &p->costname[i], *u = &p->costunit[i];
		n = snprintf(s, 48, "%.*s%s%.*s", (int)(nm->len < 20 ? nm->len : 20), nm->s,
		             u->len ? "_" : "", (int)(u->len < 20 ? u->len : 20), u->s);
		for (j = 0; j < n; j++) {
			char c = s[j];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9')))
				s[j] = '_';
		}
		if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
			n = sprintf(s, "cost%zu", i + 1);
		for (j = 0; j < i; j++)
			if (!strcmp(e->evname[j], s))
				snprintf(s + n, 8, "_%zu", i + 1);
	}
}

/*
 * The sort key of node i's arc, its place in the output: caller rank, call
 * line, callee rank.  Marks used functions and adds up self costs.
 */
static struct pcg_key
arcof(const struct emit *e, uint32_t i, uint64_t *self, char *used)
{
	const struct pcg_profile *p = e->p;
	const struct pcg_node *nd = &p->node[i];
	struct pcg_key k = { { 0 }, i };
	uint32_t from, to;
	size_t c, K = p->ncost;

	from = nd->parent ? e->cl[nd->parent] : LASTFN(p) + nd->thread;
	to = e->cl[i];
	/* a clone may be called only by recursive calls */
	used[from] = used[to] = 1;
	for (c = 0; !pcg_rec(nd) && c < K; c++)
		self[to * K + c] += pcg_self(p, i)[c];
	k.v[0] = e->fun[to].rank;
	k.v[1] = nd->line;
	k.v[2] = e->fun[from].rank;
	return k;
}

/*
 * The call arcs and self costs of the threads selected (thread 0: all), arcs
 * in output order, those with the same caller, line and callee made one.
 * byrank[r] is the function of rank r.
 */
static size_t
collect(const struct emit *e, uint32_t thread, const uint32_t *byrank, uint64_t *self,
        char *used, struct arc **arcsp, uint64_t **costp)
{
	const struct pcg_profile *p = e->p;
	size_t i, c, n = 0, na = 0, K = p->ncost;
	struct pcg_key *key = ereallocarray(NULL, LASTNODE(p) + 1, sizeof(*key)), *tmp, *sk;
	struct arc *arcs, *a = NULL;
	uint64_t *cost;

	for (i = 1; i <= LASTNODE(p); i++)
		if (!thread || p->node[i].thread == thread)
			key[n++] = arcof(e, i, self, used);
	tmp = ereallocarray(NULL, n + 1, sizeof(*tmp));
	sk = pcg_keysort(key, tmp, n);
	arcs = ereallocarray(NULL, n + 1, sizeof(*arcs));
	cost = ecalloc(n + 1, (K ? K : 1) * sizeof(*cost));
	for (i = 0; i < n; i++) {
		const struct pcg_node *nd = &p->node[sk[i].id];
		if (!i || memcmp(sk[i].v, sk[i - 1].v, sizeof(sk[i].v))) {
			a = &arcs[na];
			a->from = byrank[sk[i].v[2]];
			a->to = byrank[sk[i].v[0]];
			a->line = sk[i].v[1];
			a->calls = 0;
			a->cost = cost + na++ * K;
		}
		a->calls += pcg_calls(p, sk[i].id);
		/* A rec edge's time is already in the outermost frame's arc. */
		for (c = 0; !pcg_rec(nd) && c < K; c++)
			a->cost[c] += e->outer[sk[i].id * K + c];
	}
	free(key);
	free(tmp);
	*arcsp = arcs;
	*costp = cost;
	return na;
}

/*
 * With line costs: the self cost of each callgrind function by source line,
 * over the threads selected, as runs in output order.  A node without line
 * entries has its self on its function's first line.  lc[j] costs K values
 * at cost[j * K]; the run of function f is lc[at[f]] .. lc[at[f] + cnt[f] - 1].
 */
struct linecosts {
	struct pcg_key *lc; /* v[0] line, v[1] function rank */
	uint64_t *cost;
	uint32_t *at, *cnt; /* per function id */
	size_t n;
};

static void
linecosts(const struct emit *e, uint32_t thread, const uint32_t *byrank, struct linecosts *l)
{
	const struct pcg_profile *p = e->p;
	uint32_t *start, *idx = pcg_line_index(p, &start);
	size_t i, j, c, n = 0, K = p->ncost, cap = p->nnode + p->nline + 1;
	struct pcg_key *key = ereallocarray(NULL, cap, sizeof(*key)), *tmp, *sk, *prev = NULL;
	const uint64_t **val = ereallocarray(NULL, cap, sizeof(*val));

	for (i = 1; i <= LASTNODE(p); i++) {
		const struct pcg_node *nd = &p->node[i];
		if (pcg_rec(nd) || (thread && nd->thread != thread))
			continue;
		for (j = start[i]; j < start[i + 1]; j++, n++) {
			struct pcg_key k = { { p->lkey[idx[j]].line, e->fun[e->cl[i]].rank, 0, 0 }, n };
			key[n] = k;
			val[n] = pcg_lval(p, idx[j]);
		}
		if (start[i] == start[i + 1]) {
			struct pcg_key k = { { p->fn[nd->fn].line, e->fun[e->cl[i]].rank, 0, 0 }, n };
			key[n] = k;
			val[n++] = pcg_self(p, i);
		}
	}
	tmp = ereallocarray(NULL, n + 1, sizeof(*tmp));
	sk = pcg_keysort(key, tmp, n);
	l->lc = ereallocarray(NULL, n + 1, sizeof(*l->lc));
	l->cost = ecalloc(n + 1, (K ? K : 1) * sizeof(*l->cost));
	l->at = ecalloc(e->nfun + 1, sizeof(*l->at));
	l->cnt = ecalloc(e->nfun + 1, sizeof(*l->cnt));
	for (i = 0, l->n = 0; i < n; i++) {
		if (!prev || memcmp(sk[i].v, prev->v, sizeof(prev->v))) {
			uint32_t f = byrank[sk[i].v[1]];
			if (!l->cnt[f]++)
				l->at[f] = l->n;
			l->lc[l->n++] = sk[i];
		}
		prev = &sk[i];
		for (c = 0; c < K; c++)
			l->cost[(l->n - 1) * K + c] += val[sk[i].id][c];
	}
	free(key);
	free(tmp);
	free(val);
	free(idx);
	free(start);
}

/*
 * The body goes through this buffer, not stdio: a million arcs make four
 * million short lines, and a stdio call per field cost more than all the
 * formatting.  Write errors show at the commit, as stdio keeps them.
 */
struct out {
	FILE *fp;
	size_t n;
	char buf[1 << 16];
};

static void
oflush(struct out *o)
{
	fwrite(o->buf, 1, o->n, o->fp);
	o->n = 0;
}

static void
ostr(struct out *o, const char *s, size_t len)
{
	if (o->n + len > sizeof(o->buf)) {
		oflush(o);
		if (len > sizeof(o->buf)) {
			fwrite(s, 1, len, o->fp);
			return;
		}
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
}

static void
oputs(struct out *o, const char *s)
{
	ostr(o, s, strlen(s));
}

/* A separator (none if 0) and a decimal number. */
static void
onum(struct out *o, int sep, uint64_t v)
{
	char buf[24], *end = buf + sizeof(buf), *s = pcg_utoa(end, v);

	if (sep)
		*--s = sep;
	ostr(o, s, end - s);
}

static void
putcosts(struct out *o, uint32_t line, const uint64_t *v, size_t K)
{
	size_t k;

	onum(o, 0, line);
	for (k = 0; k < K; k++)
		onum(o, ' ', v[k]);
	ostr(o, "\n", 1);
}

/* Function f's self, a cost line per source line with some cost; one line
 * of zeros on its first line if none has any, as without line costs. */
static void
putlinecosts(struct out *o, const struct linecosts *l, uint32_t f, uint32_t first, size_t K)
{
	static const uint64_t zero[PCG_MAXCOST];
	size_t j, k, n = 0;

	for (j = l->at[f]; j < (size_t)l->at[f] + l->cnt[f]; j++) {
		for (k = 0; k < K && !l->cost[j * K + k]; k++)
			;
		if (k == K)
			continue;
		putcosts(o, l->lc[j].v[0], l->cost + j * K, K);
		n++;
	}
	if (!n)
		putcosts(o, first, zero, K);
}

/* "KEY=(N) NAME" the first time, "KEY=(N)" after: ids are never redefined. */
static void
putref(struct out *o, const char *key, uint32_t *id, uint32_t *next, const char *name)
{
	int first = !*id;

	if (first)
		*id = ++*next;
	oputs(o, key);
	onum(o, '(', *id);
	ostr(o, ")", 1);
	if (first) {
		ostr(o, " ", 1);
		oputs(o, name);
	}
	ostr(o, "\n", 1);
}

static void
putfile(struct out *o, struct emit *e, const char *key, uint32_t fileno, uint32_t *next)
{
	putref(o, key, &e->flid[fileno], next, e->files[fileno]);
}

static void
putfun(struct out *o, struct emit *e, const char *key, uint32_t f, uint32_t *next)
{
	putref(o, key, &e->fun[f].fnid, next, e->fun[f].name);
}

/* cfi= for a callee in another file, every time: readers clear it per call. */
static void
putcall(struct out *o, struct emit *e, const struct cfun *from, struct arc *a,
        uint32_t *nextfl, uint32_t *nextfn)
{
	const struct cfun *to = &e->fun[a->to];
	size_t k, K = e->p->ncost;

	/* Both readers take the line after calls=0 for self cost. */
	if (!a->calls) {
		for (k = 0; k < K && !a->cost[k]; k++)
			;
		if (k == K)
			return;
		a->calls = 1;
	}
	if (to->fileno != from->fileno)
		putfile(o, e, "cfi=", to->fileno, nextfl);
	putfun(o, e, "cfn=", a->to, nextfn);
	oputs(o, "calls=");
	onum(o, 0, a->calls);
	onum(o, ' ', to->line);
	ostr(o, "\n", 1);
	putcosts(o, a->line, a->cost, K);
}

/* A header line: PREFIX, then the record's values, each after a space. */
static void
putvals(FILE *fp, const char *prefix, const struct pcg_meta *m)
{
	size_t i;

	fputs(prefix, fp);
	for (i = 0; i < m->nval; i++) {
		char *s = cleanstr(m->val[i], "''");
		fprintf(fp, " %s", s);
		free(s);
	}
	fputc('\n', fp);
}

/* A number as pcg-trace writes it (digits, a point): safe to copy out. */
static int
decimal(struct pcg_str s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if ((s.s[i] < '0' || s.s[i] > '9') && s.s[i] != '.')
			return 0;
	return s.len > 0;
}

/* What each of a compensation record's values is per (pcg-format(5)). */
static const char *const compwhat[] = {
	" per call or return of a Python function", " of a C function",
	" per resumption or yield of a generator", " per call of a type or another callable that runs no Python code",
	" more per call of a class that runs its __init__", " for another class (with __slots__, a C type)",
	" for an __init__ taking *args or **kwargs", " for another object (a __call__)", " more per Python function started from C (a property, a special method)",
	" for a new generator", " per line event",
};
#define NCOMP (sizeof(compwhat) / sizeof(*compwhat))

/*
 * A compensation record's values, or 0 if it is not one pcg-trace wrote:
 * NCOMP - 1 of them, NCOMP with --lines (the line event's last), or from
 * an earlier pcg-trace, the first three and the line event's.  *KIND: what
 * each is, by compwhat.
 */
static size_t
compvals(const struct pcg_meta *m, double *v, size_t *kind)
{
	size_t k;

	if (m->nval != 3 && m->nval != 4 && m->nval != NCOMP - 1 && m->nval != NCOMP)
		return 0;
	for (k = 0; k < m->nval; k++) {
		if (!decimal(m->val[k]))
			return 0;
		v[k] = strtod(m->val[k].s, NULL); /* a decimal stops at the tab or NUL */
		kind[k] = k == 3 && m->nval == 4 ? NCOMP - 1 : k;
	}
	return m->nval;
}

/*
 * What pcg-trace took out of the costs: its own time (pcg-trace(1)).  A
 * merged profile has one measurement per run (pcg-merge keeps the distinct
 * ones): their range.  Kinds of which nothing was taken out (those only
 * 3.12 and later tell) are not named.
 */
static void
compdesc(FILE *fp, const struct pcg_profile *p)
{
	double lo[NCOMP], hi[NCOMP], v[NCOMP];
	size_t i, k, n = 0, nrec = 0, kind[NCOMP];
	int first = 1;

	for (i = 0; i < p->nmeta; i++) {
		if (!pcg_str_eq(p->meta[i].key, pcg_cstr("compensation")))
			continue;
		if (!(k = compvals(&p->meta[i], v, kind)) || (nrec && k != n))
			return; /* not pcg-trace's: say nothing rather than something wrong */
		n = k;
		for (k = 0; k < n; k++) {
			lo[k] = nrec && lo[k] < v[k] ? lo[k] : v[k];
			hi[k] = nrec && hi[k] > v[k] ? hi[k] : v[k];
		}
		nrec++;
	}
	if (!nrec)
		return;
	fputs("desc: Compensation: the recorder's own time,", fp);
	for (k = 0; k < n; k++) {
		if (hi[k] == 0 && kind[k] > 2)
			continue;
		if (lo[k] == hi[k])
			fprintf(fp, "%s %.1f ns%s", first ? "" : ",", lo[k], compwhat[kind[k]]);
		else
			fprintf(fp, "%s %.1f to %.1f ns%s", first ? "" : ",", lo[k], hi[k], compwhat[kind[k]]);
		first = 0;
	}
	fprintf(fp, ", measured at the start of %s, is not in the costs (pcg-trace --raw keeps it)\n",
	    nrec > 1 ? "each run" : "the run");
}

static void
header(FILE *fp, const struct emit *e, uint32_t thread)
{
	const struct pcg_profile *p = e->p;
	const struct pcg_meta *m;
	uint64_t pid;
	size_t i;

	fprintf(fp, "# callgrind format\nversion: 1\ncreator: pcg-emit %s\n", PCG_VERSION_STRING);
	if ((m = pcg_find_meta(p, "pid")) && m->nval &&
	    !parse_u64(m->val[0].s, m->val[0].len, &pid))
		fprintf(fp, "pid: %" PRIu64 "\n", pid);
	/* cmd: before events:, or callgrind_annotate ignores it. */
	if ((m = pcg_find_meta(p, "cmd")) && m->nval)
		putvals(fp, "cmd:", m);
	/* A profile that missed calls says so where KCachegrind shows it. */
	for (i = 0; i < p->nmeta; i++)
		if (pcg_str_eq(p->meta[i].key, pcg_cstr("incomplete")))
			putvals(fp, "desc: Incomplete:", &p->meta[i]);
	compdesc(fp, p);
	/* What the synthetic functions are, where the readers show the header. */
	fputs("desc: Note: <thread N: NAME> is thread N, which nothing calls;"
	      " it calls the functions the thread started in\n", fp);
	if (e->filtered)
		fputs("desc: Note: <dropped by pcg-filter> is the time of dropped code"
		      " that no kept function called\n", fp);
	if (thread) {
		char *s = cleanstr(p->thread[thread].name, "?");
		fprintf(fp, "thread: %" PRIu32 "\ndesc: Thread: %s (native id %" PRIu64 ")\n",
		        thread, s, p->thread[thread].native);
		free(s);
	}
	fputs("positions: line\n", fp);
	for (i = 0; i < p->ncost; i++) {
		char *n = cleanstr(p->costname[i], "?"), *u = cleanstr(p->costunit[i], "?");
		if (!strcmp(n, "wall") && !strcmp(u, "ns"))
			fprintf(fp, "event: %s : Wall-clock time (ns)\n", e->evname[i]);
		else if (!strcmp(n, "cpu") && !strcmp(u, "ns")) /* pcg-trace --cpu */
			fprintf(fp, "event: %s : CPU time of the thread (ns)\n", e->evname[i]);
		else
			fprintf(fp, "event: %s : %s (%s)\n", e->evname[i], n, u);
		free(n);
		free(u);
	}
	fputs("events:", fp);
	for (i = 0; i < p->ncost; i++)
		fprintf(fp, " %s", e->evname[i]);
	fputc('\n', fp);
}

/* One callgrind part: the threads selected (thread 0: all of them). */
static void
emit(FILE *fp, struct emit *e, uint32_t thread)
{
	static struct out o;
	const struct pcg_profile *p = e->p;
	size_t i, j, k, narc, K = p->ncost;
	uint64_t *self = ecalloc((e->nfun + 1) * (K ? K : 1), sizeof(*self));
	uint64_t total[PCG_MAXCOST] = {0};
	char *used = ecalloc(e->nfun + 1, 1);
	uint32_t *order = emalloc((e->nfun + 1) * sizeof(*order));
	uint32_t nextfl = 0, nextfn = 0, curfl = UINT32_MAX;
	struct arc *arcs;
	uint64_t *cost;
	struct linecosts lc = { 0 };

	for (i = 0; i <= e->nfun; i++)
		e->fun[i].fnid = 0;
	memset(e->flid, 0, (e->nfiles + 1) * sizeof(*e->flid));
	for (i = 1; i <= e->nfun; i++)
		order[e->fun[i].rank] = i;
	narc = collect(e, thread, order, self, used, &arcs, &cost);
	if (p->lines)
		linecosts(e, thread, order, &lc);

	header(fp, e, thread);
	o.fp = fp;
	o.n = 0;
	for (i = j = 0; i < e->nfun; i++) {
		uint32_t f = order[i];
		struct cfun *c = &e->fun[f];
		if (!used[f])
			continue;
		ostr(&o, "\n", 1);
		if (c->fileno != curfl || !e->flid[c->fileno]) {
			putfile(&o, e, "fl=", c->fileno, &nextfl);
			curfl = c->fileno;
		}
		putfun(&o, e, "fn=", f, &nextfn);
		if (p->lines)
			putlinecosts(&o, &lc, f, c->line, K);
		else
			putcosts(&o, c->line, self + f * K, K);
		for (k = 0; k < K; k++)
			total[k] += self[f * K + k];
		for (; j < narc && e->fun[arcs[j].from].rank < c->rank; j++)
			;
		for (; j < narc && arcs[j].from == f; j++)
			putcall(&o, e, c, &arcs[j], &nextfl, &nextfn);
	}
	oputs(&o, "\ntotals:");
	for (k = 0; k < K; k++)
		onum(&o, ' ', total[k]);
	ostr(&o, "\n", 1);
	oflush(&o);
	free(self);
	free(used);
	free(order);
	free(arcs);
	free(cost);
	free(lc.lc);
	free(lc.cost);
	free(lc.at);
	free(lc.cnt);
}

static void
writeout(struct emit *e, const char *path, uint32_t thread)
{
	struct ofile o;

	ofile_open(&o, path);
	emit(o.fp, e, thread);
	ofile_commit(&o);
}

/* One file per thread, named like callgrind's, which KCachegrind loads together. */
static void
separate(struct emit *e, const char *out, const char *in)
{
	const struct pcg_meta *m;
	uint64_t pid;
	uint32_t t;
	char *path;
	size_t len;

	if (out && !strcmp(out, "-"))
		eprintf("--separate-threads writes files: -o must name one");
	if (!out && (!(m = pcg_find_meta(e->p, "pid")) || !m->nval ||
	    parse_u64(m->val[0].s, m->val[0].len, &pid)))
		eprintf("%s: no pid to name the output files: use -o", in);
	len = (out ? strlen(out) : 64) + 32;
	path = emalloc(len);
	for (t = 1; t <= LASTTHREAD(e->p); t++) {
		if (out)
			snprintf(path, len, "%s-%02" PRIu32, out, t);
		else
			snprintf(path, len, "callgrind.out.%" PRIu64 "-%02" PRIu32, pid, t);
		writeout(e, path, t);
	}
	free(path);
}


void
callgrind(struct emit *e, const char *path, const char *in)
{
	setup_clones(e);
	setup_events(e);
	if (e->sep)
		separate(e, path, in);
	else
		writeout(e, path, 0);
}

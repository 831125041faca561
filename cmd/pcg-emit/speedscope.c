/*
 * pcg-emit -F speedscope: speedscope's JSON file format (its schema,
 * https://www.speedscope.app/file-format-schema.json), one profile per
 * thread over one table of frames, a frame per function.  An events stream
 * gives "evented" profiles, the calls and returns as they happened: the
 * reader hands each event to a hook here (struct pcg_evhook), which keeps
 * the timeline and aggregates as the reader would have.  A profile gives
 * "sampled" ones: a sample per calling context, weighted by its self cost.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"
#include "emit.h"

#define SCHEMA "https://www.speedscope.app/file-format-schema.json"

/* An event of the timeline: frame (a function id) opened or closed at at. */
struct ev {
	uint64_t at;
	uint32_t fn, open;
};

/* A thread's timeline, and the functions of its open frames. */
struct line {
	struct ev *ev;
	size_t nev, capev;
	uint32_t *open;
	size_t depth, capopen;
};

struct timeline {
	const char *cost; /* --cost, resolved at the first event */
	size_t k;
	int known;
	struct line *th;  /* per thread id */
	size_t capth;
};

static struct line *
line(struct timeline *tl, const struct pcg_profile *p, uint32_t thread)
{
	if (!tl->known) {
		tl->k = costcol(p, tl->cost);
		tl->known = 1;
	}
	egrow((void **)&tl->th, &tl->capth, thread, sizeof(*tl->th));
	return &tl->th[thread];
}

static void
record(struct line *l, uint32_t fn, int open, uint64_t at)
{
	egrow((void **)&l->ev, &l->capev, l->nev, sizeof(*l->ev));
	l->ev[l->nev].at = at;
	l->ev[l->nev].fn = fn;
	l->ev[l->nev++].open = open;
}

static void
tlfn(void *ctx, struct pcg_profile *p, uint32_t fn)
{
	(void)ctx, (void)p, (void)fn;
}

/*
 * A yield closes the generator's frame and a resumption opens it again,
 * where it is resumed from: speedscope's frames nest, and the time a
 * generator sits suspended is not its own.
 */
static void
tlevent(void *ctx, struct pcg_profile *p, struct pcg_stack *s, char tag, uint32_t fn,
    uint32_t ln, const uint64_t *t)
{
	struct timeline *tl = ctx;
	struct line *l = line(tl, p, s->thread);

	if (tag == 'l') {
		pcg_line(p, s, ln, t); /* no frame opens or closes */
	} else if (tag == 'c' || tag == 's') {
		egrow((void **)&l->open, &l->capopen, l->depth, sizeof(*l->open));
		l->open[l->depth++] = fn;
		record(l, fn, 1, t[tl->k]);
		pcg_enter(p, s, fn, ln, t, tag == 's');
	} else {
		/* the reader rules out a return with no frame open */
		record(l, l->open[--l->depth], 0, t[tl->k]);
		pcg_leave(p, s, t);
	}
}

/* The run's end: frames still open close then, as the reader closes them. */
static void
tlend(void *ctx, struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	struct timeline *tl = ctx;
	struct line *l = line(tl, p, s->thread);

	while (l->depth)
		record(l, l->open[--l->depth], 0, t[tl->k]);
	pcg_close(p, s, t);
}

void
speedscope_hook(struct emit *e, struct pcg_evhook *h)
{
	struct timeline *tl = ecalloc(1, sizeof(*tl));

	tl->cost = e->cost;
	e->fmtdata = tl;
	h->ctx = tl;
	h->fn = tlfn;
	h->event = tlevent;
	h->end = tlend;
}

static void
tlfree(struct timeline *tl)
{
	size_t i;

	if (!tl)
		return;
	for (i = 0; i < tl->capth; i++) {
		free(tl->th[i].ev);
		free(tl->th[i].open);
	}
	free(tl->th);
	free(tl);
}

/*
 * The bytes of s inside a JSON string: '"', '\\' and control characters
 * escaped (\n, \t, \r, \b, \f, else \u00XX; DEL too), well-formed UTF-8 as
 * it is, and each byte that starts no well-formed UTF-8 sequence replaced
 * by U+FFFD, written \ufffd: the file is valid JSON whatever the names.
 */
static void
jchars(FILE *fp, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n;

	while (i < len) {
		unsigned char c = s[i];
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" :
		    c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
		if (esc) {
			fputs(esc, fp);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(fp, "\\u%04x", c);
		} else if ((n = utf8len(s + i, len - i))) {
			fwrite(s + i, 1, n, fp);
			i += n;
			continue;
		} else {
			fputs("\\ufffd", fp);
		}
		i++;
	}
}

static void
jstr(FILE *fp, struct pcg_str s)
{
	fputc('"', fp);
	jchars(fp, s.s, s.len);
	fputc('"', fp);
}

/* speedscope's units; a unit it lacks is shown as plain numbers. */
static const char *
unitname(struct pcg_str u)
{
	static const char *const map[][2] = {
		{ "ns", "nanoseconds" }, { "us", "microseconds" }, { "ms", "milliseconds" },
		{ "s", "seconds" }, { "B", "bytes" }, { "bytes", "bytes" },
	};
	size_t i;

	for (i = 0; i < LEN(map); i++)
		if (pcg_str_eq(u, pcg_cstr(map[i][0])))
			return map[i][1];
	return "none";
}

/*
 * A function's frame: its name as pcg has it (qualified; C functions and
 * module code qualified by their module, as the other formats name them),
 * its file and first line, which speedscope shows beside the name; frames
 * are told apart by their place in the table, not by their names.
 */
static void
putframe(FILE *fp, const struct pcg_fn *f)
{
	fputs("{\"name\":\"", fp);
	if (f->kind == PCG_C && pcg_str_eq(f->module, pcg_cstr("pcg")) &&
	    pcg_str_eq(f->name, pcg_cstr("(filtered)"))) {
		fputs("<dropped by pcg-filter>\"}", fp);
		return;
	}
	if (f->module.len && (f->kind == PCG_C || pcg_str_eq(f->name, pcg_cstr("<module>")))) {
		jchars(fp, f->module.s, f->module.len);
		fputc('.', fp);
	}
	jchars(fp, f->name.s, f->name.len);
	fputc('"', fp);
	if (f->kind == PCG_PY && f->file.len) {
		fputs(",\"file\":", fp);
		jstr(fp, f->file);
		fprintf(fp, ",\"line\":%" PRIu32, f->line);
	}
	fputc('}', fp);
}

static void
header(FILE *fp, const struct emit *e, const char *in)
{
	const struct pcg_profile *p = e->p;
	const struct pcg_meta *cmd = pcg_find_meta(p, "cmd");
	size_t i;

	fprintf(fp, "{\"$schema\":\"%s\",\n\"exporter\":\"pcg-emit@%s\",\n\"name\":\"", SCHEMA,
	    PCG_VERSION_STRING);
	if (cmd) {
		for (i = 0; i < cmd->nval; i++) {
			if (i)
				fputc(' ', fp);
			jchars(fp, cmd->val[i].s, cmd->val[i].len);
		}
	} else {
		jchars(fp, in, strlen(in));
	}
	if (p->ncost > 1) { /* which of them: wall or cpu time look alike */
		const struct pcg_str *c = &p->costname[costcol(p, e->cost)];
		fputs(" (", fp);
		jchars(fp, c->s, c->len);
		fputc(')', fp);
	}
	fputs("\",\n\"activeProfileIndex\":0,\n\"shared\":{\"frames\":[", fp);
	for (i = 1; i <= LASTFN(p); i++) {
		fputs(i > 1 ? ",\n" : "\n", fp);
		putframe(fp, &p->fn[i]);
	}
	fputs("\n]},\n\"profiles\":[", fp);
}

/* A profile's fields before its data; named as the other formats' thread frames. */
static void
profhead(FILE *fp, const struct emit *e, int *nprof, const char *type, uint32_t t, uint64_t end)
{
	const struct pcg_profile *p = e->p;
	size_t k = costcol(p, e->cost);

	fprintf(fp, "%s\n{\"type\":\"%s\",\"name\":\"<thread %" PRIu32 ": ", (*nprof)++ ? "," : "",
	    type, t);
	jchars(fp, p->thread[t].name.s, p->thread[t].name.len);
	fprintf(fp, ">\",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%" PRIu64 ",\n",
	    unitname(p->costunit[k]), end);
}

/* Each thread's events as they happened; a thread without any is left out. */
static void
evented(FILE *fp, const struct emit *e, const struct timeline *tl)
{
	const struct pcg_profile *p = e->p;
	uint32_t t;
	size_t i;
	int nprof = 0;

	for (t = 1; t <= LASTTHREAD(p); t++) {
		const struct line *l = t < tl->capth ? &tl->th[t] : NULL;
		if (!l || !l->nev)
			continue;
		profhead(fp, e, &nprof, "evented", t, p->duration[tl->k]);
		fputs("\"events\":[", fp);
		for (i = 0; i < l->nev; i++)
			fprintf(fp, "%s\n{\"type\":\"%c\",\"frame\":%" PRIu32 ",\"at\":%" PRIu64 "}",
			    i ? "," : "", l->ev[i].open ? 'O' : 'C', l->ev[i].fn - 1, l->ev[i].at);
		fputs("\n]}", fp);
	}
}

/*
 * Each thread's contexts with a self cost, a sample each, depth first (so
 * that speedscope's time order view, which joins neighbours with a common
 * stack, draws each context once); a recursive call has no self cost of
 * its own, it is in the context it re-entered.  A thread without any is
 * left out.
 */
static void
sampled(FILE *fp, const struct emit *e)
{
	const struct pcg_profile *p = e->p;
	size_t i, j, nn = LASTNODE(p), k = costcol(p, e->cost), cap = 64, depth;
	uint32_t *order, *rank, *path = emalloc(cap * sizeof(*path)), t;
	int nprof = 0, first;

	pcg_canon(p, &order, &rank);
	for (i = 0; i < nn; i = j) {
		uint64_t sum = 0;
		t = p->node[order[i]].thread;
		for (j = i; j < nn && p->node[order[j]].thread == t; j++)
			if (!pcg_rec(&p->node[order[j]]))
				sum += pcg_self(p, order[j])[k];
		if (!sum)
			continue;
		profhead(fp, e, &nprof, "sampled", t, sum);
		fputs("\"samples\":[", fp);
		for (j = i, first = 1; j < nn && p->node[order[j]].thread == t; j++) {
			uint32_t id = order[j], n;
			if (pcg_rec(&p->node[id]) || !pcg_self(p, id)[k])
				continue;
			for (depth = 0, n = id; n; n = p->node[n].parent) {
				if (depth == cap)
					path = ereallocarray(path, cap *= 2, sizeof(*path));
				path[depth++] = p->node[n].fn - 1;
			}
			fputs(first ? "\n[" : ",\n[", fp);
			first = 0;
			while (depth--)
				fprintf(fp, "%" PRIu32 "%s", path[depth], depth ? "," : "]");
		}
		fputs("\n],\n\"weights\":[", fp);
		for (j = i, first = 1; j < nn && p->node[order[j]].thread == t; j++) {
			uint32_t id = order[j];
			if (pcg_rec(&p->node[id]) || !pcg_self(p, id)[k])
				continue;
			fprintf(fp, "%s%" PRIu64, first ? "\n" : ",\n", pcg_self(p, id)[k]);
			first = 0;
		}
		fputs("\n]}", fp);
	}
	free(order);
	free(rank);
	free(path);
}

void
speedscope(struct emit *e, const char *path, const char *in)
{
	struct ofile o;

	costcol(e->p, e->cost); /* a bad --cost before any output */
	ofile_open(&o, path);
	header(o.fp, e, in);
	if (e->layer == PCG_EVENTS && e->fmtdata)
		evented(o.fp, e, e->fmtdata);
	else
		sampled(o.fp, e);
	fputs("\n]}\n", o.fp);
	ofile_commit(&o);
	tlfree(e->fmtdata);
	e->fmtdata = NULL;
}

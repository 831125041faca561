/*
 * Where the recording goes: the events layer, streamed through one buffer
 * (the hooks append to it), or the profile layer, written once at the end;
 * into the launcher's descriptor, or under -f into a file of the process's
 * own, named by the pattern.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pattern.h"
#include "rec.h"
#include "util.h"

struct out O;

static int
writeall(const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		if ((w = write(O.fd, s, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= w;
	}
	return 0;
}

static void prelude(void);

/* Write out the buffer; the time it takes is not the program's. */
void
ev_flush(void)
{
	uint64_t t;

	if (O.prelude)
		prelude();
	t = clk();

	if (O.blen && O.fd >= 0 && writeall(O.buf, O.blen) < 0) {
		fprintf(stderr, "pcg-trace: write: %s; recording stopped\n", strerror(errno));
		R.on = 0;
		close(O.fd);
		O.fd = -1;
	}
	O.blen = 0;
	unbill(t);
	O.flushed = now();
}

/* Room for n more bytes in the buffer; a record is at most BUFSZ / 2. */
char *
ev_room(size_t n)
{
	if (n > BUFSZ / 2)
		eprintf("record too long");
	if (O.blen + n > BUFSZ)
		ev_flush();
	return O.buf + O.blen;
}

static char *
field(char *p, struct pcg_str s)
{
	*p++ = '\t';
	return pcg_escape(p, s.s, s.len);
}

void
ev_fn(uint32_t id)
{
	const struct pcg_fn *f = &R.p.fn[id];
	char *p = ev_room(64 + PCG_ESCAPED(f->module.len + f->file.len + f->name.len));

	memcpy(p, "fn\t", 3);
	p = pcg_u64(p + 3, id);
	memcpy(p, f->kind == PCG_C ? "\tc" : "\tpy", f->kind == PCG_C ? 2 : 3);
	p += f->kind == PCG_C ? 2 : 3;
	p = field(p, f->module);
	p = field(p, f->file);
	*p++ = '\t';
	p = pcg_u64(p, f->line);
	p = field(p, f->name);
	*p++ = '\n';
	O.blen = p - O.buf;
	O.lines++;
	O.nfn = id;
}

static void
ev_header(void)
{
	size_t i, j, n;
	char *p;

	p = ev_room(16);
	/* Line events (--lines) are version 2's. */
	memcpy(p, R.lines ? "pcg\t2\tevents\n" : "pcg\t1\tevents\n", 13);
	O.blen += 13;
	O.lines++;
	for (i = 0; i < R.p.nmeta; i++) {
		const struct pcg_meta *m = &R.p.meta[i];
		for (n = m->key.len, j = 0; j < m->nval; j++)
			n += m->val[j].len + 1;
		p = ev_room(16 + PCG_ESCAPED(n));
		memcpy(p, "meta", 4);
		p = field(p + 4, m->key);
		for (j = 0; j < m->nval; j++)
			p = field(p, m->val[j]);
		*p++ = '\n';
		O.blen = p - O.buf;
		O.lines++;
	}
	p = ev_room(32);
	memcpy(p, "cost\twall\tns\n", 13);
	O.blen += 13;
	O.lines++;
	if (R.cpu) {
		memcpy(O.buf + O.blen, "cost\tcpu\tns\n", 12);
		O.blen += 12;
		O.lines++;
	}
}

/* -f: the output name of this process. */
static int
ownpath(char *path, size_t cap)
{
	if (pattern_expand(path, cap, O.pattern, (long)getpid(), O.execs, NULL) < 0) {
		fprintf(stderr, "pcg-trace: %s: bad or too long output name\n", O.pattern);
		return -1;
	}
	return 0;
}

/* -f, events layer: a followed process streams straight into its file. */
int
ownopen(void)
{
	char path[PATH_MAX];

	if (ownpath(path, sizeof(path)) < 0)
		return -1;
	if ((O.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
		fprintf(stderr, "pcg-trace: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

void
ev_thread(uint32_t id, uint64_t native, struct pcg_str s)
{
	char *p = ev_room(64 + PCG_ESCAPED(s.len));

	memcpy(p, "thread\t", 7);
	p = pcg_u64(p + 7, id);
	*p++ = '\t';
	p = pcg_u64(p, native);
	*p++ = '\t';
	p = pcg_escape(p, s.s, s.len);
	*p++ = '\n';
	O.blen = p - O.buf;
	O.lines++;
}

/* A forked child's first write: its own file, its header, and the functions
 * and thread it knew at the fork, before what it buffered since. */
static void
prelude(void)
{
	char *saved = O.buf;
	size_t savedlen = O.blen;
	uint32_t nfn = O.nfn, i;

	O.prelude = 0;
	if (ownopen() < 0) {
		R.on = 0;
		return;
	}
	O.buf = emalloc(BUFSZ);
	O.blen = 0;
	ev_header();
	for (i = 1; i <= O.forkth; i++)
		ev_thread(i, R.p.thread[i].native, R.p.thread[i].name);
	for (i = 1; i <= O.forkfn; i++)
		ev_fn(i);
	ev_flush();
	free(O.buf);
	O.buf = saved;
	O.blen = savedlen;
	O.nfn = nfn;
}

/* -f, profile layer: write to a hidden temporary name, then rename, so that
 * a glob on the output names never sees a partial file.  A device or FIFO
 * of that name is written in place: the rename would replace the node. */
static int
ownwrite(void)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	struct stat st;
	FILE *fp;
	int fd, inplace;

	if (ownpath(path, sizeof(path)) < 0)
		return -1;
	inplace = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	if ((fd = inplace ? open(path, O_WRONLY | O_CLOEXEC) : tmp_beside(path, tmp, sizeof(tmp))) < 0) {
		fprintf(stderr, "pcg-trace: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!inplace)
		tmp_mode(fd, O.umask);
	if (!(fp = fdopen(fd, "w")) || pcg_write(&R.p, fp) < 0 || fclose(fp) == EOF) {
		fprintf(stderr, "pcg-trace: write %s: %s\n", path, strerror(errno));
		if (!inplace)
			unlink(tmp);
		return -1;
	}
	if (!inplace && rename(tmp, path) < 0) {
		fprintf(stderr, "pcg-trace: rename %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}


/*
 * -f: the launcher learns of every followed process from a folder of marks
 * (PCG_TRACE_RUN): s.PID.N when one starts recording, holding its command
 * line, d.PID.N once it wrote its profile.  It waits for the ones still
 * running, and names those that left nothing (killed by SIGKILL, say).
 */
void
out_mark(char kind)
{
	const char *dir = getenv("PCG_TRACE_RUN");
	const struct pcg_meta *cmd = pcg_find_meta(&R.p, "cmd");
	char path[PATH_MAX];
	size_t i;
	int fd;

	if (!dir || *dir != '/' ||
	    snprintf(path, sizeof(path), "%s/%c.%ld.%u", dir, kind, (long)getpid(), O.execs) >= (int)sizeof(path) ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return;
	for (i = 0; kind == 's' && cmd && i < cmd->nval; i++)
		if ((i && write(fd, " ", 1) < 0) || write(fd, cmd->val[i].s, cmd->val[i].len) < 0)
			break;
	close(fd);
}

/* Frames still open end at the end. */
static void
closeall(const uint64_t *end)
{
	size_t i;

	for (i = 0; i < R.nth; i++) {
		pcg_close(&R.p, &R.th[i]->st, end);
		pcg_stack_free(&R.th[i]->st);
	}
	memcpy(R.p.duration, end, R.p.ncost * sizeof(*end));
	/* The tree is complete: its index goes before the canonical writer
	 * takes room of its own (the traced peak is then the writer's). */
	pcg_node_unindex(&R.p);
}

/* Stop and write everything; once, whoever comes first. */
void
finish(void)
{
	uint64_t end[2] = { 0, 0 }, raw;
	size_t i;
	FILE *fp;
	char *p;

	calib_abort();
	if (!R.on)
		return;
	/* The end on the threads' clocks, which compensation moved back.
	 * --cpu: each thread's frames end on its own CPU clock first; the
	 * run's cpu reading is the greatest thread's. */
	raw = now();
	if (R.cpu)
		hooks_endall(raw);
	R.on = 0;
	for (i = 0; i < R.nth; i++) {
		if (end[0] < thread_time(R.th[i], raw))
			end[0] = thread_time(R.th[i], raw);
		if (end[1] < R.th[i]->lastcpu)
			end[1] = R.th[i]->lastcpu;
	}
	if (!R.nth)
		end[0] = raw;
	if (O.events) {
		if (O.prelude)
			prelude(); /* its lines are counted in the trailer */
		p = ev_room(64);
		memcpy(p, "end\t", 4);
		p = pcg_u64(p + 4, O.lines);
		*p++ = '\t';
		p = pcg_u64(p, end[0]);
		if (R.cpu) {
			*p++ = '\t';
			p = pcg_u64(p, end[1]);
		}
		*p++ = '\n';
		O.blen = p - O.buf;
		ev_flush();
		if (O.own && O.fd >= 0)
			out_mark('d');
	} else if (O.own) {
		closeall(end);
		if (ownwrite() == 0)
			out_mark('d');
	} else if (O.fd >= 0) {
		closeall(end);
		if (!(fp = fdopen(O.fd, "w")) || pcg_write(&R.p, fp) < 0 || fclose(fp) == EOF)
			fprintf(stderr, "pcg-trace: write: %s\n", strerror(errno));
		O.fd = -1;
	}
	if (O.fd >= 0)
		close(O.fd);
	O.fd = -1;
}


/* The start: the descriptor the launcher opened (-1 for a followed process,
 * which opens its own), the layer and the naming of -f files. */
void
out_init(int fd, int events, int follow, int own, unsigned execs, const char *pattern)
{
	O.fd = fd;
	O.events = events;
	O.follow = follow && pattern;
	O.own = O.follow && own;
	O.execs = O.own ? execs : 0;
	if (O.follow) {
		O.umask = cur_umask(); /* once, with one thread: umask() is the process's */
		O.pattern = estrdup(pattern);
	}
	if (O.own)
		O.fd = -1;
	else
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* The events layer's header goes out once the metadata is complete. */
int
out_begin(void)
{
	if (O.own)
		out_mark('s');
	if (!O.events)
		return 0;
	if (O.own && ownopen() < 0)
		return -1;
	O.buf = emalloc(BUFSZ);
	ev_header();
	return 0;
}

/* A forked child must never write into its parent's stream. */
void
out_atfork_child(void)
{
	if (O.fd >= 0)
		close(O.fd);
	O.fd = -1;
	O.blen = 0;
}

/* -f, in a forked child: its own file from now on, whose events stream
 * starts with the NFN functions and the thread TID known at the fork. */
void
out_forked(uint32_t tid)
{
	O.own = 1;
	O.execs = 0;
	O.flushed = 0;
	if (O.events) {
		O.lines = 0;
		O.forkfn = O.nfn;
		O.forkth = tid;
		O.prelude = 1;
	}
}

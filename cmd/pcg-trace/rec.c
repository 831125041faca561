/*
 * pcg-recorder.so: loaded into the traced interpreter by the sitecustomize
 * bootstrap, which calls pcg_trace_start().  Aggregates calls in process
 * (profile layer, written at exit) or streams them live (--events).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pattern.h"
#include "rec.h"
#include "util.h"

struct rec R;
__thread struct th *cur __attribute__((tls_model("initial-exec")));

char *
ev_str(char *p, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			*p++ = '\\';
			*p++ = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
		} else if (c < 0x20 || c == 0x7f) {
			*p++ = '\\';
			*p++ = 'x';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		} else {
			*p++ = c;
		}
	}
	return p;
}

static int
writeall(const char *s, size_t n)
{
	ssize_t w;

	while (n) {
		if ((w = write(R.fd, s, n)) < 0) {
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

	if (R.prelude)
		prelude();
	t = clk();

	if (R.blen && R.fd >= 0 && writeall(R.buf, R.blen) < 0) {
		fprintf(stderr, "pcg-trace: write: %s; recording stopped\n", strerror(errno));
		R.on = 0;
		close(R.fd);
		R.fd = -1;
	}
	R.blen = 0;
	R.base += clk() - t;
	R.flushed = now();
}

/* Room for n more bytes in the buffer; a record is at most BUFSZ / 2. */
char *
ev_room(size_t n)
{
	if (n > BUFSZ / 2)
		eprintf("record too long");
	if (R.blen + n > BUFSZ)
		ev_flush();
	return R.buf + R.blen;
}

static char *
field(char *p, struct pcg_str s)
{
	*p++ = '\t';
	return ev_str(p, s.s, s.len);
}

void
ev_fn(uint32_t id)
{
	const struct pcg_fn *f = &R.p.fn[id];
	char *p = ev_room(64 + 4 * (f->module.len + f->file.len + f->name.len));

	memcpy(p, "fn\t", 3);
	p = ev_u64(p + 3, id);
	memcpy(p, f->kind == PCG_C ? "\tc" : "\tpy", f->kind == PCG_C ? 2 : 3);
	p += f->kind == PCG_C ? 2 : 3;
	p = field(p, f->module);
	p = field(p, f->file);
	*p++ = '\t';
	p = ev_u64(p, f->line);
	p = field(p, f->name);
	*p++ = '\n';
	R.blen = p - R.buf;
	R.lines++;
	R.nfn = id;
}

static void
ev_header(void)
{
	size_t i, j, n;
	char *p;

	p = ev_room(16);
	memcpy(p, "pcg\t1\tevents\n", 13);
	R.blen += 13;
	R.lines++;
	for (i = 0; i < R.p.nmeta; i++) {
		const struct pcg_meta *m = &R.p.meta[i];
		for (n = m->key.len, j = 0; j < m->nval; j++)
			n += m->val[j].len + 1;
		p = ev_room(16 + 4 * n);
		memcpy(p, "meta", 4);
		p = field(p + 4, m->key);
		for (j = 0; j < m->nval; j++)
			p = field(p, m->val[j]);
		*p++ = '\n';
		R.blen = p - R.buf;
		R.lines++;
	}
	p = ev_room(16);
	memcpy(p, "cost\twall\tns\n", 13);
	R.blen += 13;
	R.lines++;
}

/* -f: the output name of this process. */
static int
ownpath(char *path, size_t cap)
{
	if (pattern_expand(path, cap, R.pattern, (long)getpid(), R.execs, NULL) < 0) {
		fprintf(stderr, "pcg-trace: %s: bad or too long output name\n", R.pattern);
		return -1;
	}
	return 0;
}

/* -f, events layer: a followed process streams straight into its file. */
static int
ownopen(void)
{
	char path[PATH_MAX];

	if (ownpath(path, sizeof(path)) < 0)
		return -1;
	if ((R.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
		fprintf(stderr, "pcg-trace: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
ev_thread(uint32_t id, uint64_t native, struct pcg_str s)
{
	char *p = ev_room(64 + 4 * s.len);

	memcpy(p, "thread\t", 7);
	p = ev_u64(p + 7, id);
	*p++ = '\t';
	p = ev_u64(p, native);
	*p++ = '\t';
	p = ev_str(p, s.s, s.len);
	*p++ = '\n';
	R.blen = p - R.buf;
	R.lines++;
}

/* A forked child's first write: its own file, its header, and the functions
 * and thread it knew at the fork, before what it buffered since. */
static void
prelude(void)
{
	char *saved = R.buf;
	size_t savedlen = R.blen;
	uint32_t nfn = R.nfn, i;

	R.prelude = 0;
	if (ownopen() < 0) {
		R.on = 0;
		return;
	}
	R.buf = emalloc(BUFSZ);
	R.blen = 0;
	ev_header();
	for (i = 1; i <= R.forkth; i++)
		ev_thread(i, R.p.thread[i].native, R.p.thread[i].name);
	for (i = 1; i <= R.forkfn; i++)
		ev_fn(i);
	ev_flush();
	free(R.buf);
	R.buf = saved;
	R.blen = savedlen;
	R.nfn = nfn;
}

/* -f, profile layer: write to a hidden temporary name, then rename, so that
 * a glob on the output names never sees a partial file.  A device or FIFO
 * of that name is written in place: the rename would replace the node. */
static void
ownwrite(void)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16], *slash;
	struct stat st;
	FILE *fp;
	int fd, inplace;

	if (ownpath(path, sizeof(path)) < 0)
		return;
	slash = strrchr(path, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmpXXXXXX", slash ? (int)(slash - path) : 1,
	    slash ? path : ".", slash ? slash + 1 : path);
	inplace = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	if ((fd = inplace ? open(path, O_WRONLY | O_CLOEXEC) : mkstemp(tmp)) < 0) {
		fprintf(stderr, "pcg-trace: %s: %s\n", path, strerror(errno));
		return;
	}
	if (!inplace)
		fchmod(fd, 0666 & ~R.umask);
	if (!(fp = fdopen(fd, "w")) || pcg_write(&R.p, fp) < 0 || fclose(fp) == EOF) {
		fprintf(stderr, "pcg-trace: write %s: %s\n", path, strerror(errno));
		if (!inplace)
			unlink(tmp);
		return;
	}
	if (!inplace && rename(tmp, path) < 0) {
		fprintf(stderr, "pcg-trace: rename %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
}

/* Parse the bootstrap's "key\tvalue...\n" lines, escaped as in pcg-format. */
static int
addmeta(const char *blob)
{
	char *s = estrdup(blob), *line, *next, *f, *sp;
	struct pcg_str key, val[64];
	size_t n;
	long len;
	const char *why;

	for (line = s; line && *line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		key.s = NULL;
		for (n = 0, f = strtok_r(line, "\t", &sp); f && n < LEN(val); f = strtok_r(NULL, "\t", &sp)) {
			if ((len = pcg_unescape(f, strlen(f), &why)) < 0)
				return -1;
			f[len] = '\0';
			if (!key.s)
				key = (struct pcg_str){ f, len };
			else
				val[n++] = (struct pcg_str){ f, len };
		}
		if (key.s && n)
			pcg_add_meta(&R.p, key, val, n);
	}
	free(s);
	return 0;
}

static void
addmeta1(const char *key, unsigned long long v)
{
	char buf[32];
	struct pcg_str s;

	snprintf(buf, sizeof(buf), "%llu", v);
	s = pcg_cstr(buf);
	pcg_add_meta(&R.p, pcg_cstr(key), &s, 1);
}

/* Frames still open end at the end. */
static void
closeall(uint64_t end)
{
	size_t i;

	for (i = 0; i < R.nth; i++)
		pcg_close(&R.p, &R.th[i]->st, &end);
	R.p.duration[0] = end;
}

/* Stop and write everything; once, whoever comes first. */
void
finish(void)
{
	uint64_t end;
	size_t i;
	FILE *fp;
	char *p;

	if (!R.on)
		return;
	R.on = 0;
	end = now();
	for (i = 0; i < R.nth; i++)
		if (end < R.th[i]->last)
			end = R.th[i]->last;
	if (R.events) {
		if (R.prelude)
			prelude(); /* its lines are counted in the trailer */
		p = ev_room(64);
		memcpy(p, "end\t", 4);
		p = ev_u64(p + 4, R.lines);
		*p++ = '\t';
		p = ev_u64(p, end);
		*p++ = '\n';
		R.blen = p - R.buf;
		ev_flush();
	} else if (R.own) {
		closeall(end);
		ownwrite();
	} else if (R.fd >= 0) {
		closeall(end);
		if (!(fp = fdopen(R.fd, "w")) || pcg_write(&R.p, fp) < 0 || fclose(fp) == EOF)
			fprintf(stderr, "pcg-trace: write: %s\n", strerror(errno));
		R.fd = -1;
	}
	if (R.fd >= 0)
		close(R.fd);
	R.fd = -1;
}

/*
 * -f: a forked child starts a profile of its own, with only what it runs
 * after the fork: the parent's aggregate, open frames and other threads are
 * dropped; the function table is kept (same ids), the meta gets the child's
 * pid and start.  Plain C, no Python: this runs inside fork().  Nothing is
 * written or opened here (a child that execs at once leaves no file).
 */
static void
forked(void)
{
	struct pcg_profile q;
	struct th *t = cur;
	struct timespec ts;
	char buf[32];
	struct pcg_str v;
	size_t i;
	uint32_t tid = 0;

	R.own = 1;
	R.execs = 0;
	pcg_init(&q);
	pcg_add_cost(&q, "wall", "ns");
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < R.p.nmeta; i++) {
		const struct pcg_meta *m = &R.p.meta[i];
		if (pcg_str_eq(m->key, pcg_cstr("pid")))
			snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		else if (pcg_str_eq(m->key, pcg_cstr("start")))
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)ts.tv_sec * 1000000000u + ts.tv_nsec);
		else {
			pcg_add_meta(&q, m->key, m->val, m->nval);
			continue;
		}
		v = pcg_cstr(buf);
		pcg_add_meta(&q, m->key, &v, 1);
	}
	for (i = 1; i < R.p.nfn; i++)
		pcg_fn_intern(&q, &R.p.fn[i]);
	if (t)
		tid = pcg_thread_add(&q, getpid(), R.p.thread[t->id].name);
	for (i = 0; i < R.nth; i++) {
		if (R.th[i] == t)
			continue;
		pcg_stack_free(&R.th[i]->st);
		free(R.th[i]->key);
		free(R.th[i]);
	}
	pcg_free(&R.p);
	R.p = q;
	R.nth = 0;
	if (t) {
		pcg_stack_free(&t->st);
		pcg_stack_init(&t->st, tid);
		t->id = tid;
		t->depth = 0;
		t->pset = 0;
		t->last = 0;
		R.th[R.nth++] = t;
	}
	R.base = clk();
	R.flushed = 0;
	if (R.events) {
		R.lines = 0;
		R.forkfn = R.nfn;
		R.forkth = tid;
		R.prelude = 1;
	}
}

static volatile sig_atomic_t dying; /* a signal held until the profile is written */
static const int termsigs[] = { SIGTERM, SIGHUP };
static timer_t retry[LEN(termsigs)]; /* per signal: deliver it again */
static int nretry;                    /* how many of them exist */

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif
#define RETRY_NS 10000000

/* Timers that send the signals again to the calling thread, the one that
 * runs Python's handlers (see caught()).  A process has its own. */
static void
mkretry(void)
{
	struct sigevent ev;

	for (nretry = 0; nretry < (int)LEN(termsigs); nretry++) {
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_THREAD_ID;
		ev.sigev_signo = termsigs[nretry];
		ev.sigev_notify_thread_id = syscall(SYS_gettid);
		if (timer_create(CLOCK_MONOTONIC, &ev, &retry[nretry]) < 0)
			break;
	}
}

static void
noretry(void)
{
	struct itimerspec off;
	int i;

	memset(&off, 0, sizeof(off));
	for (i = 0; i < nretry; i++)
		timer_settime(retry[i], 0, &off, NULL);
}

/* Die of SIG as if no handler were set, so that the status says so. */
static void
die(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

/*
 * A signal that reaches a forked child before Python's own after-fork code
 * is dropped there (Python takes what it finds noted for the parent's).
 * With SIG_DFL the child would have died of it; with our handler it goes
 * on: a multiprocessing.Pool worker that terminate() kills as it starts
 * then waits for ever on the lock terminate() holds.  So what arrives from
 * fork() to our after_in_child callback (forkdone()) is sent again there.
 */
static volatile sig_atomic_t forking;              /* from fork()'s prepare on */
static volatile sig_atomic_t forklate[LEN(termsigs)]; /* arrived in that window */
static pid_t forkpid;                              /* the one that forks */

/*
 * Send again what arrived since fork().  Called by forkdone(), or on 3.6,
 * which has no after_in_child, as a pending call; that may run while 3.6
 * still ignores signals as another process's (its after-fork code runs
 * Python code), so there it does what our handler would do.
 */
static int
resend(void *unused)
{
	size_t i;

	(void)unused;
	forking = 0;
	for (i = 0; i < LEN(termsigs); i++) {
		if (!forklate[i])
			continue;
		forklate[i] = 0;
		if (py.version < 307) {
			noretry();
			finish();
			die(termsigs[i]);
		}
		raise(termsigs[i]);
	}
	return 0;
}

static void
forknote(int sig)
{
	size_t i;

	for (i = 0; i < LEN(termsigs); i++)
		if (termsigs[i] == sig)
			forklate[i] = 1;
	if (py.version < 307 && py.Py_AddPendingCall)
		py.Py_AddPendingCall(resend, NULL);
}

static void
atfork_prepare(void)
{
	size_t i;

	for (i = 0; i < LEN(termsigs); i++)
		forklate[i] = 0;
	forkpid = getpid();
	forking = 1;
}

static void
atfork_parent(void)
{
	forking = 0;
}

/* A forked child must never write into its parent's stream. */
static void
atfork_child(void)
{
	if (R.fd >= 0)
		close(R.fd);
	R.fd = -1;
	R.blen = 0;
	dying = 0;
	if (R.follow && R.on) {
		forked();
		mkretry();
	} else {
		R.on = 0;
		nretry = 0; /* timers are not inherited */
	}
}

/*
 * SIGTERM and SIGHUP, when the program leaves them at SIG_DFL, get a
 * Python-level handler that writes the profile, then dies of the signal.
 * Python runs it in the main thread between two bytecodes, where writing
 * is safe, unlike in a C-level handler.
 */
static PyObject *sigmod, *sighandler;
static void (*pyhandler)(int); /* Python's C-level handler */

static PyObject *
onsignal(PyObject *self, PyObject *args)
{
	long sig = py.PyLong_AsLong(py.PyTuple_GetItem(args, 0));

	(void)self;
	noretry();
	finish();
	die(sig);
	py.Py_IncRef(R.none);
	return R.none;
}

/*
 * In front of Python's C-level handler, which only notes the signal for the
 * main thread to act on between two bytecodes.  That thread may have checked
 * for signals just before it blocked in a C call that nothing interrupts
 * again: a multiprocessing.Pool worker waiting for the lock that terminate()
 * holds never runs the handler and never dies (the hooks' work just before
 * the call makes that window wide).  So send the signal again every 10 ms
 * until the handler runs: each one interrupts the call, and Python runs the
 * handler when it sees the call interrupted.
 */
static void
caught(int sig)
{
	struct itimerspec it;
	int e = errno, i;

	pyhandler(sig);
	if (forking && getpid() != forkpid)
		forknote(sig);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_nsec = RETRY_NS;
	for (i = 0; i < nretry; i++)
		if (termsigs[i] == sig && R.on)
			timer_settime(retry[i], 0, &it, NULL);
	errno = e;
}

/* Put caught() in front of the handler Python just set for SIG. */
static void
front(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa) < 0 || (sa.sa_flags & SA_SIGINFO) ||
	    sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN ||
	    (pyhandler && sa.sa_handler != pyhandler))
		return;
	pyhandler = sa.sa_handler;
	sa.sa_handler = caught;
	sigaction(sig, &sa, NULL);
}

static struct pymethoddef sigdef = { "pcg_signal", onsignal, METH_VARARGS, NULL };

static void
catchsignals(void)
{
	PyObject *dfl, *old, *n, *r;
	size_t i;

	/* The C module: signal.py would import enum, ~2 ms before every
	 * program, and take its import out of the programs that do. */
	if (!(sigmod = py.PyImport_ImportModule("_signal")))
		goto out;
	dfl = py.PyObject_GetAttrString(sigmod, "SIG_DFL");
	sighandler = py.PyCFunction_NewEx(&sigdef, NULL, NULL);
	for (i = 0; dfl && sighandler && i < LEN(termsigs); i++) {
		n = py.PyLong_FromLong(termsigs[i]);
		old = py.PyObject_CallFunctionObjArgs(py.PyObject_GetAttrString(sigmod, "getsignal"), n, NULL);
		if (old && py.PyObject_RichCompareBool(old, dfl, 2) == 1 &&
		    (r = py.PyObject_CallFunctionObjArgs(py.PyObject_GetAttrString(sigmod, "signal"), n, sighandler, NULL))) {
			py.Py_DecRef(r);
			front(termsigs[i]);
		}
		py.Py_DecRef(old ? old : R.none);
		py.Py_DecRef(n);
	}
out:
	py.PyErr_Clear();
}

/* At exit, once Python no longer runs its handlers: a signal is noted, to
 * be died of once the profile is written; a second one kills at once, in
 * case the exit is stuck. */
static void
held(int sig)
{
	if (dying)
		die(sig);
	dying = sig;
}

/* Python-level signal.signal(SIG, what); 0 if done. */
static int
pysignal(int sig, PyObject *what)
{
	PyObject *n = py.PyLong_FromLong(sig), *f, *r = NULL;

	if (n && (f = py.PyObject_GetAttrString(sigmod, "signal"))) {
		r = py.PyObject_CallFunctionObjArgs(f, n, what, NULL);
		py.Py_DecRef(f);
	}
	py.Py_DecRef(n ? n : R.none);
	py.Py_DecRef(r ? r : R.none);
	return r ? 0 : -1;
}

/* The signals in SIGS[N] whose Python-level handler is ours (or Python's
 * own KeyboardInterrupt, for SIGINT), as a set. */
static void
ourhandlers(const int *sigs, size_t n, sigset_t *set)
{
	PyObject *get, *intr, *num, *h;
	size_t i;

	sigemptyset(set);
	get = py.PyObject_GetAttrString(sigmod, "getsignal");
	intr = py.PyObject_GetAttrString(sigmod, "default_int_handler");
	for (i = 0; get && i < n; i++) {
		if (!(num = py.PyLong_FromLong(sigs[i])))
			break;
		h = py.PyObject_CallFunctionObjArgs(get, num, NULL);
		if (h && (h == sighandler || (sigs[i] == SIGINT && h == intr)))
			sigaddset(set, sigs[i]);
		py.Py_DecRef(h ? h : R.none);
		py.Py_DecRef(num);
	}
	py.Py_DecRef(get ? get : R.none);
	py.Py_DecRef(intr ? intr : R.none);
	py.PyErr_Clear();
}

/*
 * os.register_at_fork's after_in_child: Python has forgotten the signals it
 * had noted, so the ones that came since the fork are sent again.  A child
 * that is not followed has nothing to write: it gets back SIG_DFL first.
 */
static PyObject *
forkdone(PyObject *self, PyObject *args)
{
	PyObject *dfl;
	sigset_t ours;
	size_t i;

	(void)self;
	(void)args;
	if (!R.on && sigmod && (dfl = py.PyObject_GetAttrString(sigmod, "SIG_DFL"))) {
		ourhandlers(termsigs, LEN(termsigs), &ours);
		for (i = 0; i < LEN(termsigs); i++)
			if (sigismember(&ours, termsigs[i]) && pysignal(termsigs[i], dfl) < 0)
				py.PyErr_Clear();
		py.Py_DecRef(dfl);
	}
	resend(NULL);
	py.PyErr_Clear();
	py.Py_IncRef(R.none);
	return R.none;
}

static struct pymethoddef forkdef = { "pcg_afterfork", forkdone, METH_VARARGS, NULL };

static void
watchfork(void)
{
	PyObject *os, *reg = NULL, *f = NULL, *kw = NULL, *none = NULL, *r = NULL;

	if ((os = py.PyImport_ImportModule("os")) && (reg = py.PyObject_GetAttrString(os, "register_at_fork")) &&
	    (f = py.PyCFunction_NewEx(&forkdef, NULL, NULL)) && (kw = py.PyDict_New()) &&
	    py.PyDict_SetItemString(kw, "after_in_child", f) == 0 && (none = py.PyTuple_New(0)))
		r = py.PyObject_Call(reg, none, kw);
	py.Py_DecRef(r ? r : R.none);
	py.Py_DecRef(none ? none : R.none);
	py.Py_DecRef(kw ? kw : R.none);
	py.Py_DecRef(f ? f : R.none);
	py.Py_DecRef(reg ? reg : R.none);
	py.Py_DecRef(os ? os : R.none);
	py.PyErr_Clear();
}

/*
 * The last atexit function (the first registered).  After it the
 * interpreter stops running Python handlers and resets them to SIG_DFL,
 * long before it calls finish(): a SIGTERM then (a multiprocessing.Pool
 * worker ending as terminate() kills it) would kill the process with its
 * profile unwritten.  So take those signals over in C for the rest of the
 * exit, with the Python-level handler set to SIG_IGN, which Python leaves
 * alone.  Not when the program itself runs the atexit functions (then it
 * has frames): it would no longer die of SIGTERM.
 */
static PyObject *
onexit(PyObject *self, PyObject *args)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT };
	PyObject *ign, *et = NULL, *ev = NULL, *tb = NULL;
	struct sigaction sa;
	sigset_t set, old, pend;
	size_t i;

	(void)self;
	(void)args;
	if (!sigmod || py.PyEval_GetFrame())
		goto out;
	ourhandlers(sigs, LEN(sigs), &set);
	if (!(ign = py.PyObject_GetAttrString(sigmod, "SIG_IGN")))
		goto out;
	pthread_sigmask(SIG_BLOCK, &set, &old);
	noretry();
	/* What arrived before runs as usual (ours writes and dies), ... */
	if (py.PyErr_CheckSignals() < 0)
		py.PyErr_Fetch(&et, &ev, &tb);
	/* ... what arrives now waits, and SIG_IGN would drop it. */
	sigpending(&pend);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = held;
	sa.sa_mask = set;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < LEN(sigs); i++) {
		if (!sigismember(&set, sigs[i]))
			continue;
		if (sigismember(&pend, sigs[i]))
			dying = sigs[i];
		if (pysignal(sigs[i], ign) == 0)
			sigaction(sigs[i], &sa, NULL);
		else
			py.PyErr_Clear();
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	py.Py_DecRef(ign);
	if (et) {
		py.PyErr_Restore(et, ev, tb);
		return NULL;
	}
out:
	py.PyErr_Clear();
	py.Py_IncRef(R.none);
	return R.none;
}

static struct pymethoddef exitdef0 = { "pcg_atexit", onexit, METH_VARARGS, NULL };

static void
watchexit(void)
{
	PyObject *mod, *f, *r;

	if ((mod = py.PyImport_ImportModule("atexit")) && (f = py.PyCFunction_NewEx(&exitdef0, NULL, NULL)) &&
	    (r = py.PyObject_CallFunctionObjArgs(py.PyObject_GetAttrString(mod, "register"), f, NULL)))
		py.Py_DecRef(r);
	py.PyErr_Clear();
}

/* Py_AtExit: the interpreter's very end. */
static void
lastly(void)
{
	finish();
	if (dying)
		die(dying);
}

/* os._exit skips every exit hook: write first, then exit as asked. */
static PyObject *realexit;

static PyObject *
osexit(PyObject *self, PyObject *args)
{
	(void)self;
	finish();
	if (dying)
		die(dying);
	return py.PyObject_CallObject(realexit, args);
}

static struct pymethoddef exitdef = { "_exit", osexit, METH_VARARGS, NULL };

/*
 * os.execv and os.execve (every os.exec* ends in one of them) replace the
 * image without any exit hook: write first.  Only when the file can be
 * run, since os.execvp tries one directory after the other.  A followed
 * image to come learns that it is the next exec, to name its own file.
 */
static PyObject *realexecv, *realexecve, *fsencode, *dicttype;

/* os.execve's ARGS with PCG_TRACE_EXEC=N added to a copy of the
 * environment, when that environment follows; NULL otherwise. */
static PyObject *
nextenv(PyObject *args, const char *n)
{
	PyObject *env = py.PyTuple_GetItem(args, 2), *k, *v = NULL, *d = NULL, *a = NULL;
	ssize_t i;

	/* Its keys may be str or bytes. */
	if (!env || !(k = py.PyUnicode_FromString("PCG_TRACE")))
		goto out;
	if (!(v = py.PyObject_GetItem(env, k))) {
		py.PyErr_Clear();
		if ((a = py.PyUnicode_AsEncodedString(k, "utf-8", "strict")))
			v = py.PyObject_GetItem(env, a);
		py.Py_DecRef(a ? a : R.none);
		a = NULL;
	}
	py.Py_DecRef(k);
	if (!v)
		goto out;
	py.Py_DecRef(v);
	if (!(d = py.PyObject_CallFunctionObjArgs(dicttype, env, NULL)) || !(v = py.PyUnicode_FromString(n)))
		goto out;
	i = py.PyDict_SetItemString(d, "PCG_TRACE_EXEC", v);
	py.Py_DecRef(v);
	if (i < 0 || !(a = py.PyTuple_New(3)))
		goto out;
	for (i = 0; i < 3; i++) {
		v = i == 2 ? d : py.PyTuple_GetItem(args, i);
		py.Py_IncRef(v);
		py.PyTuple_SetItem(a, i, v);
	}
out:
	py.Py_DecRef(d ? d : R.none);
	py.PyErr_Clear();
	return a;
}

static int
runnable(PyObject *path)
{
	PyObject *b;
	char *s;
	ssize_t n;
	int ok;

	if (py.PyObject_IsInstance(path, py.PyLong_Type) == 1)
		return 1; /* execve on a descriptor */
	if (!(b = py.PyObject_CallFunctionObjArgs(fsencode, path, NULL))) {
		py.PyErr_Clear();
		return 1;
	}
	ok = py.PyBytes_AsStringAndSize(b, &s, &n) < 0 || access(s, X_OK) == 0;
	py.Py_DecRef(b);
	py.PyErr_Clear();
	return ok;
}

static PyObject *
osexec(PyObject *real, PyObject *args, int withenv)
{
	PyObject *path = py.PyTuple_GetItem(args, 0), *r, *a = NULL;
	char n[16];

	if (!path || !R.on || !runnable(path)) {
		py.PyErr_Clear();
		return py.PyObject_CallObject(real, args);
	}
	snprintf(n, sizeof(n), "%u", R.execs + 1);
	if (R.follow && withenv)
		a = nextenv(args, n);
	else if (R.follow)
		setenv("PCG_TRACE_EXEC", n, 1);
	finish();
	r = py.PyObject_CallObject(real, a ? a : args);
	py.Py_DecRef(a ? a : R.none);
	unsetenv("PCG_TRACE_EXEC");
	fprintf(stderr, "pcg-trace: exec failed after the profile was written: "
	    "the rest of process %ld is not recorded\n", (long)getpid());
	return r;
}

static PyObject *
osexecv(PyObject *self, PyObject *args)
{
	(void)self;
	return osexec(realexecv, args, 0);
}

static PyObject *
osexecve(PyObject *self, PyObject *args)
{
	(void)self;
	return osexec(realexecve, args, 1);
}

static struct pymethoddef execvdef = { "execv", osexecv, METH_VARARGS, NULL };
static struct pymethoddef execvedef = { "execve", osexecve, METH_VARARGS, NULL };

/* os.NAME, kept in *real, becomes the C function DEF. */
static void
wrapos(PyObject *os, const char *name, PyObject **real, struct pymethoddef *def)
{
	PyObject *f, *mod;

	if ((*real = py.PyObject_GetAttrString(os, name)) &&
	    (mod = py.PyObject_GetAttrString(*real, "__module__")) &&
	    (f = py.PyCFunction_NewEx(def, NULL, mod)))
		py.PyObject_SetAttrString(os, name, f);
	py.PyErr_Clear();
}

static void
wrapexit(void)
{
	PyObject *os, *b;

	if (!(os = py.PyImport_ImportModule("os")))
		goto out;
	wrapos(os, "_exit", &realexit, &exitdef);
	if ((fsencode = py.PyObject_GetAttrString(os, "fsencode")) &&
	    (b = py.PyImport_ImportModule("builtins")) &&
	    (dicttype = py.PyObject_GetAttrString(b, "dict"))) {
		wrapos(os, "execv", &realexecv, &execvdef);
		wrapos(os, "execve", &realexecve, &execvedef);
	}
out:
	py.PyErr_Clear();
}

/* The int f_lasti of frames before 3.11: the one offset where both frames
 * hold what getattr reports (in bytes, or in 2-byte units on 3.10). */
static void
probe_lasti(void)
{
	PyObject *f = py.PyEval_GetFrame(), *g, *a;
	long want[2];
	size_t off;

	if (!f || !(g = py.PyObject_GetAttrString(f, "f_back")) || g == R.none)
		goto out;
	a = py.PyObject_GetAttrString(f, "f_lasti");
	want[0] = a ? py.PyLong_AsLong(a) : -1;
	py.Py_DecRef(a ? a : R.none);
	a = py.PyObject_GetAttrString(g, "f_lasti");
	want[1] = a ? py.PyLong_AsLong(a) : -1;
	py.Py_DecRef(a ? a : R.none);
	py.lasti_units = py.version == 310 ? 2 : 1;
	if (want[0] <= 0 || want[1] <= 0 || want[0] == want[1])
		goto out;
	for (off = 40; off < 160; off += 4) {
		if ((long)*(int *)((char *)f + off) * py.lasti_units == want[0] &&
		    (long)*(int *)((char *)g + off) * py.lasti_units == want[1]) {
			if (py.off_lasti) { /* two candidates: trust neither */
				py.off_lasti = 0;
				break;
			}
			py.off_lasti = off;
		}
	}
out:
	py.PyErr_Clear();
}

/* Offsets beyond the object header, checked against what Python reports. */
static int
probe(void)
{
	PyObject *b, *len, *str, *join, *f, *a;
	const struct pymethoddef *ml;

	b = py.PyImport_ImportModule("builtins");
	len = b ? py.PyObject_GetAttrString(b, "len") : NULL;
	py.off_mml = 16;
	if (!len || TYPE(len) != py.PyCFunction_Type ||
	    !(ml = *(struct pymethoddef **)((char *)len + 16)) || strcmp(ml->name, "len"))
		return -1;
	str = py.PyObject_GetAttrString(b, "str");
	join = str ? py.PyObject_GetAttrString(str, "join") : NULL;
	py.off_dmethod = 40;
	if (!join || TYPE(join) != py.PyMethodDescr_Type ||
	    !(ml = *(struct pymethoddef **)((char *)join + 40)) || strcmp(ml->name, "join"))
		return -1;
	if (!py.PyFrame_GetCode || !py.PyFrame_GetBack) {
		f = py.PyEval_GetFrame();
		py.off_fcode = 32;
		py.off_fback = 24;
		if (!f || !(a = py.PyObject_GetAttrString(f, "f_code")) ||
		    *(PyObject **)((char *)f + 32) != a)
			return -1;
		py.Py_DecRef(a);
		a = py.PyObject_GetAttrString(f, "f_back");
		if (!a || *(PyObject **)((char *)f + 24) != (a == R.none ? NULL : a))
			return -1;
		py.Py_DecRef(a);
	}
	if (py.version < 311)
		probe_lasti();
	if (R.monitoring) {
		/* 3.12+ compact ints: lv_tag (ndigits << 3 | sign) then digits. */
		a = py.PyLong_FromLong(12345);
		R.fastlong = a && *(uintptr_t *)((char *)a + 16) == (1 << 3) &&
		    *(uint32_t *)((char *)a + 24) == 12345;
		py.Py_DecRef(a ? a : R.none);
	}
	return 0;
}

static int
version(void)
{
	PyObject *sys = py.PyImport_ImportModule("sys"), *vi, *x;
	int v = 0;

	if (sys && (vi = py.PyObject_GetAttrString(sys, "version_info"))) {
		x = py.PyObject_GetAttrString(vi, "major");
		v = 100 * py.PyLong_AsLong(x);
		py.Py_DecRef(x);
		x = py.PyObject_GetAttrString(vi, "minor");
		v += py.PyLong_AsLong(x);
		py.Py_DecRef(x);
		py.Py_DecRef(vi);
	}
	return v;
}

/*
 * The TSC, where the kernel itself keeps time with it (it checked that the
 * TSC is invariant and synchronised across CPUs), scaled to nanoseconds by
 * 2 ms of CLOCK_MONOTONIC measured here; PCG_CLOCK=monotonic refuses it.
 */
static void
clock_pick(void)
{
#ifdef __x86_64__
	const char *env = getenv("PCG_CLOCK");
	char src[16] = "";
	uint64_t c0, c1, t0, t1;
	FILE *fp;

	if (env && strcmp(env, "monotonic") == 0)
		return;
	if (!(fp = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r")))
		return;
	if (!fgets(src, sizeof(src), fp))
		src[0] = 0;
	fclose(fp);
	if (strcmp(src, "tsc\n") != 0)
		return;
	t0 = __builtin_ia32_rdtsc();
	c0 = monotonic_ns();
	do {
		c1 = monotonic_ns();
		t1 = __builtin_ia32_rdtsc();
	} while (c1 - c0 < 2000000);
	if (t1 <= t0 || t1 - t0 < (c1 - c0) / 8)
		return; /* absurd: slower than 125 MHz, or stopped */
	R.mult = ((c1 - c0) << 32) / (t1 - t0);
	R.tsc = 1;
#endif
}

/*
 * Called by the bootstrap (ctypes.PyDLL: with the GIL) with the output
 * descriptor, flags (1: events layer, 2: -f, 4: a followed process, that
 * writes its own file, named by pattern; fd is then -1; bits 8 on: the
 * image's exec count) and the metadata lines.
 */
__attribute__((visibility("default"))) int
pcg_trace_start(int fd, int flags, const char *meta, const char *pattern)
{
	struct timespec ts;

	argv0 = "pcg-trace";
	if (R.hooked || pyapi_resolve() < 0)
		return -1;
	R.none = py._Py_NoneStruct;
	py.version = version();
	R.monitoring = py.version >= 312;
	if (py.version < 306 || probe() < 0) {
		fprintf(stderr, "pcg-trace: unsupported interpreter (version %d.%d)\n",
		    py.version / 100, py.version % 100);
		return -1;
	}
	if (!(R.threading = py.PyImport_ImportModule("threading")))
		return -1;
	R.fd = fd;
	R.events = flags & 1;
	R.follow = (flags & 2) && pattern;
	R.own = R.follow && (flags & 4);
	R.execs = R.own ? (unsigned)flags >> 8 : 0;
	if (R.follow) {
		mode_t um = umask(0);
		umask(um);
		R.umask = um;
		R.pattern = estrdup(pattern);
	}
	if (R.own)
		R.fd = -1;
	else
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	pcg_init(&R.p);
	pcg_add_cost(&R.p, "wall", "ns");
	if (addmeta(meta) < 0) {
		fprintf(stderr, "pcg-trace: bad metadata from the bootstrap\n");
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	addmeta1("pid", getpid());
	clock_pick();
	pcg_add_meta(&R.p, pcg_cstr("clock"), R.tsc ? &(struct pcg_str){ "tsc", 3 } : &(struct pcg_str){ "monotonic", 9 }, 1);
	addmeta1("start", (unsigned long long)ts.tv_sec * 1000000000u + ts.tv_nsec);
	pcg_add_meta(&R.p, pcg_cstr("creator"),
	    &(struct pcg_str){ "pcg-trace " PCG_VERSION_STRING, sizeof("pcg-trace " PCG_VERSION_STRING) - 1 }, 1);
	if (R.events) {
		if (R.own && ownopen() < 0)
			return -1;
		R.buf = emalloc(BUFSZ);
		ev_header();
	}
	R.entcap = 1024;
	R.ent = ecalloc(R.entcap, sizeof(*R.ent));
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	py.Py_AtExit(lastly);
	mkretry();
	catchsignals();
	watchfork();
	watchexit();
	wrapexit();
	R.base = clk();
	R.on = 1;
	newthread();
	if (hooks_install() < 0) {
		R.on = 0;
		return -1;
	}
	R.hooked = 1;
	return 0;
}

/*
 * pcg-recorder.so: loaded into the traced interpreter by the sitecustomize
 * bootstrap as the extension module _pcg_recorder, whose start() calls
 * pcg_trace_start(); pcg-trace -p's scripts load it with ctypes and call
 * pcg_attach_start() and pcg_attach_stop().  Aggregates calls in process
 * (profile layer, written at exit) or streams them live (--events).
 * This file starts it: the interpreter (cpython.c), the clock, the
 * metadata, the output (out.c), signals (signals.c), fork and exec
 * (fork.c), then the hooks (hooks.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "util.h"

struct rec R;
__thread struct th *cur __attribute__((tls_model("initial-exec")));

/* The bootstrap's metadata, raw: key, values, NULL, key, ..., NULL, NULL. */
static void
addmeta(const char *const *meta)
{
	struct pcg_str *val = NULL;
	size_t n, cap = 0;

	while (*meta) {
		for (n = 0; meta[n + 1]; n++) {
			egrow((void **)&val, &cap, n, sizeof(*val));
			val[n] = pcg_cstr(meta[n + 1]);
		}
		if (n)
			pcg_add_meta(&R.p, pcg_cstr(meta[0]), val, n);
		meta += n + 2;
	}
	free(val);
}

/*
 * The command line, NUL-separated: the launcher's, from the descriptor it
 * handed down (any size, any bytes, empty arguments kept), or for a
 * followed process its own, from /proc.  The launcher's descriptor is
 * kept from the program's own children (close-on-exec) but stays open:
 * other interpreters of the same command line read it too.
 */
static void
addcmd(int fd)
{
	struct pcg_str *arg = NULL;
	char *buf = NULL, *p, *end;
	size_t len = 0, cap = 0, n = 0, acap = 0;
	ssize_t r;
	int own = fd < 0;

	if (own && (fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	do {
		egrow((void **)&buf, &cap, len + 4096, 1);
		if ((r = pread(fd, buf + len, cap - len - 1, len)) > 0)
			len += r;
	} while (r > 0 || (r < 0 && errno == EINTR));
	if (r < 0)
		fprintf(stderr, "pcg-trace: reading the command line: %s\n", strerror(errno));
	if (own)
		close(fd);
	else
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (len && buf[len - 1] != '\0')
		buf[len++] = '\0'; /* the room kept above */
	for (p = buf, end = buf + len; p < end; p += arg[n++].len + 1) {
		egrow((void **)&arg, &acap, n, sizeof(*arg));
		arg[n] = pcg_cstr(p);
	}
	if (n)
		pcg_add_meta(&R.p, pcg_cstr("cmd"), arg, n);
	free(arg);
	free(buf);
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


#ifdef __x86_64__
/* CLOCK_MONOTONIC and the TSC at one instant: the TSC halfway between a
 * read before and one after, the closest pair of a few (a preemption
 * between two reads would skew the scale: 4 ms lost there in 2 ms of
 * scaling and every time is a third of what it was). */
static void
clock_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t a, b, c, best = 0;
	int i;

	for (i = 0; i < 5; i++) {
		a = __builtin_ia32_rdtsc();
		c = monotonic_ns();
		b = __builtin_ia32_rdtsc();
		if (i == 0 || b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = c;
		}
	}
}
#endif

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
	clock_pair(&t0, &c0);
	do
		clock_pair(&t1, &c1);
	while (c1 - c0 < 2000000);
	if (t1 <= t0 || t1 - t0 < (c1 - c0) / 8)
		return; /* absurd: slower than 125 MHz, or stopped */
	R.mult = ((c1 - c0) << 32) / (t1 - t0);
	R.tsc = 1;
#endif
}

/*
 * Called by the bootstrap (_pcg_recorder.start, below: with the GIL) with
 * the output descriptor, flags (1: events layer, 2: -f, 4: a followed
 * process, that writes its own file, named by pattern; fd is then -1; 8:
 * --raw, no compensation; 16: --paused, recording off until SIGUSR2; 32:
 * --lines, line costs too (format version 2); 64: --cpu, a second cost
 * column, the thread's CPU time; bits 8 on: the image's exec count), the
 * descriptor holding the command line (-1: this process's own) and the
 * interpreter's metadata (addmeta).
 */
static int
pcg_trace_start(int fd, int flags, int cmdfd, const char *const *meta, const char *pattern)
{
	struct timespec ts;
	struct th *me;
	int calib, events;

	argv0 = "pcg-trace";
	if (R.hooked || cpy_resolve() < 0)
		return -1;
	R.none = py._Py_NoneStruct;
	if (cpy_probe(R.none) < 0) {
		fprintf(stderr, "pcg-trace: unsupported interpreter (version %d.%d)\n",
		    py.version / 100, py.version % 100);
		return -1;
	}
	if (!(R.threading = py.PyImport_ImportModule("threading")))
		return -1;
	names_init();
	out_init(fd, flags & 1, flags & 2, flags & 4, (unsigned)flags >> 8, pattern);
	pcg_init(&R.p);
	pcg_add_cost(&R.p, "wall", "ns");
	if (flags & 64)
		pcg_add_cost(&R.p, "cpu", "ns");
	if ((R.lines = (flags & 32) != 0))
		pcg_lines_on(&R.p);
	addcmd(cmdfd);
	addmeta(meta);
	clock_gettime(CLOCK_REALTIME, &ts);
	addmeta1("pid", getpid());
	clock_pick();
	pcg_add_meta(&R.p, pcg_cstr("clock"), R.tsc ? &(struct pcg_str){ "tsc", 3 } : &(struct pcg_str){ "monotonic", 9 }, 1);
	addmeta1("start", (unsigned long long)ts.tv_sec * 1000000000u + ts.tv_nsec);
	pcg_add_meta(&R.p, pcg_cstr("creator"),
	    &(struct pcg_str){ "pcg-trace " PCG_VERSION_STRING, sizeof("pcg-trace " PCG_VERSION_STRING) - 1 }, 1);
	R.entcap = 1024;
	R.ent = ecalloc(R.entcap, sizeof(*R.ent));
	fork_install();
	sig_install();
	/* This thread is named before the hooks go in (naming runs Python
	 * code), and written out once the header is (out_begin). */
	events = O.events;
	O.events = 0;
	me = newthread();
	if (flags & 64) {
		const char *how = cpu_setup(me);
		pcg_add_meta(&R.p, pcg_cstr("cpuclock"), &(struct pcg_str){ (char *)how, strlen(how) }, 1);
		R.cpu = 1;
	}
	/* The hooks go in with a scratch recording, to time them (calib.c). */
	calib = !(flags & 8) && calib_begin(events) == 0;
	R.base = clk();
	R.on = 1;
	if (hooks_install() < 0) {
		R.on = 0;
		return -1;
	}
	if (calib)
		calib_end();
	O.events = events;
	if (out_begin() < 0)
		return -1;
	if (O.events)
		ev_thread(me->id, R.p.thread[me->id].native, R.p.thread[me->id].name);
	R.base = clk();
	if (R.cpu)
		cpu_thread_rebase(me); /* the calibration's time was not the program's */
	R.hooked = 1;
	if (flags & 16) {
		sig_toggle_install();
		hooks_pause(1);
	}
	return 0;
}

/* An int argument of start(), or -1 with TypeError or OverflowError set. */
static int
argint(PyObject *args, ssize_t i, int *v)
{
	long l = py.PyLong_AsLong(py.PyTuple_GetItem(args, i));

	if (l == -1 && py.PyErr_Occurred())
		return -1;
	if (l < INT_MIN || l > INT_MAX)
		return py.PyErr_BadArgument(), -1;
	*v = l;
	return 0;
}

/* A bytes-or-None argument: its bytes, NULL for None, or -1 with TypeError
 * (or ValueError: an embedded NUL) set. */
static int
argstr(PyObject *o, char **s)
{
	*s = NULL;
	return o == py._Py_NoneStruct ? 0 : py.PyBytes_AsStringAndSize(o, s, NULL);
}

/*
 * _pcg_recorder.start(fd, flags, cmdfd, meta, pattern): pcg_trace_start's
 * arguments, meta a tuple of bytes and None (addmeta's list, without its
 * last NULL), pattern bytes or None; its result.  The strings are the
 * arguments' own: addmeta and out_init copy what they keep.
 */
static PyObject *
start(PyObject *self, PyObject *args)
{
	PyObject *meta;
	char **m, *pattern;
	ssize_t i, n;
	int fd, flags, cmdfd, r = -1;

	(void)self;
	if (py.PyTuple_Size(args) != 5 || argint(args, 0, &fd) < 0 || argint(args, 1, &flags) < 0 ||
	    argint(args, 2, &cmdfd) < 0 || !(meta = py.PyTuple_GetItem(args, 3)) ||
	    TYPE(meta) != py.PyTuple_Type || argstr(py.PyTuple_GetItem(args, 4), &pattern) < 0)
		goto bad;
	n = py.PyTuple_Size(meta);
	m = ecalloc(n + 1, sizeof(*m));
	for (i = 0; i < n && argstr(py.PyTuple_GetItem(meta, i), &m[i]) == 0; i++)
		;
	if (i == n)
		r = pcg_trace_start(fd, flags, cmdfd, (const char *const *)m, pattern);
	free(m);
	if (i < n || calib_raise()) /* a Ctrl-C during the calibration */
		return NULL;
	return py.PyLong_FromLong(r);
bad:
	if (!py.PyErr_Occurred())
		py.PyErr_BadArgument();
	return NULL;
}

static struct pymethoddef recdefs[] = {
	{ "start", start, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL },
};

/* Size -1: one instance, state in globals (the whole recorder's). */
static struct pymoduledef recmod = {
	{ 1, NULL }, NULL, 0, NULL, "_pcg_recorder", NULL, -1, recdefs, NULL, NULL, NULL, NULL,
};

/*
 * The bootstrap loads this object as the extension module _pcg_recorder
 * (_imp.create_dynamic) rather than through ctypes, whose import alone
 * costs the program half a megabyte.  Single-phase init (a module
 * returned), which every version takes; made before any hook goes in,
 * so that nothing of it is recorded.  Without the API there is no
 * exception to raise: the import machinery raises SystemError.
 */
__attribute__((visibility("default"))) PyObject *
PyInit__pcg_recorder(void)
{
	if (cpy_resolve() < 0)
		return NULL;
	return py.PyModule_Create2(&recmod, PY_ABI_VERSION);
}

/*
 * pcg-trace -p: a script of pcg-trace's, run in the process by
 * sys.remote_exec (3.14+, in the main thread, with the GIL), calls this
 * with a folder of pcg-trace's and the interpreter's metadata.  The
 * profile goes to DIR/prof once pcg_attach_stop() is called by a second
 * such script.  Only the hooks go in: no signal, fork or exec handling, no
 * sys.setprofile wrapper, nothing the program would see after detaching;
 * no compensation either (its timing loops would run while the program's
 * threads run into them).  Each attach is a new recording (R.gen): the
 * threads' stacks of the one before are left behind, their names and
 * call-site lines known already are kept.
 */
static char attachdir[PATH_MAX];

/* A child forked while attached records nothing: its first event sees
 * R.on off and sets our events to 0 (hooks.c stop()). */
static void
attach_child(void)
{
	if (R.attached)
		R.on = 0;
}

__attribute__((visibility("default"))) int
pcg_attach_start(const char *dir, const char *const *meta)
{
	static int atfork;
	char path[PATH_MAX];
	struct timespec ts;
	int fd;

	argv0 = "pcg-trace";
	if (R.on || R.hooked)
		return -2; /* pcg-trace says so */
	if (!atfork++)
		pthread_atfork(NULL, NULL, attach_child);
	if (cpy_resolve() < 0)
		return -1;
	R.none = py._Py_NoneStruct;
	if (cpy_probe(R.none) < 0 || !py.monitoring)
		return -1;
	if (!(R.threading = py.PyImport_ImportModule("threading")))
		return -1;
	names_init();
	if (snprintf(attachdir, sizeof(attachdir), "%s", dir) >= (int)sizeof(attachdir) ||
	    snprintf(path, sizeof(path), "%s/prof.tmp", dir) >= (int)sizeof(path) ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	R.gen++;
	R.nth = 0;
	R.paused = 0;
	memset(R.bias, 0, sizeof(R.bias));
	out_init(fd, 0, 0, 0, 0, NULL);
	pcg_init(&R.p);
	pcg_add_cost(&R.p, "wall", "ns");
	addcmd(-1);
	addmeta(meta);
	clock_gettime(CLOCK_REALTIME, &ts);
	addmeta1("pid", getpid());
	if (!R.mult && !R.tsc)
		clock_pick();
	pcg_add_meta(&R.p, pcg_cstr("clock"), R.tsc ? &(struct pcg_str){ "tsc", 3 } : &(struct pcg_str){ "monotonic", 9 }, 1);
	addmeta1("start", (unsigned long long)ts.tv_sec * 1000000000u + ts.tv_nsec);
	addmeta1("attached", 1);
	pcg_add_meta(&R.p, pcg_cstr("creator"),
	    &(struct pcg_str){ "pcg-trace " PCG_VERSION_STRING, sizeof("pcg-trace " PCG_VERSION_STRING) - 1 }, 1);
	R.entcap = 1024;
	R.nent = 0;
	R.ent = ecalloc(R.entcap, sizeof(*R.ent));
	R.attached = 1;
	newthread(); /* this one, named before the hooks go in */
	R.base = clk();
	R.on = 1;
	if (hooks_install() < 0) {
		hooks_remove();
		R.on = R.attached = 0;
		close(fd);
		unlink(path);
		return -1;
	}
	hooks_stacks();
	return 0;
}

/* The hooks out, the profile written: DIR/prof, complete once there. */
__attribute__((visibility("default"))) int
pcg_attach_stop(void)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	size_t i;

	if (!R.attached || !R.on)
		return -1;
	hooks_remove();
	finish();
	snprintf(tmp, sizeof(tmp), "%s/prof.tmp", attachdir);
	snprintf(path, sizeof(path), "%s/prof", attachdir);
	R.attached = 0;
	for (i = 0; i < R.nth; i++) { /* their structs stay: threads point at them */
		free(R.th[i]->key);
		free(R.th[i]->line);
		R.th[i]->key = NULL;
		R.th[i]->line = NULL;
		R.th[i]->depth = R.th[i]->cap = 0;
	}
	R.nth = 0;
	pcg_free(&R.p);
	free(R.ent); /* code objects it keeps alive (no PEP 523 API) stay so */
	R.ent = NULL;
	/* Nothing on the program's stderr: the script tells pcg-trace. */
	return rename(tmp, path);
}

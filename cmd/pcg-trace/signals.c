/*
 * Signals: SIGTERM and SIGHUP write the profile before the process dies of
 * them, in the main thread, where Python runs its handlers; at exit, once
 * Python runs none, C takes them over; and a forked child gets back the
 * ones that reached it before Python's after-fork code forgot them.
 */
#define _GNU_SOURCE /* syscall */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rec.h"
#include "util.h"

static const int termsigs[] = { SIGTERM, SIGHUP };

static struct {
	volatile sig_atomic_t dying;   /* a signal held until the profile is written */
	timer_t retry[LEN(termsigs)];  /* per signal: deliver it again */
	int nretry;                    /* how many of them exist */
	/* The fork window (see resend()). */
	volatile sig_atomic_t forking; /* from fork()'s prepare on */
	volatile sig_atomic_t forklate[LEN(termsigs)]; /* arrived in that window */
	pid_t forkpid;                 /* the one that forks */
	int afterfork;                 /* forkdone() is registered */
	/* Python's side. */
	PyObject *mod, *handler;       /* _signal, and our Python-level handler */
	PyObject *toggle;              /* --paused: our SIGUSR2 handler */
	void (*pyhandler)(int);        /* Python's C-level handler */
} S;

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

	for (S.nretry = 0; S.nretry < (int)LEN(termsigs); S.nretry++) {
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_THREAD_ID;
		ev.sigev_signo = termsigs[S.nretry];
		ev.sigev_notify_thread_id = syscall(SYS_gettid);
		if (timer_create(CLOCK_MONOTONIC, &ev, &S.retry[S.nretry]) < 0)
			break;
	}
}

static void
noretry(void)
{
	struct itimerspec off;
	int i;

	memset(&off, 0, sizeof(off));
	for (i = 0; i < S.nretry; i++)
		timer_settime(S.retry[i], 0, &off, NULL);
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
	S.forking = 0;
	for (i = 0; i < LEN(termsigs); i++) {
		if (!S.forklate[i])
			continue;
		S.forklate[i] = 0;
		if (!S.afterfork) {
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
			S.forklate[i] = 1;
	if (!S.afterfork && py.Py_AddPendingCall)
		py.Py_AddPendingCall(resend, NULL);
}

void
sig_atfork_prepare(void)
{
	size_t i;

	for (i = 0; i < LEN(termsigs); i++)
		S.forklate[i] = 0;
	S.forkpid = getpid();
	S.forking = 1;
}

void
sig_atfork_parent(void)
{
	S.forking = 0;
}


/*
 * SIGTERM and SIGHUP, when the program leaves them at SIG_DFL, get a
 * Python-level handler that writes the profile, then dies of the signal.
 * Python runs it in the main thread between two bytecodes, where writing
 * is safe, unlike in a C-level handler.
 */

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

	S.pyhandler(sig);
	if (S.forking && getpid() != S.forkpid)
		forknote(sig);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_nsec = RETRY_NS;
	for (i = 0; i < S.nretry; i++)
		if (termsigs[i] == sig && R.on)
			timer_settime(S.retry[i], 0, &it, NULL);
	errno = e;
}

/* Put caught() in front of the handler Python just set for SIG. */
static void
front(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &sa) < 0 || (sa.sa_flags & SA_SIGINFO) ||
	    sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN ||
	    (S.pyhandler && sa.sa_handler != S.pyhandler))
		return;
	S.pyhandler = sa.sa_handler;
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
	if (!(S.mod = py.PyImport_ImportModule("_signal")))
		goto out;
	dfl = py.PyObject_GetAttrString(S.mod, "SIG_DFL");
	S.handler = py.PyCFunction_NewEx(&sigdef, NULL, NULL);
	for (i = 0; dfl && S.handler && i < LEN(termsigs); i++) {
		n = py.PyLong_FromLong(termsigs[i]);
		old = py.PyObject_CallFunctionObjArgs(py.PyObject_GetAttrString(S.mod, "getsignal"), n, NULL);
		if (old && py.PyObject_RichCompareBool(old, dfl, 2) == 1 &&
		    (r = py.PyObject_CallFunctionObjArgs(py.PyObject_GetAttrString(S.mod, "signal"), n, S.handler, NULL))) {
			py.Py_DecRef(r);
			front(termsigs[i]);
		}
		py.Py_DecRef(old);
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
	if (S.dying)
		die(sig);
	S.dying = sig;
}

/* Python-level signal.signal(SIG, what); 0 if done. */
static int
pysignal(int sig, PyObject *what)
{
	PyObject *n = py.PyLong_FromLong(sig), *f, *r = NULL;

	if (n && (f = py.PyObject_GetAttrString(S.mod, "signal"))) {
		r = py.PyObject_CallFunctionObjArgs(f, n, what, NULL);
		py.Py_DecRef(f);
	}
	py.Py_DecRef(n);
	py.Py_DecRef(r);
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
	get = py.PyObject_GetAttrString(S.mod, "getsignal");
	intr = py.PyObject_GetAttrString(S.mod, "default_int_handler");
	for (i = 0; get && i < n; i++) {
		if (!(num = py.PyLong_FromLong(sigs[i])))
			break;
		h = py.PyObject_CallFunctionObjArgs(get, num, NULL);
		if (h && (h == S.handler || (sigs[i] == SIGINT && h == intr)))
			sigaddset(set, sigs[i]);
		py.Py_DecRef(h);
		py.Py_DecRef(num);
	}
	py.Py_DecRef(get);
	py.Py_DecRef(intr);
	py.PyErr_Clear();
}

/* SIGUSR2's Python-level handler is still our --paused toggle. */
static int
istoggle(void)
{
	PyObject *n = py.PyLong_FromLong(SIGUSR2), *h = NULL, *get;

	if (n && (get = py.PyObject_GetAttrString(S.mod, "getsignal"))) {
		h = py.PyObject_CallFunctionObjArgs(get, n, NULL);
		py.Py_DecRef(get);
	}
	py.Py_DecRef(n);
	py.Py_DecRef(h);
	py.PyErr_Clear();
	return h && h == S.toggle;
}

/*
 * os.register_at_fork's after_in_child: Python has forgotten the signals it
 * had noted, so the ones that came since the fork are sent again.  A child
 * that is not followed has nothing to write: it gets back SIG_DFL first;
 * one that is tells the launcher it records.
 */
static PyObject *
forkdone(PyObject *self, PyObject *args)
{
	PyObject *dfl;
	sigset_t ours;
	size_t i;

	(void)self;
	(void)args;
	if (!R.on && S.mod && (dfl = py.PyObject_GetAttrString(S.mod, "SIG_DFL"))) {
		ourhandlers(termsigs, LEN(termsigs), &ours);
		for (i = 0; i < LEN(termsigs); i++)
			if (sigismember(&ours, termsigs[i]) && pysignal(termsigs[i], dfl) < 0)
				py.PyErr_Clear();
		if (S.toggle && istoggle() && pysignal(SIGUSR2, dfl) < 0)
			py.PyErr_Clear();
		py.Py_DecRef(dfl);
	}
	/* A followed child that runs Python after the fork, not one that execs
	 * at once (subprocess): it will write a profile. */
	if (R.on)
		out_mark('s');
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
	S.afterfork = r != NULL; /* os.register_at_fork is 3.7+ */
	py.Py_DecRef(r);
	py.Py_DecRef(none);
	py.Py_DecRef(kw);
	py.Py_DecRef(f);
	py.Py_DecRef(reg);
	py.Py_DecRef(os);
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
	chain_check_trace();
	if (!S.mod || py.PyEval_GetFrame())
		goto out;
	ourhandlers(sigs, LEN(sigs), &set);
	if (!(ign = py.PyObject_GetAttrString(S.mod, "SIG_IGN")))
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
			S.dying = sigs[i];
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
	if (S.dying)
		die(S.dying);
}

/* What a process that is about to end outside the interpreter's exit
 * (os._exit) does after writing: die of a signal held at exit, if any. */
void
sig_held_die(void)
{
	if (S.dying)
		die(S.dying);
}

/* A forked child: no signal is held; a followed one gets timers of its own
 * (they are not inherited), one that is not has none. */
void
sig_atfork_child(int followed)
{
	S.dying = 0;
	if (followed)
		mkretry();
	else
		S.nretry = 0;
}

/*
 * --paused: SIGUSR2 turns recording on and off.  A Python-level handler,
 * so that the toggle runs in the main thread between two bytecodes, with
 * the GIL, where the hooks can be changed for every thread (hooks_pause).
 * A program that sets its own SIGUSR2 handler replaces ours: the signal is
 * then its own, and recording stays as it was.
 */
static PyObject *
ontoggle(PyObject *self, PyObject *args)
{
	(void)self, (void)args;
	hooks_pause(!R.paused);
	py.Py_IncRef(R.none);
	return R.none;
}

static struct pymethoddef toggledef = { "pcg_toggle", ontoggle, METH_VARARGS, NULL };

void
sig_toggle_install(void)
{
	PyObject *h;

	if (!S.mod || !(h = py.PyCFunction_NewEx(&toggledef, NULL, NULL)) || pysignal(SIGUSR2, h) < 0) {
		py.PyErr_Clear();
		fprintf(stderr, "pcg-trace: cannot set a SIGUSR2 handler: --paused cannot be resumed\n");
		return;
	}
	S.toggle = h;
}

void
sig_install(void)
{
	py.Py_AtExit(lastly);
	mkretry();
	catchsignals();
	watchfork();
	watchexit();
}

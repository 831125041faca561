/*
 * Before 3.12: the program's own profiler (sys.setprofile,
 * threading.setprofile, the profile module, cProfile) replaces the
 * thread's profile hook, ours.  Ours goes back in at once, through our
 * sys.setprofile, or for cProfile (whose C code sets the hook) through a
 * pending call, run before the instruction after enable() or disable() in
 * the main thread.  It takes their hook's object as its own, so
 * sys.getprofile() answers as without us, and passes every event on to
 * their hook, which sees what it would have seen alone.
 */
#include <stdio.h>

#include "rec.h"

const void *chain_lsp[2]; /* _lsprof.Profiler.enable, .disable */
static PyTraceFunc hook;            /* ours (hooks.c) */
static PyObject *threadobj;         /* our threading.setprofile hook */
static __thread PyTraceFunc chained __attribute__((tls_model("initial-exec")));
static __thread int fresh __attribute__((tls_model("initial-exec")));
static PyObject *realsetprofile, *realtset, *realtget;
static void *maints;

/* Once: on stderr, and in the profile's meta (profile layer: the events
 * layer's header is out already).  WHAT: what the profile misses. */
static void
lostwhat(const char *why, const char *what)
{
	static int said;
	struct pcg_str v = pcg_cstr(why);

	if (said++)
		return;
	fprintf(stderr, "pcg-trace: %s: the profile misses that thread's %s from then on\n", why, what);
	pcg_add_meta(&R.p, pcg_cstr("incomplete"), &v, 1);
}

static void
lost(const char *why)
{
	lostwhat(why, "calls");
}

static PyTraceFunc
slotfn(void *ts)
{
	return cpy_tstate_profilefunc(ts);
}

/* Put ours back on this thread, with whatever hook it found as its chain. */
static void
adopt(void)
{
	void *ts = py.PyThreadState_Get();
	PyTraceFunc fn = slotfn(ts);
	PyObject *obj = cpy_tstate_profileobj(ts), *et, *ev, *tb;

	if (fn == hook || !R.on)
		return;
	chained = fn;
	if (!fn)
		obj = NULL;
	else if (!obj)
		obj = R.none; /* our hook's mark of a chain */
	py.PyErr_Fetch(&et, &ev, &tb);
	if (obj)
		py.Py_IncRef(obj); /* PyEval_SetProfile drops the old object first */
	py.PyEval_SetProfile(hook, obj);
	if (obj)
		py.Py_DecRef(obj);
	py.PyErr_Restore(et, ev, tb);
}

/* --paused, resumed (3.9 to 3.11): a thread whose hook is another's, set
 * while ours was out of it (cProfile's enable(), from C), gets ours back
 * in front of it; only the calling thread can. */
void
chain_resume(void *ts, int mine)
{
	if (mine)
		adopt();
	else
		lost("a profiler the program enabled in another thread while paused");
	(void)ts;
}

/* One event for their hook.  If it drops itself (an exception in a Python
 * profile function unsets it, as CPython does), ours stays alone. */
static int
passon(PyObject *obj, PyObject *f, int what, PyObject *arg)
{
	PyTraceFunc fn = chained;
	int r;

	if (!fn)
		return 0;
	r = fn(obj == R.none ? NULL : obj, f, what, arg);
	if (slotfn(py.PyThreadState_Get()) != hook)
		adopt();
	return r;
}

/* Ours with theirs behind it.  A call their hook fails does not happen
 * (CPython sends no return for it): it is passed on first, and recorded
 * only if it succeeds.  Their hook's own time is charged to the caller. */
int
chain_hook(PyObject *obj, PyObject *f, int what, PyObject *arg)
{
	PyTraceFunc fn = chained;
	int r;

	if (!R.on) { /* we are done: theirs alone again */
		chained = NULL;
		py.Py_IncRef(obj);
		py.PyEval_SetProfile(fn, obj == R.none ? NULL : obj);
		r = fn ? fn(obj == R.none ? NULL : obj, f, what, arg) : 0;
		py.Py_DecRef(obj);
		return r;
	}
	if (R.paused) { /* theirs alone meanwhile, ours still in front */
		if (what == PYTRACE_C_CALL)
			chain_paused(arg);
		return passon(obj, f, what, arg);
	}
	if (fresh) { /* the return of the sys.setprofile that set theirs */
		fresh = 0;
		if (what == PYTRACE_C_RETURN)
			return hook(NULL, f, what, arg);
	}
	if (what == PYTRACE_CALL || what == PYTRACE_C_CALL) {
		if ((r = passon(obj, f, what, arg)) < 0)
			return r;
		return hook(NULL, f, what, arg);
	}
	hook(NULL, f, what, arg);
	return passon(obj, f, what, arg);
}

/* cProfile's enable() or disable() is being called (hooks.c saw the C
 * call): take the hook back after it. */
static int
pending(void *arg)
{
	(void)arg;
	if (R.on) {
		adopt();
		hooks_cpop(); /* the call; its return went to theirs */
	}
	return 0;
}

/* Paused, where our hook stays in the thread (3.6 to 3.8, or in front of
 * theirs): cProfile's enable() and disable() still take it back after. */
void
chain_paused(PyObject *callable)
{
	const void *ml = cpy_cfunc_method(callable);

	if (ml == chain_lsp[0] || ml == chain_lsp[1])
		chain_lsprof();
}

void
chain_lsprof(void)
{
	if (!py.off_tsprofile || !py.Py_AddPendingCall || py.PyThreadState_Get() != maints ||
	    py.Py_AddPendingCall(pending, NULL) < 0)
		lost("cProfile enabled or disabled outside the main thread");
}

/* sys.setprofile: theirs, then ours back in front of it. */
static PyObject *
setprofile(PyObject *self, PyObject *f)
{
	PyObject *r;

	(void)self;
	if (f == threadobj) { /* a new thread, through threading's hook */
		if (R.on)
			py.PyEval_SetProfile(hook, NULL);
		if (R.on && R.lines)
			py.PyEval_SetTrace(hooks_trace, NULL);
		py.Py_IncRef(R.none);
		return R.none;
	}
	if (!(r = py.PyObject_CallFunctionObjArgs(realsetprofile, f, NULL)) || !R.on)
		return r;
	if (py.off_tsprofile) {
		/* Alone, theirs would not see the return of this call. */
		fresh = !chained;
		adopt();
		fresh &= chained != NULL;
	} else if (f == R.none)
		py.PyEval_SetProfile(hook, NULL);
	else
		lost("the program set its own profile hook, which pcg cannot chain on this interpreter");
	return r;
}

/* threading.setprofile(None) gives new threads ours again, alone. */
static PyObject *
tsetprofile(PyObject *self, PyObject *f)
{
	(void)self;
	return py.PyObject_CallFunctionObjArgs(realtset, f == R.none ? threadobj : f, NULL);
}

static PyObject *
tgetprofile(PyObject *self, PyObject *unused)
{
	PyObject *r = py.PyObject_CallFunctionObjArgs(realtget, NULL);

	(void)self, (void)unused;
	if (r == threadobj) {
		py.Py_DecRef(r);
		py.Py_IncRef(R.none);
		return R.none;
	}
	return r;
}

static struct pymethoddef wrapdefs[] = {
	{ "setprofile", setprofile, METH_O, NULL },
	{ "setprofile", tsetprofile, METH_O, NULL },
	{ "getprofile", tgetprofile, 0x04 /* METH_NOARGS */, NULL },
};

/*
 * --lines before 3.12: the same for the trace hook.  sys.settrace (pdb,
 * coverage's Python tracer, threading.settrace's threads) replaces ours;
 * ours goes back in front through our sys.settrace, with their object
 * (sys.gettrace() answers theirs), and passes them every event.  A C
 * tracer set from C (coverage's CTracer) is not seen until the end
 * (chain_check_trace): the line costs since are its thread's calls' lines.
 */
static __thread PyTraceFunc chainedtr __attribute__((tls_model("initial-exec")));
static PyObject *realsettrace;

static void
adopt_trace(void)
{
	void *ts = py.PyThreadState_Get();
	PyTraceFunc fn = cpy_tstate_tracefunc(ts);
	PyObject *obj = cpy_tstate_traceobj(ts), *et, *ev, *tb;

	if (fn == hooks_trace || !R.on)
		return;
	chainedtr = fn;
	if (!fn)
		obj = NULL;
	else if (!obj)
		obj = R.none;
	py.PyErr_Fetch(&et, &ev, &tb);
	if (obj)
		py.Py_IncRef(obj);
	py.PyEval_SetTrace(hooks_trace, obj);
	if (obj)
		py.Py_DecRef(obj);
	py.PyErr_Restore(et, ev, tb);
}

/* Ours first (the line starts now), then theirs; if theirs dropped itself
 * (an exception in it), ours stays alone. */
int
chain_trace(PyObject *obj, PyObject *f, int what, PyObject *arg)
{
	PyTraceFunc fn = chainedtr;
	PyObject *o = obj == R.none ? NULL : obj;
	int r;

	if (!R.on) {
		chainedtr = NULL;
		py.Py_IncRef(obj);
		py.PyEval_SetTrace(fn, o);
		r = fn ? fn(o, f, what, arg) : 0;
		py.Py_DecRef(obj);
		return r;
	}
	hooks_trace(NULL, f, what, arg);
	if (!fn)
		return 0;
	r = fn(o, f, what, arg);
	if (cpy_tstate_tracefunc(py.PyThreadState_Get()) != hooks_trace)
		adopt_trace();
	return r;
}

static PyObject *
settrace(PyObject *self, PyObject *f)
{
	PyObject *r;

	(void)self;
	if (!(r = py.PyObject_CallFunctionObjArgs(realsettrace, f, NULL)) || !R.on)
		return r;
	if (py.off_tstrace)
		adopt_trace();
	else if (f == R.none)
		py.PyEval_SetTrace(hooks_trace, NULL);
	else
		lostwhat("the program set its own trace function, which pcg cannot chain on this interpreter",
		    "line costs");
	return r;
}

static struct pymethoddef tracedef = { "settrace", settrace, METH_O, NULL };

/* The end: a thread whose trace hook is not ours lost its line events. */
void
chain_check_trace(void)
{
	void *ts;

	if (!R.lines || py.monitoring || !py.off_tstrace || !py.PyThreadState_Get || !(ts = py.PyThreadState_Get()))
		return;
	if (cpy_tstate_tracefunc(ts) != hooks_trace)
		lostwhat("the program replaced pcg's trace hook from C (a C tracer such as coverage's)",
		    "line costs");
}

/* Replace MOD.NAME by DEF, keeping the original in *REAL; the new one, or
 * NULL. */
static PyObject *
wrap(PyObject *mod, const char *name, struct pymethoddef *def, PyObject **real)
{
	PyObject *m, *f = NULL;

	if ((*real = py.PyObject_GetAttrString(mod, name)) &&
	    (m = py.PyObject_GetAttrString(mod, "__name__")) &&
	    (f = py.PyCFunction_NewEx(def, NULL, m)) &&
	    py.PyObject_SetAttrString(mod, name, f) < 0)
		f = NULL;
	py.PyErr_Clear();
	return f;
}

/* The method tables of _lsprof.Profiler.enable and disable (imported
 * now, and dropped from sys.modules again: the table stays). */
static void
probe_lsprof(void)
{
	PyObject *m, *t, *d, *sys, *mods, *pop, *n;

	if (!(m = py.PyImport_ImportModule("_lsprof"))) {
		py.PyErr_Clear();
		return;
	}
	if ((t = py.PyObject_GetAttrString(m, "Profiler"))) {
		if ((d = py.PyObject_GetAttrString(t, "enable")) && TYPE(d) == py.PyMethodDescr_Type)
			chain_lsp[0] = cpy_descr_method(d);
		if ((d = py.PyObject_GetAttrString(t, "disable")) && TYPE(d) == py.PyMethodDescr_Type)
			chain_lsp[1] = cpy_descr_method(d);
	}
	if ((sys = py.PyImport_ImportModule("sys")) && (mods = py.PyObject_GetAttrString(sys, "modules")) &&
	    (pop = py.PyObject_GetAttrString(mods, "pop")) && (n = py.PyUnicode_FromString("_lsprof")))
		py.Py_DecRef(py.PyObject_CallFunctionObjArgs(pop, n, R.none, NULL));
	py.PyErr_Clear();
}

/* Our sys.setprofile, threading.setprofile and threading.getprofile. */
void
chain_install(PyTraceFunc ours, PyObject *h)
{
	PyObject *sys;

	hook = ours;
	threadobj = h;
	cpy_probe_tstate(hook, h);
	maints = py.PyThreadState_Get ? py.PyThreadState_Get() : NULL;
	probe_lsprof();
	if ((sys = py.PyImport_ImportModule("sys"))) {
		wrap(sys, "setprofile", &wrapdefs[0], &realsetprofile);
		if (R.lines) {
			cpy_probe_ttrace(hooks_trace, h);
			wrap(sys, "settrace", &tracedef, &realsettrace);
		}
	}
	wrap(R.threading, "setprofile", &wrapdefs[1], &realtset);
	wrap(R.threading, "getprofile", &wrapdefs[2], &realtget); /* 3.10+ */
	py.PyErr_Clear();
}

/*
 * 3.12+: no displacement (sys.monitoring), but our tool instruments every
 * call site, so CPython sends a function set by sys.setprofile the
 * c_return of that very call, which it never gets alone (the call started
 * uninstrumented), and the profile module trips over it.  When no profile
 * function is set, ours sets a one-shot proxy instead, which swaps the
 * program's function in at its first event and drops that event if it is
 * this c_return.  (Another thread's profile function, which would have
 * instrumented the call alone too, is not seen: the event is dropped.
 * threading.setprofile_all_threads is left alone.)
 */
static PyObject *setprofile12, *realgetprofile, *lastproxy;
static int inproxy; /* a proxy runs: lastproxy may be it */

static PyObject *
proxy(PyObject *f, PyObject *args)
{
	PyObject *ev = py.PyTuple_GetItem(args, 1), *a = py.PyTuple_GetItem(args, 2), *r;

	py.PyErr_Clear();
	/* Swapped out, the proxy lives on in lastproxy while it runs. */
	if (!(r = py.PyObject_CallFunctionObjArgs(realsetprofile, f, NULL)))
		return NULL;
	py.Py_DecRef(r);
	if (ev && a == setprofile12 && py.PyUnicode_CompareWithASCIIString(ev, "c_return") == 0) {
		py.Py_IncRef(R.none);
		return R.none;
	}
	inproxy++;
	r = py.PyObject_CallObject(f, args);
	inproxy--;
	return r;
}

static struct pymethoddef proxydef = { "setprofile_proxy", proxy, METH_VARARGS, NULL };

static PyObject *
setprofile_mon(PyObject *self, PyObject *f)
{
	PyObject *cur, *p;

	(void)self;
	if (f == R.none || !(cur = py.PyObject_CallFunctionObjArgs(realgetprofile, NULL)))
		return py.PyObject_CallFunctionObjArgs(realsetprofile, f, NULL);
	py.Py_DecRef(cur);
	if (cur != R.none || !(p = py.PyCFunction_NewEx(&proxydef, f, NULL)))
		return py.PyObject_CallFunctionObjArgs(realsetprofile, f, NULL);
	if (lastproxy && !inproxy) /* else kept for good: it may be running */
		py.Py_DecRef(lastproxy);
	lastproxy = p; /* our reference; the thread state takes its own */
	return py.PyObject_CallFunctionObjArgs(realsetprofile, p, NULL);
}

static struct pymethoddef mondef = { "setprofile", setprofile_mon, METH_O, NULL };

void
chain_install_mon(void)
{
	PyObject *sys;

	if (!(sys = py.PyImport_ImportModule("sys")) ||
	    !(realgetprofile = py.PyObject_GetAttrString(sys, "getprofile"))) {
		py.PyErr_Clear();
		return;
	}
	setprofile12 = wrap(sys, "setprofile", &mondef, &realsetprofile);
}

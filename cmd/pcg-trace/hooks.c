/*
 * The per-event path: one clock read, pointer-keyed lookups, no Python calls
 * except on first sight of a function or call site.  Before 3.12 a C profile
 * hook (PyEval_SetProfile); from 3.12 sys.monitoring with C callbacks.
 */
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "util.h"

#define GEN 2 /* in a frame's key before 3.12: a generator or coroutine frame */
#define RAN 4 /* ... from 3.12: started by the CALL of a callable that is no
               * function (a class's __init__, a __call__) */
#define CODE(key) ((PyObject *)((key) & ~(uintptr_t)(GEN | RAN)))

/* A thread's first event names it, on the recorder's time; attached, its
 * frames running at the attach go on its stack first (hooks_adopt). */
static struct th *
thr_new(void)
{
	uint64_t t = clk();
	struct th *th = newthread();

	R.base += clk() - t;
	if (R.attached)
		hooks_adopt(th);
	return th;
}

static inline struct th *
thr(void)
{
	return cur && cur->gen == R.gen ? cur : thr_new();
}

/* An event record's readings (wall, and cpu with --cpu) and its end. */
static inline void
evend(char *p, const uint64_t *v)
{
	p = pcg_u64(p, v[0]);
	if (R.cpu) {
		*p++ = '\t';
		p = pcg_u64(p, v[1]);
	}
	*p++ = '\n';
	O.blen = p - O.buf;
	O.lines++;
}

static void
push(struct th *t, uintptr_t key, uint32_t fn, uint32_t line, uint64_t ts, int resume)
{
	uint64_t raw = ts, v[2]; /* raw: the flushes' clock; compensation moves v back */
	char *p;

	stamps(t, ts, R.bias[resume ? BIAS_GEN : key & 1], v);
	if (t->depth == t->cap) {
		size_t cap = t->cap;
		egrow((void **)&t->key, &cap, t->depth, sizeof(*t->key));
		cap = t->cap;
		egrow((void **)&t->line, &cap, t->depth, sizeof(*t->line));
		t->cap = cap;
	}
	t->line[t->depth] = line;
	t->key[t->depth++] = key;
	if (!O.events) {
		pcg_enter(&R.p, &t->st, fn, line, v, resume);
		return;
	}
	p = ev_room(128);
	*p++ = resume ? 's' : 'c';
	*p++ = '\t';
	p = pcg_u64(p, t->id);
	*p++ = '\t';
	p = pcg_u64(p, fn);
	*p++ = '\t';
	p = pcg_u64(p, line);
	*p++ = '\t';
	evend(p, v);
	if (raw - O.flushed > FLUSH_NS)
		ev_flush();
}

static void
pop(struct th *t, uint64_t ts, int yield)
{
	uint64_t raw = ts, v[2];
	char *p;

	/* Before 3.12 a generator's yield is not told from its return in the
	 * profile layer: its frame's mark says generator. */
	stamps(t, ts, R.bias[yield || (t->key[t->depth - 1] & 3) == GEN ? BIAS_GEN : t->key[t->depth - 1] & 1], v);
	t->popped = t->key[--t->depth];
	if (!O.events) {
		pcg_leave(&R.p, &t->st, v);
		return;
	}
	p = ev_room(96);
	*p++ = yield ? 'y' : 'r';
	*p++ = '\t';
	p = pcg_u64(p, t->id);
	*p++ = '\t';
	evend(p, v);
	if (raw - O.flushed > FLUSH_NS)
		ev_flush();
}

/* A Python frame ends: drop C frames whose end we missed, then it.  A return
 * with nothing open is from a frame entered before tracing began. */
static void
pypop(struct th *t, uint64_t ts, int yield)
{
	while (t->depth && (t->key[t->depth - 1] & 1))
		pop(t, ts, 0);
	if (t->depth)
		pop(t, ts, yield);
}

/* The innermost frame is a C function's, pushed by its CALL. */
static inline int
c_on_top(const struct th *t)
{
	return t->depth && (t->key[t->depth - 1] & 1);
}

/* A C function returns: 1 if it was ours to end. */
static int
cpop(struct th *t, uint64_t ts)
{
	if (!c_on_top(t))
		return 0;
	pop(t, ts, 0);
	return 1;
}

/*
 * --lines: the innermost frame goes on at LINE from TS (stamped): the
 * time since the thread's last event is its current line's.
 */
static void
lrec(struct th *t, uint32_t line, const uint64_t *v)
{
	char *p;

	if (!O.events) {
		pcg_line(&R.p, &t->st, line, v);
		return;
	}
	p = ev_room(96);
	*p++ = 'l';
	*p++ = '\t';
	p = pcg_u64(p, t->id);
	*p++ = '\t';
	p = pcg_u64(p, line);
	*p++ = '\t';
	evend(p, v);
}

/* A line event of the frame running CODE.  C frames above it have ended
 * (their end was missed); a frame that is not our innermost one (entered
 * before recording began) is not charged, but the event cost time. */
static void
lineev(struct th *t, const void *code, uint32_t line, uint64_t ts)
{
	uint64_t raw = ts, v[2];

	while (t->depth && (t->key[t->depth - 1] & 1))
		pop(t, ts, 0);
	if (!t->depth || CODE(t->key[t->depth - 1]) != code) {
		t->owed += R.bias[BIAS_LINE];
		return;
	}
	t->nline++;
	stamps(t, ts, R.bias[BIAS_LINE], v);
	lrec(t, line, v);
	if (O.events && raw - O.flushed > FLUSH_NS)
		ev_flush();
}

/* ---- 3.6 to 3.11: PyEval_SetProfile ---- */

/* The line a frame is at, cached by (code, last instruction).  The frame
 * is the innermost Python frame: if ours, its code is on top of our stack. */
static uint32_t
fline(struct th *t, PyObject *f)
{
	long i = cpy_frame_lasti(f);

	if (i < 0) {
		i = py.PyFrame_GetLineNumber(f);
		return i > 0 ? i : 0;
	}
	if (t->depth && !(t->key[t->depth - 1] & 1))
		return site_line(CODE(t->key[t->depth - 1]), i);
	return site_line(cpy_frame_code(f), i);
}

/* A generator frame that already ran is being resumed, not called. */
static int
resumed(const struct ent *e, PyObject *f)
{
	return cpy_gen_resumed(e->co, e->nco, cpy_frame_lasti(f));
}

/* Our hook can be put back into every thread's (3.9 to 3.11). */
static int
rehookable(void)
{
	return py._PyEval_SetProfile && py.PyThreadState_Get && py.PyThreadState_GetInterpreter &&
	    py.PyInterpreterState_ThreadHead && py.PyThreadState_Next && py.off_tsprofile;
}

static int hook(PyObject *obj, PyObject *f, int what, PyObject *arg);

/* Resumed: ours into every thread that has no hook. */
static void
rehook(void)
{
	void *me = py.PyThreadState_Get(), *ts;

	for (ts = py.PyInterpreterState_ThreadHead(py.PyThreadState_GetInterpreter(me)); ts;
	    ts = py.PyThreadState_Next(ts)) {
		if (cpy_tstate_profilefunc(ts) == hook)
			continue;
		if (cpy_tstate_profilefunc(ts))
			chain_resume(ts, ts == me);
		else if (ts == me)
			py.PyEval_SetProfile(hook, NULL);
		else
			py._PyEval_SetProfile(ts, hook, NULL);
	}
}

static int
hook(PyObject *obj, PyObject *f, int what, PyObject *arg)
{
	uint64_t ts = now();
	struct th *t;
	struct ent *e;
	PyObject *b, *c;
	const void *ml;
	int r;

	if (obj) /* the program's own profiler is behind ours (chain.c) */
		return chain_hook(obj, f, what, arg);
	if (!R.on) {
		py.PyEval_SetProfile(NULL, NULL);
		return 0;
	}
	if (R.paused) { /* out of this thread until resumed (hooks_pause) */
		if (rehookable())
			py.PyEval_SetProfile(NULL, NULL);
		else if (what == PYTRACE_C_CALL)
			chain_paused(arg); /* it stays in: cProfile's enable() */
		return 0;
	}
	t = thr();
	switch (what) {
	case PYTRACE_CALL:
		c = cpy_frame_code(f);
		e = code_ent(c, f);
		b = cpy_frame_back(f);
		r = (e->flags & CO_GENLIKE) && resumed(e, f);
		push(t, (uintptr_t)c | (e->flags & CO_GENLIKE ? GEN : 0), e->fn, b ? fline(t, b) : 0, ts, r);
		/* --lines: it goes on at its yield's line, which its last
		 * instruction is on (a trace hook gets no line event for it). */
		if (r && R.lines && cpy_frame_lasti(f) >= 0)
			lrec(t, fline(t, f), (uint64_t[2]){ t->last, t->lastcpu });
		break;
	case PYTRACE_RETURN:
		if (O.events && t->depth && (t->key[t->depth - 1] & 3) == GEN) {
			e = code_ent(cpy_frame_code(f), f);
			if ((e->flags & CO_GENLIKE) && arg && cpy_gen_yields(e->co, e->nco, cpy_frame_lasti(f))) {
				pypop(t, ts, 1);
				break;
			}
		}
		pypop(t, ts, 0);
		break;
	case PYTRACE_C_CALL:
		ml = cpy_cfunc_method(arg);
		e = cfunc_ent(ml, arg, 0);
		push(t, (uintptr_t)ml | 1, e->fn, fline(t, f), ts, 0);
		if (ml == chain_lsp[0] || ml == chain_lsp[1])
			chain_lsprof();
		break;
	case PYTRACE_C_RETURN:
	case PYTRACE_C_EXCEPTION:
		cpop(t, ts);
		break;
	}
	return 0;
}

/*
 * --lines before 3.12: the C trace hook (PyEval_SetTrace), for its line
 * events only.  A C trace function gets them in every frame with no
 * setup per frame (f_trace is the Python-level sys.settrace's; f_trace_lines
 * starts true); its line is that of the frame's last instruction.  OBJ
 * set: the program's own trace function is behind ours (chain.c).
 */
int
hooks_trace(PyObject *obj, PyObject *f, int what, PyObject *arg)
{
	uint64_t ts;
	PyObject *c;
	long i;

	if (obj)
		return chain_trace(obj, f, what, arg);
	if (what != PYTRACE_LINE || R.paused)
		return 0;
	ts = now();
	if (!R.on) {
		py.PyEval_SetTrace(NULL, NULL);
		return 0;
	}
	c = cpy_frame_code(f);
	if ((i = cpy_frame_lasti(f)) >= 0)
		lineev(thr(), c, site_line(c, i), ts);
	return 0;
}

/* This thread's hooks: the profile hook, and the trace hook for --lines. */
static void
sethooks(void)
{
	py.PyEval_SetProfile(hook, NULL);
	if (R.lines)
		py.PyEval_SetTrace(hooks_trace, NULL);
}

/* threading.setprofile() target: hooks each new thread, then replays the
 * event that brought it here (the call of Thread.run). */
static PyObject *
threadhook(PyObject *self, PyObject *args)
{
	PyObject *f = py.PyTuple_GetItem(args, 0), *ev = py.PyTuple_GetItem(args, 1);

	(void)self;
	if (R.on) {
		sethooks();
		if (f && ev && py.PyUnicode_CompareWithASCIIString(ev, "call") == 0)
			hook(NULL, f, PYTRACE_CALL, NULL);
	}
	py.PyErr_Clear();
	py.Py_IncRef(R.none);
	return R.none;
}

static struct pymethoddef threaddef = { "pcg_threadhook", threadhook, METH_VARARGS, NULL };

/*
 * Before 3.12 a thread started by _thread.start_new_thread, not through
 * threading.Thread, gets no profile hook (threading.setprofile is
 * threading's own): execnet's, under pytest-xdist.  So our
 * start_new_thread starts threadentry instead, which hooks the new thread
 * and calls the function with its arguments (its self: the three of them).
 */
static PyObject *realstart;

static PyObject *
threadentry(PyObject *call, PyObject *unused)
{
	PyObject *kw = py.PyTuple_GetItem(call, 2);

	(void)unused;
	if (R.on)
		sethooks();
	return py.PyObject_Call(py.PyTuple_GetItem(call, 0), py.PyTuple_GetItem(call, 1),
	    kw == R.none ? NULL : kw);
}

static struct pymethoddef entrydef = { "pcg_thread", threadentry, 0x04 /* METH_NOARGS */, NULL };

static PyObject *
startthread(PyObject *self, PyObject *args)
{
	PyObject *call = NULL, *entry = NULL, *a = NULL, *r;
	ssize_t i, n = py.PyTuple_Size(args);

	(void)self;
	/* Only a call that would start a thread: any other gets the real
	 * one's error. */
	if ((n == 2 || n == 3) && TYPE(py.PyTuple_GetItem(args, 1)) == py.PyTuple_Type &&
	    (call = py.PyTuple_New(3))) {
		for (i = 0; i < 3; i++) {
			PyObject *v = i < n ? py.PyTuple_GetItem(args, i) : R.none;
			py.Py_IncRef(v);
			py.PyTuple_SetItem(call, i, v);
		}
		if ((entry = py.PyCFunction_NewEx(&entrydef, call, NULL)) && (a = py.PyTuple_New(2))) {
			py.PyTuple_SetItem(a, 0, entry);
			py.PyTuple_SetItem(a, 1, py.PyTuple_New(0));
			entry = NULL;
		}
	}
	py.Py_DecRef(call);
	py.Py_DecRef(entry);
	if (!a)
		py.PyErr_Clear();
	r = py.PyObject_CallObject(realstart, a ? a : args);
	py.Py_DecRef(a);
	return r;
}

static struct pymethoddef startdef = { "start_new_thread", startthread, METH_VARARGS, NULL };

static void
wrapthread(void)
{
	PyObject *mod = py.PyImport_ImportModule("_thread"), *f, *name;

	if (mod && (realstart = py.PyObject_GetAttrString(mod, "start_new_thread")) &&
	    (name = py.PyUnicode_FromString("_thread")) && (f = py.PyCFunction_NewEx(&startdef, NULL, name))) {
		py.PyObject_SetAttrString(mod, "start_new_thread", f);
		py.PyObject_SetAttrString(mod, "start_new", f); /* its old alias */
	}
	py.PyErr_Clear();
}

/* --cpu, at the end: every thread's open frames end, on its own CPU
 * clock (the end record has one reading for all of them). */
void
hooks_endall(uint64_t ts)
{
	size_t i;

	for (i = 0; i < R.nth; i++)
		while (R.th[i]->depth)
			pop(R.th[i], ts, 0);
}

/* For chain.c: the C call on top of this thread's stack ends. */
void
hooks_cpop(void)
{
	cpop(thr(), now());
}

static int
legacy_install(void)
{
	PyObject *h, *r, *sp;
	void *me, *ts;

	if (!(h = py.PyCFunction_NewEx(&threaddef, NULL, NULL)) ||
	    !(sp = py.PyObject_GetAttrString(R.threading, "setprofile")) ||
	    !(r = py.PyObject_CallFunctionObjArgs(sp, h, NULL))) {
		py.PyErr_Print();
		return -1;
	}
	py.Py_DecRef(r);
	chain_install(hook, h);
	wrapthread();
	sethooks();
	/* Threads already running (3.9 to 3.11). */
	if (!py._PyEval_SetProfile || !py.PyThreadState_Get || !py.PyThreadState_GetInterpreter ||
	    !py.PyInterpreterState_ThreadHead || !py.PyThreadState_Next)
		return 0;
	me = py.PyThreadState_Get();
	for (ts = py.PyInterpreterState_ThreadHead(py.PyThreadState_GetInterpreter(me)); ts;
	    ts = py.PyThreadState_Next(ts))
		if (ts != me) {
			py._PyEval_SetProfile(ts, hook, NULL);
			if (R.lines && py._PyEval_SetTrace)
				py._PyEval_SetTrace(ts, hooks_trace, NULL);
		}
	return 0;
}

/* ---- 3.12 and later: sys.monitoring ---- */

/* The callbacks' vectorcall signature (their self is a struct vcobj). */
#define A PyObject *self, PyObject *const *a, size_t n, PyObject *kw

static PyObject *mon;
static long monmask; /* our events, for set_events */

static PyObject *
stop(void)
{
	PyObject *r, *z, *id;

	if (mon) {
		z = py.PyLong_FromLong(0);
		id = py.PyLong_FromLong(R.tool);
		r = py.PyObject_CallFunctionObjArgs(py.PyObject_GetAttrString(mon, "set_events"), id, z, NULL);
		py.Py_DecRef(r);
		mon = NULL;
		py.PyErr_Clear();
	}
	return R.none;
}

/* The line the Python frame below the current one is at, through the
 * call-site cache (computing a line scans the line table): where a
 * generator is resumed from, or a function called without a CALL event
 * (from C: a property, a special method, map()...). */
static uint32_t
caller_line(void)
{
	PyObject *f = py.PyEval_GetFrame(), *b, *c;
	uint32_t line = 0;
	int i;

	if (!f || !(b = py.PyFrame_GetBack(f)))
		return 0;
	if ((i = py.PyFrame_GetLasti(b)) >= 0 && (c = py.PyFrame_GetCode(b))) {
		line = site_line(c, i);
		py.Py_DecRef(c); /* b holds it */
	}
	py.Py_DecRef(b);
	return line;
}

/* The line a frame starting or resuming without a CALL event of its own was
 * called from.  Under a C function of ours (sum(x for x in t), sorted's key,
 * map), the Python frame below made that call: its CALL's line, known.
 * Else caller_line(), which makes frame objects where there were none: for
 * a new generator started by a for loop, 60 ns more each time on 3.12 and
 * 3.13, or a property (calibrated: BIAS_NEWGEN, BIAS_FROMC). */
static uint32_t
from_line(const struct th *t)
{
	return c_on_top(t) ? t->line[t->depth - 1] : caller_line();
}

static PyObject *
m_start(A)
{
	uint64_t ts = now();
	struct th *t;
	struct ent *e;
	uint32_t line = 0;
	int looked = 0; /* the line came through frame objects */

	(void)self, (void)n, (void)kw;
	if (!R.on)
		return stop();
	t = thr();
	e = code_ent(a[0], NULL);
	if (t->pset && !(e->flags & CO_GENLIKE))
		line = site_line(t->pcode, t->poff);
	else {
		looked = !c_on_top(t);
		line = from_line(t);
	}
	push(t, (uintptr_t)a[0] | (t->pset == 2 && !looked ? RAN : 0), e->fn, line, ts, 0);
	t->pset = 0;
	/* The lookup's time is in the interval the push began: the next event
	 * takes it out. */
	if (looked)
		t->owed += R.bias[e->flags & CO_GENLIKE ? BIAS_NEWGEN : BIAS_FROMC];
	return R.none;
}

static PyObject *
m_resume(A)
{
	uint64_t ts = now();
	struct th *t;
	struct ent *e;

	(void)self, (void)n, (void)kw;
	if (!R.on)
		return stop();
	t = thr();
	e = code_ent(a[0], NULL);
	t->pset = 0;
	/* A resumption's lookup is in BIAS_GEN: the calibration's generator
	 * is resumed by a for loop. */
	push(t, (uintptr_t)a[0], e->fn, from_line(t), ts, 1);
	/* --lines: it goes on at the line of its offset (sys.monitoring sends
	 * no LINE event there: the line did not change). */
	if (R.lines)
		lrec(t, site_line(a[0], cpy_small_long(a[1])), (uint64_t[2]){ t->last, t->lastcpu });
	return R.none;
}

static PyObject *
m_line(A)
{
	uint64_t ts = now();
	struct th *t;

	(void)self, (void)n, (void)kw;
	if (!R.on)
		return stop();
	t = thr();
	t->pset = 0;
	lineev(t, a[0], cpy_small_long(a[1]), ts);
	return R.none;
}

/* A Python frame returns, unwinds or yields: no call is pending any more. */
static inline PyObject *
m_leave(int yield)
{
	uint64_t ts = now();
	struct th *t;

	if (!R.on)
		return stop();
	t = thr();
	t->pset = 0;
	pypop(t, ts, yield);
	return R.none;
}

static PyObject *
m_return(A)
{
	(void)self, (void)a, (void)n, (void)kw;
	return m_leave(0);
}

static PyObject *
m_yield(A)
{
	(void)self, (void)a, (void)n, (void)kw;
	return m_leave(1);
}

/* The PyMethodDef a CALL reaches, as cProfile sees C calls, or NULL. */
static inline const void *
cmeth(PyObject *const *a, int *descr)
{
	PyObject *c = a[2];

	*descr = 0;
	if (TYPE(c) == py.PyCFunction_Type || TYPE(c) == py.PyCMethod_Type)
		return cpy_cfunc_method(c);
	if (TYPE(c) == py.PyMethodDescr_Type && a[3] != R.missing) {
		*descr = 1;
		return cpy_descr_method(c);
	}
	return NULL;
}

static PyObject *
m_call(A)
{
	uint64_t ts;
	struct th *t;
	struct ent *e;
	const void *ml;
	int descr;

	(void)self, (void)n, (void)kw;
	if (!R.on)
		return stop();
	t = thr();
	if (!(ml = cmeth(a, &descr))) {
		/* A Python callee, or a type: a PY_START, if any, reads the clock
		 * and the line.  The calling frame, hence its code, lives until
		 * then: any other event of this thread clears pset. */
		t->pcode = a[0];
		t->poff = cpy_small_long(a[1]);
		t->pset = TYPE(a[2]) == py.PyFunction_Type ? 1 : 2;
		return R.none;
	}
	ts = now();
	e = cfunc_ent(ml, a[2], descr);
	t->pset = 0;
	push(t, (uintptr_t)ml | 1, e->fn, site_line(a[0], cpy_small_long(a[1])), ts, 0);
	return R.none;
}

/* What a call of CALLABLE, no function, cost (compensation), after Python
 * code ran: more than a call and return, if the frame that ended last was
 * the one it started (a class's __init__, a __call__; CPython specialises
 * the call of a class whose __init__ takes no *args or **kwargs, on 3.13
 * only if its instances have a dict); else (list(a generator), a __del__
 * meanwhile) its CALL and C_RETURN, as a call that ran none. */
static int
called(const struct th *t, PyObject *callable)
{
	const struct ent *e;

	if (!(t->popped & RAN))
		return BIAS_TYPE;
	if (!cpy_is_type(callable))
		return BIAS_OBJ;
	if ((e = ent_find(CODE(t->popped))) && (e->flags & (CO_VARARGS | CO_VARKEYWORDS)))
		return BIAS_VARINIT;
	return cpy_dict_class(callable) ? BIAS_INIT : BIAS_SLOTS;
}

static PyObject *
m_creturn(A)
{
	uint64_t ts = now();
	struct th *t;
	int typecall;

	(void)self, (void)n, (void)kw;
	if (!R.on)
		return stop();
	/* A C function on top was pushed by this call's CALL event: the frame
	 * that made the call ran no bytecode since.  Else the callee was a
	 * type, or another callable that is no function (not pushed): its
	 * CALL and this cost the program, and only the caller's interval can
	 * give that back.  With the CALL still pending (no event since), it
	 * ran no Python code (int(x)): BIAS_TYPE; else what it ran (a class's
	 * __init__, a __call__) cost more than a call and return, by what was
	 * called. */
	t = thr();
	typecall = t->pset;
	t->pset = 0;
	if (!cpop(t, ts))
		t->owed += R.bias[typecall ? BIAS_TYPE : called(t, a[2])];
	return R.none;
}

typedef PyObject *(*vcfunc)(A);

static const struct {
	const char *event;
	vcfunc fn;
} cbs[] = {
	{ "PY_START", m_start },
	{ "PY_RESUME", m_resume },
	{ "PY_THROW", m_resume },
	{ "PY_RETURN", m_return },
	{ "PY_UNWIND", m_return },
	{ "PY_YIELD", m_yield },
	{ "CALL", m_call },
	{ "C_RETURN", m_creturn },
	{ "C_RAISE", m_creturn },
	{ "LINE", m_line }, /* last: --lines only */
};

#undef A

/*
 * A callback object whose vectorcall is the callback itself: CPython calls
 * it directly, where a builtin function would add its argument checks and
 * recursion guard to every event.
 */
struct vcobj {
	ssize_t refcnt;
	PyObject *type;
	vcfunc vc;
};

static PyObject *
callback(vcfunc fn)
{
	static struct pymemberdef members[] = {
		{ "__vectorcalloffset__", PY_T_PYSSIZET, offsetof(struct vcobj, vc), PY_READONLY, NULL },
		{ NULL, 0, 0, 0, NULL },
	};
	static struct pytypeslot slots[] = { { PY_TP_MEMBERS, members }, { PY_TP_CALL, NULL }, { 0, NULL } };
	static struct pytypespec spec = { "pcg.callback", sizeof(struct vcobj), 0,
		PY_TPFLAGS_DEFAULT | PY_TPFLAGS_HAVE_VECTORCALL, slots };
	static PyObject *type;
	PyObject *o;

	if (!type) {
		if (!py.PyType_FromSpec || !py.PyVectorcall_Call)
			return NULL;
		slots[1].pfunc = (void *)py.PyVectorcall_Call;
		if (!(type = py.PyType_FromSpec(&spec)))
			return NULL;
	}
	if (!(o = py.PyObject_CallObject(type, NULL)))
		return NULL;
	((struct vcobj *)o)->vc = fn;
	return o;
}

static PyObject *
call(PyObject *o, const char *meth, PyObject *x, PyObject *y, PyObject *z)
{
	PyObject *f = py.PyObject_GetAttrString(o, meth), *r;

	if (!f)
		return NULL;
	r = py.PyObject_CallFunctionObjArgs(f, x, y, z, NULL);
	py.Py_DecRef(f);
	return r;
}

static int
monitoring_install(void)
{
	static const int ids[] = { 3, 4, 5, 2, 1, 0 };
	PyObject *sys, *events, *id = NULL, *ev, *cb, *r, *name;
	long mask = 0;
	size_t i;

	if (!(sys = py.PyImport_ImportModule("sys")) || !(mon = py.PyObject_GetAttrString(sys, "monitoring")) ||
	    !(events = py.PyObject_GetAttrString(mon, "events")) ||
	    !(R.missing = py.PyObject_GetAttrString(mon, "MISSING")))
		goto fail;
	name = py.PyUnicode_FromString("pcg");
	/* The unnamed ids first: PROFILER_ID (2) stays free for a cProfile the
	 * program runs itself, DEBUGGER_ID and COVERAGE_ID for pdb and coverage. */
	for (i = 0; i < LEN(ids); i++) {
		R.tool = ids[i];
		id = py.PyLong_FromLong(R.tool);
		if ((r = call(mon, "use_tool_id", id, name, NULL)))
			break;
		py.PyErr_Clear();
		py.Py_DecRef(id);
		id = NULL;
	}
	if (!id) {
		fprintf(stderr, "pcg-trace: no free sys.monitoring tool id\n");
		return -1;
	}
	py.Py_DecRef(r);
	for (i = 0; i < LEN(cbs) - !R.lines; i++) {
		if (!(ev = py.PyObject_GetAttrString(events, cbs[i].event)) ||
		    !(cb = callback(cbs[i].fn)) ||
		    !(r = call(mon, "register_callback", id, ev, cb)))
			goto fail;
		mask |= py.PyLong_AsLong(ev);
		py.Py_DecRef(r);
	}
	monmask = mask;
	if (!(r = call(mon, "set_events", id, py.PyLong_FromLong(mask), NULL)))
		goto fail;
	py.Py_DecRef(r);
	return 0;
fail:
	py.PyErr_Print();
	return -1;
}

/* sys.monitoring.set_events(our tool, MASK): every thread at once. */
static void
monset(long mask)
{
	PyObject *id, *m, *r;

	id = py.PyLong_FromLong(R.tool);
	m = py.PyLong_FromLong(mask);
	if (!(r = call(mon, "set_events", id, m, NULL)))
		py.PyErr_Print();
	py.Py_DecRef(r);
	py.Py_DecRef(m);
	py.Py_DecRef(id);
}

/*
 * Calibration (calib.c): this thread's hooks out, or in again, and nothing
 * else; meanwhile it records into a scratch profile.
 */
void
hooks_calib(int in)
{
	if (mon)
		monset(in ? monmask : 0);
	else if (in)
		sethooks();
	else {
		py.PyEval_SetProfile(NULL, NULL);
		if (R.lines)
			py.PyEval_SetTrace(NULL, NULL);
	}
}

/*
 * --paused: recording off (PAUSED) or on again, from the main thread with
 * the GIL, between two bytecodes (a Python-level signal handler).  Every
 * thread's open frames end now: frames entered while paused never return
 * onto a stack they were not pushed on, and a return with nothing open is
 * ignored (pypop), so each stretch starts from empty stacks.  From 3.12
 * the events go off in every thread at once.  Before, a thread's hook
 * takes itself out at its next event, and goes back into every thread
 * without a hook on resume; where the hook is chained to the program's
 * own (chain.c) it stays, passing theirs its events.  3.6 to 3.8 cannot
 * set another thread's hook: there it stays in, idle.
 */
void
hooks_pause(int paused)
{
	uint64_t ts = now();
	size_t i;

	if (!R.on || R.paused == paused)
		return;
	if (paused) {
		for (i = 0; i < R.nth; i++) {
			while (R.th[i]->depth)
				pop(R.th[i], ts, 0);
			R.th[i]->pset = 0;
		}
	}
	R.paused = paused;
	if (mon)
		monset(paused ? 0 : monmask);
	else if (!paused && rehookable())
		rehook();
}

/*
 * pcg-trace -p: the hooks go out for good, leaving the tool id free again
 * (3.14's clear_tool_id drops our callbacks too).  Nothing else was put
 * into the program (no sys.setprofile wrapper, no signal handler).
 */
void
hooks_remove(void)
{
	PyObject *id, *r;

	if (!mon)
		return;
	monset(0);
	id = py.PyLong_FromLong(R.tool);
	if ((r = call(mon, "clear_tool_id", id, NULL, NULL)))
		py.Py_DecRef(r);
	py.PyErr_Clear();
	if ((r = call(mon, "free_tool_id", id, NULL, NULL)))
		py.Py_DecRef(r);
	py.PyErr_Clear();
	py.Py_DecRef(id);
	mon = NULL;
}

/*
 * Attached, the frames running at that moment are taken as they stand: the
 * stacks of every thread, read with the GIL right after the hooks went in
 * (no thread ran since, so none of them returned), go on each thread's own
 * stack at its first event, at the attach time, so that their returns are
 * matched and their time from the attach on is theirs.  Each counts one
 * call.  The thread that attaches (running pcg-trace's script) at once.
 */
struct pframe {
	uintptr_t key;
	uint32_t fn, line;
};

static struct pend {
	void *ts;              /* its thread state */
	struct pframe *f;      /* outermost first */
	size_t n;
} *pend;
static size_t npend, pendcap;
static uint64_t pendts;

/* The line frame F is at, through the call-site cache. */
static uint32_t
frameline(PyObject *f)
{
	PyObject *c;
	uint32_t line = 0;
	int i;

	if ((i = py.PyFrame_GetLasti(f)) >= 0 && (c = py.PyFrame_GetCode(f))) {
		line = site_line(c, i);
		py.Py_DecRef(c);
	}
	return line;
}

static void
readstack(struct pend *p, PyObject *f)
{
	PyObject *b, *c;
	size_t cap = 0, i;
	struct ent *e;

	while (f) {
		egrow((void **)&p->f, &cap, p->n, sizeof(*p->f));
		c = py.PyFrame_GetCode(f);
		e = code_ent(c, NULL);
		b = py.PyFrame_GetBack(f);
		p->f[p->n++] = (struct pframe){ (uintptr_t)c, e->fn, b ? frameline(b) : 0 };
		py.Py_DecRef(c); /* its frame holds it */
		py.Py_DecRef(f);
		f = b;
	}
	for (i = 0; i < p->n / 2; i++) { /* innermost first so far */
		struct pframe t = p->f[i];
		p->f[i] = p->f[p->n - 1 - i];
		p->f[p->n - 1 - i] = t;
	}
}

void
hooks_stacks(void)
{
	void *me, *ts;

	pendts = now();
	if (!py.PyThreadState_GetFrame || !py.PyThreadState_Get || !py.PyThreadState_GetInterpreter ||
	    !py.PyInterpreterState_ThreadHead || !py.PyThreadState_Next || !py.PyFrame_GetLasti)
		return;
	me = py.PyThreadState_Get();
	for (ts = py.PyInterpreterState_ThreadHead(py.PyThreadState_GetInterpreter(me)); ts;
	    ts = py.PyThreadState_Next(ts)) {
		egrow((void **)&pend, &pendcap, npend, sizeof(*pend));
		pend[npend] = (struct pend){ ts, NULL, 0 };
		readstack(&pend[npend++], py.PyThreadState_GetFrame(ts));
	}
	py.PyErr_Clear();
	if (cur && cur->gen == R.gen)
		hooks_adopt(cur);
}

/* Thread T's frames at the attach onto its stack, once. */
void
hooks_adopt(struct th *t)
{
	void *ts = py.PyThreadState_Get ? py.PyThreadState_Get() : NULL;
	size_t i, j;

	for (i = 0; ts && i < npend; i++) {
		if (pend[i].ts != ts)
			continue;
		for (j = 0; j < pend[i].n; j++)
			push(t, pend[i].f[j].key, pend[i].f[j].fn, pend[i].f[j].line, pendts, 0);
		free(pend[i].f);
		pend[i] = pend[--npend];
		return;
	}
}

/* Forget the stacks of threads that never ran again. */
static void
pendfree(void)
{
	while (npend)
		free(pend[--npend].f);
	free(pend);
	pend = NULL;
	pendcap = 0;
}

int
hooks_install(void)
{
	pendfree();
	if (!py.monitoring)
		return legacy_install();
	if (monitoring_install() < 0)
		return -1;
	if (!R.attached)
		chain_install_mon();
	return 0;
}

/*
 * Compensation: what one event costs the program, measured at start on
 * this interpreter and machine, so that each event's cost can be taken out
 * of the interval it lands in (see stamp()).  The same loops of calls to
 * a Python function that returns its argument, of calls to a C function of
 * ours that does the same (a call passes one and returns a value, as most
 * do: one of no argument costs some 15 % less on 3.13) and over a
 * generator (a resumption costs less than a call: its frame exists) are
 * timed without the hooks and with them, recording into a scratch profile;
 * the difference per event, the least of several rounds (a loaded machine
 * only adds time), is the cost.  The rounds alternate, hooks out then in,
 * so that both times come from the same stretch of the machine's life: a
 * neighbour that takes the cache for a few milliseconds (a VM's other
 * vCPU, say) slows the interpreter by half, and had it hit only the rounds
 * with hooks, every event would have been charged half as much again.
 * From 3.12, loops of FEW calls besides, of kinds that cost more than a
 * call and a return, or have no record in the profile (BIAS_TYPE on, in
 * rec.h): costed once a call, a type's call whole, the others by what
 * they cost more than a Python call and return, and taken out where
 * hooks.c sees them.  About 3 ms.
 * --lines: a loop of lines and no calls gives a line event's cost; the
 * line events the other loops make (counted) are taken out of theirs.
 * --events: the loops write their records too (an event costs 3-4 ns
 * more so on 3.13), into a buffer that is never written out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"
#include "util.h"

#define ROUNDS 5
#define CALLS 1000
#define FEW (CALLS / 5)
#define WARM 64 /* a loop's run before each timed one: its code is set
                 * for the hooks in or out, and specialised again */

static const char loops[] =
    "def f(x):\n"
    "    return x\n"
    "def pyloop(n, c):\n"
    "    for i in range(n):\n"
    "        f(i)\n"
    "def cloop(n, c):\n"
    "    for i in range(n):\n"
    "        c(i)\n"
    "def g(n):\n"
    "    for i in range(n):\n"
    "        yield i\n"
    "def genloop(n, c):\n"
    "    for _ in g(n):\n"
    "        pass\n"
    "class K:\n"
    "    def __init__(self, x):\n"
    "        pass\n"
    "    def __call__(self, x):\n"
    "        pass\n"
    "    def __add__(self, x):\n"
    "        return 0\n"
    "    @property\n"
    "    def p(self):\n"
    "        return 0\n"
    "def typeloop(n, c):\n"
    "    for i in range(n):\n"
    "        int(i)\n"
    "class S:\n"
    "    __slots__ = ()\n"
    "    def __init__(self, x):\n"
    "        pass\n"
    "def initloop(n, c):\n"
    "    for i in range(n):\n"
    "        K(i)\n"
    "def slotsloop(n, c):\n"
    "    for i in range(n):\n"
    "        S(i)\n"
    "class V:\n"
    "    def __init__(self, *a):\n"
    "        pass\n"
    "def varinitloop(n, c):\n"
    "    for i in range(n):\n"
    "        V(i)\n"
    "def objloop(n, c):\n"
    "    k = K(0)\n"
    "    for i in range(n):\n"
    "        k(i)\n"
    "def g0():\n"
    "    return\n"
    "    yield\n"
    "def newgenloop(n, c):\n"
    "    for i in range(n):\n"
    "        for _ in g0():\n"
    "            pass\n"
    "def fromcloop(n, c):\n"
    "    k = K(0)\n"
    "    for i in range(n):\n"
    "        k.p\n"
    "        k + k\n"
    "def lineloop(n, c):\n"
    "    i = 0\n"
    "    while i < n:\n"
    "        i += 1\n";

/* The loops by BIAS_*: their turns, and how many of their kind one turn
 * makes: events (a call and a return), or for the kinds from BIAS_TYPE
 * on, which cost 50 to 150 ns each, calls (fromcloop's turn makes two). */
static const struct {
	const char *name;
	int turns, per;
} loop[NBIAS] = {
	[BIAS_PY] = { "pyloop", CALLS, 2 },
	[BIAS_C] = { "cloop", CALLS, 2 },
	[BIAS_GEN] = { "genloop", CALLS, 2 },
	[BIAS_TYPE] = { "typeloop", FEW, 1 },
	[BIAS_INIT] = { "initloop", FEW, 1 },
	[BIAS_SLOTS] = { "slotsloop", FEW, 1 },
	[BIAS_VARINIT] = { "varinitloop", FEW, 1 },
	[BIAS_OBJ] = { "objloop", FEW, 1 },
	[BIAS_FROMC] = { "fromcloop", FEW, 2 },
	[BIAS_NEWGEN] = { "newgenloop", FEW, 1 },
	[BIAS_LINE] = { "lineloop", CALLS, 0 }, /* per line event: counted */
};

static struct {
	PyObject *loop[NBIAS], *n, *few, *warm, *cfunc; /* the loops (by BIAS_*), CALLS, FEW, WARM, the C function */
	int used[NBIAS];              /* which are timed: the line loop with --lines; from 3.12 those
	                               * of events that only sys.monitoring has */
	struct pcg_profile real;      /* the recording, set aside meanwhile */
	int fd;                       /* --events: the output, set aside meanwhile */
	uint32_t nfn;
	uint64_t lines;
	struct th *scratch, *thread;  /* ours, and the real one of this thread */
	int active;                   /* between calib_begin() and calib_end() */
	PyObject *exc[3];             /* a loop's exception that is the program's (keep()) */
} C;

/* The C function the loops call: its argument back (a call passes one and
 * returns a value, as most do; none would cost a little less). */
static PyObject *
same(PyObject *self, PyObject *x)
{
	(void)self;
	py.Py_IncRef(x);
	return x;
}

static struct pymethoddef samedef = { "calibration", same, METH_O, NULL };

static uint64_t
ns(uint64_t ticks)
{
#ifdef __x86_64__
	if (R.tsc)
		return (uint64_t)(((unsigned __int128)ticks * R.mult) >> 32);
#endif
	return ticks;
}

/*
 * A loop raised.  What a signal's handler raises to end the program (a
 * Ctrl-C's KeyboardInterrupt, a SystemExit: not Exceptions) is the
 * program's: kept, and raised again when the recorder has started
 * (calib_raise()), as it would have been in the site import that the
 * signal hit.  Anything else is the loops' own (a builtin replaced).
 */
static void
keep(void)
{
	PyObject *e[3];
	int i;

	py.PyErr_Fetch(&e[0], &e[1], &e[2]);
	if (!C.exc[0] && e[0] && !py.PyType_IsSubtype(e[0], *(PyObject **)py.PyExc_Exception)) {
		memcpy(C.exc, e, sizeof(e));
		return;
	}
	for (i = 0; i < 3; i++)
		py.Py_DecRef(e[i]);
}

/* The loops could not be made or raised: no compensation, and a warning,
 * unless the program ends on its exception (calib_raise()).  -1. */
static int
uncompensated(void)
{
	if (!C.exc[0])
		fprintf(stderr, "pcg-trace: the calibration's loops raised (a builtin replaced, a "
		    "signal's handler?): process %ld is not compensated, as with --raw\n", (long)getpid());
	return -1;
}

/* The program's exception from the loops (keep()), set again: 1 if any. */
int
calib_raise(void)
{
	if (!C.exc[0])
		return 0;
	py.PyErr_Restore(C.exc[0], C.exc[1], C.exc[2]);
	memset(C.exc, 0, sizeof(C.exc));
	return 1;
}

/* Loop I's time over its turns, in ns, after a warm run; 0 if it failed.
 * The line events of the timed run (hooks in) are added to *LINES. */
static uint64_t
timed(int i, uint64_t *lines)
{
	PyObject *r;
	uint64_t t, c0;
	uint32_t n;

	if (!(r = py.PyObject_CallFunctionObjArgs(C.loop[i], C.warm, C.cfunc, NULL)))
		goto fail;
	py.Py_DecRef(r);
	n = C.scratch->nline;
	c0 = clk();
	if (!(r = py.PyObject_CallFunctionObjArgs(C.loop[i], loop[i].turns == CALLS ? C.n : C.few, C.cfunc, NULL)))
		goto fail;
	t = ns(clk() - c0);
	O.blen = 0;
	*lines += C.scratch->nline - n;
	py.Py_DecRef(r);
	return t ? t : 1;
fail:
	keep();
	return 0;
}

/* The least of ROUNDS times, 0 if any failed. */
static uint64_t
least(const uint64_t *t)
{
	uint64_t best = t[0];
	int i;

	for (i = 1; i < ROUNDS; i++)
		if (!t[i] || (best && t[i] < best))
			best = t[i];
	return best;
}

/* Before the hooks: the loops, and the scratch recording in the real
 * one's place; with EVENTS (--events), a scratch events buffer too.  -1 if
 * the loops could not be made. */
int
calib_begin(int events)
{
	PyObject *b = py.PyImport_ImportModule("builtins"), *exec = NULL, *g, *name = NULL, *src = NULL, *r = NULL;
	int i;

	/* g lives on: the loops' globals. */
	if (b && (exec = py.PyObject_GetAttrString(b, "exec")) && (g = py.PyDict_New()) &&
	    (name = py.PyUnicode_FromString("pcg.calibration")) && py.PyDict_SetItemString(g, "__name__", name) == 0 &&
	    (src = py.PyUnicode_FromString(loops)) && (r = py.PyObject_CallFunctionObjArgs(exec, src, g, NULL))) {
		for (i = 0; i < NBIAS; i++)
			C.loop[i] = py.PyDict_GetItemString(g, loop[i].name);
		C.n = py.PyLong_FromLong(CALLS);
		C.few = py.PyLong_FromLong(FEW);
		C.warm = py.PyLong_FromLong(WARM);
		C.cfunc = py.PyCFunction_NewEx(&samedef, NULL, NULL);
	}
	py.Py_DecRef(r);
	py.Py_DecRef(src);
	py.Py_DecRef(name);
	py.Py_DecRef(exec);
	py.Py_DecRef(b);
	if (py.PyErr_Occurred())
		keep(); /* a Ctrl-C's KeyboardInterrupt is the program's */
	for (i = 0; i < NBIAS; i++)
		if (!C.loop[i])
			return uncompensated();
	if (!C.n || !C.few || !C.warm || !C.cfunc)
		return uncompensated();
	for (i = 0; i < NBIAS; i++)
		C.used[i] = i == BIAS_LINE ? R.lines : i < BIAS_TYPE || py.monitoring;
	C.real = R.p;
	pcg_init(&R.p);
	pcg_add_cost(&R.p, "wall", "ns");
	if (R.cpu)
		pcg_add_cost(&R.p, "cpu", "ns");
	if (R.lines)
		pcg_lines_on(&R.p);
	C.scratch = ecalloc(1, sizeof(*C.scratch));
	if (R.cpu)
		cpu_thread_init(C.scratch);
	C.scratch->id = pcg_thread_add(&R.p, 0, pcg_cstr("calibration"));
	pcg_stack_init(&C.scratch->st, C.scratch->id);
	/* --events: the loops write their records, as the program's will, into
	 * a buffer that timed() empties and nothing writes out. */
	if (events) {
		C.fd = O.fd;
		C.nfn = O.nfn;
		C.lines = O.lines;
		O.fd = -1;
		O.buf = emalloc(BUFSZ);
		O.blen = 0;
		O.events = 1;
	}
	C.thread = cur;
	cur = C.scratch;
	C.active = 1;
	return 0;
}

/* The real recording back, as it was before the loops. */
static void
restore(void)
{
	cur = C.thread;
	R.p = C.real;
	if (O.events) {
		free(O.buf);
		O.buf = NULL;
		O.blen = 0;
		O.fd = C.fd;
		O.nfn = C.nfn;
		O.lines = C.lines;
		O.flushed = 0;
		O.events = 0; /* until out_begin() (rec.c) */
	}
	C.active = 0;
}

/*
 * The process ends during the calibration (a SIGTERM's handler runs
 * between the loops' bytecodes: a pool terminating a worker that is still
 * starting): the program's recording is the one to write, with nothing in
 * it yet, not the loops'.  Nothing was measured: no compensation record.
 * The scratch recording is left to the process's end.
 */
void
calib_abort(void)
{
	if (C.active)
		restore();
}

/* Per event, in 1/1024 ns, from the times without and with the hooks:
 * NEV events, and NLINE line events of cost LINE besides. */
static uint32_t
cost(uint64_t off, uint64_t on, uint64_t nev, uint64_t nline, uint64_t line)
{
	uint64_t d = on > off && off ? (on - off) << 10 : 0;

	d = d > nline * line ? d - nline * line : 0;
	return nev ? (uint32_t)(d / nev) : 0;
}

/* The hooks are in: the loops' rounds, hooks out and in, the costs, the
 * recording back.  The line loop first: the others' line events cost what
 * its do.  A type's call (BIAS_TYPE) is costed whole, once a call; the
 * others from BIAS_INIT on by what they cost more than a Python call and
 * return. */
void
calib_end(void)
{
	char v[NBIAS][32];
	struct pcg_str s[NBIAS];
	uint64_t toff[NBIAS][ROUNDS], ton[NBIAS][ROUNDS], off[NBIAS], on[NBIAS], nline[NBIAS] = { 0 }, none = 0;
	uint32_t call;
	int i, r, n = 0, failed = 0;

	for (r = 0; r < ROUNDS; r++) {
		hooks_calib(0);
		for (i = NBIAS - 1; i >= 0; i--)
			if (C.used[i])
				toff[i][r] = timed(i, &none);
		hooks_calib(1);
		for (i = NBIAS - 1; i >= 0; i--)
			if (C.used[i])
				ton[i][r] = timed(i, &nline[i]);
	}
	for (i = 0; i < NBIAS; i++) {
		if (!C.used[i])
			continue;
		off[i] = least(toff[i]);
		on[i] = least(ton[i]);
		nline[i] /= ROUNDS;
		failed |= !off[i] || !on[i];
	}
	if (!failed && C.used[BIAS_LINE])
		R.bias[BIAS_LINE] = cost(off[BIAS_LINE], on[BIAS_LINE], nline[BIAS_LINE], 0, 0);
	for (i = 0; i < BIAS_LINE && !failed; i++)
		if (C.used[i])
			R.bias[i] = cost(off[i], on[i], loop[i].turns * loop[i].per, nline[i], R.bias[BIAS_LINE]);
	call = 2 * R.bias[BIAS_PY];
	for (i = BIAS_INIT; i < BIAS_LINE; i++)
		R.bias[i] = R.bias[i] > call ? R.bias[i] - call : 0;
	pcg_stack_free(&C.scratch->st);
	cpu_thread_free(C.scratch);
	free(C.scratch->key);
	free(C.scratch->line);
	free(C.scratch);
	pcg_free(&R.p);
	restore();
	/* Nothing measured (the costs stay 0): no compensation record, so
	 * that nothing claims the recorder's time was taken out. */
	if (failed) {
		uncompensated();
		return;
	}
	for (i = 0; i < NBIAS; i++) {
		if (i == BIAS_LINE && !R.lines)
			continue;
		snprintf(v[n], sizeof(v[n]), "%.1f", R.bias[i] / 1024.0);
		s[n] = pcg_cstr(v[n]);
		n++;
	}
	pcg_add_meta(&R.p, pcg_cstr("compensation"), s, n);
}

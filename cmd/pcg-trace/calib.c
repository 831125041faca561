/*
 * Compensation: what one event costs the program, measured at start on
 * this interpreter and machine, so that each event's cost can be taken out
 * of the interval it lands in (see stamp()).  The same loops of calls to
 * an empty Python function, of calls to a C function of ours and over a
 * generator (a resumption costs less than a call: its frame exists) are
 * timed without the hooks, then with them, recording into a scratch profile; the
 * difference per event, the least of several rounds (a loaded machine only
 * adds time), is the cost.  About 1.5 ms (20 million instructions).
 * --lines: a loop of lines and no calls gives a line event's cost; the
 * line events the other loops make (counted) are taken out of theirs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "rec.h"
#include "util.h"

#define ROUNDS 5
#define CALLS 1000

static const char loops[] =
    "def f():\n"
    "    pass\n"
    "def pyloop(n, c):\n"
    "    for _ in range(n):\n"
    "        f()\n"
    "def cloop(n, c):\n"
    "    for _ in range(n):\n"
    "        c()\n"
    "def g(n):\n"
    "    for i in range(n):\n"
    "        yield i\n"
    "def genloop(n, c):\n"
    "    for _ in g(n):\n"
    "        pass\n"
    "def lineloop(n, c):\n"
    "    i = 0\n"
    "    while i < n:\n"
    "        i += 1\n";

static struct {
	PyObject *loop[4], *n, *cfunc; /* the loops (by BIAS_*), CALLS, the C function */
	uint64_t off[4];               /* least time of each loop without hooks */
	int nloop;                     /* 3, or 4 with --lines */
	struct pcg_profile real;      /* the recording, set aside meanwhile */
	int events;
	struct th *scratch, *thread;  /* ours, and the real one of this thread */
} C;

static PyObject *
nothing(PyObject *self, PyObject *unused)
{
	(void)self, (void)unused;
	py.Py_IncRef(R.none);
	return R.none;
}

static struct pymethoddef nothingdef = { "calibration", nothing, 0x04 /* METH_NOARGS */, NULL };

static uint64_t
ns(uint64_t ticks)
{
#ifdef __x86_64__
	if (R.tsc)
		return (uint64_t)(((unsigned __int128)ticks * R.mult) >> 32);
#endif
	return ticks;
}

/* The least time of ROUNDS calls of LOOP, in ns, or 0 if it failed. */
static uint64_t
least(PyObject *loop)
{
	uint64_t best = 0, t, c0;
	PyObject *r;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		c0 = clk();
		if (!(r = py.PyObject_CallFunctionObjArgs(loop, C.n, C.cfunc, NULL))) {
			py.PyErr_Clear();
			return 0;
		}
		t = ns(clk() - c0);
		py.Py_DecRef(r);
		if (!best || t < best)
			best = t;
	}
	return best;
}

/* Before the hooks: the loops, timed alone; then the scratch recording in
 * the real one's place.  -1 if the loops could not be made. */
int
calib_begin(void)
{
	PyObject *b = py.PyImport_ImportModule("builtins"), *exec = NULL, *g, *name = NULL, *src = NULL, *r = NULL;
	int i;

	/* g lives on: the loops' globals. */
	if (b && (exec = py.PyObject_GetAttrString(b, "exec")) && (g = py.PyDict_New()) &&
	    (name = py.PyUnicode_FromString("pcg.calibration")) && py.PyDict_SetItemString(g, "__name__", name) == 0 &&
	    (src = py.PyUnicode_FromString(loops)) && (r = py.PyObject_CallFunctionObjArgs(exec, src, g, NULL))) {
		C.loop[BIAS_PY] = py.PyDict_GetItemString(g, "pyloop");
		C.loop[BIAS_C] = py.PyDict_GetItemString(g, "cloop");
		C.loop[BIAS_GEN] = py.PyDict_GetItemString(g, "genloop");
		C.loop[BIAS_LINE] = py.PyDict_GetItemString(g, "lineloop");
		C.n = py.PyLong_FromLong(CALLS);
		C.cfunc = py.PyCFunction_NewEx(&nothingdef, NULL, NULL);
	}
	py.Py_DecRef(r);
	py.Py_DecRef(src);
	py.Py_DecRef(name);
	py.Py_DecRef(exec);
	py.PyErr_Clear();
	if (!C.loop[0] || !C.loop[1] || !C.loop[2] || !C.loop[3] || !C.n || !C.cfunc)
		return -1;
	C.nloop = R.lines ? 4 : 3;
	for (i = 0; i < C.nloop; i++)
		C.off[i] = least(C.loop[i]);
	C.real = R.p;
	C.events = O.events;
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
	O.events = 0;
	C.thread = cur;
	cur = C.scratch;
	return 0;
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

/* The hooks are on: the loops again, the costs, the recording back.  The
 * line loop first: the others' line events cost what its do. */
void
calib_end(void)
{
	char v[4][32];
	struct pcg_str s[4];
	uint64_t on[4], nline[4];
	uint32_t n;
	int i;

	for (i = C.nloop - 1; i >= 0; i--) {
		n = C.scratch->nline;
		on[i] = least(C.loop[i]);
		nline[i] = (C.scratch->nline - n) / ROUNDS;
	}
	if (C.nloop > BIAS_LINE)
		R.bias[BIAS_LINE] = cost(C.off[BIAS_LINE], on[BIAS_LINE], nline[BIAS_LINE], 0, 0);
	for (i = 0; i < 3; i++)
		R.bias[i] = cost(C.off[i], on[i], 2 * CALLS, nline[i], R.bias[BIAS_LINE]);
	cur = C.thread;
	pcg_stack_free(&C.scratch->st);
	cpu_thread_free(C.scratch);
	free(C.scratch->key);
	free(C.scratch->line);
	free(C.scratch);
	pcg_free(&R.p);
	R.p = C.real;
	O.events = C.events;
	for (i = 0; i < C.nloop; i++) {
		snprintf(v[i], sizeof(v[i]), "%.1f", R.bias[i] / 1024.0);
		s[i] = pcg_cstr(v[i]);
	}
	pcg_add_meta(&R.p, pcg_cstr("compensation"), s, C.nloop);
}

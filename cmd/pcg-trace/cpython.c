/* The CPython layer (cpython.h): the C API resolved at run time, and the
 * probes of what differs between versions. */
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_DEFAULT */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "cpython.h"

struct cpython py;

/* An application that dlopen'ed libpython RTLD_LOCAL hides it from
 * RTLD_DEFAULT: find it among the loaded objects instead. */
static int
findlib(struct dl_phdr_info *info, size_t size, void *data)
{
	void **h = data;

	(void)size;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "libpython"))
		return 0;
	*h = dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD);
	return *h != NULL;
}

static void *
sym(void *h, const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);

	return p || !h ? p : dlsym(h, name);
}

int
cpy_resolve(void)
{
	void *h = NULL;

	if (!dlsym(RTLD_DEFAULT, "PyEval_SetProfile"))
		dl_iterate_phdr(findlib, &h);
#define RES(ret, name, args) \
	if (!(*(void **)&py.name = sym(h, #name))) { \
		fprintf(stderr, "pcg-trace: cannot find %s in the interpreter\n", #name); \
		return -1; \
	}
#define OPT(ret, name, args) *(void **)&py.name = sym(h, #name);
#define RESD(name) \
	if (!(py.name = sym(h, #name))) { \
		fprintf(stderr, "pcg-trace: cannot find %s in the interpreter\n", #name); \
		return -1; \
	}
	PYFUNCS(RES)
	PYOPTFUNCS(OPT)
	PYDATA(RESD)
#undef RES
#undef OPT
#undef RESD
	py.PyCMethod_Type = sym(h, "PyCMethod_Type");
	if (!(*(void **)&py.code_extra_index = sym(h, "PyUnstable_Eval_RequestCodeExtraIndex")))
		*(void **)&py.code_extra_index = sym(h, "_PyEval_RequestCodeExtraIndex");
	if (!(*(void **)&py.code_set_extra = sym(h, "PyUnstable_Code_SetExtra")))
		*(void **)&py.code_set_extra = sym(h, "_PyCode_SetExtra");
	return 0;
}

/* ---- Probes: each offset is checked against what Python reports ---- */

long
cpy_frame_lasti_slow(PyObject *f)
{
	PyObject *a;
	long v;

	if (!(a = py.PyObject_GetAttrString(f, "f_lasti"))) {
		py.PyErr_Clear();
		return -1;
	}
	v = py.PyLong_AsLong(a);
	py.Py_DecRef(a);
	return v;
}

/* The int f_lasti of frames before 3.11: the one offset where both frames
 * hold what getattr reports (in bytes, or in 2-byte units on 3.10). */
static void
probe_lasti(PyObject *none)
{
	PyObject *f = py.PyEval_GetFrame(), *g, *a;
	long want[2];
	size_t off;

	py.lasti_units = py.version == 310 ? 2 : 1;
	if (!f || !(g = py.PyObject_GetAttrString(f, "f_back")) || g == none)
		goto out;
	a = py.PyObject_GetAttrString(f, "f_lasti");
	want[0] = a ? py.PyLong_AsLong(a) : -1;
	py.Py_DecRef(a ? a : none);
	a = py.PyObject_GetAttrString(g, "f_lasti");
	want[1] = a ? py.PyLong_AsLong(a) : -1;
	py.Py_DecRef(a ? a : none);
	py.Py_DecRef(g);
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

/* PyCFunctionObject: m_ml, m_self, m_module in a row, on builtins.len. */
static int
probe_cfunc(PyObject *builtins)
{
	PyObject *len = py.PyObject_GetAttrString(builtins, "len"), *mod;
	int ok;

	py.off_mml = 2 * sizeof(void *);
	ok = len && TYPE(len) == py.PyCFunction_Type && cpy_cfunc_method(len) &&
	    strcmp(cpy_cfunc_method(len)->name, "len") == 0 && cpy_cfunc_self(len) == builtins &&
	    (mod = cpy_cfunc_module(len)) && TYPE(mod) == py.PyUnicode_Type &&
	    py.PyUnicode_CompareWithASCIIString(mod, "builtins") == 0;
	if (len)
		py.Py_DecRef(len);
	return ok ? 0 : -1;
}

/* PyMethodDescrObject.d_method, after the common descriptor fields, on
 * str.join. */
static int
probe_descr(PyObject *builtins)
{
	PyObject *str = py.PyObject_GetAttrString(builtins, "str"), *join;
	int ok;

	join = str ? py.PyObject_GetAttrString(str, "join") : NULL;
	py.off_dmethod = 5 * sizeof(void *);
	ok = join && TYPE(join) == py.PyMethodDescr_Type && cpy_descr_method(join) &&
	    strcmp(cpy_descr_method(join)->name, "join") == 0;
	if (join)
		py.Py_DecRef(join);
	if (str)
		py.Py_DecRef(str);
	return ok ? 0 : -1;
}

/* f_code and f_back of a frame object, before 3.9 (no accessors). */
static int
probe_frame(PyObject *none)
{
	PyObject *f = py.PyEval_GetFrame(), *a;
	int ok;

	py.off_fcode = 4 * sizeof(void *);
	py.off_fback = 3 * sizeof(void *);
	if (!f || !(a = py.PyObject_GetAttrString(f, "f_code")))
		return -1;
	ok = *(PyObject **)((char *)f + py.off_fcode) == a;
	py.Py_DecRef(a);
	if (!ok || !(a = py.PyObject_GetAttrString(f, "f_back")))
		return -1;
	ok = *(PyObject **)((char *)f + py.off_fback) == (a == none ? NULL : a);
	py.Py_DecRef(a);
	return ok ? 0 : -1;
}

/*
 * 3.12+ compact ints, on values that are and are not cached (3.14 caches
 * up to 256 and flags them, 3.15 up to 1024): a tag word, ndigits << 3 |
 * flags | sign (1: zero), then the digits.  Flags other than bit 2 (3.14's
 * small-int mark) leave the fast path off.
 */
static void
probe_long(void)
{
	static const long vals[] = { 0, 1, 5, 255, 256, 257, 1000, 1024, 1025, 12345, 1L << 29 };
	uintptr_t tag, flags = 0;
	PyObject *o;
	size_t i;
	int ok = 1;

	py.long_tagmask = ~(uintptr_t)0;
	for (i = 0; ok && i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (!(o = py.PyLong_FromLong(vals[i])))
			break;
		tag = *(uintptr_t *)((char *)o + 2 * sizeof(void *));
		flags |= tag & 4;
		tag &= ~(uintptr_t)4;
		ok = vals[i] ? tag == (1 << 3) && *(uint32_t *)((char *)o + 3 * sizeof(void *)) == (uint32_t)vals[i]
		             : tag == 1;
		py.Py_DecRef(o);
	}
	py.PyErr_Clear();
	py.long_tagmask = ~flags;
	py.long_fast = ok && i == sizeof(vals) / sizeof(vals[0]);
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
	py.PyErr_Clear();
	return v;
}

/* The version, its capabilities and the offsets beyond the object header;
 * -1 if this interpreter cannot be recorded. */
int
cpy_probe(PyObject *none)
{
	PyObject *b;
	int r;

	py.version = version();
	if (py.version < 306)
		return -1;
	py.monitoring = py.version >= 312;
	py.resume_op = py.version == 311;
	if (!(b = py.PyImport_ImportModule("builtins")))
		return -1;
	r = probe_cfunc(b) < 0 || probe_descr(b) < 0 ? -1 : 0;
	py.Py_DecRef(b);
	if (r == 0 && (!py.PyFrame_GetCode || !py.PyFrame_GetBack))
		r = probe_frame(none);
	if (r == 0 && py.version < 311)
		probe_lasti(none);
	if (r == 0 && py.monitoring)
		probe_long();
	py.PyErr_Clear();
	return r;
}

/*
 * Before 3.12: where a thread state keeps its profile hook and object, the
 * one word that holds HOOK and the one that holds MARK while they are set
 * (chain.c puts ours back when the program's own profiler displaced it).
 * They are in its first 12 words from 3.6 to 3.11; it has more than 24.
 */
void
cpy_probe_tstate(PyTraceFunc hook, PyObject *mark)
{
	char *ts;
	size_t i, nf = 0, no = 0;

	if (!py.PyThreadState_Get)
		return;
	py.PyEval_SetProfile(hook, mark);
	ts = py.PyThreadState_Get();
	for (i = sizeof(void *); i < 24 * sizeof(void *); i += sizeof(void *)) {
		if (*(PyTraceFunc *)(ts + i) == hook)
			py.off_tsprofile = i, nf++;
		if (*(PyObject **)(ts + i) == mark)
			py.off_tsprofileobj = i, no++;
	}
	if (nf != 1 || no != 1)
		py.off_tsprofile = py.off_tsprofileobj = 0;
	py.PyEval_SetProfile(NULL, NULL);
}

/* The same for the trace hook (--lines before 3.12: chain.c chains the
 * program's sys.settrace behind ours). */
void
cpy_probe_ttrace(PyTraceFunc hook, PyObject *mark)
{
	char *ts;
	size_t i, nf = 0, no = 0;

	if (!py.PyThreadState_Get)
		return;
	py.PyEval_SetTrace(hook, mark);
	ts = py.PyThreadState_Get();
	for (i = sizeof(void *); i < 24 * sizeof(void *); i += sizeof(void *)) {
		if (*(PyTraceFunc *)(ts + i) == hook)
			py.off_tstrace = i, nf++;
		if (*(PyObject **)(ts + i) == mark)
			py.off_tstraceobj = i, no++;
	}
	if (nf != 1 || no != 1)
		py.off_tstrace = py.off_tstraceobj = 0;
	py.PyEval_SetTrace(NULL, NULL);
}

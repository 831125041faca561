/*
 * What the recorder knows of CPython, in one place: the slice of the C API
 * it calls, resolved at run time with dlsym (no Python headers, no
 * -lpython, one build for every CPython 3.6+); every struct offset beyond
 * the object header, probed against getattr() at start; the opcodes it
 * reads; and what differs between versions, as capabilities.  The rest of
 * the recorder asks these questions and never tests a version itself.
 * Only default (GIL) builds: the object header of free-threaded ones
 * differs, and the bootstrap refuses them.
 */
#ifndef CPYTHON_H
#define CPYTHON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct pyobj {
	ssize_t refcnt;
	struct pyobj *type;
} PyObject;

typedef PyObject *(*PyCFunc)(PyObject *, PyObject *);

struct pymethoddef {
	const char *name;
	PyCFunc meth;
	int flags;
	const char *doc;
};

/* Heap types from a spec (Include/object.h, typeslots.h, descrobject.h):
 * the recorder's sys.monitoring callbacks are vectorcall objects. */
struct pytypeslot {
	int slot;
	void *pfunc;
};

struct pytypespec {
	const char *name;
	int basicsize, itemsize;
	unsigned flags;
	struct pytypeslot *slots;
};

struct pymemberdef {
	const char *name;
	int type;
	ssize_t offset;
	int flags;
	const char *doc;
};

/* A single-phase extension module's definition (Include/moduleobject.h):
 * PyModuleDef_HEAD_INIT's object header, m_init, m_index and m_copy, then
 * the rest; one layout from 3.5 on (the stable ABI's). */
struct pymoduledef {
	PyObject base;
	PyObject *(*init)(void);
	ssize_t index;
	PyObject *copy;
	const char *name, *doc;
	ssize_t size;
	struct pymethoddef *methods;
	void *slots, *traverse, *clear, *free;
};

#define PY_ABI_VERSION 3 /* PyModule_Create2's, the stable ABI's */

#define PY_TP_CALL 50
#define PY_TP_MEMBERS 72
#define PY_T_PYSSIZET 19
#define PY_READONLY 1
#define PY_TPFLAGS_DEFAULT (1UL << 18)
#define PY_TPFLAGS_HAVE_VECTORCALL (1UL << 11)

#define METH_VARARGS 0x01
#define METH_O 0x08
#define METH_FASTCALL 0x80

/* Profile hook events (Include/cpython/pystate.h).  LINE reaches only a
 * trace hook (PyEval_SetTrace, 3.6 to 3.11): a C one gets it in every frame
 * of its thread with no setup per frame (f_trace belongs to sys.settrace's
 * Python functions; f_trace_lines, 3.7+, starts true), when the frame's
 * last instruction starts a line or jumps back (CPython's own line rule,
 * f_lineno's); it gets CALL, RETURN and EXCEPTION too. */
enum { PYTRACE_CALL = 0, PYTRACE_LINE = 2, PYTRACE_RETURN = 3, PYTRACE_C_CALL = 4,
	PYTRACE_C_EXCEPTION = 5, PYTRACE_C_RETURN = 6 };

#define CO_GENLIKE (0x20 | 0x80 | 0x200) /* generator, coroutine, async gen */
#define CO_VARARGS 0x04
#define CO_VARKEYWORDS 0x08

typedef int (*PyTraceFunc)(PyObject *, PyObject *, int, PyObject *);

#define PYFUNCS(X) \
	X(void, Py_IncRef, (PyObject *)) \
	X(void, Py_DecRef, (PyObject *)) \
	X(int, Py_AtExit, (void (*)(void))) \
	X(PyObject *, PyImport_ImportModule, (const char *)) \
	X(PyObject *, PyObject_GetAttrString, (PyObject *, const char *)) \
	X(PyObject *, PyObject_GetItem, (PyObject *, PyObject *)) \
	X(PyObject *, PyObject_CallFunctionObjArgs, (PyObject *, ...)) \
	X(PyObject *, PyObject_Str, (PyObject *)) \
	X(PyObject *, PyObject_CallObject, (PyObject *, PyObject *)) \
	X(PyObject *, PyObject_Call, (PyObject *, PyObject *, PyObject *)) \
	X(PyObject *, PyDict_New, (void)) \
	X(int, PyDict_SetItemString, (PyObject *, const char *, PyObject *)) \
	X(PyObject *, PyTuple_New, (ssize_t)) \
	X(int, PyTuple_SetItem, (PyObject *, ssize_t, PyObject *)) \
	X(int, PyObject_SetAttrString, (PyObject *, const char *, PyObject *)) \
	X(PyObject *, PyUnicode_FromString, (const char *)) \
	X(PyObject *, PyUnicode_AsEncodedString, (PyObject *, const char *, const char *)) \
	X(int, PyBytes_AsStringAndSize, (PyObject *, char **, ssize_t *)) \
	X(PyObject *, PyBytes_FromStringAndSize, (const char *, ssize_t)) \
	X(long, PyLong_AsLong, (PyObject *)) \
	X(PyObject *, PyLong_FromLong, (long)) \
	X(PyObject *, PyLong_FromUnsignedLong, (unsigned long)) \
	X(PyObject *, PyErr_Occurred, (void)) \
	X(void, PyErr_Clear, (void)) \
	X(int, PyErr_CheckSignals, (void)) \
	X(void, PyErr_Print, (void)) \
	X(void, PyErr_Fetch, (PyObject **, PyObject **, PyObject **)) \
	X(void, PyErr_Restore, (PyObject *, PyObject *, PyObject *)) \
	X(void, PyEval_SetProfile, (PyTraceFunc, PyObject *)) \
	X(void, PyEval_SetTrace, (PyTraceFunc, PyObject *)) \
	X(PyObject *, PyEval_GetFrame, (void)) \
	X(int, PyFrame_GetLineNumber, (PyObject *)) \
	X(int, PyCode_Addr2Line, (PyObject *, int)) \
	X(PyObject *, PyCFunction_NewEx, (struct pymethoddef *, PyObject *, PyObject *)) \
	X(PyObject *, PyModule_Create2, (struct pymoduledef *, int)) \
	X(int, PyErr_BadArgument, (void)) \
	X(int, PyType_IsSubtype, (PyObject *, PyObject *)) \
	X(unsigned long, PyType_GetFlags, (PyObject *)) \
	X(unsigned long, PyThread_get_thread_ident, (void)) \
	X(PyObject *, PyDict_GetItem, (PyObject *, PyObject *)) \
	X(PyObject *, PyDict_GetItemString, (PyObject *, const char *)) \
	X(PyObject *, PyTuple_GetItem, (PyObject *, ssize_t)) \
	X(ssize_t, PyTuple_Size, (PyObject *)) \
	X(int, PyObject_IsInstance, (PyObject *, PyObject *)) \
	X(int, PyObject_RichCompareBool, (PyObject *, PyObject *, int)) \
	X(int, PyUnicode_CompareWithASCIIString, (PyObject *, const char *))

/* Missing on older versions: NULL then. */
#define PYOPTFUNCS(X) \
	X(PyObject *, PyFrame_GetCode, (PyObject *)) \
	X(PyObject *, PyFrame_GetBack, (PyObject *)) \
	X(void, _PyEval_SetProfile, (void *, PyTraceFunc, PyObject *)) \
	X(void, _PyEval_SetTrace, (void *, PyTraceFunc, PyObject *)) \
	X(void *, PyThreadState_Get, (void)) \
	X(void *, PyThreadState_GetInterpreter, (void *)) \
	X(void *, PyInterpreterState_ThreadHead, (void *)) \
	X(void *, PyThreadState_Next, (void *)) \
	X(PyObject *, PyThreadState_GetFrame, (void *)) \
	X(int, PyFrame_GetLasti, (PyObject *)) \
	X(PyObject *, PyType_FromSpec, (struct pytypespec *)) \
	X(PyObject *, PyVectorcall_Call, (PyObject *, PyObject *, PyObject *)) \
	X(int, Py_AddPendingCall, (int (*)(void *), void *))

#define PYDATA(X) \
	X(PyCFunction_Type) \
	X(PyFunction_Type) \
	X(PyMethodDescr_Type) \
	X(PyClassMethodDescr_Type) \
	X(PyModule_Type) \
	X(PyType_Type) \
	X(PyTuple_Type) \
	X(PyLong_Type) \
	X(PyUnicode_Type) \
	X(PyExc_Exception) /* the variable's address: a PyObject ** */ \
	X(_Py_NoneStruct)

#define DECL(ret, name, args) ret (*name) args;
#define DECLD(name) PyObject *name;
struct cpython {
	PYFUNCS(DECL)
	PYOPTFUNCS(DECL)
	PYDATA(DECLD)
	PyObject *PyCMethod_Type; /* 3.9+ */
	/* PEP 523's per-code extra slots (_PyEval_RequestCodeExtraIndex and
	 * _PyCode_SetExtra, PyUnstable_ from 3.12); NULL if absent. */
	ssize_t (*code_extra_index)(void (*freefunc)(void *));
	int (*code_set_extra)(PyObject *code, ssize_t index, void *extra);
	int version;              /* major * 100 + minor: for messages only */

	/* Capabilities. */
	int monitoring;           /* sys.monitoring with C callbacks (3.12+) */
	int resume_op;            /* frames start with RESUME (3.11; 3.12+ has monitoring) */

	/* Probed layout (cpy_probe); 0: not there or not found. */
	size_t off_fcode, off_fback; /* PyFrameObject fields before 3.9 */
	size_t off_lasti;         /* int f_lasti before 3.11 */
	int lasti_units;          /* bytes per unit of f_lasti: 1, or 2 in 3.10 */
	size_t off_mml;           /* PyCFunctionObject.m_ml; m_self, m_module follow */
	size_t off_dmethod;       /* PyMethodDescrObject.d_method */
	uintptr_t long_tagmask;   /* 3.12+ compact ints: tag bits that say nothing of the value */
	int long_fast;            /* ... and they can be read directly */
	size_t off_tsprofile, off_tsprofileobj; /* PyThreadState's c_profilefunc, c_profileobj (< 3.12) */
	size_t off_tstrace, off_tstraceobj; /* ... c_tracefunc, c_traceobj (< 3.12, --lines) */
};
#undef DECL
#undef DECLD

extern struct cpython py;

int cpy_resolve(void);
int cpy_probe(PyObject *none);
void cpy_probe_tstate(PyTraceFunc hook, PyObject *mark);
void cpy_probe_ttrace(PyTraceFunc hook, PyObject *mark);

#define TYPE(o) ((o)->type)

/* ---- Builtin functions and method descriptors ---- */

/* The PyMethodDef of a builtin function or method (PyCFunctionObject). */
static inline const struct pymethoddef *
cpy_cfunc_method(PyObject *f)
{
	return *(const struct pymethoddef **)((char *)f + py.off_mml);
}

/* Its m_self (a module, a type, an instance, or NULL), borrowed. */
static inline PyObject *
cpy_cfunc_self(PyObject *f)
{
	return *(PyObject **)((char *)f + py.off_mml + sizeof(void *));
}

/* Its m_module (usually the module's name), borrowed. */
static inline PyObject *
cpy_cfunc_module(PyObject *f)
{
	return *(PyObject **)((char *)f + py.off_mml + 2 * sizeof(void *));
}

/* The PyMethodDef of a method or class method descriptor. */
static inline const struct pymethoddef *
cpy_descr_method(PyObject *d)
{
	return *(const struct pymethoddef **)((char *)d + py.off_dmethod);
}

/* ---- Types ---- */

/* O is a type (Py_TPFLAGS_TYPE_SUBCLASS on its type). */
static inline int
cpy_is_type(PyObject *o)
{
	return (py.PyType_GetFlags(TYPE(o)) & 1UL << 31) != 0;
}

/* Type O's instances have a dict managed by the interpreter
 * (Py_TPFLAGS_MANAGED_DICT, 3.12+): a class without __slots__.  CPython
 * specialises the calls of such classes differently (3.13: only theirs
 * skip type.__call__): compensation, BIAS_INIT and BIAS_SLOTS. */
static inline int
cpy_dict_class(PyObject *o)
{
	return (py.PyType_GetFlags(o) & 1UL << 4) != 0;
}

/* ---- Frames (the legacy profile hook, before 3.12) ---- */

/* A frame's code, borrowed: the frame holds it. */
static inline PyObject *
cpy_frame_code(PyObject *f)
{
	PyObject *c;

	if (!py.PyFrame_GetCode)
		return *(PyObject **)((char *)f + py.off_fcode);
	c = py.PyFrame_GetCode(f);
	c->refcnt--; /* no immortal objects before 3.12 */
	return c;
}

/* The frame below, borrowed (owned by the frame or its interpreter frame),
 * or NULL. */
static inline PyObject *
cpy_frame_back(PyObject *f)
{
	PyObject *b;

	if (!py.PyFrame_GetBack)
		return *(PyObject **)((char *)f + py.off_fback);
	if ((b = py.PyFrame_GetBack(f)))
		b->refcnt--;
	return b;
}

/* The frame's last instruction, in bytes, or -1. */
long cpy_frame_lasti_slow(PyObject *f);

static inline long
cpy_frame_lasti(PyObject *f)
{
	if (py.PyFrame_GetLasti)
		return py.PyFrame_GetLasti(f);
	if (py.off_lasti)
		return *(int *)((char *)f + py.off_lasti) * py.lasti_units;
	return cpy_frame_lasti_slow(f);
}

/* Opcodes (Include/opcode.h) that tell a generator's state, 3.6 to 3.11. */
#define CPY_RETURN_VALUE 83
#define CPY_RESUME 151 /* 3.11 */

/* A generator or coroutine frame about to run has run before: it is
 * resumed, not called.  CO, NCO: its bytecode; LASTI: its last instruction. */
static inline int
cpy_gen_resumed(const unsigned char *co, size_t nco, long lasti)
{
	/* 3.11: RESUME 0 starts the frame; RESUME n or a throw at YIELD_VALUE
	 * continues it.  Before: it never ran if it has no last instruction. */
	if (py.resume_op)
		return !(co && lasti >= 0 && (size_t)lasti + 1 < nco &&
		    co[lasti] == CPY_RESUME && co[lasti + 1] == 0);
	return lasti >= 0;
}

/* A generator frame that is leaving yields, unless it is at its return. */
static inline int
cpy_gen_yields(const unsigned char *co, size_t nco, long lasti)
{
	return !(co && lasti >= 0 && (size_t)lasti + 1 < nco) || co[lasti] != CPY_RETURN_VALUE;
}

/* A thread state's profile hook and its object (cpy_probe_tstate found
 * where they are: check py.off_tsprofile first). */
static inline PyTraceFunc
cpy_tstate_profilefunc(void *ts)
{
	return *(PyTraceFunc *)((char *)ts + py.off_tsprofile);
}

static inline PyObject *
cpy_tstate_profileobj(void *ts)
{
	return *(PyObject **)((char *)ts + py.off_tsprofileobj);
}

/* Its trace hook and object, likewise (py.off_tstrace). */
static inline PyTraceFunc
cpy_tstate_tracefunc(void *ts)
{
	return *(PyTraceFunc *)((char *)ts + py.off_tstrace);
}

static inline PyObject *
cpy_tstate_traceobj(void *ts)
{
	return *(PyObject **)((char *)ts + py.off_tstraceobj);
}

/* ---- Ints (sys.monitoring's instruction offsets, 3.12+) ---- */

/*
 * A small non-negative int's value without a call: 3.12+ compact ints hold
 * a tag word (digits << 3 | flags | sign) and then 30-bit digits; 3.14
 * marks the cached small ints with a flag bit, which long_tagmask clears.
 */
static inline long
cpy_small_long(PyObject *o)
{
	uintptr_t tag;

	if (!py.long_fast)
		return py.PyLong_AsLong(o);
	tag = *(uintptr_t *)((char *)o + 2 * sizeof(void *)) & py.long_tagmask;
	if (tag == (1 << 3))
		return *(uint32_t *)((char *)o + 3 * sizeof(void *));
	if (tag == 1)
		return 0;
	return py.PyLong_AsLong(o);
}

#endif

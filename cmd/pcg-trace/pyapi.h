/*
 * The slice of the CPython C API the recorder uses, resolved at run time with
 * dlsym: no Python headers, no -lpython, one build for every CPython 3.6+.
 * Only the object header (default, GIL builds) is assumed; the few struct
 * offsets beyond it are probed against getattr() at start.
 */
#ifndef PYAPI_H
#define PYAPI_H

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

#define PY_TP_CALL 50
#define PY_TP_MEMBERS 72
#define PY_T_PYSSIZET 19
#define PY_READONLY 1
#define PY_TPFLAGS_DEFAULT (1UL << 18)
#define PY_TPFLAGS_HAVE_VECTORCALL (1UL << 11)

#define METH_VARARGS 0x01
#define METH_O 0x08
#define METH_FASTCALL 0x80

/* Profile hook events (Include/cpython/pystate.h). */
enum { PYTRACE_CALL = 0, PYTRACE_RETURN = 3, PYTRACE_C_CALL = 4,
	PYTRACE_C_EXCEPTION = 5, PYTRACE_C_RETURN = 6 };

#define CO_GENLIKE (0x20 | 0x80 | 0x200) /* generator, coroutine, async gen */

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
	X(PyObject *, PyEval_GetFrame, (void)) \
	X(int, PyFrame_GetLineNumber, (PyObject *)) \
	X(int, PyCode_Addr2Line, (PyObject *, int)) \
	X(PyObject *, PyCFunction_NewEx, (struct pymethoddef *, PyObject *, PyObject *)) \
	X(int, PyType_IsSubtype, (PyObject *, PyObject *)) \
	X(unsigned long, PyThread_get_thread_ident, (void)) \
	X(PyObject *, PyDict_GetItem, (PyObject *, PyObject *)) \
	X(PyObject *, PyDict_GetItemString, (PyObject *, const char *)) \
	X(PyObject *, PyTuple_GetItem, (PyObject *, ssize_t)) \
	X(int, PyObject_IsInstance, (PyObject *, PyObject *)) \
	X(int, PyObject_RichCompareBool, (PyObject *, PyObject *, int)) \
	X(int, PyUnicode_CompareWithASCIIString, (PyObject *, const char *))

/* Missing on older versions: NULL then. */
#define PYOPTFUNCS(X) \
	X(PyObject *, PyFrame_GetCode, (PyObject *)) \
	X(PyObject *, PyFrame_GetBack, (PyObject *)) \
	X(void, _PyEval_SetProfile, (void *, PyTraceFunc, PyObject *)) \
	X(void *, PyThreadState_Get, (void)) \
	X(void *, PyThreadState_GetInterpreter, (void *)) \
	X(void *, PyInterpreterState_ThreadHead, (void *)) \
	X(void *, PyThreadState_Next, (void *)) \
	X(int, PyFrame_GetLasti, (PyObject *)) \
	X(PyObject *, PyType_FromSpec, (struct pytypespec *)) \
	X(PyObject *, PyVectorcall_Call, (PyObject *, PyObject *, PyObject *)) \
	X(int, Py_AddPendingCall, (int (*)(void *), void *))

#define PYDATA(X) \
	X(PyCFunction_Type) \
	X(PyMethodDescr_Type) \
	X(PyModule_Type) \
	X(PyType_Type) \
	X(PyLong_Type) \
	X(PyUnicode_Type) \
	X(_Py_NoneStruct)

#define DECL(ret, name, args) ret (*name) args;
#define DECLD(name) PyObject *name;
struct pyapi {
	PYFUNCS(DECL)
	PYOPTFUNCS(DECL)
	PYDATA(DECLD)
	PyObject *PyCMethod_Type; /* 3.9+ */
	int version;              /* major * 100 + minor */
	size_t off_fcode, off_fback; /* frame fields before 3.9 */
	size_t off_lasti;         /* int f_lasti before 3.11, 0 if unknown */
	int lasti_units;          /* bytes per unit of f_lasti: 1, or 2 in 3.10 */
	size_t off_mml;           /* PyCFunctionObject.m_ml */
	size_t off_dmethod;       /* PyMethodDescrObject.d_method */
};
#undef DECL
#undef DECLD

extern struct pyapi py;

int pyapi_resolve(void);

#define TYPE(o) ((o)->type)

#endif

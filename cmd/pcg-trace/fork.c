/*
 * -f across fork and exec: a forked child records on into a profile of its
 * own; os.execv/os.execve and os._exit, which skip every exit hook, write
 * the profile first.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rec.h"

static struct {
	PyObject *exit, *execv, *execve; /* os's own */
	PyObject *fsencode, *dict;
} F;

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

	pcg_init(&q);
	pcg_add_cost(&q, "wall", "ns");
	if (R.cpu)
		pcg_add_cost(&q, "cpu", "ns");
	if (R.lines)
		pcg_lines_on(&q);
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
		cpu_thread_free(R.th[i]);
		free(R.th[i]->key);
		free(R.th[i]->line);
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
		t->owed = 0;
		R.th[R.nth++] = t;
	}
	R.base = clk();
	if (t && R.cpu)
		cpu_forked(t);
	out_forked(tid);
}

/* A forked child must never write into its parent's stream. */
static void
atfork_child(void)
{
	int followed = O.follow && R.on;

	out_atfork_child();
	if (followed)
		forked();
	else
		R.on = 0;
	sig_atfork_child(followed);
}

/* os._exit skips every exit hook: write first, then exit as asked. */
static PyObject *
osexit(PyObject *self, PyObject *args)
{
	(void)self;
	finish();
	sig_held_die();
	return py.PyObject_CallObject(F.exit, args);
}

static struct pymethoddef exitdef = { "_exit", osexit, METH_VARARGS, NULL };

/*
 * os.execv and os.execve (every os.exec* ends in one of them) replace the
 * image without any exit hook: write first.  Only when the file can be
 * run, since os.execvp tries one directory after the other.  A followed
 * image to come learns that it is the next exec, to name its own file.
 */

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
		py.Py_DecRef(a);
		a = NULL;
	}
	py.Py_DecRef(k);
	if (!v)
		goto out;
	py.Py_DecRef(v);
	if (!(d = py.PyObject_CallFunctionObjArgs(F.dict, env, NULL)) || !(v = py.PyUnicode_FromString(n)))
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
	py.Py_DecRef(d);
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
	if (!(b = py.PyObject_CallFunctionObjArgs(F.fsencode, path, NULL))) {
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
	snprintf(n, sizeof(n), "%u", O.execs + 1);
	if (O.follow && withenv)
		a = nextenv(args, n);
	else if (O.follow)
		setenv("PCG_TRACE_EXEC", n, 1);
	finish();
	r = py.PyObject_CallObject(real, a ? a : args);
	py.Py_DecRef(a);
	unsetenv("PCG_TRACE_EXEC");
	fprintf(stderr, "pcg-trace: exec failed after the profile was written: "
	    "the rest of process %ld is not recorded\n", (long)getpid());
	return r;
}

static PyObject *
osexecv(PyObject *self, PyObject *args)
{
	(void)self;
	return osexec(F.execv, args, 0);
}

static PyObject *
osexecve(PyObject *self, PyObject *args)
{
	(void)self;
	return osexec(F.execve, args, 1);
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
	wrapos(os, "_exit", &F.exit, &exitdef);
	if ((F.fsencode = py.PyObject_GetAttrString(os, "fsencode")) &&
	    (b = py.PyImport_ImportModule("builtins")) &&
	    (F.dict = py.PyObject_GetAttrString(b, "dict"))) {
		wrapos(os, "execv", &F.execv, &execvdef);
		wrapos(os, "execve", &F.execve, &execvedef);
	}
out:
	py.PyErr_Clear();
}

void
fork_install(void)
{
	pthread_atfork(sig_atfork_prepare, sig_atfork_parent, atfork_child);
	wrapexit();
}

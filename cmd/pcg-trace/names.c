/*
 * Naming: the slow path taken once per code object, PyMethodDef, call site
 * and thread.  It may call Python, so it keeps the caller's exception.
 */
#define _GNU_SOURCE /* syscall */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rec.h"
#include "util.h"

/*
 * The helpers below answer NULL (or -1) for "not there" and leave no
 * exception behind: a debug build asserts that no C-API call is made with
 * one set, and a release build's next lookup could fail for it.
 */

/* Any object as UTF-8 bytes (surrogates kept), or NULL. */
static PyObject *
tobytes(PyObject *o)
{
	PyObject *s, *b = NULL;

	if (!o)
		return NULL;
	if (TYPE(o) == py.PyUnicode_Type) {
		py.Py_IncRef(o);
		s = o;
	} else {
		s = py.PyObject_Str(o);
	}
	if (s)
		b = py.PyUnicode_AsEncodedString(s, "utf-8", "surrogateescape");
	py.Py_DecRef(s);
	if (!b)
		py.PyErr_Clear();
	return b;
}

/* o.name, or NULL. */
static PyObject *
attr(PyObject *o, const char *name)
{
	PyObject *a;

	if (!o)
		return NULL;
	if (!(a = py.PyObject_GetAttrString(o, name)))
		py.PyErr_Clear();
	return a;
}

static PyObject *
attrbytes(PyObject *o, const char *name)
{
	PyObject *a = attr(o, name), *b;

	b = tobytes(a);
	py.Py_DecRef(a);
	return b;
}

static long
attrlong(PyObject *o, const char *name)
{
	PyObject *a = attr(o, name);
	long v;

	if (!a)
		return -1;
	v = py.PyLong_AsLong(a);
	py.Py_DecRef(a);
	if (v == -1)
		py.PyErr_Clear();
	return v;
}

static struct pcg_str
str(PyObject *b)
{
	struct pcg_str s = { "", 0 };
	char *p;
	ssize_t n;

	if (b && py.PyBytes_AsStringAndSize(b, &p, &n) == 0) {
		s.s = p;
		s.len = n;
	}
	return s;
}

/*
 * A path without its "." components and repeated slashes, in place: the
 * same file reached as a/./b or a//b is one function for pcg-merge.  ".."
 * stays (through a symbolic link it is not the parent), and so does a
 * relative path (what it is relative to may have changed since).
 */
static size_t
tidypath(char *s, size_t n)
{
	size_t i = 0, o = 0;

	if (!n || s[0] == '<')
		return n; /* <string>, <frozen ...> */
	while (i < n) {
		if (s[i] == '/' && (o > 0 ? s[o - 1] == '/' : i > 0)) {
			i++; /* repeated, or after a dropped leading "./" */
		} else if (s[i] == '.' && (i == 0 || s[i - 1] == '/') && (i + 1 == n || s[i + 1] == '/') &&
		    (o > 0 || i + 1 < n)) {
			i += 2; /* "./": what follows starts at the same place */
		} else {
			s[o++] = s[i++];
		}
	}
	if (o > 1 && s[o - 1] == '/')
		o--;
	if (!o)
		s[o++] = '.';
	return o;
}

static uint32_t
intern(int kind, PyObject *mod, PyObject *file, long line, PyObject *name)
{
	struct pcg_fn f;
	uint32_t id;
	char buf[512], *tmp;

	memset(&f, 0, sizeof(f));
	f.kind = kind;
	f.module = str(mod);
	f.file = str(file);
	tmp = f.file.len <= sizeof(buf) ? buf : emalloc(f.file.len);
	memcpy(tmp, f.file.s, f.file.len);
	f.file.s = tmp;
	f.file.len = tidypath(tmp, f.file.len);
	f.name = str(name);
	f.line = line > 0 ? line : 0;
	id = pcg_fn_intern(&R.p, &f);
	if (tmp != buf)
		free(tmp);
	if (O.events && id > O.nfn)
		ev_fn(id);
	py.Py_DecRef(mod);
	py.Py_DecRef(file);
	py.Py_DecRef(name);
	return id;
}

static struct ent *
insert(const void *key)
{
	struct ent *old = R.ent, *e;
	size_t i, cap = R.entcap;

	if (2 * (R.nent + 1) > R.entcap) {
		R.entcap = cap ? 2 * cap : 1024;
		R.ent = ecalloc(R.entcap, sizeof(*R.ent));
		for (i = 0; i < cap; i++)
			if (old[i].key)
				*insert(old[i].key) = old[i];
		free(old);
	}
	for (i = hptr(key) & (R.entcap - 1); R.ent[i].key; i = (i + 1) & (R.entcap - 1))
		;
	e = &R.ent[i];
	e->key = key;
	return e;
}

/*
 * Code objects die (a module's body once imported, code compiled or
 * eval'd at run time) and a new one may take the address that keys their
 * entries.  A reference to each would keep them all alive (sympy's
 * imports: 16,000 objects, 3 MB; a program that compiles code as it runs:
 * without bound).  Instead each code object we key on carries our mark in
 * a PEP 523 extra slot, and CPython tells us when it goes (code_gone):
 * its entries go with it.  Without that API, references are held.
 */
static ssize_t xidx = -1;

static void code_gone(void *code);

void
names_init(void)
{
	if (xidx < 0 && py.code_extra_index && py.code_set_extra && (xidx = py.code_extra_index(code_gone)) < 0)
		py.PyErr_Clear();
}

/* Mark CODE (once: setting the slot again frees the old value, that is,
 * tells us CODE is gone). */
static void
watch(PyObject *code)
{
	if (xidx < 0 || py.code_set_extra(code, xidx, code) < 0) {
		py.PyErr_Clear();
		py.Py_IncRef(code);
	}
}

/* Empty slot i of an open-addressing table keyed by a pointer (each entry
 * starts with it, homed by hptr), shifting later entries of its probe run
 * back: no tombstones. */
static void
unslot(void *tab, size_t cap, size_t size, size_t i)
{
	char *s = tab;
	size_t j = i, k;
	const void *key;

	for (;;) {
		j = (j + 1) & (cap - 1);
		if (!(key = *(const void *const *)(s + j * size)))
			break;
		k = hptr(key) & (cap - 1);
		/* Entry j may move to i only if its home is not cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		memcpy(s + i * size, s + j * size, size);
		i = j;
	}
	memset(s + i * size, 0, size);
}

static struct sites *
sites_find(const void *code)
{
	size_t i;

	if (!R.sitescap)
		return NULL;
	for (i = hptr(code) & (R.sitescap - 1); R.sites[i].code; i = (i + 1) & (R.sitescap - 1))
		if (R.sites[i].code == code)
			return &R.sites[i];
	return NULL;
}

static struct sites *
sites_add(const void *code)
{
	struct sites *old = R.sites, *c;
	size_t i, cap = R.sitescap;

	if (2 * (R.nsites + 1) > R.sitescap) {
		R.sitescap = cap ? 2 * cap : 1024;
		R.sites = ecalloc(R.sitescap, sizeof(*R.sites));
		R.nsites = 0;
		for (i = 0; i < cap; i++)
			if (old[i].code)
				*sites_add(old[i].code) = old[i];
		free(old);
	}
	for (i = hptr(code) & (R.sitescap - 1); R.sites[i].code; i = (i + 1) & (R.sitescap - 1))
		;
	c = &R.sites[i];
	c->code = code;
	R.nsites++;
	return c;
}

/* CPython frees a code object we marked: forget it everywhere.  Also
 * after the recording (nothing left to forget). */
static void
code_gone(void *code)
{
	struct ent *e;
	struct sites *c;
	size_t i;

	if (R.ent && (e = ent_find(code))) {
		py.Py_DecRef(e->cob);
		unslot(R.ent, R.entcap, sizeof(*R.ent), e - R.ent);
		R.nent--;
	}
	if ((c = sites_find(code))) {
		free(c->s);
		unslot(R.sites, R.sitescap, sizeof(*R.sites), c - R.sites);
		R.nsites--;
	}
	for (i = 0; i < sizeof(R.lfront) / sizeof(R.lfront[0]); i++)
		if (R.lfront[i].code == code)
			R.lfront[i].code = NULL;
}

/* The module of a Python frame: its globals' __name__. */
static PyObject *
frame_module(PyObject *frame, PyObject *code)
{
	PyObject *g, *c, *m = NULL;

	if (!frame)
		return NULL;
	if ((c = attr(frame, "f_code"))) {
		py.Py_DecRef(c);
		if (c != code)
			return NULL;
	}
	if ((g = attr(frame, "f_globals"))) {
		m = tobytes(py.PyDict_GetItemString(g, "__name__"));
		py.Py_DecRef(g);
	}
	return m;
}

/* co_code's bytes, for a generator's state, or NULL: held by the entry. */
static PyObject *
cobytes(PyObject *code, const unsigned char **co, size_t *nco)
{
	PyObject *b = attr(code, "co_code");
	char *s;
	ssize_t n;

	if (b && py.PyBytes_AsStringAndSize(b, &s, &n) == 0) {
		*co = (const unsigned char *)s;
		*nco = n;
	} else {
		py.Py_DecRef(b);
		b = NULL;
	}
	py.PyErr_Clear();
	return b;
}

/*
 * A code object's qualified name, ending with its co_name: code renamed by
 * code.replace(co_name=...) keeps the co_qualname of the code it copies
 * (numpy's array_function_dispatch makes every public function so from
 * one), and would be one function with all of them; cProfile, which keys
 * on co_name, keeps them apart.  So the last part of co_qualname gives way
 * to co_name where they differ.
 */
static PyObject *
codename(PyObject *code)
{
	PyObject *q = attrbytes(code, "co_qualname"), *n = attrbytes(code, "co_name"), *r;
	struct pcg_str qs, ns;
	const char *dot;
	char *buf;
	size_t k;

	if (!q || !n) /* before 3.11 no co_qualname */
		return q ? q : n;
	qs = str(q);
	ns = str(n);
	dot = qs.len ? memrchr(qs.s, '.', qs.len) : NULL;
	k = dot ? (size_t)(dot - qs.s) + 1 : 0; /* where the last part starts */
	if (qs.len - k == ns.len && !memcmp(qs.s + k, ns.s, ns.len)) {
		py.Py_DecRef(n);
		return q;
	}
	buf = emalloc(k + ns.len + 1);
	memcpy(buf, qs.s, k);
	memcpy(buf + k, ns.s, ns.len);
	r = py.PyBytes_FromStringAndSize(buf, k + ns.len);
	free(buf);
	py.Py_DecRef(q);
	py.Py_DecRef(n);
	if (!r)
		py.PyErr_Clear();
	return r;
}

struct ent *
code_ent_new(PyObject *code, PyObject *frame)
{
	PyObject *et, *ev, *tb, *name, *cob = NULL;
	const unsigned char *co = NULL;
	size_t nco = 0;
	struct ent *e;
	long flags;
	uint32_t fn;

	py.PyErr_Fetch(&et, &ev, &tb);
	name = codename(code);
	fn = intern(PCG_PY, frame_module(frame ? frame : py.PyEval_GetFrame(), code),
	    attrbytes(code, "co_filename"), attrlong(code, "co_firstlineno"), name);
	flags = attrlong(code, "co_flags");
	if (flags < 0)
		flags = 0;
	if ((flags & CO_GENLIKE) && !py.monitoring)
		cob = cobytes(code, &co, &nco);
	py.PyErr_Clear();
	if (!sites_find(code))
		watch(code);
	/* Last: the Python calls above may free code objects, which moves
	 * entries (code_gone). */
	e = insert(code);
	R.nent++;
	e->fn = fn;
	e->flags = flags;
	e->co = co;
	e->nco = nco;
	e->cob = cob;
	py.PyErr_Restore(et, ev, tb);
	return e;
}

/* "qualname.method" of the type that defines a method, and its module. */
static void
typename(PyObject *type, const char *meth, PyObject **mod, PyObject **name)
{
	PyObject *q = attrbytes(type, "__qualname__"), *u;
	char *s, *buf;
	ssize_t n;

	*mod = attrbytes(type, "__module__");
	if (!q || py.PyBytes_AsStringAndSize(q, &s, &n) < 0) {
		py.PyErr_Clear();
		*name = tobytes(u = py.PyUnicode_FromString(meth));
		py.Py_DecRef(u);
		py.Py_DecRef(q);
		return;
	}
	buf = emalloc(n + strlen(meth) + 2);
	sprintf(buf, "%.*s.%s", (int)n, s, meth);
	*name = tobytes(u = py.PyUnicode_FromString(buf));
	py.Py_DecRef(u);
	free(buf);
	py.Py_DecRef(q);
}

/* The PyMethodDef behind a type's attribute, if it is a C method. */
static const void *
methoddef_of(PyObject *d)
{
	if (TYPE(d) == py.PyMethodDescr_Type || TYPE(d) == py.PyClassMethodDescr_Type)
		return cpy_descr_method(d);
	if (TYPE(d) == py.PyCFunction_Type || TYPE(d) == py.PyCMethod_Type)
		return cpy_cfunc_method(d);
	return NULL;
}

/*
 * The class of TYPE's method resolution order whose own dictionary holds
 * the C method ML (new reference), or TYPE itself: a method is named by the
 * type that defines it (`_random.Random.seed`, as cProfile's "<method 'seed'
 * of '_random.Random' objects>"), whatever subclass it was called on, since
 * one PyMethodDef is one function.
 */
static PyObject *
definer(PyObject *type, const struct pymethoddef *ml)
{
	PyObject *mro = attr(type, "__mro__"), *key = py.PyUnicode_FromString(ml->name), *k, *d, *m, *found = type;
	ssize_t i;

	for (i = 0; mro && key && found == type && (k = py.PyTuple_GetItem(mro, i)); i++) {
		if (!(d = attr(k, "__dict__")))
			continue;
		if ((m = py.PyObject_GetItem(d, key)) && methoddef_of(m) == ml)
			found = k;
		py.Py_DecRef(m);
		py.Py_DecRef(d);
		py.PyErr_Clear();
	}
	py.PyErr_Clear(); /* the IndexError past the end */
	py.Py_DecRef(key);
	py.Py_IncRef(found);
	py.Py_DecRef(mro);
	return found;
}

/* Name a builtin as its type does: `len` in builtins, `str.join`. */
static uint32_t
cfunc_name(const struct pymethoddef *ml, PyObject *f, int descr)
{
	PyObject *self, *modobj, *mod = NULL, *name = NULL, *t, *u;

	if (descr) {
		self = attr(f, "__objclass__");
		t = self ? definer(self, ml) : NULL;
		typename(t, ml->name, &mod, &name);
		py.Py_DecRef(t);
		py.Py_DecRef(self);
		goto done;
	}
	self = cpy_cfunc_self(f);
	modobj = cpy_cfunc_module(f);
	if (!self || TYPE(self) == py.PyModule_Type) {
		name = tobytes(u = py.PyUnicode_FromString(ml->name));
		py.Py_DecRef(u);
		if (modobj && TYPE(modobj) == py.PyUnicode_Type)
			mod = tobytes(modobj);
		else if (self)
			mod = attrbytes(self, "__name__");
	} else {
		/* A class method is bound to its class, a method to an instance. */
		t = definer(py.PyType_IsSubtype(TYPE(self), py.PyType_Type) ? self : TYPE(self), ml);
		typename(t, ml->name, &mod, &name);
		py.Py_DecRef(t);
	}
done:
	if (!mod) {
		mod = tobytes(u = py.PyUnicode_FromString("builtins"));
		py.Py_DecRef(u);
	}
	py.PyErr_Clear();
	return intern(PCG_C, mod, NULL, 0, name);
}

struct ent *
cfunc_ent_new(const void *ml, PyObject *f, int descr)
{
	PyObject *et, *ev, *tb;
	struct ent *e;
	uint32_t fn;

	py.PyErr_Fetch(&et, &ev, &tb);
	fn = cfunc_name(ml, f, descr);
	e = insert(ml);
	R.nent++;
	e->fn = fn;
	py.PyErr_Restore(et, ev, tb);
	return e;
}

/* The line of offset OFF in a code object's sites, or 0 and its slot. */
static struct site *
site_slot(struct sites *c, long off)
{
	uint32_t i, key = (uint32_t)off + 1;

	for (i = (key * 0x9e3779b1u >> 7) & (c->cap - 1); c->s[i].off1 && c->s[i].off1 != key; i = (i + 1) & (c->cap - 1))
		;
	return &c->s[i];
}

static void
site_put(struct sites *c, long off, uint32_t line)
{
	struct site *old = c->s, *s;
	uint32_t i, cap = c->cap;

	if (2 * (c->n + 1) > c->cap) {
		c->cap = cap ? 2 * cap : 8;
		c->s = ecalloc(c->cap, sizeof(*c->s));
		for (i = 0; i < cap; i++)
			if (old[i].off1)
				*site_slot(c, (long)old[i].off1 - 1) = old[i];
		free(old);
	}
	s = site_slot(c, off);
	s->off1 = (uint32_t)off + 1;
	s->line = line;
	c->n++;
}

uint32_t
site_line_slow(PyObject *code, long off)
{
	struct sites *c = sites_find(code);
	struct site *s;
	uint64_t t;
	int line;

	if (c && c->cap && (s = site_slot(c, off))->off1)
		return s->line;
	t = clk(); /* the recorder's time, not the program's */
	if (!c) {
		if (!ent_find(code))
			watch(code);
		c = sites_add(code);
	}
	line = py.PyCode_Addr2Line(code, off);
	site_put(c, off, line > 0 ? line : 0);
	unbill(t);
	return line > 0 ? line : 0;
}

/* A thread's name from threading, or from the Thread still starting. */
static PyObject *
thread_name(void)
{
	PyObject *active, *id, *t = NULL, *f, *name = NULL, *cls;
	int i;

	if ((active = py.PyObject_GetAttrString(R.threading, "_active"))) {
		id = py.PyLong_FromUnsignedLong(py.PyThread_get_thread_ident());
		t = py.PyDict_GetItem(active, id);
		py.Py_DecRef(id);
		py.Py_DecRef(active);
		if (t)
			return attrbytes(t, "name");
	}
	py.PyErr_Clear();
	cls = py.PyObject_GetAttrString(R.threading, "Thread");
	f = py.PyEval_GetFrame();
	if (f)
		py.Py_IncRef(f);
	for (i = 0; f && cls && i < 3 && !name; i++) {
		PyObject *loc = py.PyObject_GetAttrString(f, "f_locals"), *self = NULL;
		PyObject *key = py.PyUnicode_FromString("self");
		if (loc && key && (self = py.PyObject_GetItem(loc, key)) &&
		    py.PyObject_IsInstance(self, cls) == 1)
			name = attrbytes(self, "name");
		py.PyErr_Clear();
		py.Py_DecRef(self);
		py.Py_DecRef(key);
		py.Py_DecRef(loc);
		loc = f;
		f = py.PyObject_GetAttrString(f, "f_back");
		py.Py_DecRef(loc);
		if (f == R.none) {
			py.Py_DecRef(f);
			f = NULL;
		}
	}
	py.Py_DecRef(f);
	py.Py_DecRef(cls);
	py.PyErr_Clear();
	return name;
}

struct th *
newthread(void)
{
	PyObject *et, *ev, *tb, *name;
	struct th *t = ecalloc(1, sizeof(*t));
	uint64_t native = syscall(SYS_gettid);
	char buf[64];
	struct pcg_str s;

	py.PyErr_Fetch(&et, &ev, &tb);
	name = thread_name();
	s = str(name);
	if (!name) {
		snprintf(buf, sizeof(buf), "thread-%llu", (unsigned long long)native);
		s = pcg_cstr(buf);
	}
	t->id = pcg_thread_add(&R.p, native, s);
	t->gen = R.gen;
	pcg_stack_init(&t->st, t->id);
	egrow((void **)&R.th, &R.capth, R.nth, sizeof(*R.th));
	R.th[R.nth++] = t;
	if (O.events)
		ev_thread(t->id, native, s);
	py.Py_DecRef(name);
	py.PyErr_Restore(et, ev, tb);
	cur = t;
	if (R.cpu)
		cpu_thread_init(t); /* its CPU time counts from here */
	return t;
}

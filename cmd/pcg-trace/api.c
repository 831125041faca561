/* Resolve the CPython C API at run time and probe the few offsets we use. */
#define _GNU_SOURCE /* dl_iterate_phdr, RTLD_DEFAULT */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "pyapi.h"

struct pyapi py;

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
pyapi_resolve(void)
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
	return 0;
}

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

const char *argv0 = "pcg";

static void
verr(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", argv0);
	vfprintf(stderr, fmt, ap);
	if (fmt[0] && fmt[strlen(fmt) - 1] == ':') {
		fputc(' ', stderr);
		perror(NULL);
	} else {
		fputc('\n', stderr);
	}
}

void
eprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	exit(1);
}

void
weprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
}

void *
emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		eprintf("out of memory");
	return p;
}

void *
ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		eprintf("out of memory");
	return p;
}

void *
ereallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		eprintf("out of memory");
	p = realloc(p, n && size ? n * size : 1);
	if (!p)
		eprintf("out of memory");
	return p;
}

char *
estrdup(const char *s)
{
	return ememdup(s, strlen(s) + 1);
}

void *
ememdup(const void *p, size_t n)
{
	void *q = emalloc(n);

	if (n)
		memcpy(q, p, n);
	return q;
}

void
egrow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need < *cap)
		return;
	while (n <= need) {
		if (n > SIZE_MAX / 2)
			eprintf("out of memory");
		n *= 2;
	}
	*arr = ereallocarray(*arr, n, size);
	memset((char *)*arr + *cap * size, 0, (n - *cap) * size);
	*cap = n;
}

/* The one uncommitted output file of this process, removed at exit. */
static char *pending_tmp;

static void
remove_pending(void)
{
	if (pending_tmp)
		unlink(pending_tmp);
}

void
ofile_open(struct ofile *o, const char *path)
{
	static int registered;
	struct stat st;
	int fd;

	memset(o, 0, sizeof(*o));
	if (!path || !strcmp(path, "-")) {
		o->fp = stdout;
		return;
	}
	/*
	 * A device, FIFO or socket (-o /dev/stdout, /dev/null, a named pipe) is
	 * written in place: renaming a temporary over it would replace the
	 * device node itself when run as root.
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (!(o->fp = fopen(path, "w")))
			eprintf("%s:", path);
		o->path = estrdup(path);
		return;
	}
	o->path = estrdup(path);
	o->tmp = emalloc(strlen(path) + sizeof(".tmpXXXXXX"));
	strcpy(o->tmp, path);
	strcat(o->tmp, ".tmpXXXXXX");
	if ((fd = mkstemp(o->tmp)) < 0)
		eprintf("%s:", path);
	if (!registered) {
		atexit(remove_pending);
		registered = 1;
	}
	pending_tmp = o->tmp;
	if (!(o->fp = fdopen(fd, "w")))
		eprintf("%s:", path);
}

void
ofile_commit(struct ofile *o)
{
	if (!o->path) {
		efshut(o->fp, "<stdout>");
		return;
	}
	if (!o->tmp) {
		efshut(o->fp, o->path);
		free(o->path);
		memset(o, 0, sizeof(*o));
		return;
	}
	/* mkstemp made it 0600; give the file the usual umask-derived mode. */
	mode_t um = umask(0);
	umask(um);
	if (fchmod(fileno(o->fp), 0666 & ~um) < 0)
		eprintf("%s:", o->path);
	efshut(o->fp, o->path);
	if (rename(o->tmp, o->path) < 0)
		eprintf("rename %s:", o->path);
	pending_tmp = NULL;
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

void
efshut(FILE *fp, const char *name)
{
	int bad = fflush(fp) == EOF || ferror(fp);
	int err = errno;

	if (fclose(fp) == EOF && !bad) {
		bad = 1;
		err = errno;
	}
	if (bad) {
		errno = err;
		eprintf("write %s:", name);
	}
}

int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

#include <errno.h>
#include <limits.h>
#include <signal.h>
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

/* The one uncommitted output file of this process, removed at exit and
 * by a signal that ends the process (read in a signal handler). */
static char *volatile pending_tmp;

static void
remove_pending(void)
{
	if (pending_tmp)
		unlink(pending_tmp);
}

static const int fatalsigs[] = { SIGINT, SIGTERM, SIGHUP };

/* Async-signal-safe: unlink, then die of the signal as we would have. */
static void
onfatal(int sig)
{
	int err = errno;

	if (pending_tmp)
		unlink(pending_tmp);
	signal(sig, SIG_DFL);
	raise(sig); /* blocked until we return */
	errno = err;
}

/* Once.  A signal the process ignores (nohup, a background job) stays
 * ignored. */
static void
catchfatal(void)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onfatal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatalsigs) / sizeof(fatalsigs[0]); i++)
		sigaddset(&sa.sa_mask, fatalsigs[i]);
	for (i = 0; i < sizeof(fatalsigs) / sizeof(fatalsigs[0]); i++)
		if (sigaction(fatalsigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(fatalsigs[i], &sa, NULL);
}

int
tmp_beside(const char *path, char *tmp, size_t cap)
{
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	int n = snprintf(tmp, cap, "%.*s.%s.tmpXXXXXX", slash ? (int)(name - path) : 0, path, name);

	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkstemp(tmp);
}

unsigned
cur_umask(void)
{
	mode_t um = umask(0);

	umask(um);
	return um;
}

int
tmp_mode(int fd, unsigned um)
{
	return fchmod(fd, 0666 & ~(mode_t)um);
}

void
ofile_open(struct ofile *o, const char *path)
{
	static int registered;
	struct stat st;
	sigset_t set, old;
	size_t i;
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
	o->tmp = emalloc(strlen(path) + sizeof("..tmpXXXXXX"));
	if (!registered) {
		atexit(remove_pending);
		catchfatal();
		registered = 1;
	}
	/* No signal between the file's creation and our note of its name. */
	sigemptyset(&set);
	for (i = 0; i < sizeof(fatalsigs) / sizeof(fatalsigs[0]); i++)
		sigaddset(&set, fatalsigs[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((fd = tmp_beside(path, o->tmp, strlen(path) + sizeof("..tmpXXXXXX"))) >= 0)
		pending_tmp = o->tmp;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (fd < 0)
		eprintf("%s:", path);
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
	if (tmp_mode(fileno(o->fp), cur_umask()) < 0)
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

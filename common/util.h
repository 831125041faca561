/* Shared helpers: sbase-style errors, checked allocation, safe output files. */
#ifndef PCG_UTIL_H
#define PCG_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

extern const char *argv0; /* set by each command's main() */

void eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void weprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *emalloc(size_t n);
void *ecalloc(size_t n, size_t size);
void *ereallocarray(void *p, size_t n, size_t size);
char *estrdup(const char *s);
void *ememdup(const void *p, size_t n);

/* Grow *arr (element size `size`) so that index `need` fits; doubles capacity. */
void egrow(void **arr, size_t *cap, size_t need, size_t size);

/*
 * Output that never leaves a half-written file under its final name: the data
 * goes to a temporary file in the same directory, renamed into place by
 * ofile_commit() only after every write and the close succeeded.  "-" or NULL
 * means stdout.  A temporary left uncommitted is removed at exit, and when
 * SIGINT, SIGTERM or SIGHUP ends the process (ofile_open installs handlers
 * for those not ignored, that remove it and die of the signal).
 */
struct ofile {
	FILE *fp;
	char *path; /* final name, NULL for stdout */
	char *tmp;  /* temporary name, NULL for stdout */
};
void ofile_open(struct ofile *o, const char *path);
void ofile_commit(struct ofile *o); /* exits with a message on any error */

/*
 * The temporary file that becomes PATH once complete: a hidden name beside
 * it, ".NAME.tmpXXXXXX" (a glob on the final names never sees a partial
 * file), made by mkstemp into TMP (CAP bytes).  Its descriptor, or -1 with
 * errno set (ENAMETOOLONG if TMP is too small).  tmp_mode gives it the
 * mode a new file gets under umask UM (mkstemp made it 0600); a
 * multithreaded caller passes the umask it read while it had one thread.
 */
int tmp_beside(const char *path, char *tmp, size_t cap);
int tmp_mode(int fd, unsigned um);
unsigned cur_umask(void);

/* Checked fclose/flush of stdout and other streams: exit 1 with a message. */
void efshut(FILE *fp, const char *name);

/* Parse a decimal unsigned integer (no sign, no leading zeros); 0 on success. */
int parse_u64(const char *s, size_t len, uint64_t *out);

#endif

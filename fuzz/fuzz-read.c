/*
 * libFuzzer target for the reader (build: make fuzz).  common/read.c is
 * compiled with -DPCG_FUZZ: an input error frees the reader and longjmps to
 * pcg_fuzz_jmp instead of exiting.  For every input the reader accepts: it
 * was read whole, and its canonical write reads back and writes again to the
 * same bytes.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

extern jmp_buf pcg_fuzz_jmp;

/* Canonical bytes of p, malloc'd. */
static char *
canon(const struct pcg_profile *p, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);

	if (!fp || pcg_write(p, fp) < 0 || fclose(fp) == EOF)
		abort();
	return buf;
}

/* Read buf into p; 0 if the reader accepted it. */
static int
readbuf(struct pcg_profile *p, const char *buf, size_t len)
{
	/* Not changed between setjmp and longjmp: need not be volatile. */
	FILE *fp = fmemopen((void *)buf, len, "r");

	if (!fp)
		abort();
	pcg_init(p);
	if (setjmp(pcg_fuzz_jmp)) {
		fclose(fp);
		pcg_free(p);
		return -1;
	}
	pcg_read(p, fp, "fuzz", NULL);
	fclose(fp);
	return 0;
}

/* Lines of buf starting with tag (tag includes its TAB). */
static size_t
count(const char *buf, size_t len, const char *tag)
{
	size_t n = 0, i = 0, tl = strlen(tag);
	const char *nl;

	while (i < len) {
		if (len - i >= tl && !memcmp(buf + i, tag, tl))
			n++;
		if (!(nl = memchr(buf + i, '\n', len - i)))
			break;
		i = nl - buf + 1;
	}
	return n;
}

/*
 * An accepted stream is read whole: every definition it holds is in p, none
 * merged or dropped (a repeated node once replaced the one before it).
 */
static void
whole(const struct pcg_profile *p, const char *buf, size_t len)
{
	int profile = len >= 14 && !memcmp(buf, "pcg\t1\tprofile\n", 14);

	if (p->nmeta != count(buf, len, "meta\t") || p->ncost != count(buf, len, "cost\t") ||
	    p->nfn - 1 != count(buf, len, "fn\t") || p->nthread - 1 != count(buf, len, "thread\t") ||
	    (profile && p->nnode - 1 != count(buf, len, "node\t") + count(buf, len, "rec\t"))) {
		fprintf(stderr, "accepted input not read whole\n");
		abort();
	}
}

/*
 * The input with its first end record's line count corrected, or NULL.  A
 * mutation that adds or drops a line otherwise never gets past the trailer,
 * and the reader's checks of the body would see little but the seeds.
 */
static char *
fixend(const char *buf, size_t len, size_t *outlen)
{
	const char *e = NULL, *q, *f;
	size_t lines = 0, i;
	char num[24], *out;
	int nl;

	for (i = 0; i + 4 <= len; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && !memcmp(buf + i, "end\t", 4)) {
			e = buf + i;
			break;
		}
		lines += buf[i] == '\n';
	}
	if (!e)
		return NULL;
	q = e + 4;
	for (f = q; f < buf + len && *f != '\t' && *f != '\n'; f++)
		;
	nl = snprintf(num, sizeof(num), "%zu", lines);
	if ((size_t)(f - q) == (size_t)nl && !memcmp(q, num, nl))
		return NULL;
	*outlen = (q - buf) + nl + (buf + len - f);
	out = malloc(*outlen ? *outlen : 1);
	memcpy(out, buf, q - buf);
	memcpy(out + (q - buf), num, nl);
	memcpy(out + (q - buf) + nl, f, buf + len - f);
	return out;
}

/* Accepted input: read whole, and its canonical writes agree. */
static void
check(const char *data, size_t size)
{
	struct pcg_profile p;
	char *w1, *w2;
	size_t n1, n2;

	if (readbuf(&p, data, size) < 0)
		return;
	whole(&p, data, size);
	w1 = canon(&p, &n1);
	pcg_free(&p);
	if (readbuf(&p, w1, n1) < 0) {
		fprintf(stderr, "canonical output rejected:\n%.*s\n", (int)n1, w1);
		abort();
	}
	w2 = canon(&p, &n2);
	pcg_free(&p);
	if (n1 != n2 || memcmp(w1, w2, n1)) {
		fprintf(stderr, "second write differs:\n%.*s\n---\n%.*s\n", (int)n1, w1, (int)n2, w2);
		abort();
	}
	free(w1);
	free(w2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *fixed;
	size_t n;

	check((const char *)data, size);
	if ((fixed = fixend((const char *)data, size, &n))) {
		check(fixed, n);
		free(fixed);
	}
	return 0;
}

/* Output name patterns (-o): %p is the traced process's pid, %% a '%'. */
#ifndef PATTERN_H
#define PATTERN_H

#include <stdio.h>
#include <string.h>

/* Expand pat for pid into dst; -1 on a bad escape or if it does not fit.
 * *hasp is set when pat holds %p.  The image a process exec'd for the
 * seq-th time (seq > 0) is told apart by %p giving PID.SEQ. */
static inline int
pattern_expand(char *dst, size_t cap, const char *pat, long pid, unsigned seq, int *hasp)
{
	size_t n = 0;
	int k;

	if (hasp)
		*hasp = 0;
	for (; *pat; pat++) {
		if (*pat != '%') {
			if (n + 1 >= cap)
				return -1;
			dst[n++] = *pat;
			continue;
		}
		if (*++pat == '%') {
			if (n + 1 >= cap)
				return -1;
			dst[n++] = '%';
		} else if (*pat == 'p') {
			if (hasp)
				*hasp = 1;
			k = seq ? snprintf(dst + n, cap - n, "%ld.%u", pid, seq) :
			    snprintf(dst + n, cap - n, "%ld", pid);
			if (k < 0 || (size_t)k >= cap - n)
				return -1;
			n += k;
		} else {
			return -1;
		}
	}
	dst[n] = '\0';
	return 0;
}

#endif

/*
 * pcg-merge: unite the profiles of many runs, processes and threads into one.
 *
 * The merge itself is common/merge.c's, which pcg-emit uses too.
 */
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

static int threadmode = PCG_THREADS_NAME;
static int mean;
static struct pcg_readopt readopt;

static void
usage(void)
{
	fprintf(stderr, "usage: %s [-o FILE] [--threads=name|keep|join] [--mean] [--partial] [FILE...]\n", argv0);
	exit(1);
}

static int
parsemode(const char *s)
{
	if (!strcmp(s, "name"))
		return PCG_THREADS_NAME;
	if (!strcmp(s, "keep"))
		return PCG_THREADS_KEEP;
	if (!strcmp(s, "join"))
		return PCG_THREADS_JOIN;
	eprintf("unknown thread mode '%s' (name, keep or join)", s);
}

static void
help(void)
{
	printf("usage: %s [-o FILE] [--threads=name|keep|join] [--mean] [--partial] [FILE...]\n"
	    "  -o FILE             write to FILE (default: standard output)\n"
	    "  --threads=name      one tree per thread name: MainThread of every run together\n"
	    "  --threads=keep      one tree per thread of each run, named PID/NAME\n"
	    "  --threads=join      one tree for all threads of all runs\n"
	    "  --mean              counts and costs per run (rounded), not sums\n"
	    "  --partial           read an events stream cut short (no end record), marked incomplete\n", argv0);
	efshut(stdout, "<stdout>");
	exit(0);
}

/* Returns the index of the first operand. */
static int
options(int argc, char *argv[], const char **out)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i + 1;
		if (!strcmp(a, "-o") || !strcmp(a, "--threads")) {
			if (++i == argc || !argv[i][0])
				usage();
			if (a[1] == 'o')
				*out = argv[i];
			else
				threadmode = parsemode(argv[i]);
		} else if (!strncmp(a, "-o", 2)) {
			*out = a + 2;
		} else if (!strncmp(a, "--threads=", 10)) {
			threadmode = parsemode(a + 10);
		} else if (!strcmp(a, "--mean")) {
			mean = 1;
		} else if (!strcmp(a, "--partial")) {
			readopt.partial = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			help();
		} else if (!strcmp(a, "--version")) {
			printf("pcg-merge %s\n", PCG_VERSION_STRING);
			efshut(stdout, "<stdout>");
			exit(0);
		} else {
			usage();
		}
	}
	return i;
}

int
main(int argc, char *argv[])
{
	struct pcg_merge m;
	struct ofile o;
	const char *out = NULL;
	int i;

	argv0 = "pcg-merge";
	i = options(argc, argv, &out);
	pcg_merge_init(&m, threadmode, mean);
	if (i == argc)
		pcg_merge_read(&m, "-", &readopt);
	for (; i < argc; i++)
		pcg_merge_read(&m, argv[i], &readopt);
	pcg_merge_end(&m);
	/* Only now: a bad input must leave no output file behind. */
	ofile_open(&o, out);
	if (pcg_write(&m.out, o.fp) < 0)
		eprintf("write %s:", out && strcmp(out, "-") ? out : "<stdout>");
	ofile_commit(&o);
	pcg_merge_free(&m);
	return 0;
}

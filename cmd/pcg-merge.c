/*
 * pcg-merge: unite the profiles of many runs, processes and threads into one.
 *
 * The merge itself is common/merge.c's, which pcg-emit uses too.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

static int threadmode = PCG_THREADS_NAME;
static int mean;
static struct pcg_readopt readopt;

static const char synopsis[] =
    "usage: %s [-o FILE] [--threads=name|keep|join] [--mean] [--partial] [FILE...]\n";

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, synopsis, argv0);
	exit(2);
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

static void __attribute__((noreturn))
help(void)
{
	printf(synopsis, argv0);
	printf("  -o FILE             write to FILE (default: standard output)\n"
	    "  --threads=name      one tree per thread name: MainThread of every run together\n"
	    "  --threads=keep      one tree per thread of each run, named PID/NAME\n"
	    "  --threads=join      one tree for all threads of all runs\n"
	    "  --mean              counts and costs per run (rounded), not sums\n"
	    "  --partial           read an events stream cut short (no end record), marked incomplete\n"
	    "  -h, --help          show this help;  --version  show the version\n");
	efshut(stdout, "<stdout>");
	exit(0);
}

/* GNU style: options and operands in any order; returns the first operand. */
static int
options(int argc, char *argv[], const char **out)
{
	enum { THREADS = 256, MEAN, PARTIAL, VERSION };
	static const struct option lo[] = {
		{ "threads", required_argument, NULL, THREADS },
		{ "mean", no_argument, NULL, MEAN },
		{ "partial", no_argument, NULL, PARTIAL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, VERSION },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!*optarg)
				usage();
			*out = optarg;
			break;
		case THREADS: threadmode = parsemode(optarg); break;
		case MEAN: mean = 1; break;
		case PARTIAL: readopt.partial = 1; break;
		case 'h': help();
		case VERSION:
			printf("pcg-merge %s\n", PCG_VERSION_STRING);
			efshut(stdout, "<stdout>");
			exit(0);
		default: usage();
		}
	}
	return optind;
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

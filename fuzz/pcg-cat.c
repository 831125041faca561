/*
 * pcg-cat [-o FILE] [FILE]: read one stream of either layer and write it as a
 * canonical profile.  A test driver for the common reader and writer (built
 * into $(B)/test, never installed).
 */
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct pcg_profile p;
	struct ofile o;
	const char *out = "-", *in = "-";

	argv0 = "pcg-cat";
	if (argc > 2 && !strcmp(argv[1], "-o")) {
		out = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc > 2)
		eprintf("usage: pcg-cat [-o FILE] [FILE]");
	if (argc == 2)
		in = argv[1];
	pcg_init(&p);
	pcg_read_path(&p, in, NULL);
	ofile_open(&o, out);
	if (pcg_write(&p, o.fp) < 0)
		eprintf("write %s:", strcmp(out, "-") ? out : "<stdout>");
	ofile_commit(&o);
	pcg_free(&p);
	return 0;
}

/* Per-function figures, for the formats that show functions, not contexts. */
#include <stdlib.h>

#include "pcg.h"
#include "util.h"
#include "emit.h"

/*
 * A call into a function already on the stack is a recursive edge, with no
 * time of its own (pcg-format(5)): a plain node is always its function's
 * outermost frame, so its outer time is that frame's time on the stack, and
 * adding them up counts recursion once.
 */
struct fstat *
fnstats(const struct emit *e, size_t k)
{
	const struct pcg_profile *p = e->p;
	struct fstat *s = ecalloc(LASTFN(p) + 1, sizeof(*s));
	size_t i, K = p->ncost;

	for (i = 1; i <= LASTNODE(p); i++) {
		const struct pcg_node *n = &p->node[i];
		struct fstat *f = &s[n->fn];

		f->calls += pcg_calls(p, i);
		f->seen = 1;
		if (pcg_rec(n))
			continue;
		f->prim += pcg_calls(p, i);
		f->self += pcg_self(p, i)[k];
		f->incl += e->outer[i * K + k];
	}
	return s;
}

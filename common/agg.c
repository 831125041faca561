/*
 * Events to calling-context tree.  A call of a function already on the stack
 * re-enters the context of its innermost frame (a rec edge), which bounds the
 * tree by the program's structure.  Inclusive cost follows the arc rule of
 * pcg-format(5): a frame's arc earns time only while the function that called
 * it has no newer frame above it, so each function's time is counted once.
 */
#include <stdlib.h>
#include <string.h>

#include "pcg.h"
#include "util.h"

void
pcg_stack_init(struct pcg_stack *s, uint32_t thread)
{
	memset(s, 0, sizeof(*s));
	s->thread = thread;
}

void
pcg_stack_free(struct pcg_stack *s)
{
	free(s->frame);
	free(s->inner);
	memset(s, 0, sizeof(*s));
}

/* Charge the time since the previous event to the running frame's self. */
static void
tick(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	size_t k;

	if (s->depth) {
		uint64_t *self = pcg_self(p, s->frame[s->depth - 1].node);
		for (k = 0; k < p->ncost; k++)
			self[k] += t[k] - s->last[k];
	}
	memcpy(s->last, t, p->ncost * sizeof(*t));
}

static void
pause_arc(const struct pcg_profile *p, struct pcg_frame *f, const uint64_t *t)
{
	size_t k;

	for (k = 0; k < p->ncost; k++)
		f->arcacc[k] += t[k] - f->arcstart[k];
	f->paused = 1;
}

void
pcg_enter(struct pcg_profile *p, struct pcg_stack *s, uint32_t fn, uint32_t line, const uint64_t *t, int resume)
{
	struct pcg_frame *f;
	uint32_t parent, q;

	tick(p, s, t);
	if (fn >= s->ninner)
		egrow((void **)&s->inner, &s->ninner, fn, sizeof(*s->inner));
	egrow((void **)&s->frame, &s->cap, s->depth, sizeof(*s->frame));
	parent = s->depth ? s->frame[s->depth - 1].node : 0;
	q = s->inner[fn];
	f = &s->frame[s->depth];
	f->fn = fn;
	f->prev = q;
	f->paused = 0;
	memcpy(f->arcstart, t, p->ncost * sizeof(*t));
	memset(f->arcacc, 0, p->ncost * sizeof(*t));
	if (q) {
		f->node = s->frame[q - 1].node;
		f->edge = pcg_rec_get(p, s->thread, parent, f->node, line);
	} else {
		f->node = f->edge = pcg_node_get(p, s->thread, parent, fn, line);
	}
	if (!resume)
		p->node[f->edge].calls++;
	s->depth++;
	s->inner[fn] = s->depth;
	/* fn's older frame no longer is its innermost: the arc above it pauses
	 * (for a direct recursion that is this new frame itself). */
	if (q)
		pause_arc(p, &s->frame[q], t);
}

void
pcg_leave(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	struct pcg_frame *f;
	uint64_t *incl;
	size_t k;

	if (!s->depth)
		return;
	tick(p, s, t);
	f = &s->frame[--s->depth];
	incl = pcg_incl(p, f->edge);
	for (k = 0; k < p->ncost; k++)
		incl[k] += f->arcacc[k] + (f->paused ? 0 : t[k] - f->arcstart[k]);
	s->inner[f->fn] = f->prev;
	/* fn's older frame is innermost again: the arc above it runs (unless that
	 * arc is the frame just popped, a direct recursion). */
	if (f->prev && f->prev != s->depth) {
		struct pcg_frame *r = &s->frame[f->prev];
		r->paused = 0;
		memcpy(r->arcstart, t, p->ncost * sizeof(*t));
	}
}

void
pcg_close(struct pcg_profile *p, struct pcg_stack *s, const uint64_t *t)
{
	while (s->depth)
		pcg_leave(p, s, t);
}

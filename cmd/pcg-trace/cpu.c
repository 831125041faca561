/*
 * pcg-trace --cpu: the thread's CPU time, a second cost column.
 *
 * CLOCK_THREAD_CPUTIME_ID is a system call (~300-420 ns here), too slow
 * for two reads per call.  But a thread that was not switched out since
 * the last read has run all along: its CPU time grew exactly as much as
 * the wall clock.  The kernel tells us of switches for free: a task-clock
 * perf event of the thread's own (no privilege needed) has a page that the
 * kernel rewrites, bumping its lock field, each time the thread is
 * scheduled in.  So each event reads the lock (one load): unchanged, the
 * CPU time is that of the last sync plus the wall time since (for 1 ms at
 * most: time a hypervisor steals is no switch, cpu_stamp()); changed, we
 * sync: read the lock, then the real CPU time, then the wall clock.  A
 * switch after the lock was read changes it again, so no switched-out
 * time is ever counted.  Where perf_event_open fails (a seccomp filter,
 * perf_event_paranoid 3), every event reads the real clock: slow, right.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/perf_event.h>

#include "rec.h"
#include "util.h"

static pthread_key_t gone; /* a thread's struct th, for its exit */
static long pagesz;

uint64_t
cpu_thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The mapped page of a task-clock event on this thread, or NULL.  The
 * mapping keeps the event alive: its descriptor is closed at once, so
 * that the program never sees it (a closerange, a dup2 onto it). */
static const volatile uint32_t *
cpu_page(void)
{
	struct perf_event_attr a;
	void *pg;
	int fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1; /* what perf_event_paranoid 2 allows; we do not read the count */
	a.exclude_hv = 1;
	if ((fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC)) < 0)
		return NULL;
	pg = mmap(NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (pg == MAP_FAILED)
		return NULL;
	return (const volatile uint32_t *)((char *)pg + offsetof(struct perf_event_mmap_page, lock));
}

static void
unmap(struct th *t)
{
	if (t->cpulock)
		munmap((char *)(uintptr_t)t->cpulock - offsetof(struct perf_event_mmap_page, lock), pagesz);
	t->cpulock = NULL;
}

/* A thread ends: its event goes (else a program of many short threads
 * would keep one each). */
static void
thread_gone(void *p)
{
	unmap(p);
}

/*
 * Once, at start: which clock (PCG_CPUCLOCK=thread refuses the page), for
 * the metadata.  The first thread's page is its own from then on.
 */
const char *
cpu_setup(struct th *first)
{
	const char *env = getenv("PCG_CPUCLOCK");

	pagesz = sysconf(_SC_PAGESIZE);
	R.cpupage = !(env && strcmp(env, "thread") == 0);
	if (R.cpupage && pthread_key_create(&gone, thread_gone) != 0)
		R.cpupage = 0;
	cpu_thread_init(first);
	if (!first->cpulock)
		R.cpupage = 0;
	return R.cpupage ? "perf" : "thread";
}

/* In the thread itself: its CPU time counts from now; the first read syncs. */
void
cpu_thread_init(struct th *t)
{
	/* The calibration's scratch thread leaves the key to the real one. */
	if (R.cpupage && !t->cpulock && (t->cpulock = cpu_page()) && !pthread_getspecific(gone))
		pthread_setspecific(gone, t);
	cpu_thread_rebase(t);
}

void
cpu_thread_rebase(struct th *t)
{
	t->cpu0 = (int64_t)cpu_thread_ns();
	t->lastcpu = 0;
	t->cpuw = UINT64_MAX;
	t->cpuseq = t->cpulock ? *t->cpulock ^ 1 : 0; /* the lock moves by 2: no match */
}

void
cpu_thread_free(struct th *t)
{
	if (t->cpulock && pthread_getspecific(gone) == t)
		pthread_setspecific(gone, NULL);
	unmap(t);
}

/* A forked child: the page is its parent thread's; its own CPU time
 * counts from the fork, as its wall clock does. */
void
cpu_forked(struct th *t)
{
	unmap(t);
	cpu_thread_init(t);
}

/* The lock moved (or there is no page): the real CPU time, and the wall
 * clock to count on from. */
uint64_t
cpu_sync(struct th *t)
{
	uint64_t c;

	if (t->cpulock)
		t->cpuseq = __atomic_load_n(t->cpulock, __ATOMIC_ACQUIRE);
	c = cpu_thread_ns();
	c = (int64_t)c > t->cpu0 ? (uint64_t)((int64_t)c - t->cpu0) : 0;
	t->cpuwall = now();
	t->cpusync = c;
	return c;
}

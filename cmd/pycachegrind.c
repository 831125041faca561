/*
 * pycachegrind: profile a Python program and land in KCachegrind, in one
 * command.  Runs pcg-trace, then pcg-filter | pcg-emit, from the directory
 * this program lives in, so an installed set always uses its own siblings.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcg.h"
#include "util.h"

struct opts {
	const char *out, *keep_pcg, *min_incl, *min_self;
	const char *cost;    /* --cost: the limits' and the text formats' column */
	const char **filter; /* extra pcg-filter arguments (--drop/--keep PATTERN) */
	const char *run;     /* "-m" or "-c": python3 -m MODULE or -c CODE */
	const char *runarg;  /* the MODULE or CODE */
	size_t nfilter;
	const char *format;  /* -F: pcg-emit's, NULL for callgrind */
	int keep_stdlib, separate, follow, gui, quiet, cpu, lines;
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: %s [-o FILE] [--keep-stdlib] [--drop PAT] [--keep PAT] [--min-incl N%%|NS]\n"
	    "       [--min-self N%%|NS] [--cost NAME] [--separate-threads] [-F FORMAT] [-f] [--cpu] [--lines]\n"
	    "       [--keep-pcg FILE]"
	    " [--no-gui] [-q]\n"
	    "       [--] COMMAND [ARG...] | SCRIPT.py [ARG...] | -m MODULE [ARG...] | -c CODE [ARG...]\n"
	    "SCRIPT.py, -m and -c run python3; COMMAND is any command line running Python\n", argv0);
	if (!status)
		printf("  -m MODULE, -c CODE  run python3 -m MODULE or -c CODE; the options end there\n"
		    "  -o FILE, --output=FILE  write the callgrind file to FILE (default callgrind.out.PID)\n"
		    "  --keep-stdlib       keep the standard library's functions\n"
		    "  --drop PAT          drop what PAT matches (see pcg-filter(1))\n"
		    "  --keep PAT          keep only what PAT matches\n"
		    "  --min-incl N%%|NS    fold the functions whose inclusive cost is below it\n"
		    "  --min-self N%%|NS    fold the functions whose self cost is below it\n"
		    "  --separate-threads  one callgrind file per thread\n"
		    "  -F, --format=FORMAT  write FORMAT as pcg-emit -F does: callgrind, text, collapsed, pstats,\n"
		    "                       speedscope\n"
		    "  -f, --follow        follow child processes and merge their profiles\n"
		    "  --cpu               record each thread's CPU time beside wall time (pcg-trace --cpu):\n"
		    "                       callgrind gets two events\n"
		    "  --cost NAME         wall (default) or, with --cpu, cpu: the column of --min-incl,\n"
		    "                       --min-self and of the formats but callgrind\n"
		    "  --lines             also cost each source line (pcg-trace --lines): the\n"
		    "                       viewer's source view shows which line is slow\n"
		    "  --keep-pcg FILE     also keep the unfiltered pcg profile in FILE\n"
		    "  --no-gui            never start a viewer\n"
		    "  -q, --quiet         print nothing of its own\n"
		    "  -h, --help          show this help;  --version  show the version\n");
	exit(status);
}

/* The directory of this executable: the siblings pcg-trace etc. live there. */
static char *
bindir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	char *slash;

	if (n < 0)
		eprintf("readlink /proc/self/exe:");
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')))
		*slash = '\0';
	return estrdup(buf);
}

static char *
sibling(const char *dir, const char *prog)
{
	char *p = emalloc(strlen(dir) + strlen(prog) + 2);

	sprintf(p, "%s/%s", dir, prog);
	return p;
}

/* Wait for pid; shell-style status: exit code, or 128+N for signal N. */
static int
waitstatus(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			eprintf("waitpid:");
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static pid_t
spawn(char **argv, int in, int out)
{
	pid_t pid = fork();

	if (pid < 0)
		eprintf("fork:");
	if (pid)
		return pid;
	if (in >= 0 && (dup2(in, 0) < 0 || close(in) < 0))
		_exit(127);
	if (out >= 0 && (dup2(out, 1) < 0 || close(out) < 0))
		_exit(127);
	execv(argv[0], argv);
	fprintf(stderr, "%s: %s: %s\n", argv0, argv[0], strerror(errno));
	_exit(127);
}

/* Run a pipeline a | b (b may be NULL); returns the first failing status. */
static int
pipeline(char **a, char **b)
{
	int fd[2], sa, sb;
	pid_t pa, pb;

	if (!b)
		return waitstatus(spawn(a, -1, -1));
	if (pipe(fd) < 0)
		eprintf("pipe:");
	pa = spawn(a, -1, fd[1]);
	close(fd[1]);
	pb = spawn(b, fd[0], -1);
	close(fd[0]);
	sa = waitstatus(pa);
	sb = waitstatus(pb);
	return sa ? sa : sb;
}

struct argv {
	char **v;
	size_t n, cap;
};

static void
push(struct argv *a, const char *s)
{
	egrow((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

static int
isscript(const char *s)
{
	size_t n = strlen(s);

	return n > 3 && !strcmp(s + n - 3, ".py");
}

static int
isprofile(const struct dirent *d)
{
	return !strncmp(d->d_name, "pcg.", 4) && !strstr(d->d_name, ".tmp");
}

/* The per-process profiles of a -f run, merged into one file. */
static char *
merge_all(const char *bin, const char *dir)
{
	struct argv a = { 0 };
	struct dirent **ent;
	char *out = sibling(dir, "merged.pcg");
	int i, n, st;

	if ((n = scandir(dir, &ent, isprofile, alphasort)) < 0)
		eprintf("scandir %s:", dir);
	if (n == 0)
		eprintf("no profile was written");
	push(&a, sibling(bin, "pcg-merge"));
	push(&a, "-o");
	push(&a, out);
	for (i = 0; i < n; i++)
		push(&a, sibling(dir, ent[i]->d_name));
	if ((st = pipeline(a.v, NULL)))
		eprintf("merging the profiles in %s failed (status %d)", dir, st);
	for (i = 0; i < n; i++) {
		free(a.v[3 + i]);
		free(ent[i]);
	}
	free(ent);
	free(a.v[0]);
	free(a.v);
	return out;
}

static void
copyfile(const char *from, const char *to)
{
	char buf[65536];
	struct ofile o;
	FILE *in = fopen(from, "r");
	size_t n;

	if (!in)
		eprintf("%s:", from);
	ofile_open(&o, to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, o.fp);
	if (ferror(in))
		eprintf("read %s:", from);
	fclose(in);
	ofile_commit(&o);
}

static void
rmtree(const char *dir)
{
	char *cmd[] = { "/bin/rm", "-rf", (char *)dir, NULL };

	waitstatus(spawn(cmd, -1, -1));
}

/*
 * KCachegrind opens on a function called main if there is one, else on
 * nothing.  Ask it, over D-Bus (its setFunction slot, as dbus-send), for the
 * program's entry, the module code of __main__ (see pcg-emit(1)), once it
 * has loaded the file: a detached child tries for ten seconds, then gives
 * up quietly (no dbus-send, a QCachegrind, no such function).
 */
static void
select_entry(pid_t kc)
{
	char dest[64], out[256];
	char *argv[] = { "dbus-send", "--session", "--print-reply", dest,
	    "/kcachegrind/MainWindow_1", "org.kde.kcachegrind.setFunction",
	    "string:__main__.<module>", NULL };
	struct timespec pause = { 0, 100000000 };
	int i, fd[2], null;
	ssize_t n, len;
	pid_t pid;

	if (fork() != 0)
		return;
	setsid();
	snprintf(dest, sizeof(dest), "--dest=org.kde.kcachegrind-%ld", (long)kc);
	null = open("/dev/null", O_RDWR);
	for (i = 0; i < 100 && null >= 0 && pipe(fd) == 0; i++) {
		if ((pid = fork()) == 0) {
			dup2(null, 0), dup2(fd[1], 1), dup2(null, 2);
			execvp(argv[0], argv);
			_exit(127);
		}
		close(fd[1]);
		for (len = 0; pid > 0 && (n = read(fd[0], out + len, sizeof(out) - 1 - len)) > 0;)
			len += n;
		close(fd[0]);
		out[pid > 0 ? len : 0] = '\0';
		if (pid < 0 || waitstatus(pid) == 127 || strstr(out, "boolean true"))
			break;
		nanosleep(&pause, NULL);
	}
	_exit(0);
}

/* Open the result in KCachegrind/QCachegrind when there is a display. */
static int
viewer(const char *file)
{
	static const char *const gui[] = { "kcachegrind", "qcachegrind" };
	const char *path = getenv("PATH");
	size_t i;

	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		return 0;
	for (i = 0; i < LEN(gui) && path; i++) {
		char *p = estrdup(path), *dir, *save = NULL;
		for (dir = strtok_r(p, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
			char *exe = sibling(*dir ? dir : ".", gui[i]);
			if (access(exe, X_OK) == 0) {
				/* detached: the viewer outlives us and our terminal job */
				pid_t pid = fork();
				if (pid == 0) {
					setsid();
					execl(exe, gui[i], file, (char *)NULL);
					_exit(127);
				}
				if (pid > 0 && i == 0)
					select_entry(pid);
				free(exe);
				free(p);
				return pid > 0;
			}
			free(exe);
		}
		free(p);
	}
	return 0;
}

/*
 * callgrind_annotate strips the current directory from fl= names but not
 * from cfi= names, splitting a function in two when run from its sources'
 * directory: the command we suggest runs it from / with an absolute path.
 * It prints one screen: the functions by inclusive time, without the source
 * annotation (--auto=yes prints every source file the costly functions are
 * in, tens of thousands of lines on a large program, and names <built-in>
 * and <thread> as files it could not find).  With --separate-threads, the
 * main thread's file.
 */
static void
hint(const char *out, int separate)
{
	char cwd[PATH_MAX];
	const char *dir = out[0] == '/' ? "" : getcwd(cwd, sizeof(cwd)) ? cwd : ".";

	fprintf(stderr, "%s: wrote %s%s\n", argv0, out, separate ? "-NN, one file per thread" : "");
	fprintf(stderr, "%s: read it with: (cd / && callgrind_annotate --inclusive=yes --auto=no %s%s%s%s | head -n 45)\n",
	    argv0, dir, *dir ? "/" : "", out, separate ? "-01" : "");
}

static void
parse(struct opts *o, int argc, char **argv)
{
	enum { KEEPSTD = 256, DROP, KEEP, MININCL, MINSELF, COST, SEP, KEEPPCG, NOGUI, CPU, LINES, VERSION };
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "keep-stdlib", no_argument, NULL, KEEPSTD },
		{ "drop", required_argument, NULL, DROP },
		{ "keep", required_argument, NULL, KEEP },
		{ "min-incl", required_argument, NULL, MININCL },
		{ "min-self", required_argument, NULL, MINSELF },
		{ "cost", required_argument, NULL, COST },
		{ "separate-threads", no_argument, NULL, SEP },
		{ "format", required_argument, NULL, 'F' },
		{ "follow", no_argument, NULL, 'f' },
		{ "cpu", no_argument, NULL, CPU },
		{ "lines", no_argument, NULL, LINES },
		{ "keep-pcg", required_argument, NULL, KEEPPCG },
		{ "no-gui", no_argument, NULL, NOGUI },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, VERSION },
		{ 0 }
	};
	int c;

	while (!o->run && (c = getopt_long(argc, argv, "+o:F:fqhm:c:", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
		case 'c':
			/* as python3 takes them: what follows is the program's */
			o->run = c == 'm' ? "-m" : "-c";
			o->runarg = optarg;
			break;
		case 'o': o->out = optarg; break;
		case 'f': o->follow = 1; break;
		case 'F': o->format = strcmp(optarg, "callgrind") ? optarg : NULL; break;
		case 'q': o->quiet = 1; break;
		case KEEPSTD: o->keep_stdlib = 1; break;
		case DROP:
		case KEEP:
			o->filter = ereallocarray(o->filter, o->nfilter + 2, sizeof(*o->filter));
			o->filter[o->nfilter++] = c == DROP ? "--drop" : "--keep";
			o->filter[o->nfilter++] = optarg;
			break;
		case MININCL: o->min_incl = optarg; break;
		case MINSELF: o->min_self = optarg; break;
		case COST: o->cost = optarg; break;
		case SEP: o->separate = 1; break;
		case KEEPPCG: o->keep_pcg = optarg; break;
		case NOGUI: o->gui = 0; break;
		case CPU: o->cpu = 1; break;
		case LINES: o->lines = 1; break;
		case VERSION:
			printf("pycachegrind (pcg) %s\n", PCG_VERSION_STRING);
			exit(0);
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind == argc && !o->run)
		usage(2);
	/* Before the run, not after it: the profile's columns are known. */
	if (o->cost && strcmp(o->cost, "wall") && (strcmp(o->cost, "cpu") || !o->cpu)) {
		fprintf(stderr, "%s: --cost %s: the profile's columns are wall%s\n", argv0, o->cost,
		    o->cpu ? " and cpu" : " (and cpu with --cpu)");
		exit(2);
	}
}

/* Trace the command; returns the program's status, sets *profile. */
static int
trace(const struct opts *o, const char *bin, const char *dir, char **cmd, char **profile)
{
	struct argv a = { 0 };
	char *out = sibling(dir, o->follow ? "pcg.%p" : "pcg.out");
	int st;

	push(&a, sibling(bin, "pcg-trace"));
	if (o->follow)
		push(&a, "-f");
	if (o->cpu)
		push(&a, "--cpu");
	if (o->lines)
		push(&a, "--lines");
	push(&a, "-q"); /* its file is our temporary: we say what we wrote */
	push(&a, "-o");
	push(&a, out);
	push(&a, "--");
	if (o->run) {
		push(&a, "python3");
		push(&a, o->run);
		push(&a, o->runarg);
	} else if (isscript(cmd[0])) {
		push(&a, "python3");
	}
	for (; *cmd; cmd++)
		push(&a, *cmd);
	st = pipeline(a.v, NULL);
	if (o->follow) {
		*profile = merge_all(bin, dir);
		free(out);
	} else {
		*profile = out;
	}
	free(a.v[0]);
	free(a.v);
	return st;
}

/*
 * After --drop-stdlib: when the program's own Python code kept almost none
 * of the time (a stdlib program, -m json.tool), the view is one builtin
 * holding everything; say so, and how to see more.
 */
static void
checkkept(const char *path)
{
	struct pcg_profile p;
	uint64_t total = 0, py = 0, *byfn;
	size_t i, top = 0;

	pcg_init(&p);
	pcg_read_path(&p, path, NULL);
	byfn = ecalloc(p.nfn + 1, sizeof(*byfn));
	for (i = 1; i < p.nnode; i++) {
		const struct pcg_node *n = &p.node[i];
		uint64_t self = pcg_rec(n) ? 0 : pcg_self(&p, i)[0];
		total += self;
		if (n->fn && n->fn < p.nfn) {
			byfn[n->fn] += self;
			if (p.fn[n->fn].kind == PCG_PY)
				py += self;
			if (!top || byfn[n->fn] > byfn[top])
				top = n->fn;
		}
	}
	if (total && py * 20 < total && top) {
		const struct pcg_fn *f = &p.fn[top];
		char what[512];
		/* pcg-filter's stand-in is named as KCachegrind will show it (pcg-emit). */
		if (pcg_str_eq(f->module, pcg_cstr("pcg")) && pcg_str_eq(f->name, pcg_cstr("(filtered)")))
			snprintf(what, sizeof(what), "<dropped by pcg-filter>");
		else
			snprintf(what, sizeof(what), "%.*s%s%.*s", (int)f->module.len, f->module.s,
			    f->module.len ? "." : "", (int)f->name.len, f->name.s);
		weprintf("with the standard library dropped (the default), %.1f%% of the time is left "
		    "in the program's own Python code and %.1f%% on %s: --keep-stdlib keeps it",
		    100.0 * py / total, 100.0 * byfn[top] / total, what);
	}
	free(byfn);
	pcg_free(&p);
}

static int
emit(const struct opts *o, const char *bin, const char *dir, const char *profile, const char *out)
{
	struct argv f = { 0 }, e = { 0 };
	size_t i;
	int st;

	push(&f, sibling(bin, "pcg-filter"));
	if (!o->keep_stdlib)
		push(&f, "--drop-stdlib");
	if (o->min_incl) {
		push(&f, "--min-incl");
		push(&f, o->min_incl);
	}
	if (o->min_self) {
		push(&f, "--min-self");
		push(&f, o->min_self);
	}
	if (o->cost && (o->min_incl || o->min_self)) {
		push(&f, "--cost");
		push(&f, o->cost);
	}
	for (i = 0; i < o->nfilter; i++)
		push(&f, o->filter[i]);
	push(&f, profile);
	push(&e, sibling(bin, "pcg-emit"));
	if (o->separate)
		push(&e, "--separate-threads");
	if (o->format) {
		push(&e, "-F");
		push(&e, o->format);
		if (o->cost) {
			push(&e, "--cost");
			push(&e, o->cost);
		}
	}
	push(&e, "-o");
	push(&e, out);
	if (o->keep_stdlib) {
		st = pipeline(f.v, e.v);
	} else {
		/* kept: pcg-filter's output, to look at (checkkept) before pcg-emit */
		char *kept = sibling(dir, "kept.pcg");
		push(&f, "-o");
		push(&f, kept);
		push(&e, kept);
		if (!(st = pipeline(f.v, NULL)) && !(st = pipeline(e.v, NULL)))
			checkkept(kept);
		free(kept);
	}
	free(f.v[0]);
	free(e.v[0]);
	free(f.v);
	free(e.v);
	return st;
}

int
main(int argc, char **argv)
{
	struct opts o = { .gui = 1 };
	char *bin, *profile, *dir, tmpl[PATH_MAX], defout[64];
	const char *tmp = getenv("TMPDIR");
	int st;

	argv0 = "pycachegrind";
	parse(&o, argc, argv);
	bin = bindir();
	snprintf(tmpl, sizeof(tmpl), "%s/pycachegrind.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!(dir = mkdtemp(tmpl)))
		eprintf("mkdtemp %s:", tmpl);
	if (!o.out) {
		if (o.format)
			snprintf(defout, sizeof(defout), "pcg.%ld.%.16s", (long)getpid(), o.format);
		else
			snprintf(defout, sizeof(defout), "callgrind.out.%ld", (long)getpid());
		o.out = defout;
	}
	/* Like system(3): the terminal's ^C is for the program, not for us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	st = trace(&o, bin, dir, argv + optind, &profile);
	if (access(profile, R_OK) < 0) {
		rmtree(dir);
		eprintf("no profile was written (program status %d)", st);
	}
	if (o.keep_pcg)
		copyfile(profile, o.keep_pcg);
	if (emit(&o, bin, dir, profile, o.out)) {
		rmtree(dir);
		eprintf("could not convert the profile to %s format", o.format ? o.format : "callgrind");
	}
	rmtree(dir);
	if (o.format && !o.quiet)
		fprintf(stderr, "%s: wrote %s (%s)\n", argv0, o.out, o.format);
	else if (!o.quiet && !(o.gui && viewer(o.out)))
		hint(o.out, o.separate);
	free(profile);
	free(bin);
	free(o.filter);
	return st;
}

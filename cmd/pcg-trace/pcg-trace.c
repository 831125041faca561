/*
 * pcg-trace: run a Python command line with the pcg recorder loaded into its
 * interpreter.  The launcher owns the output: it creates the temporary file
 * (or a pipe for -o -) before the program starts, hands its descriptor down,
 * and gives the file its final name only once the recorder wrote something.
 */
#define _GNU_SOURCE /* memrchr */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h> /* memfd_create */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "pattern.h"
#include "remote.h"

#define OUTFD 254   /* out of the way of the program's own descriptors */
#define CLAIMFD 253 /* see claim[] */
#define CMDFD 252   /* see cmdfile() */

static pid_t child;
static int killedby; /* the signal that ended the child, or 0 */
/*
 * Without -f, one profile: the first interpreter to start reads the one byte
 * we sent through this socket pair (it waits at claim[1]) and records; the
 * others find it gone and run untraced.  An interpreter that refuses to run (free-threaded,
 * not CPython 3.6+) writes 'r' back, to claim[0], having said why.
 */
static int claim[2];
static struct sigaction intwas; /* SIGINT's disposition when we started */
static int quiet, follow, raw, paused, cpu, lines;
static char tmp[PATH_MAX]; /* the output until it is complete */
static char *pattern;      /* of the output names: %p is the pid */
static char rundir[PATH_MAX]; /* -f: the followed processes' marks (rec's out_mark) */

/* Each mark of rundir, for fn. */
static void
eachmark(void (*fn)(const char *name, void *arg), void *arg)
{
	DIR *d = opendir(rundir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			fn(e->d_name, arg);
	if (d)
		closedir(d);
}

static void
rmmark(const char *name, void *arg)
{
	char path[PATH_MAX * 2];

	(void)arg;
	snprintf(path, sizeof(path), "%s/%s", rundir, name);
	unlink(path);
}

static void
cleanup(void)
{
	if (*tmp)
		unlink(tmp);
	*tmp = '\0';
	if (*rundir) {
		eachmark(rmmark, NULL);
		rmdir(rundir);
	}
	*rundir = '\0';
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-q] [-f] [--events] [--cpu] [--raw] [--paused] [--lines] [-o FILE|-] [--] COMMAND [ARG...]\n"
	    "       %s -p PID [-d SECONDS] [-q] [-o FILE|-]\n", argv0, argv0);
	exit(2);
}

static pid_t
number(const char *s, const char *opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || (pid_t)v != v) {
		weprintf("%s %s: not a process id", opt, s);
		usage();
	}
	return v;
}

static double
seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 1e9) {
		weprintf("-d %s: not a number of seconds", s);
		usage();
	}
	return v;
}

static void __attribute__((noreturn))
help(void)
{
	printf("usage: %s [-q] [-f] [--events] [--cpu] [--raw] [--paused] [--lines] [-o FILE|-] [--] COMMAND [ARG...]\n"
	    "       %s -p PID [-d SECONDS] [-q] [-o FILE|-]\n"
	    "Run COMMAND, a command line running Python 3.6+, and record every call;\n"
	    "or attach to the running CPython 3.14+ process PID and record its calls.\n"
	    "  -o FILE, --output=FILE\n"
	    "              write to FILE (default pcg.out.%%p); %%p in FILE is the pid,\n"
	    "              %%%% a %%; - writes to stdout, and the program's own stdout\n"
	    "              then goes to stderr\n"
	    "  -f, --follow  also trace the Python processes the program starts\n"
	    "              (fork, multiprocessing, subprocess): one file per process,\n"
	    "              FILE gets .%%p appended when it has no %%p\n"
	    "  --events    write the events layer live instead of the profile\n"
	    "  --cpu       a second cost column: each thread's CPU time beside wall time\n"
	    "  --lines     also split each function's self cost by source line\n"
	    "              (format version 2)\n"
	    "  --raw       keep the recorder's own time in the costs (no compensation)\n"
	    "  --paused    start with recording off; SIGUSR2 (to the program or to\n"
	    "              pcg-trace) turns it on, the next one off again, and so on\n"
	    "  -p PID, --pid=PID\n"
	    "              attach to process PID (CPython 3.14+, ptrace rights over it)\n"
	    "              instead of running a command; ^C detaches\n"
	    "  -d SECONDS, --duration=SECONDS\n"
	    "              with -p: detach after SECONDS\n"
	    "  -q, --quiet do not report where the output went\n"
	    "  -h, --help  show this help;  --version  show the version\n"
	    "Exits with the program's status (128+N when killed by signal N);\n"
	    "with -p, 0 once the profile is written.\n", argv0, argv0);
	exit(0);
}

static void
forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* A SIGINT a process sent us (kill -INT) is for the program; the terminal's
 * ^C (SI_KERNEL) reached the program's process group, so the program has it
 * already and must not get it twice. */
static void
forwardint(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code != SI_KERNEL)
		forward(sig);
}

/* The folder holding the recorder: ../lib/pcg next to our executable, so
 * that the build tree and any installed prefix work; else where the build
 * said it would be installed. */
static char *
libdir(void)
{
	char exe[PATH_MAX], *d, *s;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		eprintf("readlink /proc/self/exe:");
	exe[n] = '\0';
	if ((s = strrchr(exe, '/')))
		*s = '\0';
	if ((s = strrchr(exe, '/')))
		*s = '\0';
	d = emalloc(strlen(exe) + sizeof("/lib/pcg/pcg-recorder.so"));
	sprintf(d, "%s/lib/pcg/pcg-recorder.so", exe);
#ifdef PCG_LIBDIR
	if (access(d, R_OK) < 0) {
		free(d);
		d = estrdup(PCG_LIBDIR "/pcg-recorder.so");
	}
#endif
	*strrchr(d, '/') = '\0';
	return d;
}

char *
recorder_dir(void)
{
	return libdir();
}

/*
 * The command line, NUL-separated, in an unnamed file that the program
 * gets at CMDFD and the recorder reads: any size (an environment variable
 * holds 128 KiB at most), any bytes, empty arguments kept.
 */
static int
cmdfile(char **cmd)
{
	FILE *fp;
	int fd = memfd_create("pcg-cmd", 0);

	if (fd < 0 && (!(fp = tmpfile()) || (fd = dup(fileno(fp))) < 0))
		eprintf("a file for the command line:");
	for (; *cmd; cmd++)
		if (write(fd, *cmd, strlen(*cmd) + 1) != (ssize_t)strlen(*cmd) + 1)
			eprintf("write the command line:");
	return fd;
}

static void
setenvs(const char *lib, int events, const char *pattern)
{
	char *pp, v[48];
	const char *old = getenv("PYTHONPATH");

	pp = emalloc(strlen(lib) + (old ? strlen(old) : 0) + 3);
	sprintf(pp, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
	/* The bootstrap restores PYTHONPATH exactly: "u" unset, "s" + value. */
	if (old) {
		char *o = emalloc(strlen(old) + 2);
		sprintf(o, "s%s", old);
		setenv("PCG_TRACE_PP", o, 1);
		free(o);
	} else {
		setenv("PCG_TRACE_PP", "u", 1);
	}
	snprintf(v, sizeof(v), "%d %d %d %d", OUTFD, events | follow << 1 | raw << 3 | paused << 4 | lines << 5 | cpu << 6, CLAIMFD, CMDFD);
	if (follow) {
		/* Absolute: a followed process may run in another directory. */
		char cwd[PATH_MAX], *abs;
		if (*pattern == '/') {
			abs = estrdup(pattern);
		} else {
			if (!getcwd(cwd, sizeof(cwd)))
				eprintf("getcwd:");
			abs = emalloc(strlen(cwd) + strlen(pattern) + 2);
			sprintf(abs, "%s/%s", cwd, pattern);
		}
		if (setenv("PCG_TRACE_OUT", abs, 1))
			eprintf("setenv:");
		free(abs);
	}
	if (setenv("PYTHONPATH", pp, 1) || setenv("PCG_TRACE", v, 1))
		eprintf("setenv:");
	free(pp);
}

/* Fork and exec; an exec failure comes back through a close-on-exec pipe. */
static void
run(char **cmd, int outfd, int cmdfd, int tostderr)
{
	int p[2], err;
	ssize_t n;

	if (pipe(p) < 0 || fcntl(p[1], F_SETFD, FD_CLOEXEC) < 0)
		eprintf("pipe:");
	if ((child = fork()) < 0)
		eprintf("fork:");
	if (child == 0) {
		close(p[0]);
		/* ignored when we were (a background job): the program's own */
		signal(SIGINT, intwas.sa_handler == SIG_IGN ? SIG_IGN : SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (follow) {
			/* The bootstrap tells the main process from the followed ones. */
			char pid[32];
			snprintf(pid, sizeof(pid), "%ld", (long)getpid());
			if (setenv("PCG_TRACE_ROOT", pid, 1))
				goto fail;
		}
		if (dup2(outfd, OUTFD) < 0 || dup2(claim[1], CLAIMFD) < 0 || dup2(cmdfd, CMDFD) < 0 ||
		    (tostderr && dup2(2, 1) < 0))
			goto fail;
		if (outfd != OUTFD)
			close(outfd);
		if (cmdfd != CMDFD)
			close(cmdfd);
		execvp(cmd[0], cmd);
fail:
		err = errno;
		n = write(p[1], &err, sizeof(err));
		(void)n;
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == sizeof(err)) {
		waitpid(child, NULL, 0);
		errno = err;
		weprintf("%s:", cmd[0]);
		exit(err == ENOENT ? 127 : 126);
	}
}

static int
status(void)
{
	int st;

	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			eprintf("waitpid:");
	if (WIFSIGNALED(st))
		return 128 + (killedby = WTERMSIG(st));
	return WEXITSTATUS(st);
}

/* ---- -f: the followed processes, from their marks ---- */

struct tally {
	unsigned wrote, running, lost;
	int report;       /* say a word for each lost process (the last count) */
	char names[512];  /* the first files written, for the report */
	char running_pids[256];
};

/* A started mark s.PID.N: has its done mark d.PID.N come, or is it still
 * running (kill 0 answers while it lives; we reap the orphans we get)? */
static void
count(const char *name, void *arg)
{
	struct tally *t = arg;
	char path[PATH_MAX * 2], file[PATH_MAX], cmd[256] = "";
	long pid;
	unsigned n;
	ssize_t len;
	int fd;

	if (sscanf(name, "s.%ld.%u", &pid, &n) != 2)
		return;
	snprintf(path, sizeof(path), "%s/d.%ld.%u", rundir, pid, n);
	if (access(path, F_OK) == 0) {
		if (t->wrote++ < 8 && pattern_expand(file, sizeof(file), pattern, pid, n, NULL) == 0)
			snprintf(t->names + strlen(t->names), sizeof(t->names) - strlen(t->names), " %s", file);
		return;
	}
	if (kill(pid, 0) == 0 || errno == EPERM) {
		t->running++;
		snprintf(t->running_pids + strlen(t->running_pids),
		    sizeof(t->running_pids) - strlen(t->running_pids), " %ld", pid);
		return;
	}
	t->lost++;
	snprintf(path, sizeof(path), "%s/%s", rundir, name);
	if ((fd = open(path, O_RDONLY)) >= 0) {
		len = read(fd, cmd, sizeof(cmd) - 1);
		cmd[len > 0 ? len : 0] = '\0';
		close(fd);
	}
	if (t->report && !quiet)
		weprintf("followed process %ld (%s) left no profile: it ended before writing it "
		    "(killed by SIGKILL?)", pid, cmd);
}

/* Has process PID a started mark (any exec)? */
struct markof {
	long pid;
	int found;
};

static void
ismark(const char *name, void *arg)
{
	struct markof *m = arg;
	long pid;

	if (sscanf(name, "s.%ld.", &pid) == 1 && pid == m->pid)
		m->found = 1;
}

/*
 * Python processes of the program that are not marked yet: a followed one
 * marks once its interpreter has started, and the program may end in the
 * meantime.  They carry our folder in their environment and run an
 * executable named python-something; a `sleep &` does not.
 */
static unsigned
unmarked(char *pids, size_t pcap)
{
	char path[64], exe[PATH_MAX], *p, *want, *env = NULL;
	size_t n, cap = 8192;
	DIR *d = opendir("/proc");
	struct dirent *e;
	struct markof m;
	unsigned count = 0;
	ssize_t len;
	int fd, hit;

	if (!d)
		return 0;
	env = emalloc(cap);
	want = emalloc(strlen(rundir) + sizeof("PCG_TRACE_RUN="));
	sprintf(want, "PCG_TRACE_RUN=%s", rundir);
	while ((e = readdir(d))) {
		if (!(m.pid = strtol(e->d_name, &p, 10)) || *p || m.pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/exe", m.pid);
		if ((len = readlink(path, exe, sizeof(exe) - 1)) < 0)
			continue;
		exe[len] = '\0';
		if (!strstr((p = strrchr(exe, '/')) ? p : exe, "python"))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/environ", m.pid);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		/* The whole of it: a variable cut between two reads would be missed. */
		for (n = 0; (len = read(fd, env + n, cap - n - 1)) > 0;)
			if ((n += len) == cap - 1)
				env = ereallocarray(env, cap *= 2, 1);
		close(fd);
		env[n] = '\0';
		for (hit = 0, p = env; p < env + n && !hit; p += strlen(p) + 1)
			hit = !strcmp(p, want);
		m.found = 0;
		if (hit)
			eachmark(ismark, &m);
		if (hit && !m.found) {
			count++;
			snprintf(pids + strlen(pids), pcap - strlen(pids), " %ld", m.pid);
		}
	}
	closedir(d);
	free(want);
	free(env);
	return count;
}

/*
 * Once the program ended: wait for the followed processes that still run
 * (not for other background processes, a `sleep &` say), saying so when
 * that takes a while, then report what each wrote.
 */
static const char *
followed(char *buf, size_t cap)
{
	struct timespec tick = { 0, 20000000 };
	struct tally t;
	int waited = 0;

	if (!*rundir) { /* no marks: wait for every process the program left */
		while (wait(NULL) > 0 || errno == EINTR)
			;
		return "followed processes wrote theirs";
	}
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		memset(&t, 0, sizeof(t));
		/* The unmarked first: one that marks meanwhile is then counted
		 * by its mark, never missed by both. */
		t.running = unmarked(t.running_pids, sizeof(t.running_pids));
		eachmark(count, &t);
		if (!t.running)
			break;
		if (++waited == 100 && !quiet)
			weprintf("waiting for %u followed process%s still running:%s", t.running,
			    t.running > 1 ? "es" : "", t.running_pids);
		nanosleep(&tick, NULL);
	}
	memset(&t, 0, sizeof(t));
	t.report = 1;
	eachmark(count, &t);
	if (t.wrote)
		snprintf(buf, cap, "%u followed process%s wrote %s:%s%s", t.wrote, t.wrote > 1 ? "es" : "",
		    t.wrote > 1 ? "their profiles" : "its profile", t.names, t.wrote > 8 ? " ..." : "");
	else
		snprintf(buf, cap, "no other Python process wrote a profile");
	return buf;
}

/* Nothing was recorded: say why, as far as we know it. */
static void
norecord(const char *cmd, int st)
{
	char c;

	if (read(claim[0], &c, 1) == 1 && c == 'r')
		return; /* the interpreter said why it refused */
	if (killedby)
		weprintf("%s: no profile recorded: killed by signal %d (%s)", cmd, killedby, strsignal(killedby));
	else if (!follow && read(claim[1], &c, 1) == 1)
		weprintf("%s: no profile recorded: no Python interpreter started the recorder "
		    "(not CPython 3.6+, or run with -E, -I or -S)", cmd);
	else
		weprintf("%s: no profile recorded: the Python process ended without writing it, "
		    "status %d (killed, or stopped before the program ran: a Ctrl-C then?)", cmd, st);
}

/* Is the line of n bytes at s (it may have begun in `head`) a trailer? */
static int
isend(const char *head, size_t hlen, const char *s, size_t n)
{
	char b[4];
	size_t k = hlen < 4 ? hlen : 4;

	memcpy(b, head, k);
	memcpy(b + k, s, n < 4 - k ? n : 4 - k);
	return k + n >= 4 && !memcmp(b, "end\t", 4);
}

/* Copy the recorder's stream to dst (stdout, a device or a FIFO); returns
 * the bytes copied.  When dst goes away, stop reading: the recorder then
 * stops, the program runs on. */
static unsigned long long
relay(int fd, int dst, int *complete, int *werr)
{
	static char buf[1 << 16];
	unsigned long long total = 0;
	char head[4];
	size_t hlen = 0;
	ssize_t n, w, off;
	char *q, *r;

	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			eprintf("read:");
		}
		if (n == 0)
			break;
		for (off = 0; off < n; off += w)
			if ((w = write(dst, buf + off, n - off)) < 0) {
				*werr = errno;
				close(fd);
				return total;
			}
		total += n;
		if (!(q = memrchr(buf, '\n', n))) {
			for (off = 0; off < n && hlen < 4; off++)
				head[hlen++] = buf[off];
			continue;
		}
		if ((r = memrchr(buf, '\n', q - buf)))
			*complete = isend("", 0, r + 1, q - r - 1);
		else
			*complete = isend(head, hlen, buf, q - buf);
		for (hlen = 0, q++; q < buf + n && hlen < 4; q++)
			head[hlen++] = *q;
	}
	if (hlen)
		*complete = 0;
	return total;
}

static int
ended(int fd)
{
	char buf[4096];
	off_t size = lseek(fd, 0, SEEK_END), at = size > (off_t)sizeof(buf) ? size - (off_t)sizeof(buf) : 0;
	ssize_t n = pread(fd, buf, size - at, at), i;

	if (n <= 0 || buf[n - 1] != '\n')
		return 0;
	for (i = n - 2; i >= 0 && buf[i] != '\n'; i--)
		;
	return !strncmp(buf + i + 1, "end\t", 4);
}

int
main(int argc, char *argv[])
{
	char *out = NULL, *lib, *so, final[PATH_MAX], tbase[PATH_MAX];
	char report[1024];
	int events = 0, fd, cmdfd, p[2], st, complete = 0, werr = 0, hasp = 0, tostdout, dst = 1;
	struct stat sb;
	struct sigaction sa;
	unsigned long long size;
	enum { EVENTS = 256, RAW, PAUSED, CPU, LINES, VERSION };
	pid_t pid = 0;
	double secs = 0;
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "follow", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "events", no_argument, NULL, EVENTS },
		{ "raw", no_argument, NULL, RAW },
		{ "cpu", no_argument, NULL, CPU },
		{ "paused", no_argument, NULL, PAUSED },
		{ "lines", no_argument, NULL, LINES },
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, VERSION },
		{ 0 }
	};
	int c;

	argv0 = "pcg-trace";
	/* '+': the command's own options are the command's */
	while ((c = getopt_long(argc, argv, "+o:fqhp:d:", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': follow = 1; break;
		case 'q': quiet = 1; break;
		case EVENTS: events = 1; break;
		case 'h': help();
		case VERSION:
			printf("pcg-trace %s\n", PCG_VERSION_STRING);
			return 0;
		case RAW: raw = 1; break;
		case CPU: cpu = 1; break;
		case PAUSED: paused = 1; break;
		case LINES: lines = 1; break;
		case 'p': pid = number(optarg, "-p"); break;
		case 'd': secs = seconds(optarg); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (pid || secs) {
		if (!pid || argc || follow || events || raw || paused || cpu || lines) {
			weprintf("-p PID takes no command, and no -f, --events, --raw, --paused or --lines, nor --cpu; -d needs -p");
			usage();
		}
		if (out && !*out)
			eprintf("empty output file name");
		return attach(pid, secs, out, quiet);
	}
	if (!argc)
		usage();
	if (out && !*out)
		eprintf("empty output file name");
	if (follow && out && !strcmp(out, "-")) {
		weprintf("-f writes one file per process: -o - cannot be used with it");
		usage();
	}
	/* The name pattern of the output: %p is the pid of the process. */
	pattern = estrdup(out ? out : "pcg.out.%p");
	if (out && strcmp(out, "-") && pattern_expand(final, sizeof(final), out, 0, 0, &hasp) < 0) {
		weprintf("%s: bad output name (%%p is the pid, %%%% a %%; other %% are not allowed)", out);
		usage();
	}
	if (follow && out && !hasp) {
		pattern = ereallocarray(pattern, strlen(out) + 4, 1);
		strcat(pattern, ".%p");
	}

	lib = libdir();
	so = emalloc(strlen(lib) + sizeof("/pcg-recorder.so"));
	sprintf(so, "%s/pcg-recorder.so", lib);
	if (access(so, R_OK) < 0)
		eprintf("%s:", so);
	setenvs(lib, events, pattern);
	free(so);
	free(lib);

	/*
	 * A device or FIFO (-o /dev/null, a named pipe) is written in place,
	 * through the relay as for -o -: renaming a temporary over it would
	 * replace the node itself when run as root.
	 */
	tostdout = out && !strcmp(out, "-");
	if (out && !tostdout && !follow && !hasp && stat(final, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if ((dst = open(final, O_WRONLY | O_CLOEXEC)) < 0)
			eprintf("%s:", final);
		out = "-";
	}
	if (out && !strcmp(out, "-")) {
		if (pipe(p) < 0)
			eprintf("pipe:");
		fcntl(p[0], F_SETFD, FD_CLOEXEC);
		signal(SIGPIPE, SIG_IGN);
		fd = p[1];
	} else {
		/* The final name has the program's pid: unknown until it runs. */
		if (pattern_expand(tbase, sizeof(tbase), out ? out : "pcg.out", getpid(), 0, NULL) < 0 ||
		    pattern_expand(final, sizeof(final), pattern, 4194304, 0, NULL) < 0)
			eprintf("%s: name too long", pattern);
		if ((fd = tmp_beside(tbase, tmp, sizeof(tmp))) < 0) {
			*tmp = '\0';
			eprintf("%s:", out ? out : "pcg.out.PID");
		}
		atexit(cleanup);
	}

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, claim) < 0 || write(claim[0], "x", 1) != 1 ||
	    fcntl(claim[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(claim[1], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(claim[0], F_SETFD, FD_CLOEXEC) < 0 || fcntl(claim[1], F_SETFD, FD_CLOEXEC) < 0)
		eprintf("socketpair:");

	/* With -f, the program's orphaned processes become ours (we reap them),
	 * and we wait for the followed ones still running: when pcg-trace
	 * returns, every followed process wrote its file, or we said it did not. */
	if (follow) {
		const char *t = getenv("TMPDIR");
		if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			eprintf("prctl PR_SET_CHILD_SUBREAPER:");
		snprintf(rundir, sizeof(rundir), "%s/pcg-trace.XXXXXX", t && *t == '/' ? t : "/tmp");
		if (!mkdtemp(rundir) || setenv("PCG_TRACE_RUN", rundir, 1) < 0) {
			weprintf("%s:", rundir);
			*rundir = '\0';
		}
		atexit(cleanup);
	}
	signal(SIGQUIT, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forwardint;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &intwas);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	if (paused)
		signal(SIGUSR2, forward);
	cmdfd = cmdfile(argv);
	run(argv, fd, cmdfd, tostdout);
	close(cmdfd);

	if (out && !strcmp(out, "-")) {
		close(p[1]);
		size = relay(p[0], dst, &complete, &werr);
		st = status();
		if (werr) {
			errno = werr;
			weprintf("write %s:", tostdout ? "<stdout>" : final);
			return st ? st : 1;
		}
		if (!size) {
			norecord(argv[0], st);
			return st ? st : 1;
		}
		if (!complete)
			weprintf("the stream is truncated (the program ended abruptly)");
		if (dst != 1 && close(dst) < 0)
			eprintf("write %s:", final);
		if (dst != 1 && !quiet)
			weprintf("wrote %s", final);
		return st;
	}
	st = status();
	if (follow)
		followed(report, sizeof(report));
	pattern_expand(final, sizeof(final), pattern, child, 0, NULL);
	if (lseek(fd, 0, SEEK_END) <= 0) {
		if (follow) {
			/* e.g. make or a shell that runs Python programs */
			if (!quiet)
				weprintf("%s: not traced itself; %s", argv[0], report);
			return st;
		}
		norecord(argv[0], st);
		exit(st ? st : 1);
	}
	if (!ended(fd))
		weprintf("%s: the stream is truncated (the program ended abruptly)", final);
	tmp_mode(fd, cur_umask());
	close(fd);
	if (rename(tmp, final) < 0)
		eprintf("rename %s:", final);
	*tmp = '\0';
	if (!quiet && follow)
		weprintf("wrote %s; %s", final, report);
	else if (!quiet)
		weprintf("wrote %s", final);
	return st;
}

/*
 * pcg-trace -p PID: attach to a running CPython 3.14+ process.  The
 * process's own interpreter (its /proc/PID/exe, run in its root) calls
 * sys.remote_exec (PEP 768) on a script of ours, which loads the recorder
 * into the process and starts it (pcg_attach_start); a second one stops it
 * and writes the profile into a private folder of ours, inside the
 * process's root, whence it is moved to its final name.
 */
#define _GNU_SOURCE /* fexecve */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"
#include "util.h"

#include "remote.h"

extern char **environ;

static char dir[PATH_MAX];  /* ours, as we see it */
static const char *indir;   /* the same, as the process sees it */
static char root[PATH_MAX]; /* the process's root as we see it, "" for ours */
static volatile sig_atomic_t stopped;

/* Run by the process's interpreter, with -I (no PYTHON* variable). */
static const char helper[] =
    "import sys\n"
    "def die(msg):\n"
    "    sys.stderr.write('pcg-trace: process %s: %s\\n' % (sys.argv[1], msg))\n"
    "    sys.exit(1)\n"
    "v = sys.version_info\n"
    "if v < (3, 14) or not hasattr(sys, 'remote_exec'):\n"
    "    die('Python %d.%d: attaching needs CPython 3.14 or later (sys.remote_exec, PEP 768)'\n"
    "        % (v[0], v[1]))\n"
    "import sysconfig\n"
    "if sysconfig.get_config_var('Py_GIL_DISABLED'):\n"
    "    die('a free-threaded Python build: not supported')\n"
    "try:\n"
    "    sys.remote_exec(int(sys.argv[1]), sys.argv[2])\n"
    "except PermissionError as e:\n"
    "    die('%s: attaching needs ptrace rights over it (root, CAP_SYS_PTRACE, '\n"
    "        'or kernel.yama.ptrace_scope 0 and the same user)' % e)\n"
    "except Exception as e:\n"
    "    die('sys.remote_exec: %s' % e)\n";

/*
 * Run in the process by sys.remote_exec, in its main thread, in
 * __main__'s namespace (hence one function, deleted after).  The recorder
 * an earlier attach loaded is used again, by the same name (its file is
 * gone, the name finds it loaded); it answers in the folder: started, or
 * failed with why.
 */
static const char startpy[] =
    "def _pcg_attach(d):\n"
    "    import os, sys\n"
    "    def say(name, text):\n"
    "        with open(os.path.join(d, name + '.tmp'), 'w') as f:\n"
    "            f.write(text)\n"
    "        os.rename(os.path.join(d, name + '.tmp'), os.path.join(d, name))\n"
    "    if not os.path.exists(os.path.join(d, 'go')):\n"
    "        return\n"
    "    try:\n"
    "        import ctypes, site, sysconfig\n"
    "        if sysconfig.get_config_var('Py_GIL_DISABLED'):\n"
    "            return say('failed', 'a free-threaded Python build: not supported')\n"
    "        lib = os.path.join(d, 'pcg-recorder.so')\n"
    "        try:\n"
    "            with open('/proc/self/maps') as f:\n"
    "                for line in f:\n"
    "                    x = line.rstrip('\\n').split(None, 5)\n"
    "                    p = x[5] if len(x) == 6 else ''\n"
    "                    if p.endswith(' (deleted)'):\n"
    "                        p = p[:-10]\n"
    "                    if p.endswith('/pcg-recorder.so'):\n"
    "                        lib = p\n"
    "                        break\n"
    "        except OSError:\n"
    "            pass\n"
    "        out = []\n"
    "        def add(key, vals):\n"
    "            vals = [v for i, v in enumerate(vals) if v and v not in vals[:i]]\n"
    "            if vals:\n"
    "                out.extend([key] + [v.encode('utf-8', 'surrogateescape') for v in vals] + [None])\n"
    "        v = sys.version_info\n"
    "        add(b'python', ['%d.%d.%d' % (v[0], v[1], v[2])])\n"
    "        add(b'impl', ['CPython'])\n"
    "        add(b'executable', [sys.executable])\n"
    "        paths = sysconfig.get_paths()\n"
    "        add(b'stdlib', [paths.get('stdlib'), paths.get('platstdlib')])\n"
    "        add(b'site', [paths.get('purelib'), paths.get('platlib')] + site.getsitepackages())\n"
    "        meta = (ctypes.c_char_p * (len(out) + 1))(*out)\n"
    "        start = ctypes.PyDLL(lib).pcg_attach_start\n"
    "        start.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]\n"
    "        start.restype = ctypes.c_int\n"
    "        r = start(d.encode('utf-8', 'surrogateescape'), meta)\n"
    "        if r == -2:\n"
    "            return say('failed', 'it is being recorded already (pcg-trace)')\n"
    "        if r != 0:\n"
    "            return say('failed', 'the recorder could not start in it')\n"
    "        with open(os.path.join(d, 'lib'), 'w') as f:\n"
    "            f.write(lib)\n"
    "        say('started', '')\n"
    "    except BaseException as e:\n"
    "        say('failed', 'the attach script failed: %r' % e)\n"
    "_pcg_attach(@DIR@)\n"
    "del _pcg_attach\n";

static const char stoppy[] =
    "def _pcg_detach(d):\n"
    "    import ctypes, os\n"
    "    with open(os.path.join(d, 'lib')) as f:\n"
    "        stop = ctypes.PyDLL(f.read()).pcg_attach_stop\n"
    "    if stop() != 0:\n"
    "        with open(os.path.join(d, 'stopfailed'), 'w') as f:\n"
    "            f.write('the recorder could not write the profile')\n"
    "_pcg_detach(@DIR@)\n"
    "del _pcg_detach\n";

static void
onint(int sig)
{
	(void)sig;
	stopped = 1;
}

static char *
path(const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;
	char *p = buf[i++ & 3];

	if (snprintf(p, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		eprintf("%s: name too long", dir);
	return p;
}

static void
cleanup(void)
{
	static const char *const names[] = { "helper.py", "start.py", "stop.py", "pcg-recorder.so", "go",
		"started", "failed", "lib", "prof", "prof.tmp", "stopfailed", "started.tmp", "failed.tmp" };
	size_t i;

	if (!*dir)
		return;
	for (i = 0; i < LEN(names); i++)
		unlink(path(names[i]));
	rmdir(dir);
	*dir = '\0';
}

/* Write TEXT into the folder's file NAME, @DIR@ in it replaced by ARG. */
static void
putfile(const char *name, const char *text, const char *arg)
{
	const char *at = arg ? strstr(text, "@DIR@") : NULL;
	FILE *fp;

	if (!(fp = fopen(path(name), "w")))
		eprintf("%s:", path(name));
	if (at)
		fprintf(fp, "%.*s%s%s", (int)(at - text), text, arg, at + 5);
	else
		fputs(text, fp);
	if (fclose(fp) == EOF)
		eprintf("%s:", path(name));
}

static void
copyfile(const char *from, const char *to, int tofd)
{
	char buf[65536];
	ssize_t n;
	int in, out = tofd;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		eprintf("%s:", from);
	if (out < 0 && (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		eprintf("%s:", to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			eprintf("write %s:", to);
	if (n < 0)
		eprintf("read %s:", from);
	close(in);
	if (tofd < 0 && close(out) < 0)
		eprintf("write %s:", to);
}

/*
 * The profile to its final name, as ours (the process wrote it, as its
 * user, 0600): through a hidden temporary beside it, renamed once whole;
 * a FIFO or a device in place; - to stdout.
 */
static void
place(const char *final)
{
	char tmp[PATH_MAX];
	struct stat sb;
	int fd;

	if (!strcmp(final, "-")) {
		copyfile(path("prof"), "<stdout>", 1);
		return;
	}
	if (stat(final, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		copyfile(path("prof"), final, -1);
		return;
	}
	if ((fd = tmp_beside(final, tmp, sizeof(tmp))) < 0)
		eprintf("%s:", final);
	copyfile(path("prof"), tmp, fd);
	if (tmp_mode(fd, cur_umask()) < 0 || close(fd) < 0 || rename(tmp, final) < 0) {
		unlink(tmp);
		eprintf("%s:", final);
	}
}

/* The ELF file at FD has a section named NAME. */
static int
hassection(int fd, const char *name)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh, str;
	char buf[64];
	size_t nl = strlen(name) + 1;
	int i;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(sh) ||
	    pread(fd, &str, sizeof(str), eh.e_shoff + (off_t)eh.e_shstrndx * sizeof(sh)) != sizeof(str))
		return 0;
	for (i = 0; i < eh.e_shnum; i++)
		if (pread(fd, &sh, sizeof(sh), eh.e_shoff + (off_t)i * sizeof(sh)) == sizeof(sh) &&
		    nl <= sizeof(buf) && pread(fd, buf, nl, str.sh_offset + sh.sh_name) == (ssize_t)nl &&
		    memcmp(buf, name, nl) == 0)
			return 1;
	return 0;
}

/* NAME's file of /proc/PID, NUL-separated, holds an entry starting with S
 * (a variable, with S NAME=: set to a value that is not empty). */
static int
procgrep(pid_t pid, const char *name, const char *s)
{
	char p[64], buf[65536];
	ssize_t n, i;
	int fd;

	snprintf(p, sizeof(p), "/proc/%ld/%s", (long)pid, name);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (i = 0; i < n; i += strlen(buf + i) + 1)
		if (strncmp(buf + i, s, strlen(s)) == 0 && (s[strlen(s) - 1] != '=' || buf[i + strlen(s)]))
			return 1;
	return 0;
}

/* What the process is, or an error that says why it cannot be attached. */
static int
check(pid_t pid, char *exe, size_t cap)
{
	char p[64], maps[PATH_MAX + 128];
	ssize_t n;
	FILE *fp;
	int fd, lib = 0;

	snprintf(p, sizeof(p), "/proc/%ld", (long)pid);
	if (access(p, F_OK) < 0)
		eprintf("no process %ld", (long)pid);
	snprintf(p, sizeof(p), "/proc/%ld/exe", (long)pid);
	if ((n = readlink(p, exe, cap - 1)) < 0 || (fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		eprintf("process %ld: cannot read its executable (%s: %s): attaching needs ptrace rights "
		    "over it (root, CAP_SYS_PTRACE, or kernel.yama.ptrace_scope 0 and the same user)",
		    (long)pid, p, strerror(errno));
	exe[n] = '\0';
	if (!hassection(fd, ".PyRuntime")) {
		snprintf(p, sizeof(p), "/proc/%ld/maps", (long)pid);
		if ((fp = fopen(p, "r"))) {
			while (!lib && fgets(maps, sizeof(maps), fp))
				lib = strstr(maps, "/libpython3") != NULL;
			fclose(fp);
		}
		if (!lib)
			eprintf("process %ld (%s) is not a Python process", (long)pid, exe);
		/* libpython's .PyRuntime: python built --enable-shared, or
		 * another program that embeds it; only the former can run ours. */
	}
	if (procgrep(pid, "environ", "PYTHON_DISABLE_REMOTE_DEBUG="))
		eprintf("process %ld: remote debugging is disabled in it (PYTHON_DISABLE_REMOTE_DEBUG): "
		    "attaching needs it enabled", (long)pid);
	if (procgrep(pid, "cmdline", "disable-remote-debug") || procgrep(pid, "cmdline", "-Xdisable-remote-debug"))
		eprintf("process %ld: remote debugging is disabled in it (-X disable-remote-debug): "
		    "attaching needs it enabled", (long)pid);
	return fd;
}

/* The process's interpreter, in its root, runs our helper on SCRIPT; 0 if
 * sys.remote_exec took it. */
static int
remote(pid_t pid, int exefd, const char *exe, const char *script)
{
	char ps[32], rootp[64], h[PATH_MAX], s[PATH_MAX];
	pid_t c;
	int st;

	snprintf(ps, sizeof(ps), "%ld", (long)pid);
	snprintf(rootp, sizeof(rootp), "/proc/%ld/root", (long)pid);
	snprintf(h, sizeof(h), "%s/helper.py", indir);
	snprintf(s, sizeof(s), "%s/%s", indir, script);
	if ((c = fork()) < 0)
		eprintf("fork:");
	if (c == 0) {
		char *argv[] = { (char *)exe, "-I", h, ps, s, NULL };
		if (*root && (chroot(rootp) < 0 || chdir("/") < 0)) {
			weprintf("process %ld: cannot enter its root (%s): attaching to a process in "
			    "another root needs root:", (long)pid, rootp);
			_exit(1);
		}
		fexecve(exefd, argv, environ);
		weprintf("process %ld: cannot run its interpreter %s:", (long)pid, exe);
		_exit(1);
	}
	while (waitpid(c, &st, 0) < 0)
		if (errno != EINTR)
			eprintf("waitpid:");
	if (kill(pid, 0) < 0 && errno == ESRCH)
		eprintf("process %ld ended while attached: no profile", (long)pid);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
nap(void)
{
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
}

/* Until NAME or FAIL appears in the folder; 0 for NAME.  LIMIT seconds at
 * most (0: no limit); a process gone is an error. */
static int
await(pid_t pid, const char *name, const char *fail, double limit, const char *waiting)
{
	double t = 0;
	char buf[512];
	ssize_t n;
	int fd, said = 0;

	for (;; t += 0.02) {
		if (access(path(name), F_OK) == 0)
			return 0;
		if ((fd = open(path(fail), O_RDONLY | O_CLOEXEC)) >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			weprintf("process %ld: %s", (long)pid, buf);
			return -1;
		}
		if (kill(pid, 0) < 0 && errno == ESRCH) {
			weprintf("process %ld ended while attached: no profile", (long)pid);
			return -1;
		}
		if (limit && t > limit)
			return -2;
		if (!said && t > 2 && waiting) {
			weprintf("process %ld: %s", (long)pid, waiting);
			said = 1;
		}
		nap();
	}
}

/* SIGINT and SIGTERM detach, also when they come while attaching. */
static void
catchstop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = onint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void
record(pid_t pid, double secs)
{
	double t;

	for (t = 0; !stopped && (!secs || t < secs); t += 0.02) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			eprintf("process %ld ended while attached: no profile", (long)pid);
		nap();
	}
}

int
attach(pid_t pid, double secs, const char *out, int quiet)
{
	char exe[PATH_MAX], final[PATH_MAX], rootp[64], so[PATH_MAX], lit[PATH_MAX + 2];
	const char *inexe;
	char *lib;
	struct stat sb;
	ssize_t n;
	int exefd, r, hasp;

	exefd = check(pid, exe, sizeof(exe));
	catchstop();
	snprintf(rootp, sizeof(rootp), "/proc/%ld/root", (long)pid);
	if ((n = readlink(rootp, root, sizeof(root) - 1)) < 0)
		eprintf("process %ld: %s:", (long)pid, rootp);
	root[n] = '\0';
	if (!strcmp(root, "/"))
		*root = '\0';
	inexe = exe;
	if (*root && !strncmp(exe, root, strlen(root)) && exe[strlen(root)] == '/')
		inexe = exe + strlen(root);
	memset(&sb, 0, sizeof(sb));
	if (out && !strcmp(out, "-"))
		strcpy(final, "-");
	else if (pattern_expand(final, sizeof(final), out ? out : "pcg.out.%p", pid, 0, &hasp) < 0)
		eprintf("%s: bad output name (%%p is the pid, %%%% a %%; other %% are not allowed)", out);
	/* The folder: in the process's /tmp, its own when it is not root,
	 * made through /proc/PID/root, which sees the mounts it sees. */
	if (snprintf(dir, sizeof(dir), "%s/tmp/pcg-attach.XXXXXX", *root ? rootp : "") >= (int)sizeof(dir) ||
	    !mkdtemp(dir))
		eprintf("%s:", dir);
	atexit(cleanup);
	indir = dir + (*root ? strlen(rootp) : 0);
	snprintf(rootp, sizeof(rootp), "/proc/%ld", (long)pid);
	if (geteuid() == 0 && stat(rootp, &sb) == 0 && chown(dir, sb.st_uid, sb.st_gid) < 0)
		eprintf("chown %s:", dir);
	lib = recorder_dir();
	snprintf(so, sizeof(so), "%s/pcg-recorder.so", lib);
	free(lib);
	copyfile(so, path("pcg-recorder.so"), -1);
	snprintf(lit, sizeof(lit), "'%s'", indir);
	putfile("helper.py", helper, NULL);
	putfile("start.py", startpy, lit);
	putfile("stop.py", stoppy, lit);
	putfile("go", "", NULL);
	if (geteuid() == 0) {
		static const char *const own[] = { "helper.py", "start.py", "stop.py", "pcg-recorder.so", "go" };
		size_t i;
		for (i = 0; i < LEN(own); i++)
			if (chown(path(own[i]), sb.st_uid, sb.st_gid) < 0)
				eprintf("chown %s:", path(own[i]));
	}
	if (remote(pid, exefd, inexe, "start.py") < 0)
		exit(1);
	r = await(pid, "started", "failed", 10, NULL);
	if (r == -2) {
		/* It may still run the script later: it finds no go, and does
		 * nothing; the folder stays for it to read. */
		unlink(path("go"));
		*dir = '\0';
		eprintf("process %ld did not run the attach script within 10 s (its main thread runs no "
		    "Python code: blocked in a C call?); nothing was started", (long)pid);
	}
	if (r < 0)
		exit(1);
	if (!quiet)
		weprintf(secs ? "attached to process %ld for %g s" : "attached to process %ld; ^C detaches",
		    (long)pid, secs);
	record(pid, secs);
	if (remote(pid, exefd, inexe, "stop.py") < 0) {
		*dir = '\0'; /* the recorder writes into it when it stops */
		exit(1);
	}
	if (await(pid, "prof", "stopfailed", 0, "waiting for its main thread to run Python code, to detach") < 0)
		exit(1);
	place(final);
	if (!quiet && strcmp(final, "-"))
		weprintf("wrote %s", final);
	return 0;
}

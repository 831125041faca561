# Processes that replace their image: usage follow_exec.py [STAGE].
# Stage 0 execs stage 1 through os.execvp (a PATH whose first entry lacks
# the interpreter), stage 1 stage 2 through os.execve with an environment
# of its own (bytes keys), stage 2 forks a child that execs stage 3 with
# os.execl, waits for it and execs /bin/true.  Each stage calls stage() once and prints
# "IMAGE PID STAGE"; before its exec each tries a path that does not exist.
# Stage 3 prints "EXECENV x", x the PCG_TRACE_EXEC it sees ("-": none).
import os
import sys


def stage(n):
    print('IMAGE', os.getpid(), n)
    sys.stdout.flush()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    stage(n)
    if n == 3:
        print('EXECENV', os.environ.get('PCG_TRACE_EXEC', '-'))
        return
    try:
        os.execv('/nonexistent/python3', ['python3'])
    except OSError:
        pass
    if n == 0:
        os.environ['PATH'] = '/nonexistent:' + os.path.dirname(sys.executable)
        os.execvp(os.path.basename(sys.executable), [sys.executable, __file__, '1'])
    elif n == 1:
        env = dict((k.encode(), v.encode()) for k, v in os.environ.items())
        os.execve(sys.executable, [sys.executable, __file__, '2'], env)
    pid = os.fork()
    if pid == 0:
        os.execl(sys.executable, sys.executable, __file__, '3')
    os.waitpid(pid, 0)
    os.execv('/bin/true', ['true'])


main()

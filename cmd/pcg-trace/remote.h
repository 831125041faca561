/* pcg-trace -p (remote.c); the recorder's folder (pcg-trace.c). */
#include <sys/types.h>

int attach(pid_t pid, double secs, const char *out, int quiet);
char *recorder_dir(void);

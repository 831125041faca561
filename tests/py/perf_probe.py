"""For tests/cpu.bats: exits 0 when this process may open a task-clock
perf event on itself (perf_event_open(2), x86-64 Linux, through ctypes),
1 when the kernel refuses (perf_event_paranoid, a seccomp filter), 2 when
it cannot tell (another machine)."""
import ctypes
import os
import platform
import struct
import sys

if platform.machine() != "x86_64" or not sys.platform.startswith("linux"):
    sys.exit(2)
libc = ctypes.CDLL(None, use_errno=True)
# struct perf_event_attr: type, size, config, ..., the flag bits at 40:
# exclude_kernel (bit 5) and exclude_hv (bit 6), as pcg-trace asks.
attr = bytearray(128)
struct.pack_into("=IIQ", attr, 0, 1, 128, 1)  # PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK
struct.pack_into("=Q", attr, 40, (1 << 5) | (1 << 6))
buf = (ctypes.c_char * 128).from_buffer(attr)
fd = libc.syscall(298, buf, 0, -1, -1, 8)  # SYS_perf_event_open, PERF_FLAG_FD_CLOEXEC
if fd < 0:
    sys.exit(1)
os.close(fd)
sys.exit(0)

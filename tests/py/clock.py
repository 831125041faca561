# Times a sleep with the interpreter's own monotonic clock, then prints it:
# the profile's time for the sleep must agree (see trace.bats).
import time


def nap():
    t0 = time.monotonic()
    time.sleep(0.25)
    return time.monotonic() - t0


print(int(nap() * 1e9))

"""pcg-trace --paused and the program's own cProfile: enabled while
paused, then the program resumes recording itself (SIGUSR2 to its own
pid) and calls work() 1000 times; prints "cprofile N", cProfile's count."""
import cProfile
import os
import pstats
import signal
import time


def work(i):
    return i


pr = cProfile.Profile()
pr.enable()
os.kill(os.getpid(), signal.SIGUSR2)
time.sleep(0.05)  # the handler has run
for i in range(1000):
    work(i)
pr.disable()
st = pstats.Stats(pr)
print('cprofile', sum(v[1] for k, v in st.stats.items() if k[2] == 'work'))

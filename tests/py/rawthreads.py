# Threads started with _thread.start_new_thread (execnet does, under
# pytest-xdist), with positional and keyword arguments, not through
# threading.Thread: their calls are recorded too.  Prints "EXPECT NAME N".
import _thread

N, K = 3, 40
done = _thread.allocate_lock()
left = [N]
count = _thread.allocate_lock()


def leaf(i):
    return i * 2


def work(k, tag=None):
    s = 0
    for i in range(k):
        s += leaf(i)
    with count:
        left[0] -= 1
        if not left[0]:
            done.release()
    return s


done.acquire()
_thread.start_new_thread(work, (K,))
_thread.start_new_thread(work, (K,), {"tag": "kw"})
_thread.start_new_thread(work, (), {"k": K})
done.acquire()
try:
    _thread.start_new_thread(work, [K])  # not a tuple: the same error as without pcg
except TypeError as e:
    print("TypeError", e)
print("EXPECT work", N)
print("EXPECT leaf", N * K)

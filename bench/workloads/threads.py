"""Four worker threads doing call-heavy work (plus the main thread)."""
import sys
import threading


def step(x):
    return (x * 1103515245 + 12345) & 0x7FFFFFFF


def mix(a, b):
    return step(a ^ b)


def work(n, seed, out, idx):
    x = seed
    for i in range(n):
        x = mix(step(x), i)
    out[idx] = x


def main(n):
    out = [0] * 5
    ts = [threading.Thread(target=work, args=(n, k + 1, out, k), name="worker-%d" % k)
          for k in range(4)]
    for t in ts:
        t.start()
    work(n // 4, 99, out, 4)
    for t in ts:
        t.join()
    print("threads", n, out)


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    main(int(150_000 * scale))

"""A small program to profile: word statistics over generated text.

Mixes user code with the standard library (re, json, collections, sorted with
a key function), recursion, a generator and two worker threads, so that every
part of a pcg profile has something to show.
"""
import collections
import json
import re
import sys
import threading

WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu "
         "nu xi omicron pi rho sigma tau upsilon phi chi psi omega").split()


def make_text(n, seed=7):
    """Deterministic pseudo-random text (no random module: same run, same profile)."""
    x = seed
    out = []
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(WORDS[x % len(WORDS)])
    return " ".join(out)


def tokens(text):
    for m in re.finditer(r"[a-z]+", text):
        yield m.group(0)


def count(text):
    return collections.Counter(tokens(text))


def score(word):
    return (len(word), word)


def merge_sort(xs):
    if len(xs) <= 1:
        return xs
    mid = len(xs) // 2
    left, right = merge_sort(xs[:mid]), merge_sort(xs[mid:])
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out.append(left[i]); i += 1
        else:
            out.append(right[j]); j += 1
    return out + left[i:] + right[j:]


def worker(text, results, slot):
    results[slot] = count(text)


def main(n=40000):
    text = make_text(n)
    half = text.index(" ", len(text) // 2)
    results = [None, None]
    threads = [threading.Thread(target=worker, args=(part, results, k))
               for k, part in enumerate((text[:half], text[half:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = results[0] + results[1]
    ranked = sorted(total, key=score)
    lengths = merge_sort([len(w) for w in text.split()[:5000]])
    report = {"distinct": len(total), "top": total.most_common(3),
              "first": ranked[:3], "median_len": lengths[len(lengths) // 2]}
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40000)

"""A realistic mix of user code and the standard library: parse JSON records,
validate them into dataclasses, aggregate with collections, match with re,
format a report and encode it back to JSON.
PCG_BENCH_PHASES=1: each phase's time by the program's own clock on stderr
("PHASE name seconds"), the truth for bench's compensation section."""
import collections
import dataclasses
import json
import os
import re
import sys
import textwrap
import time

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod "
         "tempor incididunt ut labore et dolore magna aliqua").split()
EMAIL = re.compile(r"^([a-z0-9_.+-]+)@([a-z0-9-]+\.[a-z.]+)$")
TAG = re.compile(r"#(\w+)")


@dataclasses.dataclass
class Order:
    id: int
    customer: str
    email: str
    items: list
    note: str
    total: float = 0.0

    def compute_total(self):
        self.total = round(sum(q * p for q, p in self.items), 2)
        return self.total


def make_records(n):
    recs = []
    x = 12345
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        name = WORDS[x % len(WORDS)] + str(x % 97)
        items = [[(x >> k) % 5 + 1, ((x >> (k + 3)) % 1000) / 10] for k in range(x % 4 + 1)]
        note = " ".join(WORDS[(x >> k) % len(WORDS)] for k in range(8)) + " #" + WORDS[x % 7]
        recs.append({"id": i, "customer": name, "email": name + "@example.org",
                     "items": items, "note": note})
    return json.dumps(recs)


def parse(text):
    orders = []
    for r in json.loads(text):
        m = EMAIL.match(r["email"])
        if not m:
            continue
        o = Order(**r)
        o.compute_total()
        orders.append(o)
    return orders


def report(orders):
    by_customer = collections.defaultdict(float)
    tags = collections.Counter()
    words = collections.Counter()
    for o in orders:
        by_customer[o.customer] += o.total
        tags.update(TAG.findall(o.note))
        words.update(w for w in o.note.split() if not w.startswith("#"))
    top = sorted(by_customer.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    lines = ["%-20s %10.2f" % (c, t) for c, t in top]
    summary = textwrap.fill(" ".join(w for w, _ in words.most_common(12)), 40)
    return {"top": lines, "tags": tags.most_common(5), "summary": summary,
            "orders": [dataclasses.asdict(o) for o in orders[:200]]}


def main(n):
    # Whole phases timed, not their calls: the clock reads cost nothing beside them.
    t0 = time.perf_counter()
    text = make_records(n)
    t1 = time.perf_counter()
    orders = parse(text)
    t2 = time.perf_counter()
    rep = report(orders)
    t3 = time.perf_counter()
    out = json.dumps(rep, sort_keys=True, indent=1)
    print("realistic", n, len(orders), len(out), rep["top"][0], rep["tags"][0])
    if os.environ.get("PCG_BENCH_PHASES"):
        print("PHASE make_records %.6f\nPHASE parse %.6f\nPHASE report %.6f"
              % (t1 - t0, t2 - t1, t3 - t2), file=sys.stderr)


if __name__ == "__main__":
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    main(int(12_000 * scale))

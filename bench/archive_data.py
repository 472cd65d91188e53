#!/usr/bin/env python3
"""bench/archive_data.py DIR SIZE_MB - writes SIZE_MB of mixed files under DIR
for bench/archive.sh: CSV text (40%), random binary (30%), log lines (20%),
and many small JSON-ish files (10%). Seeded, so every run zips the same data.
"""
import os
import random
import sys

root, size_mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261122)
MB = 1024 * 1024
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
         for _ in range(5000)]


def write(path, chunks):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        for c in chunks:
            f.write(c)


def text_chunks(total, make_line):
    pool = [make_line(i).encode() for i in range(20000)]
    done = 0
    while done < total:
        block = b"".join(rng.choices(pool, k=2000))
        block = block[: total - done]
        done += len(block)
        yield block


def csv_line(i):
    return "%d,2026-%02d-%02d,%s %s,%d.%02d,%s\n" % (
        rng.randint(1, 10**9), rng.randint(1, 12), rng.randint(1, 28), rng.choice(words),
        rng.choice(words), rng.randint(0, 99999), rng.randint(0, 99),
        " ".join(rng.choices(words, k=rng.randint(2, 12))))


def log_line(i):
    return "2026-11-22T%02d:%02d:%02d.%03dZ INFO step_end job=%s step=%s status=SUCCESS ms=%d\n" % (
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999),
        rng.choice(words[:50]), rng.choice(words[:200]), rng.randint(1, 99999))


budget = size_mb * MB
for k in range(4):
    write(os.path.join(root, "csv", "export_%d.csv" % k), text_chunks(budget * 10 // 100, csv_line))
for k in range(3):
    n = budget * 10 // 100
    write(os.path.join(root, "bin", "blob_%d.bin" % k),
          (rng.randbytes(min(MB, n - off)) for off in range(0, n, MB)))
for k in range(2):
    write(os.path.join(root, "logs", "run_%d.log" % k), text_chunks(budget * 10 // 100, log_line))
small = budget * 10 // 100
count = max(1, small // (50 * 1024))
for k in range(count):
    body = "{%s}\n" % ", ".join('"%s": %d' % (rng.choice(words), rng.randint(0, 10**6))
                               for _ in range(rng.randint(2000, 4000)))
    write(os.path.join(root, "small", "d%02d" % (k % 50), "doc_%05d.json" % k), [body.encode()])

# BCC peer of bench/maps/hash-dump.ts: a u32 -> u64 BPF_HASH of N entries; times items(),
# items_lookup_batch(), clear() and items_delete_batch() (BCC's batch delete of every entry).
# Usage: bcc_hash.py N REPS CLEAR_REPS; one warm-up of each dump, then REPS timed dumps, and
# CLEAR_REPS timed runs of each clear (refilled before each, untimed), as every tool of the
# bench. Prints one JSON line of medians in milliseconds.
import ctypes as ct
import json
import sys
import time

from bcc import BPF

n = int(sys.argv[1])
reps = int(sys.argv[2])
clear_reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
b = BPF(text="BPF_HASH(h, u32, u64, %d);" % n)
t = b["h"]
keys = (ct.c_uint * n)(*range(n))
vals = (ct.c_ulonglong * n)(*range(n))


def fill():
    t.items_update_batch(keys, vals)


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return (time.perf_counter() - t0) * 1000, r


def median(xs):
    return sorted(xs)[len(xs) // 2]


fill()
items = []
batch = []
for r in range(reps + 1):
    d, res = timed(lambda: t.items())
    assert len(res) == n
    if r > 0:
        items.append(d)
    d, res = timed(lambda: list(t.items_lookup_batch()))
    assert len(res) == n
    if r > 0:
        batch.append(d)
clears = []
deletes = []
for _ in range(clear_reps):
    d, _ = timed(t.clear)
    assert len(t) == 0
    clears.append(d)
    fill()
    d, _ = timed(lambda: t.items_delete_batch())
    assert len(t) == 0
    deletes.append(d)
    fill()
print(
    json.dumps(
        {"items": median(items), "batch": median(batch), "clear": median(clears), "delete_batch": median(deletes)}
    )
)

# BCC peer of bench/maps/hash-dump.ts: a u32 -> u64 BPF_HASH of N entries; times items(),
# items_lookup_batch() and clear(). Prints one JSON line.
import ctypes as ct
import json
import sys
import time

from bcc import BPF

n = int(sys.argv[1])
reps = int(sys.argv[2])
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


fill()
items = []
batch = []
for _ in range(reps):
    d, r = timed(lambda: t.items())
    assert len(r) == n
    items.append(d)
    d, r = timed(lambda: list(t.items_lookup_batch()))
    assert len(r) == n
    batch.append(d)
d, _ = timed(t.clear)
assert len(t) == 0
print(json.dumps({"items": sorted(items)[reps // 2], "batch": sorted(batch)[reps // 2], "clear": d}))

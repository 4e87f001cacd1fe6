# BCC peer of bench/maps/hash-dump.ts: a u32 -> u64 BPF_HASH of N entries. Usage: bcc_hash.py N,
# then one command per line on stdin, one JSON line per command on stdout (wall and process CPU
# milliseconds), so
# the harness can alternate the tools per repetition (a first line {"ready": true} once the
# program is loaded and the map filled):
#   items         time items() (a get_next_key + lookup walk)
#   batch         time list(items_lookup_batch())
#   clear         refill (untimed), then time clear() (a delete per key)
#   delete_batch  refill (untimed), then time items_delete_batch() (BCC's batch delete of
#                 every entry: one BPF_MAP_LOOKUP_AND_DELETE_BATCH pass)
import ctypes as ct
import json
import sys
import time

from bcc import BPF

n = int(sys.argv[1])
b = BPF(text="BPF_HASH(h, u32, u64, %d);" % n)
t = b["h"]
keys = (ct.c_uint * n)(*range(n))
vals = (ct.c_ulonglong * n)(*range(n))


def fill():
    t.items_update_batch(keys, vals)


def timed(fn):
    """Wall and process CPU (user + system, every thread) milliseconds of fn(), and its result."""
    t0, c0 = time.perf_counter(), time.process_time()
    r = fn()
    return ((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000), r


fill()
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "items":
        d, res = timed(lambda: t.items())
        assert len(res) == n
    elif cmd == "batch":
        d, res = timed(lambda: list(t.items_lookup_batch()))
        assert len(res) == n
    elif cmd == "clear":
        fill()
        d, _ = timed(t.clear)
        assert len(t) == 0
    elif cmd == "delete_batch":
        fill()
        d, _ = timed(lambda: t.items_delete_batch())
        assert len(t) == 0
    else:
        sys.exit("unknown command " + cmd)
    print(json.dumps({"ms": d[0], "cpu": d[1]}), flush=True)

"""One measurement in a fresh process: BCC compiles FILE and loads FUNCTION. Prints JSON
{ms, hwm, rss} (hwm: this process's peak RSS in MB, VmHWM; rss: its RSS in MB with the program
loaded, before cleanup: the steady state a tool runs in)."""
import json
import sys
import time

from bcc import BPF

path, fn, typ, run = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
with open(path) as f:
    text = f.read() + "\n// run %s\n" % run
t0 = time.perf_counter()
b = BPF(text=text)
b.load_func(fn, getattr(BPF, typ))
ms = (time.perf_counter() - t0) * 1000


def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":")) / 1024.0


rss = status("VmRSS")
b.cleanup()
print(json.dumps({"ms": ms, "hwm": status("VmHWM"), "rss": rss}))

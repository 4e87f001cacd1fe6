"""One measurement in a fresh process: BCC compiles FILE and loads FUNCTION. Prints JSON {ms, hwm}
(hwm: this process's peak RSS in MB, VmHWM)."""
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
b.cleanup()
with open("/proc/self/status") as f:
    hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024.0
print(json.dumps({"ms": ms, "hwm": hwm}))

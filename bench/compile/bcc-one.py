"""One measurement in a fresh process: BCC compiles FILE and loads FUNCTION. Prints JSON {ms}."""
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
print(json.dumps({"ms": ms}))

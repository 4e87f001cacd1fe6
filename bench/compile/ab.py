#!/usr/bin/env python3
"""bench/compile/ab.py: tsbcc's compile times, two builds side by side (A = before, B = after).

Both builds are complete checkouts (built: the addon, dist/ and include/). Runs alternate
A, B, A, B... in fresh processes so that both see the same machine load, for the same programs
and modes as run.py: first use (empty cache dir: kernel header from BTF + PCH, then compile and
load), new source (PCH present, object cache bypassed) and cached. Prints the medians and B/A.

Usage: python3 bench/compile/ab.py A_CHECKOUT B_CHECKOUT   (BENCH_RUNS, default 7)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (ROOT, PROGRAMS)

N = int(os.environ.get("BENCH_RUNS", "7"))


def one(command, env):
    """Milliseconds one run reports (builds of different ages print different JSON fields)."""
    out = subprocess.run(command, env=env, cwd=run.ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ms"]


def cmd(root, src, fn, typ, mode, i):
    return ["node", os.path.join(root, "dist/bench/compile/tsbcc-one.js"), src, fn, typ, mode, str(i)]


def main():
    a, b = (os.path.abspath(p) for p in sys.argv[1:3])
    roots = {"A": a, "B": b}
    rows = []
    for label, path, fn, typ in run.PROGRAMS:
        src = os.path.join(a, path)
        warm = {k: tempfile.mkdtemp(prefix="tsbcc-ab-warm-") for k in roots}
        try:
            for k, root in roots.items():
                one(cmd(root, src, fn, typ, "cached", 0), dict(os.environ, TSBCC_CACHE_DIR=warm[k]))
            res = {(k, m): [] for k in roots for m in ("first", "new", "cached")}
            for i in range(N):
                for k, root in roots.items():
                    first = tempfile.mkdtemp(prefix="tsbcc-ab-first-")
                    try:
                        res[(k, "first")].append(one(cmd(root, src, fn, typ, "first", i + 1),
                                                     dict(os.environ, TSBCC_CACHE_DIR=first)))
                    finally:
                        shutil.rmtree(first, ignore_errors=True)
                    env = dict(os.environ, TSBCC_CACHE_DIR=warm[k])
                    res[(k, "new")].append(one(cmd(root, src, fn, typ, "new", i + 1), env))
                    res[(k, "cached")].append(one(cmd(root, src, fn, typ, "cached", 0), env))
        finally:
            for d in warm.values():
                shutil.rmtree(d, ignore_errors=True)
        med = {key: statistics.median(v) for key, v in res.items()}
        rows.append((label, med))
        print("%-22s first A %6.0f B %6.0f (%.2f) | new A %5.1f B %5.1f (%.2f) | cached A %5.1f B %5.1f (%.2f)" % (
            label, med[("A", "first")], med[("B", "first")], med[("B", "first")] / med[("A", "first")],
            med[("A", "new")], med[("B", "new")], med[("B", "new")] / med[("A", "new")],
            med[("A", "cached")], med[("B", "cached")], med[("B", "cached")] / med[("A", "cached")]), flush=True)
    print()
    print("| program | first use A | first use B | B/A | new source A | new source B | B/A | cached A | cached B | B/A |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, m in rows:
        print("| %s | %.0f ms | %.0f ms | %.2f | %.1f ms | %.1f ms | %.2f | %.1f ms | %.1f ms | %.2f |" % (
            label, m[("A", "first")], m[("B", "first")], m[("B", "first")] / m[("A", "first")],
            m[("A", "new")], m[("B", "new")], m[("B", "new")] / m[("A", "new")],
            m[("A", "cached")], m[("B", "cached")], m[("B", "cached")] / m[("A", "cached")]))


if __name__ == "__main__":
    main()

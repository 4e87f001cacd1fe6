#!/usr/bin/env python3
"""bench/compile/ab.py: tsbcc's compile times, two or more builds side by side (A = before).

Every build is a complete checkout (built: the addon, dist/ and include/). Runs alternate
A, B, (C...), A, B... in fresh processes so that all see the same machine load, for the same programs
and modes as run.py: first use (empty cache dir: kernel header from BTF + PCH, then compile and
load), new source (PCH present, object cache bypassed) and cached. Prints the medians and each
build's ratio to A.

Usage: python3 bench/compile/ab.py A_CHECKOUT B_CHECKOUT [C_CHECKOUT...]   (BENCH_RUNS, default 7)
BENCH_METRIC=cpu compares the process's CPU time over the measured span (user + system, all
threads; a forked CO-RE codegen child's is not in it) instead of wall time: on a machine other
work is loading, CPU time moves far less than wall time. Every build's runner must print it.
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
METRIC = os.environ.get("BENCH_METRIC", "ms")


def one(command, env):
    """Milliseconds one run reports, wall or CPU (builds of different ages print different fields)."""
    out = subprocess.run(command, env=env, cwd=run.ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])[METRIC]


def cmd(root, src, fn, typ, mode, i):
    return ["node", os.path.join(root, "dist/bench/compile/tsbcc-one.js"), src, fn, typ, mode, str(i)]


def main():
    paths = [os.path.abspath(p) for p in sys.argv[1:]]
    if len(paths) < 2:
        sys.exit("usage: ab.py A_CHECKOUT B_CHECKOUT [C_CHECKOUT...]")
    roots = {chr(ord("A") + i): p for i, p in enumerate(paths)}
    for k, p in roots.items():
        print("%s = %s" % (k, p))
    others = list(roots)[1:]
    modes = ("first", "new", "cached")
    names = {"first": "first use", "new": "new source", "cached": "cached"}
    rows = []
    for label, path, fn, typ in run.PROGRAMS:
        src = os.path.join(paths[0], path)
        warm = {k: tempfile.mkdtemp(prefix="tsbcc-ab-warm-") for k in roots}
        try:
            for k, root in roots.items():
                one(cmd(root, src, fn, typ, "cached", 0), dict(os.environ, TSBCC_CACHE_DIR=warm[k]))
            res = {(k, m): [] for k in roots for m in modes}
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
        print("%-22s " % label + " | ".join(
            "%s %s" % (m, " ".join("%s %.1f%s" % (k, med[(k, m)], "" if k == "A" else " (%.2f)" % (
                med[(k, m)] / med[("A", m)])) for k in roots)) for m in modes), flush=True)
    print()
    print("metric: %s (median of %d, runs alternating %s); ratio: X/A" % (
        "CPU ms" if METRIC == "cpu" else "wall ms", N, ", ".join(roots)))
    head = ["program"]
    for m in modes:
        head += ["%s %s" % (names[m], k) for k in roots] + ["%s/A" % k for k in others]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for label, med in rows:
        cells = [label]
        for m in modes:
            cells += ["%.0f ms" % med[(k, m)] if m == "first" else "%.1f ms" % med[(k, m)] for k in roots]
            cells += ["%.2f" % (med[(k, m)] / med[("A", m)]) for k in others]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

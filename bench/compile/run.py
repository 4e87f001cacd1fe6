#!/usr/bin/env python3
"""bench/compile: tsbcc's BCC-C compiler against BCC's Python bindings, side by side.

For each program: compile + load wall time (inside the process, after the compiler library
is loaded) and peak RSS, median of N
fresh processes, four ways for tsbcc: new source (a comment appended: a new object, whose
kernel header is cached by the identifiers of its text), new source with a new identifier (a
`#define` of a name never seen appended: its kernel header is made from BTF too), cached object,
and first use (empty cache directory). BCC always
compiles (it has no object cache), using Debian's linux-headers linked for it only.

Peak RSS counts forked children as a sum, not the largest: the process's own VmHWM (it reports
it at exit) plus, for every process forked below it (tsbcc's CO-RE codegen until session 7), that
process's VmHWM as last read by a sampler thread (every 2 ms; VmHWM only grows, so a peak
between two samples is not missed; what a child adds in its last 2 ms is); never less than
wait4's ru_maxrss (the largest of the process and its children). A child's pages shared
copy-on-write with its parent count twice, so this is an upper bound. The number of forked
processes seen is printed per program.

Every tool gets the same warm-up (one untimed run per program: tsbcc's also precompiles the
kernel header and fills the object cache the "new" and "cached" modes need) and the same
number of runs, and the tools alternate per repetition (new, cached, first use, BCC, in an
order rotated by one each repetition), so a swing of the machine's load hits all alike.

Steady RSS is the process's RSS with the program loaded (after the compile, before closing):
what a tool runs in. Forked children have ended by then.

The clang-19 command line (issue 15's practical limit for a new-source compile) compiles the
same C with the same options and kernel header as tsbcc's code generation: the text after BCC's
rewrite, caught with its cc1 arguments and in-memory files by clang-cli-setup.ts and written
to disk, run as `clang-19 -target bpf -O2 -g ... -c` (the driver's spelling of tsbcc's cc1
arguments); twice: with the per-program subset header tsbcc made (as text), and with the full
kernel header precompiled by the same command line (once, untimed, as tsbcc's is at first use). Its time is the whole process (wall from fork to exit, and its CPU): a
command line has no loaded-library state to exclude, while tsbcc's and BCC's times start after
their compiler library is loaded. Its objects' code and relocations are checked equal to
tsbcc's (llvm-objdump -dr). It compiles only: tsbcc's and BCC's times include the load.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = int(os.environ.get("BENCH_RUNS", "5"))
PROGRAMS = [
    ("trivial socket filter", "test/corpus/socket/socket_filter.c", "dns_only", "SOCKET_FILTER"),
    ("neighbor_sharing", "test/corpus/networking/neighbor_sharing.c", "classify_wan", "SCHED_CLS"),
    ("tunnel_monitor", "test/corpus/networking/tunnel_monitor.c", "handle_outer", "SCHED_CLS"),
    ("tracepoint + hash", "test/corpus/tracing/tp_switch.c", "tracepoint__sched__sched_switch", "TRACEPOINT"),
    # implicit kernel reads through bpf_get_current_task(): CO-RE relocations (compiled in a
    # forked process until session 7, whose memory the peak counted; in-process since), loaded
    # against the target BTF cut from the kernel's (src/core/core-target-btf.ts)
    ("CO-RE reads", "test/corpus/tracing/current_task.c",
     "tracepoint__sched__sched_process_exec", "TRACEPOINT"),
]
# BENCH_ONLY=substring runs only the programs whose label contains it
PROGRAMS = [p for p in PROGRAMS if os.environ.get("BENCH_ONLY", "") in p[0]]
TSBCC = ["node", os.path.join(ROOT, "dist/bench/compile/tsbcc-one.js")]
# BENCH_KERNEL_HEADER=full|subset|auto: tsbcc's kernel header (compile option kernelHeader);
# default auto (the per-program subset), full: the whole BTF header's PCH (before session 5)
KERNEL_HEADER = os.environ.get("BENCH_KERNEL_HEADER", "auto")
BCC = ["/usr/bin/python3", os.path.join(ROOT, "bench/compile/bcc-one.py")]
CLANG_SETUP = ["node", os.path.join(ROOT, "dist/bench/compile/clang-cli-setup.js")]
# BENCH_CLANG=0 leaves out the clang-19 command-line rows
CLANG = os.environ.get("BENCH_CLANG", "1") != "0"


def hwm_mb(pid):
    """A process's peak RSS so far (VmHWM) in MB; 0 when it has gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def descendants(pid):
    out = []
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            continue
        for k in kids:
            out.append(k)
            out.extend(descendants(k))
    return out


class ChildSampler(threading.Thread):
    """The last VmHWM read of every process forked below pid, sampled every 2 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks = {}
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            for k in descendants(self.pid):
                m = hwm_mb(k)
                if m > self.peaks.get(k, 0.0):
                    self.peaks[k] = m
            time.sleep(0.002)


def run_one(cmd, env=None):
    r_fd, w_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.dup2(w_fd, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(r_fd)
        os.execvpe(cmd[0], cmd, env or os.environ)
    os.close(w_fd)
    sampler = ChildSampler(pid)
    sampler.start()
    chunks = []
    while True:
        b = os.read(r_fd, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r_fd)
    _, status, ru = os.wait4(pid, 0)
    sampler.done.set()
    sampler.join()
    if status != 0:
        raise RuntimeError("%s failed (status %d)" % (" ".join(cmd), status))
    res = json.loads(b"".join(chunks).decode().strip().splitlines()[-1])
    peak = res["hwm"] + sum(sampler.peaks.values())
    return res["ms"], max(peak, ru.ru_maxrss / 1024.0), res["rss"], len(sampler.peaks), res.get("cpu", 0.0)


def run_cli(cmd):
    """A command line's whole run: wall ms from fork to exit, CPU ms, peak RSS (MB)."""
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execvp(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    ms = (time.perf_counter() - t0) * 1000
    if status != 0:
        raise RuntimeError("%s failed (status %d)" % (" ".join(cmd), status))
    return ms, ru.ru_maxrss / 1024.0, (ru.ru_utime + ru.ru_stime) * 1000, 0


def code_of(obj):
    """The disassembly with relocations of an object's code sections (llvm-objdump -dr)."""
    out = subprocess.run(["llvm-objdump-19", "-dr", obj], check=True, capture_output=True, text=True).stdout
    return out[out.index("Disassembly"):] if "Disassembly" in out else out


def clang_cli(src, header, env, workdir):
    """The clang-19 command line for tsbcc's code generation of src (clang-cli-setup.ts), with
    its object's code checked equal to tsbcc's."""
    out = subprocess.run(CLANG_SETUP + [src, "0", header, workdir], check=True, capture_output=True,
                         text=True, env=env, cwd=ROOT).stdout
    cli = json.loads(out.strip().splitlines()[-1])
    if cli.get("pchArgv"):
        subprocess.run(cli["pchArgv"], check=True)
    subprocess.run(cli["argv"], check=True)
    same = code_of(cli["object"]) == code_of(os.path.join(workdir, "tsbcc.o"))
    if not same:
        raise SystemExit("clang-19's object for %s (%s header) differs from tsbcc's in code or relocations"
                         % (src, header))
    return cli["argv"]


def alternate(tools):
    """Runs every tool (name -> (make_cmd(i), make_env(i))) N times, one run of each per
    repetition in an order rotated by one each time; returns name -> (median ms, median peak
    RSS, median steady RSS, most forked processes seen in a run)."""
    names = list(tools)
    runs = {name: [] for name in names}
    for i in range(N):
        for j in range(len(names)):
            name = names[(i + j) % len(names)]
            make_cmd, make_env = tools[name]
            if make_env is None:  # a command line, timed whole
                ms, peak, cpu, forks = run_cli(make_cmd(i))
                runs[name].append((ms, peak, 0.0, forks, cpu))
            else:
                runs[name].append(run_one(make_cmd(i), make_env(i)))
    return {
        name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs),
               statistics.median(r[2] for r in rs), max(r[3] for r in rs),
               statistics.median(r[4] for r in rs))
        for name, rs in runs.items()
    }


def ensure_headers():
    """Links Debian's linux-headers (build and source) where BCC looks; returns a cleanup."""
    rel = os.uname().release
    mod = "/lib/modules/%s" % rel
    if os.path.exists(os.path.join(mod, "build")):
        return lambda: None
    debian = sorted(d for d in os.listdir("/lib/modules") if os.path.exists("/lib/modules/%s/build" % d)) \
        if os.path.isdir("/lib/modules") else []
    if not debian:
        raise SystemExit("linux-headers-amd64 missing: run bench/deps.sh")
    src = "/lib/modules/%s" % debian[-1]
    created = not os.path.exists(mod)
    os.makedirs(mod, exist_ok=True)
    links = []
    for name in ("build", "source"):
        target = os.path.join(src, name)
        if os.path.exists(target):
            os.symlink(os.path.realpath(target), os.path.join(mod, name))
            links.append(os.path.join(mod, name))

    def cleanup():
        for l in links:
            os.unlink(l)
        if created:
            os.rmdir(mod)

    return cleanup


def main():
    print("load: %s, tsbcc kernel header: %s" % (open("/proc/loadavg").read().strip(), KERNEL_HEADER), flush=True)
    cleanup = ensure_headers()
    rows = []
    limits = []
    warm = tempfile.mkdtemp(prefix="tsbcc-bench-warm-")
    clang_dir = tempfile.mkdtemp(prefix="tsbcc-bench-clang-")
    try:
        for label, path, fn, typ in PROGRAMS:
            src = os.path.join(ROOT, path)
            env_warm = dict(os.environ, TSBCC_CACHE_DIR=warm)
            # the same warm-up for both tools: one untimed run each (tsbcc's precompiles the
            # kernel header and caches the object for "cached")
            run_one(TSBCC + [src, fn, typ, "cached", "0", KERNEL_HEADER], env_warm)
            run_one(BCC + [src, fn, typ, "0"])
            firsts = []

            def first_env(i):
                d = tempfile.mkdtemp(prefix="tsbcc-bench-first-")
                firsts.append(d)
                return dict(os.environ, TSBCC_CACHE_DIR=d)

            tools = {
                "new": (lambda i: TSBCC + [src, fn, typ, "new", str(i + 1), KERNEL_HEADER], lambda i: env_warm),
                "newid": (lambda i: TSBCC + [src, fn, typ, "newid", str(i + 1), KERNEL_HEADER], lambda i: env_warm),
                "cached": (lambda i: TSBCC + [src, fn, typ, "cached", "0", KERNEL_HEADER], lambda i: env_warm),
                "first": (lambda i: TSBCC + [src, fn, typ, "first", str(i + 1), KERNEL_HEADER], first_env),
                "bcc": (lambda i: BCC + [src, fn, typ, str(i + 1)], lambda i: None),
            }
            if CLANG:
                for header in ("auto", "full"):
                    argv = clang_cli(src, header, env_warm, os.path.join(clang_dir, "%s-%s" % (fn, header)))
                    run_cli(argv)  # its warm-up
                    tools["clang-" + header] = ((lambda a: lambda i: a)(argv), None)
            got = alternate(tools)
            for d in firsts:
                shutil.rmtree(d, ignore_errors=True)
            new, cached, first, bcc = got["new"], got["cached"], got["first"], got["bcc"]
            newid = got["newid"]
            rows.append((label, new, cached, first, bcc))
            print("%-22s new identifier %6.1f ms (CPU %5.1f ms), new %6.1f ms (CPU %5.1f ms)"
                  % (label, newid[0], newid[4], new[0], new[4]), flush=True)
            if CLANG:
                limits.append((label, new, newid, got["clang-auto"], got["clang-full"], bcc))
                print("%-22s clang-19 CLI: subset header %6.1f ms (CPU %5.1f ms), full PCH %6.1f ms (CPU %5.1f ms)"
                      % (label, got["clang-auto"][0], got["clang-auto"][4], got["clang-full"][0],
                         got["clang-full"][4]), flush=True)
            print("%-22s new %7.1f ms %6.1f MB | cached %6.1f ms %6.1f MB | first %7.1f ms %6.1f MB | BCC %7.1f ms %6.1f MB"
                  " | steady new %5.1f MB, BCC %5.1f MB | forked processes: new %d, BCC %d | load %s"
                  % (label, new[0], new[1], cached[0], cached[1], first[0], first[1], bcc[0], bcc[1], new[2], bcc[2],
                     new[3], bcc[3], " ".join(open("/proc/loadavg").read().split()[:3])),
                  flush=True)
    finally:
        shutil.rmtree(warm, ignore_errors=True)
        shutil.rmtree(clang_dir, ignore_errors=True)
        cleanup()

    print()
    print("| program | tsbcc new source | tsbcc cached | tsbcc first use | BCC (python3-bpfcc) | new/BCC time"
          " | cached/BCC time | first/BCC time | new/BCC peak RSS | steady RSS tsbcc, BCC | steady ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, new, cached, first, bcc in rows:
        print("| %s | %.0f ms, %.0f MB | %.1f ms, %.0f MB | %.0f ms, %.0f MB | %.0f ms, %.0f MB | %.2f | 1/%.0f | %.2f | %.2f"
              " | %.0f MB, %.0f MB | %.2f |"
              % (label, new[0], new[1], cached[0], cached[1], first[0], first[1], bcc[0], bcc[1],
                 new[0] / bcc[0], bcc[0] / cached[0], first[0] / bcc[0], new[1] / bcc[1], new[2], bcc[2],
                 new[2] / bcc[2]))
    if limits:
        print()
        print("| program | tsbcc new source (compile + load), CPU | tsbcc new identifier, CPU"
              " | clang-19 CLI, subset header, CPU | clang-19 CLI, full PCH, CPU | BCC, BCC / 8"
              " | new / BCC | new id / BCC | new / clang-19 subset, CPU | new id / clang-19 subset, CPU"
              " | new / clang-19 PCH, CPU |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for label, new, newid, sub, pch, bcc in limits:
            print("| %s | %.0f ms, %.0f ms | %.0f ms, %.0f ms | %.0f ms, %.0f ms | %.0f ms, %.0f ms | %.0f ms, %.0f ms"
                  " | %.2f | %.2f | %.2f, %.2f | %.2f, %.2f | %.2f, %.2f |"
                  % (label, new[0], new[4], newid[0], newid[4], sub[0], sub[4], pch[0], pch[4], bcc[0], bcc[0] / 8,
                     new[0] / bcc[0], newid[0] / bcc[0], new[0] / sub[0], new[4] / sub[4], newid[0] / sub[0],
                     newid[4] / sub[4], new[0] / pch[0], new[4] / pch[4]))


if __name__ == "__main__":
    main()

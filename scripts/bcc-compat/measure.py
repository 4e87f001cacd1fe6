#!/usr/bin/env python3
"""BCC compatibility measurement (written for tsbcc).

Runs BCC's own programs -- tests/python, examples/networking, examples/tracing and 18 tools with
default options -- under BCC 0.26 (Debian's python3-bpfcc), recording for every BPF() module the C
text and cflags exactly as BCC receives them and every function BCC loads into the verifier
(hook/sitecustomize.py). Then runs `tsbcc check FILE --cflags ... --load NAME=TYPE ... --json` on
each recorded module and compares: tsbcc must load what BCC loads here, and reject (with a
diagnostic) what BCC rejects.

Usage (as root, from the tsbcc checkout, after scripts/bootstrap.sh):
  scripts/bcc-compat/measure.py capture BCC_CHECKOUT OUT   # runs BCC (slow: minutes)
  scripts/bcc-compat/measure.py check OUT                  # runs tsbcc on what was captured
  scripts/bcc-compat/measure.py all BCC_CHECKOUT OUT       # both
Options: --only REGEX (targets or module ids), --timeout SECONDS. TSBCC_ROOT=DIR checks with
another built tsbcc checkout (e.g. the baseline).

BCC needs kernel headers; this machine has none for its kernel, so the capture links Debian's
linux-headers (installed with python3-bpfcc by bench/deps.sh when missing) under
/lib/modules/$(uname -r) for the run only, as bench/compile does. Every program runs in its own
network, mount and PID namespace (private bpffs and /run/netns), so nothing it makes outlives it.
BCC's files are read from the checkout given, never copied into tsbcc.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOOK = os.path.join(ROOT, "scripts", "bcc-compat", "hook")
PY = "/usr/bin/python3"  # Debian's python, where python3-bpfcc lives
TSBCC = ["node", os.path.join(os.environ.get("TSBCC_ROOT", ROOT), "dist", "src", "cli", "main.js")]

TOOLS = [
    "biolatency", "biosnoop", "funccount", "funclatency", "hardirqs", "killsnoop", "offcputime",
    "opensnoop", "pidpersec", "softirqs", "stackcount", "syncsnoop", "tcpaccept", "tcpconnect",
    "vfscount", "vfsstat", "wakeuptime",
]
# tools that need an argument even with default options
TOOL_ARGS = {"funccount": ["vfs_read"], "funclatency": ["vfs_read"], "stackcount": ["vfs_read"]}
# stacksnoop lives in examples/tracing; it takes a function
STACKSNOOP = ("examples/tracing/stacksnoop.py", ["vfs_read"])

# examples that need arguments to reach BPF(): the loopback device, a fresh cgroup (CGROUP),
# the process itself (pid 1 in its PID namespace)
EXAMPLE_ARGS = {
    "examples/networking/xdp/xdp_redirect_cpu.py": ["lo", "0"],
    "examples/networking/xdp/xdp_macswap_count.py": ["lo"],
    "examples/networking/xdp/xdp_drop_count.py": ["lo"],
    "examples/networking/xdp/xdp_redirect_map.py": ["lo", "lo"],
    "examples/networking/tcp_mon_block/src/tcp_mon_block.py": ["-i", "lo"],
    "examples/networking/http_filter/http-parse-simple.py": ["-i", "lo"],
    "examples/networking/http_filter/http-parse-complete.py": ["-i", "lo"],
    "examples/networking/dns_matching/dns_matching.py": ["-i", "lo", "-d", "example.com"],
    "examples/networking/net_monitor.py": ["lo"],
    "examples/networking/sockmap.py": ["-c", "CGROUP"],
    "examples/networking/vlan_filter/data-plane-tracing.py": ["-i", "lo"],
    "examples/networking/distributed_bridge/tunnel.py": ["0"],
    "examples/networking/distributed_bridge/tunnel_mesh.py": ["2", "0", "0", "0"],
    "examples/tracing/mallocstacks.py": ["1"],
    "examples/tracing/mysqld_query.py": ["1"],
    "examples/tracing/nodejs_http_server.py": ["1"],
    "examples/tracing/strlen_snoop.py": ["1"],
    STACKSNOOP[0]: STACKSNOOP[1],
}
# scripts under examples/networking that only build simulations around the ones above
NETWORKING_SKIP = {"simulation.py", "main.py", "web_server.py", "http_client.py"}
# tests whose CMake entry passes the program file
TEST_ARGS = {f: [f.replace(".py", ".c")] for f in (
    "test_stat1.py", "test_xlate1.py", "test_call1.py", "test_trace3.py", "test_brb.py", "test_brb2.py")}
# Python modules some programs import (measurement only)
PY_DEPS = {"netaddr": "python3-netaddr", "dnslib": "python3-dnslib", "pyroute2": "python3-pyroute2"}
# tests that exercise tools (as separate processes), not programs
TESTS_SKIP = {"test_tools_smoke.py", "test_tools_memleak.py"}

PROG_TYPES = {
    1: "SOCKET_FILTER", 2: "KPROBE", 3: "SCHED_CLS", 4: "SCHED_ACT", 5: "TRACEPOINT", 6: "XDP",
    7: "PERF_EVENT", 8: "CGROUP_SKB", 9: "CGROUP_SOCK", 10: "LWT_IN", 11: "LWT_OUT", 12: "LWT_XMIT",
    13: "SOCK_OPS", 14: "SK_SKB", 15: "CGROUP_DEVICE", 16: "SK_MSG", 17: "RAW_TRACEPOINT",
    18: "CGROUP_SOCK_ADDR", 25: "CGROUP_SOCKOPT", 26: "TRACING", 29: "LSM",
}


def targets(bcc):
    """(id, script path, args, cwd, mode, timeout) for every program run."""
    out = []
    tp = os.path.join(bcc, "tests", "python")
    for f in sorted(os.listdir(tp)):
        if f.startswith("test_") and f.endswith(".py") and f not in TESTS_SKIP:
            out.append(("tests/python/" + f, os.path.join(tp, f), TEST_ARGS.get(f, []), tp, "test", 300))
    net = os.path.join(bcc, "examples", "networking")
    for d, _, files in sorted(os.walk(net)):
        for f in sorted(files):
            if not f.endswith(".py") or f in NETWORKING_SKIP:
                continue
            rel = os.path.relpath(os.path.join(d, f), bcc)
            out.append((rel, os.path.join(d, f), EXAMPLE_ARGS.get(rel, []), d, "tool", 120))
    tr = os.path.join(bcc, "examples", "tracing")
    for f in sorted(os.listdir(tr)):
        if f.endswith(".py"):
            rel = "examples/tracing/" + f
            out.append((rel, os.path.join(tr, f), EXAMPLE_ARGS.get(rel, []), tr, "tool", 120))
    for t in TOOLS:
        p = os.path.join(bcc, "tools", t + ".py")
        out.append(("tools/" + t + ".py", p, TOOL_ARGS.get(t, []), os.path.dirname(p), "tool", 120))
    return out


def ensure_bcc():
    ok = subprocess.run([PY, "-c", "import bcc"], capture_output=True).returncode == 0
    if not ok:
        print("python3-bpfcc missing: installing the benchmark peers (bench/deps.sh)", flush=True)
        subprocess.run(["bash", os.path.join(ROOT, "bench", "deps.sh")], check=True)
    missing = [pkg for mod, pkg in PY_DEPS.items()
               if subprocess.run([PY, "-c", "import " + mod], capture_output=True).returncode != 0]
    if missing:
        print("installing Python modules BCC's examples import (measurement only): " + " ".join(missing),
              flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)


def link_headers():
    """Debian's linux-headers where BCC looks, for this run only; returns a cleanup."""
    mod = "/lib/modules/%s" % os.uname().release
    if os.path.exists(os.path.join(mod, "build")):
        return lambda: None
    debian = sorted(d for d in os.listdir("/lib/modules") if os.path.exists("/lib/modules/%s/build" % d))
    if not debian:
        raise SystemExit("no linux-headers under /lib/modules: run bench/deps.sh")
    created = not os.path.exists(mod)
    os.makedirs(mod, exist_ok=True)
    links = []
    for name in ("build", "source"):
        target = os.path.join("/lib/modules", debian[-1], name)
        if os.path.exists(target):
            os.symlink(os.path.realpath(target), os.path.join(mod, name))
            links.append(os.path.join(mod, name))

    def cleanup():
        for link in links:
            os.unlink(link)
        if created:
            os.rmdir(mod)

    return cleanup


SANDBOX = """set -e
mkdir -p /run/netns && mount -t tmpfs tsbcc-compat /run/netns
mount -t bpf bpf /sys/fs/bpf
ip link set lo up 2>/dev/null || true
exec "$@"
"""


def capture(bcc, out, only, timeout_override):
    ensure_bcc()
    os.makedirs(out, exist_ok=True)
    records = os.path.join(out, "capture.jsonl")
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    if not only and os.path.exists(records):
        os.unlink(records)
    cleanup = link_headers()
    cgroup = "/sys/fs/cgroup/tsbcc-compat-%d" % os.getpid()
    os.makedirs(cgroup, exist_ok=True)
    try:
        for tid, script, args, cwd, mode, timeout in targets(bcc):
            if only and not re.search(only, tid):
                continue
            args = [cgroup if a == "CGROUP" else a for a in args]
            env = dict(os.environ, PYTHONPATH=HOOK, BCC_COMPAT_OUT=records, BCC_COMPAT_TARGET=tid,
                       BCC_COMPAT_MODE=mode, PYTHONUNBUFFERED="1")
            cmd = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
                   "--propagation", "private", "sh", "-c", SANDBOX, "sandbox", PY, script] + args
            started = time.time()
            logname = os.path.join(logs, tid.replace("/", "_") + ".log")
            with open(logname, "wb") as log:
                try:
                    rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, timeout=timeout_override or timeout).returncode
                except subprocess.TimeoutExpired:
                    rc = "timeout"
            print("%-60s %-8s %5.1f s" % (tid, rc, time.time() - started), flush=True)
    finally:
        cleanup()
        try:
            os.rmdir(cgroup)
        except OSError as e:
            print("could not remove %s: %s" % (cgroup, e), file=sys.stderr)


def modules(out):
    """Captured BPF() modules, deduplicated by text and cflags."""
    recs = []
    with open(os.path.join(out, "capture.jsonl")) as f:
        for line in f:
            recs.append(json.loads(line))
    by_id = {}
    shared = {}  # (target, pid) -> texts of earlier modules with *_PUBLIC / *_SHARED tables
    for r in recs:
        if r["event"] == "module":
            run = (r["target"], r["pid"])
            by_id[r["id"]] = dict(r, compiled=None, loads=[], after=list(shared.get(run, [])))
            if r["text"] and re.search(r"_(PUBLIC|SHARED)\b", r["text"]):
                shared.setdefault(run, []).append(r["text"])
    for r in recs:
        m = by_id.get(r.get("id"))
        if not m:
            continue
        if r["event"] == "compiled":
            m["compiled"] = r
        elif r["event"] == "load":
            m["loads"].append(r)
    uniq = {}
    for m in by_id.values():
        if m["text"] is None:
            continue  # BCC could not read the file either
        key = hashlib.sha256(json.dumps([m["text"], m["cflags"], m["src_file"]]).encode()).hexdigest()[:12]
        u = uniq.setdefault(key, {"key": key, "text": m["text"], "src_file": m["src_file"],
                                  "cflags": m["cflags"], "usdt": m["usdt"], "targets": [], "runs": []})
        if re.search(r"BPF_TABLE\(\s*\"extern\"", u["text"]) and m["after"] and not u.get("after"):
            u["after"] = m["after"]  # BCC made the shared tables it uses in earlier BPF() calls
        if any(c.get("binary") for c in m["usdt"]) and not any(c.get("binary") for c in u["usdt"]):
            u["usdt"] = m["usdt"]  # a later capture that kept the traced binaries
        if m["target"] not in u["targets"]:
            u["targets"].append(m["target"])
        u["runs"].append(m)
    return list(uniq.values())


def bcc_verdict(u):
    """What BCC did with a module over all its runs: rejected, loaded, or load-failed."""
    compiled = [r["compiled"] for r in u["runs"] if r["compiled"]]
    if not compiled:
        return {"status": "unknown", "loaded": {}, "failed": {}}
    if not any(c["ok"] for c in compiled):
        return {"status": "rejected", "error": compiled[0]["error"], "loaded": {}, "failed": {}}
    loaded, failed = {}, {}
    for r in u["runs"]:
        for ld in r["loads"]:
            k = (ld["name"], ld["type"], ld["attach_type"])
            (loaded if ld["ok"] else failed)[k] = ld["error"]
    for k in loaded:
        failed.pop(k, None)
    return {"status": "load-failed" if failed else "loaded", "loaded": loaded, "failed": failed}


def run_tsbcc(u, out):
    if u["src_file"] and os.path.exists(u["src_file"]):
        path = u["src_file"]
    else:
        path = os.path.join(out, "src", u["key"] + ".c")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(u["text"])
    v = u["bcc"]
    cmd = TSBCC + ["check", path, "--json"]
    if u["cflags"]:
        cmd += ["--cflags", " ".join(u["cflags"])]
    for i, text in enumerate(u.get("after", [])):
        earlier = os.path.join(out, "src", "%s-after-%d.c" % (u["key"], i))
        with open(earlier, "w") as f:
            f.write(text)
        cmd += ["--after", earlier]
    for c in u["usdt"]:
        for probe, fn in c.get("probes", []) if c.get("binary") else []:
            cmd += ["--usdt", "%s@%s=%s" % (c["binary"], probe, fn)]
    wanted = sorted(set(v["loaded"]) | set(v["failed"]))
    for name, typ, attach in wanted:
        spec = "%s=%s" % (name, PROG_TYPES.get(typ, str(typ)))
        if attach != -1:
            spec += ":%d" % attach
        cmd += ["--load", spec]
    env = dict(os.environ, TSBCC_CACHE_DIR=os.path.join(out, "tsbcc-cache"))
    started = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        stdout, stderr, rc = p.stdout, p.stderr, p.returncode
    except subprocess.TimeoutExpired:
        stdout, stderr, rc = "", "timeout", "timeout"
    results = []
    for line in stdout.splitlines():
        try:
            results.append(json.loads(line))
        except ValueError:
            pass
    return {"cmd": cmd, "rc": rc, "results": results, "stdout": stdout[-4000:], "stderr": stderr[-4000:],
            "seconds": round(time.time() - started, 2)}


def judge(u):
    v, t = u["bcc"], u["tsbcc"]
    loaded = {r["name"] for r in t["results"] if r.get("loaded")}
    compiled = t["rc"] == 0 or any(r.get("name") for r in t["results"]) or "maps" in t["stdout"]
    if v["status"] == "rejected":
        return "ok" if t["rc"] not in (0, "timeout") and not loaded else "accepted-what-bcc-rejects"
    if v["status"] == "unknown":
        return "bcc-unknown"
    need = {k[0] for k in v["loaded"]}
    if t["rc"] == "timeout":
        return "fail"
    if not v["loaded"] and not v["failed"]:
        return "ok" if t["rc"] == 0 else "fail"
    return "ok" if need <= loaded and compiled else "fail"


def first_error(u):
    for r in u["tsbcc"]["results"]:
        if not r.get("loaded") and r.get("error"):
            return r["error"]
    return u["tsbcc"]["stderr"].strip() or u["tsbcc"]["stdout"].strip()


def check(out, only):
    mods = modules(out)
    if only:
        mods = [u for u in mods if re.search(only, u["key"]) or any(re.search(only, t) for t in u["targets"])]
    for u in mods:
        u["bcc"] = bcc_verdict(u)
        u["tsbcc"] = run_tsbcc(u, out)
        u["verdict"] = judge(u)
        print("%-14s %-26s %-12s %s" % (u["key"], u["verdict"], u["bcc"]["status"], ", ".join(u["targets"])),
              flush=True)
    report(mods, out, only)


def short(msg, n=160):
    msg = " ".join((msg or "").split())
    return msg if len(msg) <= n else msg[: n - 3] + "..."


def report(mods, out, only):
    for u in mods:
        u["bcc"] = {k: (list(map(list, v)) if isinstance(v, dict) and k in ("loaded", "failed") else v)
                    for k, v in u["bcc"].items()}
    name = "results-%s.json" % re.sub(r"\W+", "_", only) if only else "results.json"
    with open(os.path.join(out, name), "w") as f:
        json.dump(mods, f, indent=1)
    groups = {}
    for u in mods:
        groups.setdefault((u["bcc"]["status"], u["verdict"]), []).append(u)
    loads = [u for u in mods if u["bcc"]["status"] == "loaded"]
    rejects = [u for u in mods if u["bcc"]["status"] == "rejected"]
    partial = [u for u in mods if u["bcc"]["status"] == "load-failed"]
    print()
    print("modules: %d distinct (text, cflags)" % len(mods))
    print("BCC compiles and loads: %d; tsbcc loads %d of them" %
          (len(loads), sum(u["verdict"] == "ok" for u in loads)))
    print("BCC compiles, some load fails: %d; tsbcc loads everything BCC loaded in %d" %
          (len(partial), sum(u["verdict"] == "ok" for u in partial)))
    print("BCC rejects: %d; tsbcc rejects %d" % (len(rejects), sum(u["verdict"] == "ok" for u in rejects)))
    print()
    for (status, verdict), us in sorted(groups.items()):
        if verdict == "ok":
            continue
        print("## BCC %s, tsbcc %s (%d)" % (status, verdict, len(us)))
        for u in us:
            print("- %s %s: %s" % (u["key"], ",".join(u["targets"]), short(first_error(u))))
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("phase", choices=["capture", "check", "all", "report"])
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--only")
    ap.add_argument("--timeout", type=int)
    a = ap.parse_args()
    if a.phase in ("capture", "all"):
        if len(a.paths) != 2:
            ap.error("capture needs BCC_CHECKOUT OUT")
        bcc, out = (os.path.abspath(p) for p in a.paths)
        capture(bcc, out, a.only, a.timeout)
    else:
        out = os.path.abspath(a.paths[0])
    if a.phase in ("check", "all"):
        check(out, a.only)
    if a.phase == "report":
        with open(os.path.join(out, "results.json")) as f:
            report(json.load(f), out, None)


if __name__ == "__main__":
    main()

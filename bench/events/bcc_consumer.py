# BCC peer of bench/events: the same program in BCC's dialect; starts the producer, decodes each
# event with the table's event() in a Python callback (as BCC tools do), polls until the producer
# is done; prints one JSON line. argv: producer seconds ring|perf burst [wakeup_events (perf)
# [producer pace, calls/s; 0 = as fast as it can]]. "drained": seconds from the start signal until
# the last poll that handed over records returned.
import json
import os
import resource
import subprocess
import sys
import time

from bcc import BPF

producer, secs, mode, burst = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
wakeup = int(sys.argv[5]) if len(sys.argv) > 5 else 1
pace = sys.argv[6] if len(sys.argv) > 6 else "0"
text = """
struct event { u32 pid; u32 cpu; u64 seq; u64 ts; char comm[16]; u64 pad[3]; };
BPF_ARRAY(cfg, u32, 3);
BPF_ARRAY(stats, u64, 2);
BPF_RINGBUF_OUTPUT(rb, 256);
BPF_PERF_OUTPUT(events);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
  int k0 = 0, k1 = 1, k2 = 2;
  u32 *pid = cfg.lookup(&k0);
  u32 *mode = cfg.lookup(&k1);
  u32 *burst = cfg.lookup(&k2);
  if (!pid || !mode || !burst || (bpf_get_current_pid_tgid() >> 32) != *pid) return 0;
  u64 *seq = stats.lookup(&k1);
  u64 *drops = stats.lookup(&k0);
  if (!seq || !drops) return 0;
  struct event e = {};
  e.pid = *pid;
  e.cpu = bpf_get_smp_processor_id();
  bpf_get_current_comm(&e.comm, sizeof e.comm);
  for (int i = 0; i < 16; i++) {
    if (i >= *burst) break;
    e.seq = (*seq)++;
    e.ts = bpf_ktime_get_ns();
    long rc;
    if (*mode == 1) rc = rb.ringbuf_output(&e, sizeof e, 0);
    else rc = events.perf_submit(args, &e, sizeof e);
    if (rc) __sync_fetch_and_add(drops, 1);
  }
  return 0;
}
"""
b = BPF(text=text)
received = 0
lost = 0
sink = 0


def on_event(ctx, data, size):
    global received, sink
    e = table.event(data)
    sink += e.seq
    received += 1


def on_perf(cpu, data, size):
    on_event(None, data, size)


def on_lost(n):
    global lost
    lost += n


if mode == "ring":
    table = b["rb"]
    table.open_ring_buffer(on_event)
else:
    table = b["events"]
    table.open_perf_buffer(on_perf, page_cnt=256, lost_cb=on_lost, wakeup_events=wakeup)
p = subprocess.Popen([producer, secs, pace], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
cfg = b["cfg"]
cfg[cfg.Key(0)] = cfg.Leaf(p.pid)
cfg[cfg.Key(1)] = cfg.Leaf(1 if mode == "ring" else 2)
cfg[cfg.Key(2)] = cfg.Leaf(burst)
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.monotonic()
p.stdin.write("go\n")
p.stdin.flush()
# last: when the last poll that handed over records returned (not when the loop noticed the
# producer's exit, up to one 100 ms poll timeout later)
last = t0
while p.poll() is None:
    before = received
    if mode == "ring":
        b.ring_buffer_poll(100)
    else:
        b.perf_buffer_poll(100)
    if received != before:
        last = time.monotonic()
before = received
if mode == "ring":
    b.ring_buffer_consume()
else:
    b.perf_buffer_consume()
if received != before:
    last = time.monotonic()
drained = last - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
calls, seconds = p.stdout.read().split()
drops = b["stats"][b["stats"].Key(0)].value
print(json.dumps({"calls": int(calls) * burst, "seconds": float(seconds), "drained": drained, "received": received, "drops": drops, "lost": lost, "cpu": cpu}), flush=True)
# BCC 0.26's PerfEventArray.__del__ raises KeyError at interpreter shutdown (noise on stderr);
# the kernel releases the program, maps and perf buffers with the process's fds anyway
os._exit(0)

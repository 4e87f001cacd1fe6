/**
 * Loading a program while the process is busy with signals: under `node --cpu-prof` V8's
 * profiler sends the JS thread a SIGPROF every interval, and the verifier gives up with EAGAIN
 * whenever a signal is pending for the loading thread. libbpf retries a load 5 times, which is
 * not enough once verifying takes longer than the interval (before the fix: 0 of 5 loads of
 * this program at a 100 us interval). The native load holds such signals for its duration
 * (native/bpf/signals_held.h).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const child = join(import.meta.dirname, 'helpers', 'load-under-profiler-child.mjs');

// ~2000 loop iterations with a map lookup each: tens of milliseconds of verification, far
// longer than the profiler's interval
const PROG = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 64); } counts SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_getppid")
int slow_to_verify(void *ctx) {
  __u64 acc = bpf_ktime_get_ns();
  for (int i = 0; i < 2000; i++) {
    __u32 k = (acc >> (i & 7)) & 63;
    __u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v) { acc += *v ^ i; if (acc & 1) *v += 1; }
  }
  return acc & 1;
}
char LICENSE[] SEC("license") = "GPL";
`;

describe('program loads under a signal-heavy profiler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbcc-load-signals-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('node --cpu-prof (SIGPROF every 100 us): every load succeeds, no EAGAIN', () => {
    const file = join(dir, 'slow.bpf.c');
    writeFileSync(file, PROG);
    const prof = join(dir, 'prof');
    const r = spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        prof,
        child,
        file,
        'slow_to_verify',
        '5',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok: number; errors: string[] };
    expect(out.errors).toEqual([]);
    expect(out.ok).toBe(5);
    // the profiler did run throughout: its samples are in the profile it wrote at exit
    const [profile] = readdirSync(prof);
    expect(profile).toBeDefined();
    const samples = (JSON.parse(readFileSync(join(prof, profile ?? ''), 'utf8')) as { samples: number[] })
      .samples;
    expect(samples.length).toBeGreaterThan(100);
  });
});

import { getPriority } from 'node:os';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BPF, ClosedError, HashTable, ArrayTable } from '../../src/index.js';
import { waitFor } from './helpers/wait.js';

// BCC's dialect end to end: the compiler records key/value/event layouts from BTF, and the
// runtime decodes with them.
const TEXT = `
struct key_t { u32 pid; char comm[16]; };
struct event_t { u32 pid; u64 ts; char comm[16]; };
BPF_HASH(counts, struct key_t, u64);
BPF_HISTOGRAM(dist);
BPF_RINGBUF_OUTPUT(events, 8);
BPF_PERF_OUTPUT(pevents);
TRACEPOINT_PROBE(syscalls, sys_enter_getpriority) {
  struct key_t k = {};
  k.pid = bpf_get_current_pid_tgid() >> 32;
  bpf_get_current_comm(&k.comm, sizeof(k.comm));
  counts.increment(k);
  dist.increment(bpf_log2l(k.pid));
  struct event_t e = {};
  e.pid = k.pid;
  e.ts = bpf_ktime_get_ns();
  bpf_get_current_comm(&e.comm, sizeof(e.comm));
  events.ringbuf_output(&e, sizeof(e), 0);
  pevents.perf_submit(args, &e, sizeof(e));
  return 0;
}
`;

interface Ev {
  pid: number;
  ts: bigint;
  comm: string;
}

describe('BCC dialect through BPF.create', () => {
  it('auto-attaches TRACEPOINT_PROBE; tables and events decode from the compiled layouts', async () => {
    const b = await BPF.create({ text: TEXT, name: 'bcc_runtime' });
    try {
      expect(b.numOpenTracepoints()).toBe(1);
      const ring: Ev[] = [];
      const perf: Ev[] = [];
      b.openRingBuffer<Ev>('events', (e) => {
        if (e.pid === process.pid) ring.push(e);
      });
      b.openPerfBuffer<Ev>('pevents', (e) => {
        if (e.pid === process.pid) perf.push(e);
      });
      for (let i = 0; i < 3; i++) getPriority();
      await waitFor(() => ring.length >= 3 && perf.length >= 3, 'three events on each stream');
      expect(ring).toHaveLength(3);
      expect(typeof ring[0]?.ts).toBe('bigint');
      expect(ring[0]?.comm).toBe(perf[0]?.comm);
      expect((ring[1]?.ts ?? 0n) > (ring[0]?.ts ?? 0n)).toBe(true);

      const counts = b.table<{ pid: number; comm: string }, bigint>('counts', { strings: true });
      expect(counts).toBeInstanceOf(HashTable);
      const mine = [...counts].filter(([k]) => k.pid === process.pid);
      expect(mine).toHaveLength(1);
      expect(mine[0]?.[0].comm).toBe(ring[0]?.comm);
      expect(mine[0]?.[1]).toBe(3n);
      // writes with the same layout
      counts.set({ pid: 1, comm: 'written' }, 41n);
      expect(counts.get({ pid: 1, comm: 'written' })).toBe(41n);
      expect(() => counts.set({ pid: 1, cmd: 'x' } as never, 1n)).toThrow(
        /counts key\.cmd: struct key_t has no field "cmd"/,
      );

      const dist = b.table<number, bigint>('dist');
      expect(dist).toBeInstanceOf(ArrayTable); // BPF_HISTOGRAM with an int key is an array
      const slot = Math.floor(Math.log2(process.pid)) + 1;
      expect(dist.get(slot)).toBeGreaterThanOrEqual(3n);
      const text = dist.formatLog2Hist({ valType: 'pid' });
      expect(text.split('\n')[0]).toBe('     pid                 : count     distribution');
      expect(text).toContain(
        `${String(2 ** (slot - 1)).padStart(10)} -> ${String(2 ** slot - 1).padEnd(10)} : `,
      );
    } finally {
      b.close();
    }
    expect(() => b.table('counts')).toThrow(ClosedError);
  });

  it('pinned tables (BPF_TABLE_PINNED) are created and pinned once, then reused by later objects', async () => {
    const path = `/sys/fs/bpf/tsbcc-pin-${randomBytes(4).toString('hex')}`;
    const text = `BPF_TABLE_PINNED("hash", u32, u64, shared_counts, 16, "${path}");`;
    try {
      const a = await BPF.create({ text, name: 'pin_a' });
      expect(a.spec.maps[0]?.pinPath).toBe(path);
      expect(existsSync(path)).toBe(true);
      a.table<number, bigint>('shared_counts').set(7, 70n);
      a.close();
      expect(existsSync(path)).toBe(true); // BCC pins outlive the object
      const b = await BPF.create({ text, name: 'pin_b' });
      try {
        expect(b.table<number, bigint>('shared_counts').get(7)).toBe(70n);
      } finally {
        b.close();
      }
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('extern tables resolve to a table an earlier object shared (*_PUBLIC)', async () => {
    const name = `pub_${randomBytes(3).toString('hex')}`;
    await expect(
      BPF.create({ text: `BPF_TABLE("extern", u32, u64, ${name}, 16);`, name: 'ext_early' }),
    ).rejects.toThrow(new RegExp(`reference to undefined table "${name}"`));
    const owner = await BPF.create({
      text: `BPF_TABLE_PUBLIC("hash", u32, u64, ${name}, 16);`,
      name: 'ext_owner',
    });
    try {
      owner.table<number, bigint>(name).set(1, 11n);
      const user = await BPF.create({
        text: `BPF_TABLE("extern", u32, u64, ${name}, 16);
TRACEPOINT_PROBE(syscalls, sys_enter_getpriority) {
  if ((bpf_get_current_pid_tgid() >> 32) != ${process.pid}) return 0;
  u32 k = 2; u64 v = 22;
  ${name}.update(&k, &v);
  return 0;
}`,
        name: 'ext_user',
      });
      try {
        expect(user.table<number, bigint>(name).get(1)).toBe(11n);
        getPriority();
        expect(owner.table<number, bigint>(name).get(2)).toBe(22n);
      } finally {
        user.close();
      }
    } finally {
      owner.close();
    }
    await expect(
      BPF.create({ text: `BPF_TABLE("extern", u32, u64, ${name}, 16);`, name: 'ext_late' }),
    ).rejects.toThrow(/reference to undefined table/);
  });

  it('struct-keyed histograms print one section per bucket, as BCC does', async () => {
    const b = await BPF.create({
      text: `struct hkey { u32 pid; u64 slot; };
BPF_HISTOGRAM(dist, struct hkey);
TRACEPOINT_PROBE(syscalls, sys_enter_getpriority) {
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  if (pid != ${process.pid}) return 0;
  struct hkey k;
  __builtin_memset(&k, 0, sizeof(k)); // the padding after pid is part of the hash key
  k.pid = pid;
  k.slot = bpf_log2l(args->who + 1);
  dist.increment(k);
  return 0;
}`,
      name: 'hist_sections',
    });
    try {
      getPriority(); // who = 0 -> slot 1
      getPriority(); // twice
      getPriority(0); // same
      const text = b.table('dist').formatLog2Hist({ valType: 'calls', sectionHeader: 'pid' });
      expect(text).toBe(
        `\npid = ${process.pid}\n` +
          '     calls               : count     distribution\n' +
          '         0 -> 1          : 3        |****************************************|\n',
      );
    } finally {
      b.close();
    }
  });
});

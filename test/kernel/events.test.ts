import { execFileSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BPF,
  ClosedError,
  codecFor,
  compile,
  InvalidArgumentError,
  RingBufTable,
  RingBuffer,
  type TypeLayout,
} from '../../src/index.js';
import { waitFor } from './helpers/wait.js';

// Every getpriority() of this process emits `count` 64-byte events to a ring buffer and a perf
// buffer, numbered by a global sequence; cfg[3] counts the perf records the kernel refused.
const PROG = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event { __u32 pid; __u32 seq; __u64 ts; char comm[16]; __u64 pad[4]; };

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u32); __uint(max_entries, 4); } cfg SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 256 * 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpriority")
int emit(void *ctx) {
  __u32 k0 = 0, k1 = 1, k2 = 2, k3 = 3;
  __u32 *pid = bpf_map_lookup_elem(&cfg, &k0);
  __u32 *count = bpf_map_lookup_elem(&cfg, &k1);
  __u32 *seq = bpf_map_lookup_elem(&cfg, &k2);
  __u32 *refused = bpf_map_lookup_elem(&cfg, &k3);
  if (!pid || !count || !seq || !refused || (bpf_get_current_pid_tgid() >> 32) != *pid) return 0;
  struct event e = {};
  e.pid = *pid;
  bpf_get_current_comm(e.comm, sizeof e.comm);
  for (int i = 0; i < 4096 && i < *count; i++) {
    e.seq = *seq;
    *seq = e.seq + 1;
    e.ts = bpf_ktime_get_ns();
    bpf_ringbuf_output(&rb, &e, sizeof e, 0);
    if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof e)) __sync_fetch_and_add(refused, 1);
  }
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

const u32: TypeLayout = { kind: 'int', name: 'unsigned int', size: 4, signed: false };
const u64: TypeLayout = { kind: 'int', name: 'unsigned long long', size: 8, signed: false };
const eventLayout: TypeLayout = {
  kind: 'struct',
  name: 'event',
  size: 64,
  fields: [
    { name: 'pid', offset: 0, type: u32 },
    { name: 'seq', offset: 4, type: u32 },
    { name: 'ts', offset: 8, type: u64 },
    {
      name: 'comm',
      offset: 16,
      type: {
        kind: 'array',
        name: 'char[16]',
        size: 16,
        length: 16,
        element: { kind: 'int', name: 'char', size: 1, signed: true, char: true },
      },
    },
    { name: 'pad', offset: 32, type: { kind: 'array', name: 'u64[4]', size: 32, length: 4, element: u64 } },
  ],
};
const codec = codecFor<{ pid: number; seq: number; ts: bigint; comm: string }>(eventLayout, {
  strings: true,
});

describe('event streams from a tracepoint', () => {
  let b: BPF;
  const cfg = (count: number): void => {
    const t = b.table<number, number>('cfg');
    t.set(0, process.pid);
    t.set(1, count);
  };
  beforeAll(async () => {
    // The compiler fills spec.events from BTF; this libbpf-style object has none, so the test
    // supplies the layout it would capture.
    const spec = await compile(PROG, { name: 'events' });
    spec.events = { rb: eventLayout, events: eventLayout };
    b = BPF.fromSpec(spec);
  });
  afterAll(() => b?.close());

  it('ring buffer: events arrive decoded and in order', async () => {
    const got: { pid: number; seq: number; comm: string }[] = [];
    const rb = b.openRingBuffer<{ pid: number; seq: number; comm: string }>('rb', (e) => got.push(e));
    const before = b.table<number, number>('cfg').get(2) ?? 0;
    cfg(100);
    getPriority();
    await waitFor(() => got.length >= 100, '100 ring buffer events');
    expect(got).toHaveLength(100);
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => before + i));
    expect(got[0]?.pid).toBe(process.pid);
    // every record: the calling thread's comm (decoded once, then from the string cache), a
    // non-decreasing bigint ts and four zero bigints (the shared small-value table)
    const comm = readFileSync('/proc/thread-self/comm', 'utf8').trim();
    expect(got.every((e) => e.comm === comm)).toBe(true);
    const full = got as unknown as { ts: bigint; pad: bigint[] }[];
    expect(
      full.every(
        (e, i) => typeof e.ts === 'bigint' && e.ts > 0n && (i === 0 || e.ts >= (full[i - 1]?.ts ?? 0n)),
      ),
    ).toBe(true);
    expect(full.every((e) => e.pad.length === 4 && e.pad.every((x) => x === 0n))).toBe(true);
    rb.close();
    expect(() => rb.consume()).toThrow(ClosedError);
  });

  it('ring buffer: async iterator ends on abort', async () => {
    const ac = new AbortController();
    const rb = b.openRingBuffer('rb', undefined, { codec });
    cfg(10);
    const seen: number[] = [];
    const loop = (async () => {
      for await (const e of rb.events({ signal: ac.signal })) {
        seen.push((e as { seq: number }).seq);
        if (seen.length === 10) ac.abort();
      }
    })();
    getPriority();
    await loop;
    expect(seen).toHaveLength(10);
    expect(seen.every((s, i) => i === 0 || s === (seen[i - 1] ?? 0) + 1)).toBe(true);
    rb.close();
  });

  it('perf buffer: in order per CPU, with the CPU number', async () => {
    const got: { seq: number; cpu: number }[] = [];
    const pb = b.openPerfBuffer<{ seq: number }>('events', (e, cpu) => got.push({ seq: e.seq, cpu }), {
      pageCount: 64,
      codec,
    });
    cfg(200);
    for (let i = 0; i < 3; i++) getPriority();
    await waitFor(() => got.length >= 600, '600 perf events');
    expect(pb.lostCount).toBe(0);
    const byCpu = new Map<number, number[]>();
    for (const e of got) byCpu.set(e.cpu, [...(byCpu.get(e.cpu) ?? []), e.seq]);
    for (const seqs of byCpu.values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(got.map((e) => e.seq)).size).toBe(600);
    pb.close();
  });

  it('perf buffer: reports loss when the buffer is too small', async () => {
    const lost: number[] = [];
    let received = 0;
    const pb = b.openPerfBuffer(
      'events',
      () => {
        received++;
      },
      { pageCount: 1, lost: (n) => lost.push(n) },
    );
    // The kernel writes a lost-records notice with the next record that fits in the ring of
    // the CPU that lost them: the burst and the markers below come from one CPU (this thread
    // pinned to the first CPU it may use; the reader's drain thread, started above, is not).
    const mask = /:\s*([0-9a-f]+)\s*$/.exec(
      execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }),
    )?.[1];
    const first = BigInt(`0x${mask ?? '1'}`);
    const cpu = first.toString(2).split('').reverse().indexOf('1');
    execFileSync('taskset', ['-pc', String(cpu), String(process.pid)]);
    try {
      cfg(4000); // 4000 x ~72 bytes in one syscall into a 4 KiB ring
      getPriority();
      await waitFor(() => received > 0, 'the first records');
      // one record per call until the notice comes
      cfg(1);
      let markers = 0;
      await waitFor(() => {
        if (lost.length > 0) return true;
        getPriority();
        markers++;
        return false;
      }, 'a lost-records notice');
      const written = 4000 + markers;
      await waitFor(
        () => received + lost.reduce((a, x) => a + x, 0) === written,
        'every record accounted for',
      );
      // How many are lost depends on scheduling: the reader's drain thread (on the other CPU) is
      // woken each time the ring is half full and empties it while the program is still
      // writing (CI saw 2140 lost, another run 3352). What holds every time: records were
      // lost, the notices say so, and received + lost is exactly what the program wrote.
      const total = lost.reduce((a, x) => a + x, 0);
      expect(total).toBeGreaterThan(0);
      expect(received).toBe(written - total);
      expect(pb.lostCount).toBe(total);
    } finally {
      execFileSync('taskset', ['-p', mask ?? 'ffffffff', String(process.pid)]);
      pb.close();
    }
  });

  it('perf buffer options are checked', () => {
    expect(() => b.openPerfBuffer('events', () => undefined, { pageCount: 3 })).toThrow(
      new InvalidArgumentError('perf buffer events: pageCount must be a power of two, got 3'),
    );
    expect(() => b.openRingBuffer('events')).toThrow(/is not a ring buffer/);
  });

  it('readers close with their BPF object', async () => {
    const spec = await compile(PROG, { name: 'events2' });
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const b2 = BPF.fromSpec(spec);
    const rb = b2.openRingBuffer('rb', () => undefined);
    const pb = b2.openPerfBuffer('events', () => undefined);
    const viaTable = (b2.table('rb') as RingBufTable).open(() => undefined);
    expect(fds()).toBeGreaterThan(before + 3);
    b2.close();
    expect(rb.closed).toBe(true);
    expect(pb.closed).toBe(true);
    expect(viaTable.closed).toBe(true);
    // libuv closes poll handles on the next loop turn; wait for the fds to be back
    await waitFor(() => fds() === before, 'every fd of the readers to be closed');
  });

  // With a codec of codecFor, chunks reach JS in one long-lived Buffer refilled per chunk
  // (native/bpf/drained_reader.h); other codecs and raw readers get a fresh Buffer per chunk,
  // since what they hand out are views of it. Earlier tests leave records in the ring buffer
  // (it keeps what no reader took): each test first drains them with consume().
  const bursts = async (n: number, count: number, got: () => number, total: number): Promise<void> => {
    cfg(count);
    for (let i = 0; i < n; i++) {
      getPriority();
      // separate chunks: the next burst once this one reached JS
      await waitFor(() => got() >= (i + 1) * count, `burst ${i + 1} of ${n}`);
    }
    expect(got()).toBe(total);
  };
  const nextSeq = (): number => b.table<number, number>('cfg').get(2) ?? 0;

  it('decoded records stay intact across many chunks of a reused Buffer, ring and perf', async () => {
    const comm = readFileSync('/proc/thread-self/comm', 'utf8').trim();
    type Full = { pid: number; seq: number; ts: bigint; comm: string; pad: bigint[] };
    const ring: Full[] = [];
    const perf: Full[] = [];
    const rb = b.openRingBuffer<Full>('rb', (e) => ring.push(e));
    const pb = b.openPerfBuffer<Full>('events', (e) => perf.push(e), { pageCount: 256 });
    try {
      rb.consume();
      ring.length = 0;
      const first = nextSeq();
      await bursts(8, 3000, () => Math.min(ring.length, perf.length), 24000);
      expect(ring.map((e) => e.seq)).toEqual(Array.from({ length: 24000 }, (_, i) => first + i));
      expect([...perf.map((e) => e.seq)].sort((x, y) => x - y)).toEqual(ring.map((e) => e.seq));
      const wrong = [...ring, ...perf].filter(
        (e) => e.pid !== process.pid || e.comm !== comm || e.pad.length !== 4 || e.pad.some((x) => x !== 0n),
      );
      expect(wrong).toEqual([]);
    } finally {
      rb.close();
      pb.close();
    }
  });

  it('records handed out as views (raw, or a codec of views) keep their bytes: fresh Buffer per chunk', async () => {
    const views = {
      size: 64,
      decode: (buf: Buffer, o: number): Buffer => buf.subarray(o, o + 64),
      encode: (): void => undefined,
    };
    const raw: Buffer[] = [];
    const viaCodec: Buffer[] = [];
    const rb = new RingBuffer('rb', b.table('rb').fd, { callback: (e) => raw.push(e) });
    const pb = b.openPerfBuffer<Buffer>('events', (e) => viaCodec.push(e), { pageCount: 256, codec: views });
    try {
      rb.consume();
      raw.length = 0;
      const first = nextSeq();
      await bursts(6, 2000, () => Math.min(raw.length, viaCodec.length), 12000);
      const seqs = (l: Buffer[]): number[] => l.map((x) => x.readUInt32LE(4));
      expect(seqs(raw)).toEqual(Array.from({ length: 12000 }, (_, i) => first + i));
      expect(seqs(viaCodec).sort((x, y) => x - y)).toEqual(seqs(raw));
    } finally {
      rb.close();
      pb.close();
    }
  });

  // The drain thread wakes JS at most once a millisecond: records drained sooner after a
  // hand-off are held and handed over when the gap has passed, with no further kernel wake-up
  // (native/bpf/drained_reader.h). A hold that waited for the next kernel event would leave the
  // last records of a burst undelivered here: nothing is emitted after the loop.
  it('the last records of a busy stream reach JS without a further kernel wake-up, ring and perf', async () => {
    const ring: number[] = [];
    const perf: number[] = [];
    const rb = b.openRingBuffer<{ seq: number }>('rb', (e) => ring.push(e.seq));
    const pb = b.openPerfBuffer<{ seq: number }>('events', (e) => perf.push(e.seq), { pageCount: 64 });
    try {
      rb.consume();
      ring.length = 0;
      const first = nextSeq();
      cfg(4);
      for (let i = 0; i < 300; i++) getPriority(); // 300 kernel wake-ups within a few ms
      await waitFor(() => ring.length >= 1200 && perf.length >= 1200, 'all 1200 records on both readers');
      expect(ring).toEqual(Array.from({ length: 1200 }, (_, i) => first + i));
      expect([...perf].sort((x, y) => x - y)).toEqual(ring);
      expect(pb.lostCount).toBe(0);
    } finally {
      rb.close();
      pb.close();
    }
  });

  // More than a chunk (1 MiB of records) pending at once: the JS thread is kept busy by the
  // emitting loop while the drain thread moves ~2 MiB out of the kernel, so several chunks wait
  // and are handed over one per loop turn; each record intact, every CPU's records in order.
  // Records the kernel refused (if the machine starved the drain thread) are counted by the
  // program: received + refused is exactly what it wrote, and the lost-record notices delivered
  // so far never exceed the refusals (a CPU's notice comes with its next record).
  it('several pending chunks: records intact and in order across chunk boundaries; losses counted', async () => {
    type Full = { pid: number; seq: number; ts: bigint; comm: string; pad: bigint[] };
    const comm = readFileSync('/proc/thread-self/comm', 'utf8').trim();
    const got: { e: Full; cpu: number }[] = [];
    let lost = 0;
    const pb = b.openPerfBuffer<Full>('events', (e, cpu) => got.push({ e, cpu }), {
      pageCount: 256,
      wakeupEvents: 64,
      lost: (n) => (lost += n),
    });
    try {
      const t = b.table<number, number>('cfg');
      t.set(3, 0);
      const first = nextSeq();
      cfg(4096);
      for (let i = 0; i < 8; i++) getPriority(); // 32768 records of 64 bytes: 2 MiB of chunks
      pb.consume(); // the last records, below the wakeup threshold
      const refused = t.get(3) ?? 0;
      await waitFor(() => got.length + refused === 32768, 'every record delivered or refused');
      await new Promise((r) => setTimeout(r, 20)); // nothing more arrives
      expect(got.length).toBe(32768 - refused);
      expect(lost).toBe(pb.lostCount);
      expect(lost).toBeLessThanOrEqual(refused);
      const byCpu = new Map<number, number[]>();
      for (const { e, cpu } of got) {
        const l = byCpu.get(cpu) ?? [];
        l.push(e.seq);
        byCpu.set(cpu, l);
      }
      for (const l of byCpu.values()) expect(l).toEqual([...l].sort((x, y) => x - y));
      const seqs = got.map((g) => g.e.seq);
      expect(new Set(seqs).size).toBe(got.length);
      expect(seqs.every((q) => q >= first && q < first + 32768)).toBe(true);
      const wrong = got.filter(
        ({ e }) =>
          e.pid !== process.pid || e.comm !== comm || typeof e.ts !== 'bigint' || e.pad.some((x) => x !== 0n),
      );
      expect(wrong).toEqual([]);
    } finally {
      pb.close();
    }
  });

  it('consume() from inside a callback delivers every record once, intact', async () => {
    const seen: { seq: number; comm: string }[] = [];
    const rb: RingBuffer<{ seq: number; comm: string }> = b.openRingBuffer('rb', (e) => {
      seen.push(e);
      if (seen.length % 500 === 1) rb.consume(); // re-entrant: must not refill this chunk's Buffer
    });
    try {
      rb.consume();
      seen.length = 0;
      const first = nextSeq();
      await bursts(4, 3000, () => seen.length, 12000);
      expect(seen.map((e) => e.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 12000 }, (_, i) => first + i),
      );
      expect(new Set(seen.map((e) => e.comm)).size).toBe(1);
    } finally {
      rb.close();
    }
  });
});

import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BPF,
  ClosedError,
  codecFor,
  compile,
  possibleCpus,
  type PerfEvent,
  type TypeLayout,
} from '../../src/index.js';
import { waitFor } from './helpers/wait.js';

// getpriority(which, who) with who == cfg[0] (a number no pid can have, so only this file's calls
// count) emits cfg[1] records to the perf buffer `events`, then cfg[2] to the ring buffer `rb`,
// numbered by cfg[3], and prints "tsbcc-evopt <cfg[4]>" to trace_pipe when cfg[4] is not 0.
const PROG = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event { __u32 seq; __u32 cpu; __u64 token; };
struct gp_args { __u64 common; __s32 nr; __u32 pad; __u64 which; __u64 who; };

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 5); } cfg SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 64 * 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4); __uint(value_size, 4); } events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpriority")
int emit(struct gp_args *ctx) {
  __u32 k0 = 0, k1 = 1, k2 = 2, k3 = 3, k4 = 4;
  __u64 *who = bpf_map_lookup_elem(&cfg, &k0), *np = bpf_map_lookup_elem(&cfg, &k1),
        *nr = bpf_map_lookup_elem(&cfg, &k2), *seq = bpf_map_lookup_elem(&cfg, &k3),
        *token = bpf_map_lookup_elem(&cfg, &k4);
  if (!who || !np || !nr || !seq || !token || ctx->who != *who) return 0;
  struct event e = { .cpu = bpf_get_smp_processor_id(), .token = *token };
  for (int i = 0; i < 64 && i < *np; i++) {
    e.seq = (*seq)++;
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof e);
  }
  for (int i = 0; i < 64 && i < *nr; i++) {
    e.seq = (*seq)++;
    bpf_ringbuf_output(&rb, &e, sizeof e, 0);
  }
  if (*token) bpf_printk("tsbcc-evopt %llu", *token);
  return 0;
}
char LICENSE[] SEC("license") = "GPL";
`;

interface Ev {
  seq: number;
  cpu: number;
  token: bigint;
}
const u32: TypeLayout = { kind: 'int', name: 'unsigned int', size: 4, signed: false };
const codec = codecFor<Ev>({
  kind: 'struct',
  name: 'event',
  size: 16,
  fields: [
    { name: 'seq', offset: 0, type: u32 },
    { name: 'cpu', offset: 4, type: u32 },
    { name: 'token', offset: 8, type: { kind: 'int', name: 'unsigned long long', size: 8, signed: false } },
  ],
});

const WHO = 0x10000000 + randomInt(0x1000000); // above any pid_max

/** One getpriority() that makes the program emit `perf` perf records and `ring` ring records. */
function emit(b: BPF, perf: number, ring: number, token = 0n): void {
  const cfg = b.table<number, bigint>('cfg');
  cfg.set(0, BigInt(WHO));
  cfg.set(1, BigInt(perf));
  cfg.set(2, BigInt(ring));
  cfg.set(4, token);
  try {
    getPriority(WHO);
  } catch {
    // ESRCH: no such process; the tracepoint has fired
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** trace_pipe takes one reader at a time: waits (bounded) while another process holds it. */
async function whenFree<T>(open: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await open();
    } catch (e) {
      if ((e as { code?: string }).code !== 'EBUSY' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('event stream options on the real kernel', () => {
  let b: BPF;
  beforeAll(async () => {
    b = BPF.fromSpec(await compile(PROG, { name: 'evopts' }));
  });
  afterAll(() => b?.close());

  it('perf buffer: events() and the reader itself iterate { cpu, data }, every iterator sees every record', async () => {
    const pb = b.openPerfBuffer('events', undefined, { codec });
    const a = pb.events();
    const c = pb[Symbol.asyncIterator]();
    const take = async (it: AsyncIterableIterator<PerfEvent<Ev>>, n: number): Promise<PerfEvent<Ev>[]> => {
      const out: PerfEvent<Ev>[] = [];
      for await (const e of it) {
        out.push(e);
        if (out.length === n) break;
      }
      return out;
    };
    const both = Promise.all([take(a, 20), take(c, 20)]);
    emit(b, 20, 0);
    const [fromEvents, fromReader] = await both;
    expect(fromReader).toEqual(fromEvents);
    const first = fromEvents[0]!.data.seq;
    expect(fromEvents.map((e) => e.data.seq)).toEqual(Array.from({ length: 20 }, (_, i) => first + i));
    for (const e of fromEvents) {
      expect(e.cpu).toBe(e.data.cpu); // the ring it came from is the CPU the program ran on
      expect(e.cpu).toBeLessThan(possibleCpus());
    }
    pb.close();
    expect(() => pb.events()).toThrow(ClosedError);
  });

  it('AbortSignal ends iterators; the signal option closes perf and ring readers', async () => {
    // events({ signal }): the iterator ends, the reader stays open.
    const pb = b.openPerfBuffer('events', undefined, { codec });
    const ac = new AbortController();
    const it = pb.events({ signal: ac.signal });
    const pending = it.next();
    ac.abort();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(pb.closed).toBe(false);
    const later = pb.events();
    emit(b, 1, 0);
    expect((await later.next()).value?.data.seq).toBeTypeOf('number');
    await later.return?.();
    // A long-lived signal does not collect a listener per iterator.
    const session = new AbortController();
    for (let i = 0; i < 12; i++) await pb.events({ signal: session.signal }).return?.();
    expect(getEventListeners(session.signal, 'abort')).toHaveLength(0);
    pb.close();

    for (const kind of ['perf', 'ring'] as const) {
      const open = (signal: AbortSignal) =>
        kind === 'perf'
          ? b.openPerfBuffer('events', undefined, { codec, signal })
          : b.openRingBuffer('rb', undefined, { codec, signal });
      const stop = new AbortController();
      const r = open(stop.signal);
      const waiting = r.events().next();
      stop.abort();
      expect(await waiting, kind).toEqual({ value: undefined, done: true });
      expect(r.closed, kind).toBe(true);
      // An already aborted signal gives a closed reader.
      const dead = open(AbortSignal.abort());
      expect(dead.closed, kind).toBe(true);
      expect(() => dead.events(), kind).toThrow(ClosedError);
      // Closing the reader first removes its listener from the signal.
      const r2 = open(session.signal);
      expect(getEventListeners(session.signal, 'abort'), kind).toHaveLength(1);
      r2.close();
      expect(getEventListeners(session.signal, 'abort'), kind).toHaveLength(0);
    }
  });

  it('perf wakeupEvents: fewer records than the threshold wait for consume(); the threshold wakes the reader', async () => {
    const got: Ev[] = [];
    const pb = b.openPerfBuffer<Ev>('events', (e) => got.push(e), { codec, wakeupEvents: 8 });
    const control: Ev[] = [];
    const rb = b.openRingBuffer<Ev>('rb', (e) => control.push(e), { codec });
    await turn(); // both readers have drained once after registration
    // Three perf records, then one ring record in the same program run: once the ring record has
    // been delivered the perf rings have been written too, but below the threshold nobody wakes.
    emit(b, 3, 1);
    await waitFor(() => control.length === 1, 'the control record on the ring buffer');
    for (let i = 0; i < 3; i++) await turn();
    expect(got).toHaveLength(0);
    expect(pb.consume()).toBe(3); // BCC's perf_buffer_consume: everything buffered, now
    expect(got.map((e) => e.seq)).toEqual([0, 1, 2].map((i) => (got[0]?.seq ?? 0) + i));
    // Eight records on one CPU reach the threshold: delivered without consume().
    emit(b, 8, 0);
    await waitFor(() => got.length === 11, 'eight records delivered by the wakeup');
    expect(pb.lostCount).toBe(0);
    pb.close();
    rb.close();
  });

  it('readers wait without blocking the event loop', async () => {
    const pb = b.openPerfBuffer('events', undefined, { codec });
    const rb = b.openRingBuffer('rb', undefined, { codec });
    let settled = 0;
    const perfNext = pb
      .events()
      .next()
      .then((r) => (settled++, r));
    const ringNext = rb
      .events()
      .next()
      .then((r) => (settled++, r));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      await waitFor(() => ticks >= 10, 'ten timer ticks while both readers wait');
      expect(settled).toBe(0);
      emit(b, 1, 1);
      const [p, r] = await Promise.all([perfNext, ringNext]);
      expect(p.done).toBe(false);
      expect(r.done).toBe(false);
      const seen = ticks;
      await waitFor(() => ticks >= seen + 5, 'the timer still firing after delivery');
    } finally {
      clearInterval(timer);
      pb.close();
      rb.close();
    }
  });

  it('tracePrint: bpf_printk lines reach write(), formatted; abort ends it', async () => {
    const token = BigInt(randomInt(1, 2 ** 47));
    const pipe = await whenFree(() => b.tracePipe());
    const ac = new AbortController();
    const out: string[] = [];
    const done = b.tracePrint({
      signal: ac.signal,
      format: (f) => JSON.stringify({ cpu: f.cpu, pid: f.pid, msg: f.msg, ts: f.ts }),
      write: (s) => out.push(s),
    });
    const mine = (): { cpu: number; pid: number; msg: string; ts: number }[] =>
      out
        .map((s) => JSON.parse(s) as { cpu: number; pid: number; msg: string; ts: number })
        .filter((f) => f.msg === `tsbcc-evopt ${token}`);
    // trace_pipe is shared by the whole machine and each line goes to one reader: emit again
    // until one of ours is seen.
    const deadline = Date.now() + 10_000;
    while (mine().length === 0) {
      if (Date.now() > deadline) throw new Error('no tsbcc-evopt line on trace_pipe after 10 s');
      emit(b, 0, 0, token);
      await waitFor(() => mine().length > 0, 'our trace_pipe line', 250).catch(() => undefined);
    }
    const [line] = mine();
    expect(out.every((s) => s.endsWith('\n'))).toBe(true);
    expect(line!.cpu).toBeLessThan(possibleCpus());
    expect(line!.pid).toBeGreaterThan(0);
    expect(line!.ts).toBeGreaterThan(0);
    ac.abort();
    await done;
    expect(pipe.closed).toBe(false); // abort ends the printing, not the pipe
    pipe.close(); // free trace_pipe for the next reader
  });

  it('an aborted tracePrint stops watching trace_pipe: the process ends on its own', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const p = spawn(
      join(root, 'node_modules', '.bin', 'vite-node'),
      [join(import.meta.dirname, 'helpers', 'trace-print-child.ts')],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        p.kill('SIGKILL');
        resolve(null);
      }, 30_000);
      p.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(stdout.trim(), stderr).toBe(JSON.stringify({ stopped: true, closed: false }));
    expect(code, `the child did not exit by itself: ${stderr}`).toBe(0);
  });
});

import { getPriority } from 'node:os';
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  attachKprobe,
  BPF,
  compile,
  InvalidArgumentError,
  getSyscallPrefix,
  kprobesAvailable,
  ksym,
  ksymname,
  NotSupportedError,
  parseTraceLine,
  PerfSWConfig,
  PerfType,
  ProgramType,
  resolveBinary,
  tracepointExists,
  UserSymbols,
  StackTraceTable,
} from '../../src/index.js';
import { symbolOffset, vaddrToFileOffset } from '../../src/tracing/elf-symbols.js';
import { waitFor } from './helpers/wait.js';
import { features } from '../../src/features/index.js';
import { programConvention } from '../../src/compiler/program-naming.js';

// Counters keyed by slot, only for this process (pid in cfg[0]).
const PROG = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u32); __uint(max_entries, 1); } cfg SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 8); } hits SEC(".maps");
static __always_inline int mine(void) {
  __u32 k = 0; __u32 *pid = bpf_map_lookup_elem(&cfg, &k);
  return pid && (bpf_get_current_pid_tgid() >> 32) == *pid;
}
static __always_inline void hit(__u32 slot) { __u64 *v = bpf_map_lookup_elem(&hits, &slot); if (v) __sync_fetch_and_add(v, 1); }

SEC("tracepoint")
int tracepoint__syscalls__sys_enter_getpriority(void *ctx) { if (mine()) hit(0); return 0; }

SEC("raw_tp/sys_enter")
int on_raw(void *ctx) { if (mine()) hit(1); return 0; }

SEC("uprobe")
int on_uprobe(void *ctx) { if (mine()) hit(2); return 0; }

SEC("uretprobe")
int on_uretprobe(void *ctx) { if (mine()) hit(3); return 0; }

SEC("perf_event")
int on_perf(void *ctx) { hit(4); return 0; }

SEC("kprobe")
int kprobe__sys_getpriority(void *ctx) { if (mine()) hit(5); return 0; }

SEC("tracepoint")
int say_hello(void *ctx) { if (mine()) bpf_printk("tsbcc-hello %d", 42); return 0; }

char LICENSE[] SEC("license") = "GPL";
`;

const NO_KPROBE = PROG.replace(/SEC\("kprobe"\)\nint kprobe__sys_getpriority[^\n]*\n/, '');

async function open(src = NO_KPROBE, autoAttach = true): Promise<BPF> {
  const b = BPF.fromSpec(await compile(src, { name: `tr${randomBytes(3).toString('hex')}` }), { autoAttach });
  b.table<number, number>('cfg').set(0, process.pid);
  return b;
}

const hits = (b: BPF, slot: number): bigint => b.table<number, bigint>('hits').get(slot) ?? 0n;

function loadedIds(): Set<number> {
  const out = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as {
    id: number;
  }[];
  return new Set(out.map((p) => p.id));
}

describe('tracing attach on the real kernel', () => {
  let b: BPF | undefined;
  afterEach(() => {
    b?.close();
    b = undefined;
  });

  it('auto-attaches tracepoint__ and raw_tp functions, and detaches on close', async () => {
    b = await open();
    expect(b.numOpenTracepoints()).toBe(2);
    getPriority();
    getPriority();
    expect(hits(b, 0)).toBe(2n);
    expect(hits(b, 1)).toBeGreaterThanOrEqual(2n);
    const ids = [...b.spec.programs.map((p) => b?.object.program(p.name)?.id).filter((x) => x !== undefined)];
    expect(ids.length).toBe(2);
    expect(() => b?.attachTracepoint({ tp: 'nosuchcat:nosuchevt', fnName: 'say_hello' })).toThrow(
      /no tracepoint nosuchcat:nosuchevt/,
    );
    expect(() => b?.attachTracepoint({ tp: 'bad', fnName: 'say_hello' })).toThrow(
      new InvalidArgumentError('tracepoint "bad" must be "category:event"'),
    );
    expect(() => b?.attachRawTracepoint({ tp: 'no_such_raw_tp', fnName: 'on_raw' })).toThrow(
      /ENOENT.*no_such_raw_tp/,
    );
    expect(() => b?.detachRawTracepoint('sched_switch')).toThrow(
      /nothing attached to raw_tracepoint sched_switch/,
    );
    expect(() => b?.attachTracepoints({ tpRe: /^nosuch:/, fnName: 'say_hello' })).toThrow(
      /no tracepoint matches/,
    );
    const re = b.attachTracepoints({ tpRe: /^syscalls:sys_(enter|exit)_getpriority$/, fnName: 'say_hello' });
    expect(re.map((l) => l.target).sort()).toEqual([
      'syscalls:sys_enter_getpriority',
      'syscalls:sys_exit_getpriority',
    ]);
    b.detachTracepoint('syscalls:sys_exit_getpriority');
    b.detachTracepoint('syscalls:sys_enter_getpriority');
    getPriority();
    expect(hits(b, 0)).toBe(2n);
    b.close();
    // the kernel frees programs after an RCU grace period: wait for it, bounded
    const remaining = (): number[] => {
      const left = loadedIds();
      return ids.filter((id) => left.has(id as number)) as number[];
    };
    await waitFor(() => remaining().length === 0, `programs ${ids.join(', ')} to be unloaded`);
  });

  it('close releases every fd it opened (programs, maps, links, readers, trace_pipe)', async () => {
    const fds = (): number => readdirSync('/proc/self/fd').length;
    // warm up lazily loaded things (addon, compiler caches) so they do not count
    (await open()).close();
    const before = fds();
    const c = await open(NO_KPROBE, true);
    c.attachUprobe({ name: 'c', sym: 'getpriority', fnName: 'on_uprobe', pid: process.pid });
    c.attachPerfEvent({
      type: PerfType.SOFTWARE,
      config: PerfSWConfig.CPU_CLOCK,
      sampleFreq: 10,
      fnName: 'on_perf',
    });
    c.table('hits').get(0);
    await c.tracePipe();
    expect(fds()).toBeGreaterThan(before + 5);
    c.close();
    expect(fds()).toBe(before);
  });

  it('names what the function prefixes mean', () => {
    expect(programConvention({ name: 'tracepoint__sched__sched_switch', section: '' })).toEqual({
      type: ProgramType.TRACEPOINT,
      attachKind: 'tracepoint',
      attachTarget: 'sched:sched_switch',
      autoAttach: true,
    });
    expect(programConvention({ name: 'kretprobe__tcp_v4_connect', section: '' }).attachKind).toBe(
      'kretprobe',
    );
    expect(programConvention({ name: 'x', section: 'raw_tp/sched_switch' }).attachTarget).toBe(
      'sched_switch',
    );
    expect(programConvention({ name: 'helper', section: '.text' })).toEqual({ autoAttach: false });
    expect(tracepointExists('syscalls', 'sys_enter_getpriority')).toBe(true);
    expect(tracepointExists('syscalls', 'sys_enter_nosuch')).toBe(false);
  });

  it('uprobe and uretprobe on libc getpriority', async () => {
    b = await open(NO_KPROBE, false);
    const libc = resolveBinary('c');
    expect(symbolOffset(libc, 'getpriority')).toBeGreaterThan(0n);
    b.attachUprobe({ name: 'c', sym: 'getpriority', fnName: 'on_uprobe', pid: process.pid });
    b.attachUretprobe({ name: 'c', sym: 'getpriority', fnName: 'on_uretprobe', pid: process.pid });
    expect(b.numOpenUprobes()).toBe(2);
    getPriority();
    expect(hits(b, 2)).toBe(1n);
    expect(hits(b, 3)).toBe(1n);
    expect(() => b?.attachUprobe({ name: 'c', sym: 'no_such_fn_xyz', fnName: 'on_uprobe' })).toThrow(
      new InvalidArgumentError(`no function "no_such_fn_xyz" in ${libc}`),
    );
  });

  it('perf event: a software clock samples on every CPU', async () => {
    b = await open(NO_KPROBE, false);
    b.attachPerfEvent({
      type: PerfType.SOFTWARE,
      config: PerfSWConfig.CPU_CLOCK,
      sampleFreq: 1000,
      fnName: 'on_perf',
    });
    const bb = b;
    await waitFor(() => hits(bb, 4) >= 5n, 'five perf event samples', 10_000);
  });

  it('kprobes: attach where the kernel has them, NotSupportedError naming CONFIG_KPROBE_EVENTS where not', async () => {
    if (kprobesAvailable()) {
      b = await open(PROG, true);
      getPriority();
      expect(hits(b, 5)).toBe(1n);
      return;
    }
    console.log('this kernel has no kprobes: checking the NotSupportedError path');
    const spec = await compile(PROG, { name: 'kp' });
    const err = (() => {
      try {
        BPF.fromSpec(spec);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).kernelOption).toBe('CONFIG_KPROBE_EVENTS');
    expect((err as Error).message).toMatch(
      /^kprobe__sys_getpriority: kprobe on \w*sys_getpriority is not supported by the running kernel \(needs CONFIG_KPROBE_EVENTS\)/,
    );
    expect((err as Error).message).toContain('tracepoint syscalls:sys_enter_getpriority');
    b = await open(PROG, false);
    const prog = b.loadFunc('kprobe__sys_getpriority', 'KPROBE');
    expect(() => attachKprobe(prog, { event: 'tcp_v4_connect', retprobe: true })).toThrow(
      /kretprobe is not supported/,
    );
  });

  it('kfunc/kretfunc/lsm: attach where the kernel has trampolines, else NotSupportedError', async () => {
    const text = `BPF_ARRAY(n, u64, 1);
KFUNC_PROBE(__x64_sys_getpriority) { int k = 0; u64 *v = n.lookup(&k); if (v) __sync_fetch_and_add(v, 1); return 0; }`;
    const fs = await features();
    if (fs.has('fentry')) {
      const k = await BPF.create({ text });
      try {
        getPriority();
        expect(k.table<number, bigint>('n').get(0)).toBeGreaterThan(0n);
      } finally {
        k.close();
      }
      return;
    }
    console.log(`fentry missing here (${fs.missingReason('fentry')}): checking the NotSupportedError path`);
    const err = await BPF.create({ text }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotSupportedError);
    expect((err as NotSupportedError).kernelOption).toBe('CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS');
  });

  it('perf counters: a program reads a per-CPU software counter opened from TypeScript', async () => {
    const c = await BPF.create({
      text: `BPF_PERF_ARRAY(clk, 64);
BPF_ARRAY(seen, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getpriority) {
  if ((bpf_get_current_pid_tgid() >> 32) != ${process.pid}) return 0;
  int k = 0;
  u64 v = clk.perf_read(CUR_CPU_IDENTIFIER);
  seen.update(&k, &v);
  return 0;
}`,
    });
    try {
      const counters = c.openPerfEvent('clk', PerfType.SOFTWARE, PerfSWConfig.CPU_CLOCK);
      getPriority();
      const v = c.table<number, bigint>('seen').get(0) ?? 0n;
      expect(v).toBeGreaterThan(0n);
      expect(v).toBeLessThan(1n << 62n); // a clock in ns, not an error code
      expect(counters.read(0)).toBeGreaterThan(0n);
    } finally {
      c.close();
    }
  });

  it('pins maps and programs under bpffs; temporary pins go with close', async () => {
    if (!existsSync('/sys/fs/bpf')) return console.log('skipped: no bpffs at /sys/fs/bpf');
    b = await open(NO_KPROBE, false);
    const dir = `/sys/fs/bpf/tsbcc-test-${randomBytes(4).toString('hex')}`;
    b.pinMap('hits', `${dir}/hits`, { temporary: true });
    b.loadFunc('on_raw', 'RAW_TRACEPOINT');
    b.pinProgram('on_raw', `${dir}/on_raw`, { temporary: true });
    expect(existsSync(`${dir}/hits`)).toBe(true);
    const shown = JSON.parse(
      execFileSync('bpftool', ['-j', 'map', 'show', 'pinned', `${dir}/hits`], { encoding: 'utf8' }),
    ) as {
      name: string;
    };
    expect(shown.name).toBe('hits');
    expect(() => b?.pinMap('hits', `${dir}/hits`)).toThrow(/EEXIST/);
    b.close();
    expect(existsSync(`${dir}/hits`)).toBe(false);
    expect(existsSync(`${dir}/on_raw`)).toBe(false);
    execFileSync('rmdir', [dir]);
  });

  it('trace_pipe: bpf_printk lines arrive parsed', async () => {
    b = await open(NO_KPROBE, false);
    b.attachTracepoint({ tp: 'syscalls:sys_enter_getpriority', fnName: 'say_hello' });
    const ac = new AbortController();
    const fields = b.traceFields({ signal: ac.signal });
    const first = fields.next();
    getPriority();
    let found: string | undefined;
    for (let r = await first; !r.done; r = await fields.next()) {
      if (r.value.msg.includes('tsbcc-hello')) {
        found = r.value.msg;
        expect(r.value.pid).toBeGreaterThan(0);
        expect(r.value.ts).toBeGreaterThan(0);
        ac.abort();
      }
    }
    expect(found).toBe('tsbcc-hello 42');
  });

  it('USDT: python function__entry fires through the semaphore (ref_ctr_offset)', async (ctx) => {
    const python = '/usr/bin/python3.11';
    if (!existsSync(python)) {
      console.log(`skipped: ${python} (a binary with USDT probes and semaphores) is not installed`);
      return ctx.skip();
    }
    const text = `BPF_ARRAY(calls, u64, 1);
int on_entry(struct pt_regs *ctx) { int k = 0; u64 *v = calls.lookup(&k); if (v) __sync_fetch_and_add(v, 1); return 0; }`;
    const usdt = [{ path: python, probes: [{ probe: 'python:function__entry', fnName: 'on_entry' }] }];
    const script = ['-c', 'import json\ndef f():\n    pass\nfor i in range(50):\n    f()\n'];
    const u = await BPF.create({ text, usdt });
    const site = u.spec.usdt?.[0]?.locations[0];
    expect(site).toBeDefined();
    try {
      expect(u.numOpenUprobes()).toBeGreaterThan(0);
      execFileSync(python, script);
      expect(u.table<number, bigint>('calls').get(0)).toBeGreaterThan(0n);
    } finally {
      u.close();
    }
    // control: a plain uprobe at the same site without the semaphore never fires, because the
    // binary skips its probes while the semaphore is zero
    const c = await BPF.create({ text, autoAttach: false });
    try {
      c.attachUprobe({
        name: python,
        address: vaddrToFileOffset(python, BigInt(site?.pc ?? 0)),
        fnName: 'on_entry',
      });
      execFileSync(python, script);
      expect(c.table<number, bigint>('calls').get(0)).toBe(0n);
    } finally {
      c.close();
    }
  });

  it('user stacks: a uprobe stack resolves to the probed libc function', async () => {
    const u = await BPF.create({
      text: `BPF_STACK_TRACE(stacks, 16);
BPF_ARRAY(ids, int, 1);
int on_call(struct pt_regs *ctx) {
  int k = 0;
  int id = stacks.get_stackid(ctx, BPF_F_USER_STACK);
  ids.update(&k, &id);
  return 0;
}`,
      autoAttach: false,
    });
    try {
      u.attachUprobe({ name: 'c', sym: 'getpriority', fnName: 'on_call', pid: process.pid });
      getPriority();
      const id = u.table<number, number>('ids').get(0) ?? -1;
      expect(id).toBeGreaterThanOrEqual(0);
      const stack = (u.table('stacks') as StackTraceTable).walk(id);
      const syms = new UserSymbols(process.pid);
      expect(syms.sym(stack[0] ?? 0n)).toBe('getpriority');
      expect((u.table('stacks') as StackTraceTable).walk(id, (a) => syms.sym(a))[0]).toBe('getpriority');
      expect(syms.sym(stack[0] ?? 0n, { showModule: true })).toMatch(/^getpriority \[libc\.so\.6\]$/);
    } finally {
      u.close();
    }
  });

  it('kernel symbols: ksymname and ksym agree, with offset and module', () => {
    const name = `${getSyscallPrefix()}getpriority`;
    const addr = ksymname(name);
    expect(addr).toBeGreaterThan(0n);
    expect(ksym(addr)).toBe(name);
    expect(ksym(addr + 4n, { showOffset: true, showModule: true })).toBe(`${name}+0x4 [kernel]`);
    expect(ksymname('no_such_symbol_xyz')).toBe(-1n);
  });

  it('parses trace_pipe lines like BCC', () => {
    expect(
      parseTraceLine('           <...>-1234    [001] d..31  5678.123456: bpf_trace_printk: hi there'),
    ).toEqual({
      task: '<...>',
      pid: 1234,
      cpu: 1,
      flags: 'd..31',
      ts: 5678.123456,
      msg: 'hi there',
    });
    expect(parseTraceLine('CPU:1 [LOST 3 EVENTS]')).toBeUndefined();
  });
});

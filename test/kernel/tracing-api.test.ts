// The tracing API rows BCC users reach for (docs/bcc-api.md): symbol regex uprobes,
// attach_func, attach_perf_event_raw, cheap feature questions, robust symbols, lost-sample
// warnings, trace_print format strings, the USDT API and kprobe alternatives. The kprobe rows
// (regex attach, maxactive, the kprobe-failure message) are in tracing-kprobes.test.ts, which
// the Debian 6.1 VM lane runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  attachFunc,
  BPF,
  DEFAULT_PROBE_LIMIT,
  getProbeLimit,
  numOpenProbes,
  fixSyscallFnname,
  getUserFunctions,
  listUsdtProbes,
  NotSupportedError,
  PerfSWConfig,
  PerfType,
  resolveBinary,
  StackTraceTable,
  supportKfunc,
  supportKprobes,
  supportLsm,
  supportRawTracepoint,
  supportUprobes,
  UserSymbols,
  usym,
  InvalidArgumentError,
} from '../../src/index.js';
import { clearUserSymbolCache } from '../../src/tracing/usyms.js';
import { kprobeAlternatives } from '../../src/tracing/kprobe-alternatives.js';
import { usdtArgumentReaders } from '../../src/tracing/usdt.js';
import { features } from '../../src/features/index.js';
import { waitFor } from './helpers/wait.js';

const COUNTERS = `
BPF_ARRAY(hits, u64, 4);
static inline void hit(int k) { u64 *v = hits.lookup(&k); if (v) __sync_fetch_and_add(v, 1); }
static inline int mine() { return (bpf_get_current_pid_tgid() >> 32) == ${process.pid}; }
int on_entry(struct pt_regs *ctx) { if (mine()) hit(0); return 0; }
int on_return(struct pt_regs *ctx) { if (mine()) hit(1); return 0; }
int on_sample(struct bpf_perf_event_data *ctx) { hit(2); return 0; }
`;

const hits = (b: BPF, k: number): bigint => b.table<number, bigint>('hits').get(k) ?? 0n;

describe('tracing API rows', () => {
  let b: BPF | undefined;
  const children: ChildProcess[] = [];
  afterEach(() => {
    b?.close();
    b = undefined;
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('kprobe alternatives exist on this kernel and say when they are approximations', () => {
    const clone = kprobeAlternatives(fixSyscallFnname('sys_clone'));
    expect(clone[0]).toMatchObject({ kind: 'tracepoint', target: 'syscalls:sys_enter_clone' });
    expect(kprobeAlternatives(fixSyscallFnname('sys_clone'), true)[0]?.target).toBe(
      'syscalls:sys_exit_clone',
    );
    expect(kprobeAlternatives('finish_task_switch.isra.0')[0]?.target).toBe('sched:sched_switch');
    const read = kprobeAlternatives('vfs_read', true)[0];
    expect(read).toMatchObject({
      target: 'syscalls:sys_exit_read',
      usage: 'TRACEPOINT_PROBE(syscalls, sys_exit_read)',
    });
    expect(read?.note).toMatch(/approximation/);
    expect(kprobeAlternatives('blk_mq_start_request').map((a) => `${a.kind} ${a.target}`)).toEqual(
      expect.arrayContaining(['tracepoint block:block_rq_issue', 'raw_tracepoint block_rq_issue']),
    );
    // a function with a same-named tracepoint
    expect(kprobeAlternatives('tcp_retransmit_skb').map((a) => a.target)).toContain('tcp:tcp_retransmit_skb');
  });

  it('uprobe by symbol regex attaches once per address and counts every call', async () => {
    const libc = resolveBinary('c');
    const fns = getUserFunctions('c', /getpriorit/);
    expect(fns.map((f) => f.name)).toEqual(['getpriority']);
    expect(getUserFunctions(libc, 'etpriority')).toEqual([]); // anchored at the start, as re.match
    b = await BPF.create({ text: COUNTERS });
    const links = b.attachUprobe({ name: 'c', symRe: /^getpriorit/, fnName: 'on_entry', pid: process.pid });
    const rets = b.attachUretprobe({
      name: libc,
      symRe: 'getpriority$',
      fnName: 'on_return',
      pid: process.pid,
    });
    expect(links.length).toBe(1);
    expect(rets.length).toBe(1);
    for (let i = 0; i < 4; i++) getPriority();
    expect(hits(b, 0)).toBe(4n);
    expect(hits(b, 1)).toBe(4n);
    expect(() => b?.attachUprobe({ name: 'c', symRe: /^no_such_fn_tsbcc/, fnName: 'on_entry' })).toThrow(
      new InvalidArgumentError(`no function of ${libc} matches /^no_such_fn_tsbcc/`),
    );
  });

  it('probe quota (BCC_PROBE_LIMIT): a regex that would pass it attaches nothing; closing gives probes back', async () => {
    const saved = process.env['BCC_PROBE_LIMIT'];
    const before = numOpenProbes();
    try {
      process.env['BCC_PROBE_LIMIT'] = String(before + 1);
      expect(getProbeLimit()).toBe(before + 1);
      b = await BPF.create({ text: COUNTERS });
      const two = /^getpriorit|^setpriorit/;
      expect(
        getUserFunctions('c', two)
          .map((f) => f.name)
          .sort(),
      ).toEqual(['getpriority', 'setpriority']);
      expect(() => b?.attachUprobe({ name: 'c', symRe: two, fnName: 'on_entry', pid: process.pid })).toThrow(
        expect.objectContaining({
          name: 'TsbccError',
          code: 'PROBE_QUOTA',
          message: expect.stringMatching(
            /2 more probes with \d+ open would exceed the limit of \d+ \(BCC_PROBE_LIMIT\)/,
          ),
        }),
      );
      expect(b.numOpenUprobes()).toBe(0);
      expect(numOpenProbes()).toBe(before);
      const one = b.attachUprobe({ name: 'c', sym: 'getpriority', fnName: 'on_entry', pid: process.pid });
      expect(numOpenProbes()).toBe(before + 1);
      getPriority();
      expect(hits(b, 0)).toBe(1n);
      expect(() =>
        b?.attachUretprobe({ name: 'c', sym: 'getpriority', fnName: 'on_return', pid: process.pid }),
      ).toThrow(expect.objectContaining({ code: 'PROBE_QUOTA' }));
      one.closeSync();
      expect(numOpenProbes()).toBe(before);
      b.attachUretprobe({ name: 'c', sym: 'getpriority', fnName: 'on_return', pid: process.pid });
      b.close();
      b = undefined;
      expect(numOpenProbes()).toBe(before);
      process.env['BCC_PROBE_LIMIT'] = 'many';
      expect(() => getProbeLimit()).toThrow(InvalidArgumentError);
    } finally {
      if (saved === undefined) delete process.env['BCC_PROBE_LIMIT'];
      else process.env['BCC_PROBE_LIMIT'] = saved;
    }
    expect(getProbeLimit()).toBe(saved === undefined ? DEFAULT_PROBE_LIMIT : Number(saved));
  });

  it('attachFunc attaches a cgroup program to a cgroup directory; close detaches it', async (ctx) => {
    const root = readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[2] === 'cgroup2')
      ?.split(' ')[1];
    if (!root) {
      console.log('skipped: no cgroup2 mount');
      return ctx.skip();
    }
    const cg = join(root, `tsbcc-${randomBytes(4).toString('hex')}`);
    mkdirSync(cg);
    try {
      b = await BPF.create({
        text: `BPF_ARRAY(egress, u64, 1);
int count(struct __sk_buff *skb) { int k = 0; u64 *v = egress.lookup(&k); if (v) __sync_fetch_and_add(v, 1); return 1; }`,
      });
      const prog = b.loadFunc('count', 'CGROUP_SKB');
      const link = attachFunc(prog, { path: cg }, 'CGROUP_INET_EGRESS');
      const shown = execFileSync('bpftool', ['cgroup', 'show', cg], { encoding: 'utf8' });
      expect(shown).toMatch(new RegExp(`${prog.id}\\s+cgroup_inet_egress|${prog.id}\\s+egress`));
      // three pings in a network namespace of its own, from a shell that joined the cgroup
      const out = execFileSync(
        'sh',
        [
          '-c',
          `echo $$ > ${cg}/cgroup.procs && exec unshare -n sh -c 'ip link set lo up && ping -c 3 -i 0.2 -W 2 127.0.0.1'`,
        ],
        { encoding: 'utf8' },
      );
      expect(out).toMatch(/3 packets transmitted, 3 received/);
      expect(b.table<number, bigint>('egress').get(0)).toBe(3n);
      await link.close();
      expect(execFileSync('bpftool', ['cgroup', 'show', cg], { encoding: 'utf8' })).not.toContain(
        String(prog.id),
      );
      expect(() => attachFunc(prog, { path: cg }, 'NO_SUCH' as 'XDP')).toThrow(
        /unknown attach type "NO_SUCH"/,
      );
    } finally {
      b?.close();
      rmdirSync(cg);
    }
  });

  it('attachPerfEventRaw samples a software clock described by a whole perf_event_attr', async () => {
    b = await BPF.create({ text: COUNTERS });
    const link = b.attachPerfEventRaw({
      attr: { type: PerfType.SOFTWARE, config: PerfSWConfig.CPU_CLOCK, sampleFreq: 1000 },
      fnName: 'on_sample',
    });
    expect(link.fileDescriptors.length).toBeGreaterThanOrEqual(1);
    const bb = b;
    await waitFor(() => hits(bb, 2) >= 5n, 'five raw perf event samples', 10_000);
  });

  it('cheap feature questions agree with the full probes', async () => {
    const fs = await features();
    expect(supportRawTracepoint()).toBe(fs.has('raw_tracepoints'));
    expect(supportKfunc()).toBe(fs.has('fentry'));
    expect(supportKprobes()).toBe(fs.has('kprobes'));
    expect(supportUprobes()).toBe(fs.has('uprobes'));
    // LSM: the answer matches what loading an LSM program does
    const lsm = await BPF.create({ text: 'LSM_PROBE(bpf, int cmd) { return 0; }' }).then(
      (x) => {
        x.close();
        return true;
      },
      (e: unknown) => {
        expect(e).toBeInstanceOf(NotSupportedError);
        return false;
      },
    );
    expect(supportLsm()).toBe(lsm);
  });

  it('symbols: C++ names demangled in a real stack, an exited process is [unknown], a negative id walks empty', async (ctx) => {
    // node's own C++ function behind os.getPriority(), from node's symbol table
    const gp = getUserFunctions(process.execPath, /^_ZN4node2osL11GetPriority/);
    if (gp.length !== 1) {
      console.log(`skipped: ${process.execPath} has no symbol table with node::os::GetPriority`);
      return ctx.skip();
    }
    b = await BPF.create({
      text: `BPF_STACK_TRACE(stacks, 64);
BPF_HASH(ids, u32, int);
int on_call(struct pt_regs *ctx) {
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  int id = stacks.get_stackid(ctx, BPF_F_USER_STACK);
  ids.update(&pid, &id);
  return 0;
}`,
    });
    b.attachUprobe({
      name: process.execPath,
      address: gp[0]?.address ?? 0n,
      fnName: 'on_call',
      pid: process.pid,
    });
    const ids = b.table<number, number>('ids');
    const stacks = b.table('stacks') as StackTraceTable;
    getPriority();
    const id = ids.get(process.pid) ?? -1;
    expect(id).toBeGreaterThanOrEqual(0);
    expect(stacks.walk(id, (a) => usym(a, process.pid))[0]).toBe(
      'node::os::GetPriority(v8::FunctionCallbackInfo<v8::Value> const&)',
    );
    expect(stacks.walk(id, (a) => usym(a, process.pid, { demangle: false }))[0]).toBe(gp[0]?.name);

    // a process that exits after its stack was taken resolves to [unknown], as in BCC.
    // The map is emptied first and the uprobe is the child's alone: bpf_get_stackid answers
    // -EEXIST when another stack holds the bucket (64 of them), and every process on a busy
    // machine calls getpriority (a run of the whole suite once failed so).
    stacks.clear();
    // the child calls getpriority once told to (after the uprobe is on its pid) and says when
    // it has returned (its uprobe ran before): no polling against a clock, however long
    // python takes to start on a loaded machine
    const child = spawn(
      'python3',
      [
        '-c',
        'import os, sys; sys.stdin.readline(); os.getpriority(os.PRIO_PROCESS, 0); print("called", flush=True); sys.stdin.read()',
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const pid = child.pid as number;
    b.attachUprobe({ name: 'c', sym: 'getpriority', fnName: 'on_call', pid });
    child.stdin?.write('go\n');
    const said = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', () => resolve(out));
    });
    expect(said).toBe('called\n');
    expect(ids.get(pid) ?? -1).toBeGreaterThanOrEqual(0);
    const addrs = stacks.walk(ids.get(pid) ?? -1);
    expect(new UserSymbols(pid).sym(addrs[0] ?? 0n)).toBe('getpriority');
    child.stdin?.end();
    await new Promise((r) => child.once('exit', r));
    clearUserSymbolCache(pid);
    expect(addrs.map((a) => usym(a, pid))).toEqual(addrs.map(() => '[unknown]'));
    expect(new UserSymbols(pid).alive).toBe(false);

    // bpf_get_stackid's errors are negative ids: nothing to walk
    expect(stacks.walk(-14)).toEqual([]);
    expect(stacks.walk(-17, (a) => usym(a, process.pid))).toEqual([]);
  });

  it('lost perf samples: a warning with the count by default, the callback when given', async () => {
    // the program counts its own successful and refused submits: the kernel's lost count
    // must equal the refused ones
    const text = `struct big { char b[240]; };
BPF_PERF_OUTPUT(events);
BPF_ARRAY(submits, u64, 2);
BPF_ARRAY(burst, u32, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getpriority) {
  if ((bpf_get_current_pid_tgid() >> 32) != ${process.pid}) return 0;
  struct big e = {};
  int zero = 0;
  u32 *n = burst.lookup(&zero);
  u32 count = n ? *n : 1;
  for (int i = 0; i < 64; i++) {
    if (i >= count) break;
    int k = events.perf_submit(args, &e, sizeof(e)) < 0 ? 1 : 0;
    u64 *v = submits.lookup(&k);
    if (v) __sync_fetch_and_add(v, 1);
  }
  return 0;
}`;
    // Each call writes a burst of 64 records (16 KiB; the count is in map burst) into a
    // one-page ring within one program run: the reader's drain thread, woken on the other CPU, cannot empty the ring that fast,
    // so records are lost however the two threads are scheduled (with one record per call, it
    // kept up and lost none).
    const CALLS = 200;
    // The kernel writes a CPU's LOST record when that CPU's next sample finds room. The calls
    // below run on the JS thread; if it migrated mid-loop, the other CPU's record would wait
    // for a sample that never comes (seen: 417 reported of 1970 refused). So the thread is
    // pinned to one CPU (its own tid only: `taskset -p`) for the test, and given back its mask.
    const was = /affinity mask: ([0-9a-f]+)/.exec(
      execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }),
    )?.[1];
    expect(was).toBeDefined();
    const firstCpu = BigInt(`0x${was}`).toString(2).split('').reverse().indexOf('1');
    execFileSync('taskset', ['-p', '-c', String(firstCpu), String(process.pid)], { stdio: 'ignore' });
    try {
      for (const withCallback of [false, true]) {
        const c = await BPF.create({ text });
        try {
          let lostByCallback = 0;
          const warnings: Error[] = [];
          const onWarning = (w: Error): void => void warnings.push(w);
          process.on('warning', onWarning);
          try {
            const reader = c.openPerfBuffer('events', undefined, {
              pageCount: 1,
              ...(withCallback ? { lost: (n: number) => void (lostByCallback += n) } : {}),
            });
            // the ring (one page) overflows within each burst; the rest is lost. The kernel
            // writes its LOST record when the next sample finds room: drain, one more call,
            // drain again.
            const burst = c.table<number, number>('burst');
            burst.set(0, 64);
            for (let i = 0; i < CALLS; i++) getPriority();
            reader.consume();
            burst.set(0, 1); // one record, which finds room and carries the LOST record
            getPriority();
            reader.consume();
            await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
            const submits = c.table<number, bigint>('submits');
            expect(reader.lostCount).toBeGreaterThan(0);
            expect(reader.received).toBe(Number(submits.get(0)));
            expect(reader.lostCount).toBe(Number(submits.get(1)));
            const mine = warnings.filter((w) => (w as { code?: string }).code === 'TSBCC_LOST_SAMPLES');
            if (withCallback) {
              expect(lostByCallback).toBe(reader.lostCount);
              expect(mine).toEqual([]);
            } else {
              const total = mine.reduce(
                (n, w) => n + Number(/Possibly lost (\d+) samples/.exec(w.message)?.[1]),
                0,
              );
              expect(total).toBe(reader.lostCount);
            }
          } finally {
            process.off('warning', onWarning);
          }
        } finally {
          c.close();
        }
      }
    } finally {
      execFileSync('taskset', ['-p', was ?? 'ffffffff', String(process.pid)], { stdio: 'ignore' });
    }
  });

  it('tracePrint takes a BCC format string ("{1} {5}": pid and message)', async () => {
    b = await BPF.create({
      text: `TRACEPOINT_PROBE(syscalls, sys_enter_getpriority) {
  if ((bpf_get_current_pid_tgid() >> 32) == ${process.pid}) bpf_trace_printk("tsbcc-fmt %d\\n", 7);
  return 0;
}`,
    });
    const ac = new AbortController();
    const lines: string[] = [];
    const printing = b.tracePrint({
      format: '{1} {5}',
      signal: ac.signal,
      write: (s) => {
        lines.push(s);
        if (s.includes('tsbcc-fmt')) ac.abort();
      },
    });
    getPriority();
    await printing;
    expect(lines.filter((l) => l.includes('tsbcc-fmt'))).toEqual([`${process.pid} tsbcc-fmt 7\n`]);
    await expect(b.tracePrint('{9}')).rejects.toThrow(/no field "9"/);
  });

  it('USDT: lists a binary and a process with argument specs, enables by pid without a path, shows the readers', async (ctx) => {
    const python = '/usr/bin/python3.11';
    if (!existsSync(python)) {
      console.log(`skipped: ${python} (a binary with USDT probes) is not installed`);
      return ctx.skip();
    }
    const probes = listUsdtProbes({ path: python });
    const entry = probes.find((p) => p.provider === 'python' && p.name === 'function__entry');
    expect(entry?.path).toBe(python);
    // the same notes as binutils reads them
    const readelf = execFileSync('readelf', ['-n', python], { encoding: 'utf8' });
    const specs = /Name: function__entry\n\s+Location: (0x[0-9a-f]+).*\n\s+Arguments: (.*)/.exec(readelf);
    expect(entry?.sites.map((s) => `0x${s.pc.toString(16).padStart(16, '0')}`)).toContain(specs?.[1]);
    const site = entry?.sites.find((s) => `0x${s.pc.toString(16).padStart(16, '0')}` === specs?.[1]);
    expect(site?.args.map((a) => a.spec).join(' ')).toBe(specs?.[2]);
    expect(site?.semaphore).not.toBe(0n);

    // Python decides at start-up whether its probes are live, so each process waits, then
    // re-executes itself (same pid, fresh start) once the probe is enabled
    const script =
      "import os, sys\nprint('ready', flush=True)\nsys.stdin.readline()\nos.execv(sys.executable, [sys.executable, '-c', 'def f():\\n    pass\\nfor i in range(40):\\n    f()\\n'])\n";
    const target = spawn(python, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const other = spawn(python, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(target, other);
    const pid = target.pid as number;
    // each says when it runs (and so has python mapped): no polling against a clock
    const ready = (c: ChildProcess): Promise<void> =>
      new Promise((resolve, reject) => {
        c.stdout?.once('data', () => resolve());
        c.once('exit', (code) => reject(new Error(`python exited (${code}) before it was ready`)));
      });
    await Promise.all([ready(target), ready(other)]);
    target.stdout?.resume();
    other.stdout?.resume();
    expect(listUsdtProbes({ pid }).some((p) => p.path === python)).toBe(true);
    expect(listUsdtProbes({ pid }).find((p) => p.name === 'function__entry')?.path).toBe(python);

    const readers = usdtArgumentReaders({ pid }, 'python:function__entry', 'on_entry');
    expect(readers).toContain('_bpf_readarg_on_entry_1(struct pt_regs *ctx');
    expect(readers).toContain('_bpf_readarg_on_entry_3(');

    b = await BPF.create({
      text: `BPF_HASH(calls, u32, u64);
int on_entry(struct pt_regs *ctx) {
  u32 pid = bpf_get_current_pid_tgid() >> 32;
  u64 zero = 0, *v = calls.lookup_or_try_init(&pid, &zero);
  if (v) (*v)++;
  return 0;
}`,
      usdt: [{ pid, probes: [{ probe: 'python:function__entry', fnName: 'on_entry' }] }],
    });
    const exited = (c: ChildProcess): Promise<unknown> => new Promise((r) => c.once('exit', r));
    const done = Promise.all([exited(target), exited(other)]);
    target.stdin?.end('go\n');
    other.stdin?.end('go\n');
    await done;
    const calls = b.table<number, bigint>('calls');
    expect(calls.get(pid) ?? 0n).toBeGreaterThan(0n);
    expect(calls.get(other.pid as number)).toBeUndefined();
    expect(() => usdtArgumentReaders({ path: python }, 'python:no_such_probe', 'x')).toThrow(
      /no USDT probe "python:no_such_probe"/,
    );
    await expect(
      BPF.create({
        text: 'int h(void *ctx) { return 0; }',
        usdt: [{ pid, probes: [{ probe: 'nope', fnName: 'h' }] }],
      }),
    ).rejects.toThrow(/is in no file process \d+ has mapped|cannot read the mappings of process/);
  });
});

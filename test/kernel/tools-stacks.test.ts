/**
 * The stack tools on a test binary whose functions make their own syscalls (so they are the
 * innermost user frames): stackcount and stacksnoop on its getppid tracepoint hits (or, with
 * kprobes, the syscall function), offcputime and wakeuptime on its sleeps. Kernel and user
 * frames are resolved by name; -f prints folded stacks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getSyscallPrefix } from '../../src/bcc/syscall-prefix.js';
import { features } from '../../src/features/index.js';
import { getKprobeFunctions } from '../../src/tracing/kprobe-functions.js';
import { ToolRun } from './helpers/tool-run.js';
import { buildTarget, Target } from './helpers/tool-target.js';

const fs = await features();
const noTracing = fs.missingReason('tracepoints') ?? fs.missingReason('raw_tracepoints');
const kprobes = fs.has('kprobes');
const runs: ToolRun[] = [];
const targets: Target[] = [];
let dir = '';
let bin = '';
const TICKS = 25;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-stacks-'));
  bin = buildTarget(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
  for (const t of targets.splice(0)) t.kill();
});

/** Starts a tool; `--verbose` is theirs to add (in stackcount, stacksnoop and wakeuptime it also changes stdout). */
function start(args: string[]): ToolRun {
  const r = ToolRun.start(args);
  runs.push(r);
  return r;
}

function target(args: string[]): Target {
  const t = new Target(bin, args);
  targets.push(t);
  return t;
}

describe.skipIf(noTracing)('tools: stacks', () => {
  if (noTracing) console.log(`skipped: ${noTracing}`);

  // raw_syscalls:sys_enter, not syscalls:sys_enter_getppid: kernels before 6.x-late hand the
  // syscall tracepoints' programs the user registers, so they have no kernel stack there
  it("stackcount counts a tracepoint's stacks, kernel and user frames by name", async () => {
    const t = target(['tick', String(TICKS)]);
    const r = start(['stackcount', '-p', String(t.pid), 't:raw_syscalls:sys_enter']);
    await r.line(/^Tracing 1 functions for "t:raw_syscalls:sys_enter"\.\.\. Hit Ctrl-C to end\.$/);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    // the getppid calls of tsbcc_tick: one stack, counted TICKS times (the process's other
    // syscalls have other user stacks)
    const at = r.lines.findIndex((l, i) => l === `    ${TICKS}` && r.lines[i - 2]?.trim() === 'main');
    expect(at, r.output()).toBeGreaterThan(0);
    const blank = r.lines.slice(0, at).lastIndexOf('');
    const frames = r.lines.slice(blank + 1, at).map((l) => l.trim());
    expect(frames.slice(-3)).toEqual(['tsbcc_tick', 'main', expect.any(String)]);
    expect(frames, r.output()).toContain('do_syscall_64');
    expect(frames.indexOf('do_syscall_64')).toBeLessThan(frames.indexOf('tsbcc_tick'));
    expect(r.lines.at(-1)).toBe('Detaching...');
  });

  it('stackcount -f prints the folded stack: comm, user frames root first, kernel frames', async () => {
    const t = target(['tick', String(TICKS)]);
    // -p: every syscall of a busy machine would fill the stack map (1024 stacks, as BCC's)
    const r = start(['stackcount', '-f', '-P', '-p', String(t.pid), 't:raw_syscalls:sys_enter', '--verbose']);
    await r.stderrMatch(/attached/);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    const line = r.lines.find((l) => l.startsWith('tool-target;') && l.includes(';tsbcc_tick;'));
    expect(line, r.output()).toBeDefined();
    expect(line, r.output()).toMatch(new RegExp(`;main;tsbcc_tick;.*do_syscall_64.* ${TICKS}$`));
  });

  it('stacksnoop prints the kernel stack of every hit', async () => {
    const t = target(['tick', String(TICKS)]);
    // getppid's function by the name ftrace lists (on 6.1 __x64_sys_getppid is an alias of
    // __do_sys_getppid: one address, two names)
    const what = kprobes
      ? (getKprobeFunctions(new RegExp(`${getSyscallPrefix()}getppid|__do_sys_getppid`))[0] ?? 'none')
      : 't:syscalls:sys_enter_getppid';
    const r = start(['stacksnoop', '-v', '-p', String(t.pid), what]);
    // -v (--verbose) adds the COMM, PID and CPU columns
    await r.line(/^TIME\(s\)\s+COMM\s+PID\s+CPU\s+FUNCTION$/);
    await t.go();
    // every event is printed by the time the tool has handled Ctrl-C
    expect(await r.interrupt()).toBe(0);
    const hits = r.lines.filter((l) =>
      new RegExp(`^[\\d.]+\\s+tool-target\\s+${t.pid}\\s+\\d+\\s+${what}$`).test(l),
    );
    expect(hits, r.output()).toHaveLength(TICKS);
    expect(r.lines.filter((l) => l === '\tdo_syscall_64')).toHaveLength(TICKS);
    expect(r.stderr).toMatch(kprobes ? /attached kprobe/ : /attached tracepoint/);
  });

  it('offcputime -f shows where a sleeping process of the test blocked, in its user and kernel stacks', async () => {
    const t = target(['nap', '10', '20']);
    const r = start(['offcputime', '-f', '-p', String(t.pid), '30', '--verbose']);
    await r.stderrMatch(/attached/);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    // the naps' stack: under load the target is also preempted elsewhere in tsbcc_nap (at a
    // syscall's exit, from the timer interrupt), and each such stack is a line of its own
    const line = r.lines.find((l) => l.startsWith('tool-target;') && /;tsbcc_nap;.*nanosleep/.test(l));
    expect(line, r.output()).toMatch(/;main;tsbcc_nap;.*nanosleep.*;schedule(;|$| )/);
    // ten naps of 20 ms: at least 200 ms off CPU there
    expect(Number(line?.split(' ').at(-1))).toBeGreaterThanOrEqual(200_000);
    expect(r.stderr).toMatch(
      kprobes ? /attached kprobe finish_task_switch/ : /attached raw tracepoint sched_switch/,
    );
  });

  it('wakeuptime shows the sleeping process of the test woken by its timer', async () => {
    const t = target(['nap', '10', '20']);
    const r = start(['wakeuptime', '-p', String(t.pid), '30']);
    await r.line(/^Tracing blocked time \(us\) by kernel stack for 30 secs\.$/);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    // One block per distinct (target, waker, stack): a timer wake-up shows hrtimer_wakeup in
    // its stack, unless it reached the target's CPU as a queued remote wake-up (IPI path,
    // sched_ttwu_pending), so one block of the target must show the timer.
    const blocks: { stack: string[]; us: number }[] = [];
    r.lines.forEach((l, at) => {
      if (!/^\s+target:\s+tool-target$/.test(l)) return;
      const waker = r.lines.findIndex((w, i) => i > at && /^\s+waker:/.test(w));
      expect(waker, r.output()).toBeGreaterThan(at);
      blocks.push({ stack: r.lines.slice(at + 1, waker), us: Number(r.lines[waker + 1]) });
    });
    expect(blocks.length, r.output()).toBeGreaterThan(0);
    expect(
      blocks.some((b) => b.stack.some((l) => /\shrtimer_wakeup\+0x[0-9a-f]+$/.test(l))),
      r.output(),
    ).toBe(true);
    expect(
      blocks.reduce((sum, b) => sum + b.us, 0),
      r.output(),
    ).toBeGreaterThanOrEqual(200_000);
    expect(r.lines.at(-1)).toBe('Detaching...');
  });
});

/**
 * The snooping tools against workloads the tests make: opensnoop sees a file opened, killsnoop
 * a signal sent, syncsnoop the sync calls, pidpersec the forks. Each runs with its default
 * hooks: kprobes where the kernel has them (the VM lane), tracepoints here; --verbose shows
 * which, and the test checks that the tool took the kind the kernel calls for.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { stillLoaded, ToolRun } from './helpers/tool-run.js';
import { waitFor } from './helpers/wait.js';

const fs = await features();
const noTracing = fs.missingReason('tracepoints');
let kprobes = false;
let dir = '';
const runs: ToolRun[] = [];

beforeAll(() => {
  kprobes = fs.has('kprobes');
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-tools-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
});

function start(args: string[]): ToolRun {
  const r = ToolRun.start([...args, '--verbose']);
  runs.push(r);
  return r;
}

/** The hook kind the tool said it attached to matches the kernel's (kprobes where present). */
function expectHooks(r: ToolRun, kprobeWord: RegExp, tracepointWord: RegExp): void {
  expect(r.stderr).toMatch(kprobes ? kprobeWord : tracepointWord);
}

describe.skipIf(noTracing)('tools: snoops', () => {
  if (noTracing) console.log(`skipped: ${noTracing}`);

  it('opensnoop shows a file the test opened (pid, fd, path) and a failed open (errno)', async () => {
    const r = start(['opensnoop', '-n', 'cat']);
    await r.line(/^PID\s+COMM\s+FD\s+ERR\s+PATH$/);
    const present = join(dir, `present-${randomBytes(4).toString('hex')}`);
    const missing = join(dir, `missing-${randomBytes(4).toString('hex')}`);
    writeFileSync(present, 'x');
    const ok = spawnSync('cat', [present]);
    const bad = spawnSync('cat', [missing]);
    const okLine = await r.line(new RegExp(`${present}$`));
    const badLine = await r.line(new RegExp(`${missing}$`));
    expect(okLine.split(/\s+/).slice(0, 4)).toEqual([String(ok.pid), 'cat', '3', '0']);
    expect(badLine.split(/\s+/).slice(0, 4)).toEqual([String(bad.pid), 'cat', '-1', '2']);
    expectHooks(r, /kprobe \S*sys_openat/, /tracepoint syscalls:sys_enter_openat /);
    const held = r.held();
    expect(held.progs.length).toBeGreaterThan(0);
    expect(await r.interrupt()).toBe(0);
    await waitFor(() => stillLoaded(held).length === 0, 'the tool’s programs and maps to be freed', 10_000);
  });

  it('killsnoop shows a signal the test sent: sender pid, signal number, target, result', async () => {
    const r = start(['killsnoop', '-s', '10']);
    await r.line(/^TIME\s+PID\s+COMM\s+SIG\s+TPID\s+RESULT$/);
    const target = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await new Promise((res) => target.once('spawn', res));
      process.kill(target.pid ?? -1, 'SIGUSR1');
      const line = await r.line(new RegExp(`\\s10\\s+${target.pid}\\s+0$`));
      // TIME PID COMM SIG TPID RESULT; COMM may hold spaces ("node (vitest 1)")
      const [, pid, sig, tpid, result] = /^\S+\s+(\d+)\s+.*?\s+(\d+)\s+(-?\d+)\s+(-?\d+)$/.exec(line) ?? [];
      expect([pid, sig, tpid, result]).toEqual([String(process.pid), '10', String(target.pid), '0']);
    } finally {
      target.kill('SIGKILL');
    }
    // a kill to a process that does not exist fails with ESRCH
    const gone = spawnSync('sh', ['-c', 'kill -USR1 2147483 2>/dev/null; echo $$']);
    const shPid = String(gone.stdout).trim();
    const failed = await r.line(new RegExp(`^\\S+\\s+${shPid}\\s+\\S+\\s+10\\s+2147483\\s+-3$`));
    expect(failed).toBeTruthy();
    expectHooks(r, /kretprobe \S*sys_kill/, /tracepoint syscalls:sys_exit_kill /);
    expect(await r.interrupt()).toBe(0);
  });

  it('syncsnoop shows sync(), fsync() and syncfs() calls of a process the test ran', async () => {
    const r = start(['syncsnoop']);
    await r.line(/^TIME\(s\)\s+COMM\s+CALL\s*$/);
    const file = join(dir, 'synced');
    writeFileSync(file, 'data');
    // sync(2), then fsync(2) and syncfs(2) on the file; each must have run (a failed spawn
    // would otherwise look like a lost event), and its time is kept for the failure message
    const ran: string[] = [];
    for (const args of [[], [file], ['-f', file]]) {
      const t0 = Date.now();
      const p = spawnSync('sync', args);
      ran.push(`sync ${args.join(' ')}: status ${p.status} in ${Date.now() - t0} ms`);
      expect(p.status, `${ran.join('; ')} ${String(p.error ?? p.stderr)}`).toBe(0);
    }
    // the calls are made (and their events submitted) by now: their lines follow within a
    // poll or two, so one 20 s bound for all three (not the 120 s a first compile may need)
    const until = Date.now() + 20_000;
    for (const call of ['sync', 'fsync', 'syncfs']) {
      const re = new RegExp(`^[\\d.]+\\s+sync\\s+${call}\\s*$`);
      const hit = await r.line(re, Math.max(1, until - Date.now())).catch((e: unknown) => {
        throw new Error(`${String(e)}\n(${ran.join('; ')})`);
      });
      expect(hit).toBeTruthy();
    }
    expectHooks(r, /kprobe \S*sys_sync /, /tracepoint syscalls:sys_enter_sync /);
    expect(await r.interrupt()).toBe(0);
  });

  it('pidpersec counts the processes the test forked', async () => {
    const r = start(['pidpersec']);
    await r.line(/^Tracing\.\.\. Ctrl-C to end\.$/);
    const first = r.lines.length;
    const n = 40;
    for (let i = 0; i < n; i++)
      await new Promise((res) => spawn('true', [], { stdio: 'ignore' }).on('exit', res));
    // the forks land in one or more per-second lines; the second line after them was surely
    // printed after the last one
    await r.line(/PIDs\/sec: \d+$/, 10_000, r.lines.length + 1);
    const counted = r.lines
      .slice(first)
      .map((l) => /PIDs\/sec: (\d+)$/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
      .reduce((a, b) => a + Number(b), 0);
    expect(counted).toBeGreaterThanOrEqual(n);
    expectHooks(r, /kprobe sched_fork/, /tracepoint sched:sched_process_fork/);
    expect(await r.interrupt()).toBe(0);
  });
});

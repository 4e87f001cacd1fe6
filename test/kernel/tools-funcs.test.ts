/**
 * funccount and funclatency: a uprobe on a function of a test binary called exactly N times
 * (any kernel with uprobes), a tracepoint hit a known number of times by one process, and,
 * where the kernel has kprobes (the VM lane), the kernel functions a process of the test drove
 * (vfs_read). Without kprobes a kernel function is one line and exit 2.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { requireFeatures, requireMissing } from './helpers/require-features.js';
import { ToolRun } from './helpers/tool-run.js';
import { buildTarget, Target } from './helpers/tool-target.js';

const fs = await features();
const noUprobes = fs.missingReason('uprobes') ?? fs.missingReason('tracepoints');
const runs: ToolRun[] = [];
const targets: Target[] = [];
let dir = '';
let bin = '';
const N = 1234;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-funcs-'));
  bin = buildTarget(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
  for (const t of targets.splice(0)) t.kill();
});

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

describe.skipIf(noUprobes)('tools: function counts and latency', () => {
  if (noUprobes) console.log(`skipped: ${noUprobes}`);

  it('funccount counts exactly the N calls of a function of the test binary (uprobe)', async () => {
    const r = start(['funccount', `${bin}:tsbcc_t*`]);
    await r.line(/^Tracing 1 functions for ".*"\.\.\. Hit Ctrl-C to end\.$/);
    const t = target(['tick', String(N)]);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    expect(r.lines.slice(-3)).toEqual([
      expect.stringMatching(/^FUNC\s+COUNT$/),
      expect.stringMatching(new RegExp(`^tsbcc_tick\\s+${N}$`)),
      'Detaching...',
    ]);
  });

  it('funccount -p counts a tracepoint exactly as often as one process hit it', async () => {
    const t = target(['tick', String(N)]);
    const r = start(['funccount', '-p', String(t.pid), 't:syscalls:sys_enter_getppid']);
    await r.line(/^Tracing 1 functions for "t:syscalls:sys_enter_getppid"\.\.\. Hit Ctrl-C to end\.$/);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^syscalls:sys_enter_getppid\\s+${N}$`)));
  });

  it('funclatency times the N calls of a function of the test binary (uprobe + uretprobe)', async () => {
    const t = target(['tick', String(N)]);
    const r = start(['funclatency', '-p', String(t.pid), '-u', `${bin}:tsbcc_tick`]);
    await r.line(/^Tracing 1 functions for ".*"\.\.\. Hit Ctrl-C to end\.$/);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    const counts = r.lines
      .map((l) => /^\s+\d+ -> \d+\s+: (\d+)\s+\|/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
      .reduce((a, b) => a + Number(b), 0);
    expect(counts).toBe(N);
    expect(r.lines).toContainEqual(
      expect.stringMatching(new RegExp(`^avg = \\d+ usecs, total: \\d+ usecs, count: ${N}$`)),
    );
  });

  it('funclatency -F has one histogram per function, named in its process', async () => {
    const t = target(['nap', '3', '20']);
    const r = start(['funclatency', '-F', '-m', `${bin}:tsbcc_*`]);
    await r.line(/^Tracing 2 functions for ".*"\.\.\. Hit Ctrl-C to end\.$/);
    await t.go();
    expect(await r.interrupt()).toBe(0);
    const at = r.lines.indexOf(`Function = tsbcc_nap [${t.pid}]`);
    expect(at, r.output()).toBeGreaterThan(0);
    const rows: [number, number][] = [];
    for (const l of r.lines.slice(at + 2)) {
      const m = /^\s+\d+ -> (\d+)\s+: (\d+)\s+\|/.exec(l);
      if (!m) break;
      rows.push([Number(m[1]), Number(m[2])]);
    }
    // three naps of at least 20 ms each
    expect(rows.reduce((a, [, c]) => a + c, 0)).toBe(3);
    expect(rows.filter(([high, c]) => high < 16 && c > 0)).toEqual([]);
  });

  it('funclatency -l 2 times the outermost two of four nested calls; without -l only the innermost', async () => {
    // nested_nap(4) sleeps 30 ms per level: the levels take >= 120, 90, 60 and 30 ms
    const rows = async (extra: string[]): Promise<{ lines: string[]; slots: [number, number][] }> => {
      const t = target(['nest', '4', '30']);
      const r = start(['funclatency', ...extra, '-m', '-p', String(t.pid), `${bin}:nested_nap`]);
      await r.line(/^Tracing 1 functions for ".*"\.\.\. Hit Ctrl-C to end\.$/);
      await t.go();
      expect(await r.interrupt()).toBe(0);
      const slots = r.lines
        .map((l) => /^\s+(\d+) -> \d+\s+: (\d+)\s+\|/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null && m[2] !== '0')
        .map((m): [number, number] => [Number(m[1]), Number(m[2])]);
      return { lines: r.lines, slots };
    };
    const two = await rows(['-l', '2']);
    expect(
      two.slots.reduce((a, [, c]) => a + c, 0),
      two.lines.join('\n'),
    ).toBe(2);
    // both recorded calls took 90 ms or more: none of the inner levels (60, 30 ms)
    expect(two.slots.filter(([low]) => low < 64)).toEqual([]);
    expect(two.lines).toContainEqual(expect.stringMatching(/^avg = \d+ msecs, total: \d+ msecs, count: 2$/));
    const inner = await rows([]);
    expect(
      inner.slots.reduce((a, [, c]) => a + c, 0),
      inner.lines.join('\n'),
    ).toBe(1);
    expect(inner.lines).toContainEqual(
      expect.stringMatching(/^avg = \d+ msecs, total: \d+ msecs, count: 1$/),
    );
  });

  it('funccount and funclatency count the vfs_read calls of a process (kprobes)', async (ctx) => {
    await requireFeatures(ctx, 'kprobes');
    const input = join(dir, 'in');
    writeFileSync(input, Buffer.alloc(200, 'x'));
    const sh = spawn('sh', ['-c', `read x; exec dd if=${input} of=/dev/null bs=1 count=200 status=none`], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const done = new Promise((res) => sh.on('exit', res));
    const count = start(['funccount', '-p', String(sh.pid), 'vfs_read']);
    const lat = start(['funclatency', '-p', String(sh.pid), 'vfs_read']);
    await count.line(/^Tracing 1 functions for "vfs_read"/);
    await lat.line(/^Tracing 1 functions for "vfs_read"/);
    sh.stdin?.end('\n');
    await done;
    expect(await count.interrupt()).toBe(0);
    expect(await lat.interrupt()).toBe(0);
    const n = Number(count.lines.find((l) => /^vfs_read\s+\d+$/.test(l))?.split(/\s+/)[1]);
    expect(n).toBeGreaterThanOrEqual(200);
    expect(n).toBeLessThan(240);
    expect(lat.lines).toContainEqual(expect.stringMatching(new RegExp(`count: ${n}$`)));
  });

  it('funccount and funclatency of a kernel function say in one line they need kprobes (exit 2)', async (ctx) => {
    await requireMissing(ctx, 'kprobes');
    for (const tool of ['funccount', 'funclatency']) {
      const { code, out, err } = await ToolRun.complete([tool, 'vfs_read']);
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(err).toMatch(/kprobes/);
    }
  });
});

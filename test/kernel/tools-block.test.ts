/**
 * biosnoop and biolatency against direct I/O the test forces on a loop device of its own
 * (a blk-mq disk that exists on any kernel with loop support, the 6.1 guest included). Default
 * hooks: kprobes where the kernel has them, block tracepoints here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { ToolRun } from './helpers/tool-run.js';

const fs = await features();
const noTracing = fs.missingReason('tracepoints');
const runs: ToolRun[] = [];
let dir = '';
let loop = '';

/** Direct 4 KiB writes, then direct reads, of `n` blocks on the loop device. */
function directIo(n: number): void {
  execFileSync('dd', ['if=/dev/zero', `of=${loop}`, 'bs=4k', `count=${n}`, 'oflag=direct'], {
    stdio: 'ignore',
  });
  execFileSync('dd', [`if=${loop}`, 'of=/dev/null', 'bs=4k', `count=${n}`, 'iflag=direct'], {
    stdio: 'ignore',
  });
}

/** Why there is no loop device to test with (loop may be a module, as on Debian's kernels). */
function noLoop(): string | undefined {
  if (!existsSync('/dev/loop-control')) spawnSync('modprobe', ['loop']);
  return existsSync('/dev/loop-control') ? undefined : 'no loop devices (CONFIG_BLK_DEV_LOOP)';
}
const skip = noTracing ?? noLoop();

beforeAll(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-bio-'));
  const backing = join(dir, 'disk.img');
  execFileSync('truncate', ['-s', '8M', backing]);
  // made here, removed in afterAll (losetup -f picks a free device)
  loop = execFileSync('losetup', ['-f', '--show', backing], { encoding: 'utf8' }).trim();
});
afterAll(() => {
  if (loop) spawnSync('losetup', ['-d', loop]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
});

function start(args: string[]): ToolRun {
  const r = ToolRun.start([...args, '--verbose']);
  runs.push(r);
  return r;
}

describe.skipIf(skip)('tools: block I/O', () => {
  if (skip) console.log(`skipped: ${skip}`);

  it('biosnoop shows each direct write and read of dd on the loop device', async () => {
    const r = start(['biosnoop', '-d', basename(loop)]);
    await r.line(/^TIME\(s\)\s+COMM\s+PID\s+DISK\s+T\s+SECTOR\s+BYTES\s+LAT\(ms\)$/);
    const n = 16;
    directIo(n);
    const mine = (t: string): string[] =>
      r.lines.filter((l) =>
        new RegExp(`^[\\d.]+\\s+dd\\s+\\d+\\s+${basename(loop)}\\s+${t}\\s+\\d+\\s+4096\\s+[\\d.]+$`).test(l),
      );
    const until = Date.now() + 10_000;
    while ((mine('W').length < n || mine('R').length < n) && Date.now() < until)
      await r.line(/.*/, 10_000, r.lines.length).catch(() => undefined);
    expect(mine('W')).toHaveLength(n);
    expect(mine('R')).toHaveLength(n);
    // dd writes then reads the same sectors 0, 8, 16, ...
    const sectors = mine('W').map((l) => Number(l.split(/\s+/)[5]));
    expect(sectors).toEqual(Array.from({ length: n }, (_, i) => i * 8));
    expect(await r.interrupt()).toBe(0);
  });

  it('biolatency -D counts the direct I/O of the loop device in its histogram', async () => {
    const r = start(['biolatency', '-D', '-d', basename(loop)]);
    await r.line(/^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.$/);
    const n = 24;
    directIo(n);
    expect(await r.interrupt()).toBe(0);
    const out = r.lines.join('\n');
    expect(out).toContain(`disk = ${basename(loop)}`);
    const counts = r.lines
      .map((l) => /^\s+\d+ -> \d+\s+: (\d+)\s+\|/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined)
      .reduce((a, b) => a + Number(b), 0);
    expect(counts).toBe(2 * n);
  });
});

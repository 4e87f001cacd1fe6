/**
 * vfsstat and vfscount against reads and writes a process of the test makes: dd copying 1-byte
 * blocks, so the number of read and write calls is known. vfsstat uses kprobes on vfs_* where
 * the kernel has them, else the syscalls that lead there; vfscount needs kprobes and says so
 * in one line (exit 2) where there are none.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { requireFeatures, requireMissing } from './helpers/require-features.js';
import { ToolRun } from './helpers/tool-run.js';

const fs = await features();
const noTracing = fs.missingReason('tracepoints');
const runs: ToolRun[] = [];
let dir = '';
const N = 300;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-vfs-'));
  writeFileSync(join(dir, 'in'), Buffer.alloc(N, 'x'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
});

/** A shell that, once told to, becomes `dd` copying N one-byte blocks (same pid). */
function readerWaiting(): { pid: number; go: () => Promise<void> } {
  const sh = spawn(
    'sh',
    ['-c', `read x; exec dd if=${join(dir, 'in')} of=${join(dir, 'out')} bs=1 count=${N} status=none`],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  const done = new Promise<void>((res) => sh.on('exit', () => res()));
  return {
    pid: sh.pid ?? -1,
    go: async () => {
      sh.stdin?.end('\n');
      await done;
    },
  };
}

describe.skipIf(noTracing)('tools: VFS', () => {
  if (noTracing) console.log(`skipped: ${noTracing}`);

  it('vfsstat -p counts the reads and writes of a process the test ran', async () => {
    const p = readerWaiting();
    const r = ToolRun.start(['vfsstat', '-p', String(p.pid), '1']);
    runs.push(r);
    await r.line(
      /^TIME\s+READ\/s\s+WRITE\/s\s+FSYNC\/s\s+OPEN\/s\s+CREATE\/s\s+UNLINK\/s\s+MKDIR\/s\s+RMDIR\/s$/,
    );
    await p.go();
    expect(await r.interrupt()).toBe(0);
    const rows = r.lines.slice(1).map((l) => l.split(/\s+/).slice(1).map(Number));
    const sum = (i: number): number => rows.reduce((a, row) => a + (row[i] ?? 0), 0);
    // dd's own N reads and N writes, plus the few its start-up makes (loader, locale)
    expect(sum(0)).toBeGreaterThanOrEqual(N);
    expect(sum(0)).toBeLessThan(N + 40);
    expect(sum(1)).toBeGreaterThanOrEqual(N);
    expect(sum(1)).toBeLessThan(N + 40);
    // dd opened its input and output
    expect(sum(3)).toBeGreaterThanOrEqual(2);
  });

  it('vfscount counts the vfs_read and vfs_write calls of a process the test ran', async (ctx) => {
    await requireFeatures(ctx, 'kprobes');
    const p = readerWaiting();
    const r = ToolRun.start(['vfscount']);
    runs.push(r);
    await r.line(/^Tracing\.\.\. Ctrl-C to end\.$/, 120_000);
    await p.go();
    expect(await r.interrupt()).toBe(0);
    const count = (fn: string): number =>
      Number(r.lines.find((l) => new RegExp(`^[0-9a-f]+\\s+${fn}\\s+\\d+$`).test(l))?.split(/\s+/)[2] ?? 0);
    expect(r.lines).toContainEqual(expect.stringMatching(/^ADDR\s+FUNC\s+COUNT$/));
    // every process's calls are counted: at least dd's
    expect(count('vfs_read')).toBeGreaterThanOrEqual(N);
    expect(count('vfs_write')).toBeGreaterThanOrEqual(N);
  });

  it('vfscount says in one line that it needs kprobes and exits 2', async (ctx) => {
    await requireMissing(ctx, 'kprobes');
    const { code, out, err } = await ToolRun.complete(['vfscount']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/kprobe/);
  });
});

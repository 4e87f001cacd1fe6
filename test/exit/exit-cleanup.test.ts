import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../kernel/helpers/wait.js';

const root = join(import.meta.dirname, '..', '..');
const viteNode = join(root, 'node_modules', '.bin', 'vite-node');
const child = join(import.meta.dirname, 'fixtures', 'child.ts');

function loadedIds(): Set<number> {
  const out = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' })) as {
    id: number;
  }[];
  return new Set(out.map((p) => p.id));
}

interface Outcome {
  ids: number[];
  pins: string[];
  pinsLeft: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  lines: string[];
}

async function runChild(mode: string, signal?: NodeJS.Signals): Promise<Outcome> {
  const pinDir = `/sys/fs/bpf/tsbcc-exit-${randomBytes(4).toString('hex')}`;
  mkdirSync(pinDir, { recursive: true });
  try {
    const p = spawn(viteNode, [child, mode, pinDir], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      p.on('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    const lines = createInterface({ input: p.stdout });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      p.once('exit', () => reject(new Error(`child exited before reporting: ${stderr}`)));
    });
    const report = JSON.parse(first) as { ids: number[]; pins: string[] };
    expect(report.ids.every((id) => loadedIds().has(id))).toBe(true);
    expect(report.pins.every((x) => existsSync(x))).toBe(true);
    p.stdin.end(); // exit/uncaught children go on once stdin closes
    if (signal) p.kill(signal);
    const rest: string[] = [];
    lines.on('line', (l) => rest.push(l));
    const { code, signal: sig } = await exited;
    // pins are removed by the child's registry (the kernel would keep pinned objects forever)
    const pinsLeft = report.pins.filter((x) => existsSync(x));
    return { ...report, pinsLeft, code, signal: sig, stderr, lines: rest };
  } finally {
    rmSync(pinDir, { recursive: true, force: true });
  }
}

async function expectCleaned(o: Outcome): Promise<void> {
  expect(o.pinsLeft).toEqual([]);
  // programs go when their last reference does; the kernel frees them after an RCU grace period
  await waitFor(() => o.ids.every((id) => !loadedIds().has(id)), `programs ${o.ids.join(', ')} to be gone`);
}

describe('a child that loads and attaches leaves nothing behind', () => {
  it('on normal exit', async () => {
    const o = await runChild('exit');
    expect(o.code).toBe(0);
    await expectCleaned(o);
  });

  it('on SIGINT', async () => {
    const o = await runChild('sigint', 'SIGINT');
    expect(o.signal).toBe('SIGINT');
    await expectCleaned(o);
  });

  it('on SIGTERM', async () => {
    const o = await runChild('sigterm', 'SIGTERM');
    expect(o.signal).toBe('SIGTERM');
    await expectCleaned(o);
  });

  it('on an uncaught exception', async () => {
    const o = await runChild('uncaught');
    expect(o.code).not.toBe(0);
    expect(o.stderr).toContain('deliberate uncaught exception');
    await expectCleaned(o);
  });

  it("on SIGINT handled by the program's own handler, which can still read its tables", async () => {
    const o = await runChild('sigint-handler', 'SIGINT');
    expect(o.code).toBe(0);
    expect(o.lines.some((l) => /^hits \d+$/.test(l))).toBe(true);
    await expectCleaned(o);
  });
});

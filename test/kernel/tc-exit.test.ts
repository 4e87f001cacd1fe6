import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeTsbccFilters } from '../../src/index.js';
import { nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';

const root = join(import.meta.dirname, '..', '..');
const viteNode = join(root, 'node_modules', '.bin', 'vite-node');
const child = join(import.meta.dirname, 'helpers', 'tc-exit-child.ts');

let runDir: string;
/** The child's tc owner records (its private TSBCC_RUN_DIR). */
const records = (): string[] => (existsSync(join(runDir, 'tc')) ? readdirSync(join(runDir, 'tc')) : []);

async function runChild(
  mode: string,
  net: VethPairFixture,
): Promise<{ code: number | null; signal: string | null }> {
  const p = spawn(viteNode, [child, mode, net.ns2, net.if2], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TSBCC_RUN_DIR: runDir },
  });
  let stderr = '';
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    p.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: p.stdout }).once('line', resolve);
    p.once('exit', () => reject(new Error(`child exited before reporting: ${stderr}`)));
  });
  expect(JSON.parse(line)).toEqual({ ready: true });
  // While the child runs, both attachments are in the kernel.
  expect(filters(net)).toContain('tsbcc:exitcheck');
  expect(nsExec(net.ns2, ['ip', 'link', 'show', net.if2])).toContain('xdpgeneric');
  if (mode === 'sigterm') p.kill('SIGTERM');
  else p.stdin.end('go\n');
  return exited;
}

const filters = (net: VethPairFixture): string =>
  nsExec(net.ns2, ['tc', 'filter', 'show', 'dev', net.if2, 'egress']);
const qdiscs = (net: VethPairFixture): string => nsExec(net.ns2, ['tc', 'qdisc', 'show', 'dev', net.if2]);

describe('tc and XDP attachments at process exit', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
    runDir = mkdtempSync(join(tmpdir(), 'tsbcc-tc-exit-'));
  });
  afterEach(() => {
    net.destroy();
    rmSync(runDir, { recursive: true, force: true });
  });

  it.each(['exit', 'sigterm'])('are removed by the exit registry on %s', async (mode) => {
    const before = qdiscs(net);
    const r = await runChild(mode, net);
    expect(mode === 'exit' ? r.code : r.signal).toBe(mode === 'exit' ? 0 : 'SIGTERM');
    expect(filters(net)).toBe('');
    expect(qdiscs(net)).toBe(before);
    expect(nsExec(net.ns2, ['ip', 'link', 'show', net.if2])).not.toContain('xdp');
    expect(records()).toEqual([]); // and the owner record went with them
  });

  it('a filter closed just before exit leaves no owner record once the process has exited', async () => {
    // closed as the child ends: the emptied record lingers (EMPTY_RECORD_LINGER_MS) on an
    // unref'd timer, and exit removes it
    const r = await runChild('closed', net);
    expect(r.code).toBe(0);
    expect(filters(net)).toBe('');
    expect(records()).toEqual([]);
  });

  it('outlive the process with keep: true, and `tc clean` removes the filter', async () => {
    const r = await runChild('keep', net);
    expect(r.code).toBe(0);
    expect(filters(net)).toContain('tsbcc:exitcheck');
    expect(nsExec(net.ns2, ['ip', 'link', 'show', net.if2])).toContain('xdpgeneric');
    const removed = await removeTsbccFilters({ interface: net.if2, netns: net.ns2 });
    expect(removed.map((f) => f.name)).toEqual(['tsbcc:exitcheck']);
    expect(filters(net)).toBe('');
  });
});

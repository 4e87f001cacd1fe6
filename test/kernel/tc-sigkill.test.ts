/**
 * SIGKILL during tc attach, during RateLimit.create (ifb+htb) and during RateLimit teardown, at
 * every step: a child (helpers/tc-sigkill-child.ts) is killed before its K-th netlink
 * transaction, for K = 1, 2, ... until it gets through, and after that. Then `tsbcc tc clean
 * --netns NS` (the CLI, reading the dead child's owner record) must leave the namespace exactly
 * as it was before the child ran: the same qdiscs on every device, no filter, no ifb device, no
 * record left. Runs in namespaces this test made, with a private TSBCC_RUN_DIR.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecord } from '../../src/tc/owner-log.js';
import { cleanDeadOwners, EMPTY_RECORD_LINGER_MS } from '../../src/tc/owner-record.js';
import { nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';

const root = join(import.meta.dirname, '..', '..');
const viteNode = join(root, 'node_modules', '.bin', 'vite-node');
const child = join(import.meta.dirname, 'helpers', 'tc-sigkill-child.ts');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

let net: VethPairFixture;
let runDir: string;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, TSBCC_RUN_DIR: runDir });

/** What the namespace holds that tc work could change. */
function snapshot(): { qdiscs: string[]; filters: string[]; links: string[]; records: string[] } {
  const qdiscs = nsExec(net.ns1, ['tc', 'qdisc', 'show'])
    .split('\n')
    .map((l) => l.replace(/\s+refcnt \d+/, '').trim())
    .filter(Boolean)
    .sort();
  const filters = ['ingress', 'egress'].flatMap((hook) =>
    nsExec(net.ns1, ['tc', 'filter', 'show', 'dev', net.if1, hook])
      .split('\n')
      .filter(Boolean)
      .map((l) => `${hook}: ${l.trim()}`),
  );
  const links = nsExec(net.ns1, ['ip', '-o', 'link', 'show'])
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.split(': ')[1] ?? l).split('@')[0] ?? l)
    .sort();
  const dir = join(runDir, 'tc');
  const records = existsSync(dir) ? readdirSync(dir) : [];
  return { qdiscs, filters, links, records };
}

/** Runs the child until its K-th transaction (or its end) and SIGKILLs it; its last line. */
async function killAt(mode: string, k: number): Promise<string> {
  const p = spawn(viteNode, [child, mode, net.ns1, net.if1, String(k)], {
    cwd: root,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(pause \d+.*|done \d+)$/m.exec(out);
      if (m) resolve(m[1] ?? '');
    });
    p.once('exit', (code, signal) =>
      reject(new Error(`child ${mode} ${k} ended by itself (${code ?? signal}): ${out}${err}`)),
    );
  });
  if (mode === 'close' && line.startsWith('done')) {
    // A finished close: its forget lines are written by the end of its event-loop turn, the
    // record then names no object while it lingers, and it is gone within
    // EMPTY_RECORD_LINGER_MS (the kill comes after that: a finished close leaves nothing).
    const names = (): unknown[] =>
      recordFiles().flatMap((f) => parseRecord(readFileSync(f, 'utf8'))?.objects ?? []);
    let deadline = Date.now() + 1000;
    while (names().length > 0 && Date.now() < deadline) await sleep(5);
    expect(names()).toEqual([]);
    deadline = Date.now() + EMPTY_RECORD_LINGER_MS * 5 + 2000;
    while (recordFiles().length > 0 && Date.now() < deadline) await sleep(20);
  }
  p.kill('SIGKILL');
  await exited;
  return line;
}

function recordFiles(): string[] {
  const dir = join(runDir, 'tc');
  return existsSync(dir) ? readdirSync(dir).map((n) => join(dir, n)) : [];
}

/** `tsbcc tc clean --netns NS` through the CLI, or (faster, for most steps) the same call in-process. */
async function clean(viaCli: boolean): Promise<string> {
  if (viaCli) {
    return execFileSync('node', [cli, 'tc', 'clean', '--netns', net.ns1], { env: env(), encoding: 'utf8' });
  }
  return JSON.stringify(await cleanDeadOwners({ netns: net.ns1, dir: join(runDir, 'tc') }));
}

describe('SIGKILL during tc work, then tsbcc tc clean', () => {
  let before: ReturnType<typeof snapshot>;

  beforeAll(() => {
    net = vethPair();
    runDir = mkdtempSync(join(tmpdir(), 'tsbcc-sigkill-'));
    before = snapshot();
    expect(before.records).toEqual([]);
  });

  afterAll(() => {
    net?.destroy();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  /** Kills `mode` at every step; returns how many kill points left something before clean. */
  async function everyStep(mode: string): Promise<{ steps: number; leftBehind: number }> {
    let leftBehind = 0;
    for (let k = 1; k <= 40; k++) {
      const line = await killAt(mode, k);
      const dirty = snapshot();
      if (JSON.stringify(dirty) !== JSON.stringify(before)) leftBehind++;
      // the CLI for the last kill point (everything made), the library call for the others
      const report = await clean(line.startsWith('done'));
      expect(snapshot(), `${mode}, killed at "${line}"; clean said: ${report}`).toEqual(before);
      if (line.startsWith('done')) {
        // the whole operation went through before the kill: attach and create had left their
        // objects (and the record), a finished close nothing
        if (mode === 'close') expect(dirty).toEqual(before);
        else expect(JSON.stringify(dirty), `${mode}: nothing was made?`).not.toBe(JSON.stringify(before));
        return { steps: k, leftBehind };
      }
    }
    throw new Error(`${mode} did not finish within 40 transactions`);
  }

  it('during a cls_bpf attach (clsact added, then the filter)', { timeout: 300_000 }, async () => {
    const r = await everyStep('attach');
    console.log(`attach: ${r.steps} kill points, ${r.leftBehind} left objects that clean removed`);
    expect(r.steps).toBeGreaterThanOrEqual(3);
  });

  it('during RateLimit.create on ingress (ifb + htb)', { timeout: 300_000 }, async () => {
    const r = await everyStep('create');
    console.log(`create: ${r.steps} kill points, ${r.leftBehind} left objects that clean removed`);
    expect(r.steps).toBeGreaterThanOrEqual(6);
  });

  it('during RateLimit teardown', { timeout: 300_000 }, async () => {
    const r = await everyStep('close');
    console.log(`close: ${r.steps} kill points, ${r.leftBehind} left objects that clean removed`);
    // killed before its first removal, the child has left the whole rate limit
    expect(r.leftBehind).toBeGreaterThanOrEqual(1);
  });
});

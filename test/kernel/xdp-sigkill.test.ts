/**
 * XDP attachments in the owner record: a normal close forgets the attachment (and replace()
 * moves the record to the new program); a child process that attached XDP (generic mode, on a
 * veth in a namespace this test made) and was SIGKILLed leaves its program attached, the leak
 * check's XDP listing shows it, and `tsbcc tc clean --netns NS` detaches it; when another
 * program replaced the dead child's, clean leaves that one alone. Runs with a private
 * TSBCC_RUN_DIR.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachXdp, BpfObject, compile, xdpState, type Program, type XdpLink } from '../../src/index.js';
import { native } from '../../src/native.js';
import { parseRecord } from '../../src/tc/owner-log.js';
import { EMPTY_RECORD_LINGER_MS, type OwnerEntry } from '../../src/tc/owner-record.js';
import { xdpAttachments } from '../global/leak-check.js';
import { vethPair, type VethPairFixture } from './helpers/netns.js';
import { waitFor } from './helpers/wait.js';

const root = join(import.meta.dirname, '..', '..');
const child = join(import.meta.dirname, 'helpers', 'xdp-sigkill-child.mjs');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

const XDP_PASS = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int parent_pass(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp")
int parent_pass2(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
`;

let net: VethPairFixture;
let runDir: string;
let savedRunDir: string | undefined;
let obj: BpfObject;
let prog: Program;
let prog2: Program;

/** The xdp entries of every record under the private run dir, as `pid:programId`. */
function recordedXdp(): string[] {
  const dir = join(runDir, 'tc');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const r = parseRecord<OwnerEntry>(readFileSync(join(dir, n), 'utf8'));
    return (r?.objects ?? [])
      .filter((o) => o.type === 'xdp')
      .map((o) => `${r?.pid}:${(o as { programId: number }).programId}`);
  });
}

/**
 * Waits until the record's xdp entries are `want`: a forget is written with the next add or at
 * the end of the event loop's turn (owner-log.ts), so a forgotten entry can show until then.
 */
async function recordShows(want: string[]): Promise<void> {
  await waitFor(
    () => JSON.stringify(recordedXdp()) === JSON.stringify(want),
    `the record to hold ${JSON.stringify(want)}`,
    2000,
  ).catch(() => {
    expect(recordedXdp()).toEqual(want); // says what it holds instead
  });
}

/** Starts the child, waits for `attached <id>`, SIGKILLs it; the child's program id. */
async function attachAndKill(): Promise<number> {
  const p = spawn(process.execPath, [child, net.ns2, net.if2], {
    cwd: root,
    env: { ...process.env, TSBCC_RUN_DIR: runDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  try {
    return await new Promise<number>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^attached (\d+)$/m.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.once('exit', (code, signal) =>
        reject(new Error(`child ended by itself (${code ?? signal}): ${out}${err}`)),
      );
    });
  } finally {
    p.kill('SIGKILL');
    await exited;
  }
}

function cleanCli(): string {
  return execFileSync('node', [cli, 'tc', 'clean', '--netns', net.ns2], {
    env: { ...process.env, TSBCC_RUN_DIR: runDir },
    encoding: 'utf8',
  });
}

describe('XDP attachments in the owner record', () => {
  beforeAll(async () => {
    net = vethPair();
    runDir = mkdtempSync(join(tmpdir(), 'tsbcc-xdp-sigkill-'));
    savedRunDir = process.env.TSBCC_RUN_DIR;
    process.env.TSBCC_RUN_DIR = runDir; // this process's own records go there too
    obj = BpfObject.create(await compile(XDP_PASS));
    prog = obj.loadFunc('parent_pass', 'XDP');
    prog2 = obj.loadFunc('parent_pass2', 'XDP');
  });

  afterAll(() => {
    obj?.close();
    net?.destroy();
    if (savedRunDir === undefined) delete process.env.TSBCC_RUN_DIR;
    else process.env.TSBCC_RUN_DIR = savedRunDir;
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  it('is recorded while attached, follows replace(), and a close forgets it', async () => {
    const link = await attachXdp(prog, { interface: net.if2, netns: net.ns2, mode: 'generic' });
    try {
      expect(recordedXdp()).toEqual([`${process.pid}:${prog.id}`]);
      await link.replace(prog2);
      await recordShows([`${process.pid}:${prog2.id}`]);
    } finally {
      await link.close();
    }
    await recordShows([]);
    // the emptied record file lingers EMPTY_RECORD_LINGER_MS (for the next attach), then goes
    const files = (): string[] => (existsSync(join(runDir, 'tc')) ? readdirSync(join(runDir, 'tc')) : []);
    await waitFor(() => files().length === 0, 'the emptied owner record to go', 10 * EMPTY_RECORD_LINGER_MS);
    // keep: true is meant to outlive the process: not recorded
    const kept = await attachXdp(prog, { interface: net.if2, netns: net.ns2, mode: 'generic', keep: true });
    try {
      expect(recordedXdp()).toEqual([]);
    } finally {
      await kept.close();
    }
    expect((await xdpState({ interface: net.if2, netns: net.ns2 })).attached).toBe('none');
  });

  it(
    'a SIGKILLed process leaves its program attached; tsbcc tc clean detaches it',
    { timeout: 120_000 },
    async () => {
      const id = await attachAndKill();
      expect((await xdpState({ interface: net.if2, netns: net.ns2 })).genericProgramId).toBe(id);
      expect(recordedXdp()).toEqual([expect.stringMatching(new RegExp(`^\\d+:${id}$`))]);
      // the leak check sees it
      expect([...xdpAttachments()].filter((l) => l.startsWith(`${net.ns2} ${net.if2}:`))).toEqual([
        expect.stringContaining(`"id":${id}`),
      ]);
      const said = cleanCli();
      expect(said.trim().split('\n')).toEqual([
        `removed XDP program ${id} on ${net.if2} in namespace ${net.ns2}`,
        'removed 0 tc objects and 1 XDP program of 1 dead process',
      ]);
      const st = await xdpState({ interface: net.if2, netns: net.ns2 });
      expect(st).toEqual({ attached: 'none', nativeProgramId: 0, genericProgramId: 0 });
      expect(recordedXdp()).toEqual([]);
      expect([...xdpAttachments()].filter((l) => l.startsWith(`${net.ns2} `))).toEqual([]);
      // a second clean finds nothing
      expect(cleanCli()).toBe('removed 0 tc objects and 0 XDP programs of 0 dead processes\n');
    },
  );

  it("leaves a program that replaced the dead process's alone", { timeout: 120_000 }, async () => {
    const id = await attachAndKill();
    // hold the dead child's program, so that it stays loaded once replaced: clean must still
    // tell it from the program attached now
    const held = native().progFdById(id);
    let mine: XdpLink;
    try {
      mine = await attachXdp(prog, { interface: net.if2, netns: net.ns2, mode: 'generic', replace: true });
    } catch (e) {
      native().closeFd(held);
      throw e;
    }
    try {
      expect(prog.id).not.toBe(id);
      expect((await xdpState({ interface: net.if2, netns: net.ns2 })).genericProgramId).toBe(prog.id);
      const said = cleanCli();
      expect(said).toBe('removed 0 tc objects and 0 XDP programs of 1 dead process\n');
      // still attached: ours, recorded by this (live) process only
      expect((await xdpState({ interface: net.if2, netns: net.ns2 })).genericProgramId).toBe(prog.id);
      expect(recordedXdp()).toEqual([`${process.pid}:${prog.id}`]);
    } finally {
      native().closeFd(held);
      await mine.close();
    }
    expect((await xdpState({ interface: net.if2, netns: net.ns2 })).attached).toBe('none');
    await recordShows([]);
  });
});

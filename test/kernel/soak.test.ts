/**
 * Soak: the whole life of a program repeated, and testbeds brought up and down, many times in
 * one process. What leaks once per cycle shows here: descriptors (every map, program and link
 * is one), memory mappings (maps, ring buffers, clang's buffers) and resident memory (objects
 * and specs kept alive, LLVM state).
 *
 * - 1,000 cycles of compile, load, attach (a socket filter on a UDP socket), traffic, read
 *   (the program's map holds exactly what it counted) and close; every 10th source is new, so
 *   100 go through clang and the others come from the object cache. Descriptors are equal
 *   after as before, memory mappings and RSS flat (measured after a warm-up, with GC).
 * - 200 testbed up/down cycles: no namespace, link or state file left.
 *
 * TSBCC_SOAK_CYCLES scales both counts down (or up) for a quick local run; the suite runs the
 * numbers above.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BPF } from '../../src/bcc/bpf.js';
import { attachSocketFilter } from '../../src/socket/attach.js';
import { listStates, Network, Topology } from '../../src/topology/index.js';
import { namespacesMatching, run, uniqueName } from './helpers/netns.js';

const scale = Number(process.env.TSBCC_SOAK_CYCLES) || 1;
const PROGRAM_CYCLES = Math.round(1000 * scale);
const TESTBED_CYCLES = Math.round(200 * scale);

setFlagsFromString('--expose-gc');
// Bounds over the 900 measured cycles. Measured (2 cores, 6.18): mappings +1, RSS +2.8 MB
// (`npx vitest run --project kernel test/kernel/soak.test.ts` prints them). Keeping one ELF
// (~10 KB) or one spec per cycle would add ~9 MB; a map or ring buffer kept mapped adds a
// mapping per cycle (900).
const MAPPING_SLACK = 8;
const RSS_SLACK_KB = 8 * 1024;
const gc = runInNewContext('gc') as () => void;

interface Usage {
  fds: number;
  /** Mappings outside V8's paged heap spaces. */
  mappings: number;
  rssKb: number;
}

/** V8's heap spaces made of 256 KiB pages, each page a mapping of its own. */
const PAGED_SPACES = new Set(['new_space', 'old_space', 'code_space', 'map_space']);

/**
 * The mappings of V8's paged heap spaces: V8 sizes its young generation by how much survives,
 * and when it grows (16 -> 32 MB here: 64 pages) depends on timing, not on what tsbcc keeps.
 */
function v8Pages(): number {
  let bytes = 0;
  for (const s of getHeapSpaceStatistics()) if (PAGED_SPACES.has(s.space_name)) bytes += s.space_size;
  return Math.round(bytes / (256 * 1024));
}

function usage(): Usage {
  gc();
  gc();
  const status = readFileSync('/proc/self/status', 'utf8');
  return {
    fds: readdirSync('/proc/self/fd').length,
    // the process's mappings without V8's heap pages: maps, ring buffers, libraries, malloc
    mappings: readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1 - v8Pages(),
    rssKb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]),
  };
}

/** A socket filter that counts the datagrams it sees by their first payload byte; `salt` makes the source new. */
const source = (salt: number): string => `
BPF_HASH(seen, u8, u64, 256);
int count(struct __sk_buff *skb) {
  u8 first = load_byte(skb, 8) + ${salt % 7} - ${salt % 7};
  seen.increment(first);
  return skb->len; /* salt ${salt} */
}
`;

const cacheDir = mkdtempSync(join(tmpdir(), 'tsbcc-soak-cache-'));
const stateDir = mkdtempSync(join(tmpdir(), 'tsbcc-soak-state-'));
afterAll(() => {
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
});

describe('soak', () => {
  let rx: Socket;
  let tx: Socket;
  let port = 0;
  const received: Buffer[] = [];
  beforeAll(async () => {
    rx = createSocket('udp4');
    tx = createSocket('udp4');
    rx.on('message', (m) => received.push(m));
    rx.bind(0, '127.0.0.1');
    await once(rx, 'listening');
    port = rx.address().port;
  });
  afterAll(() => {
    rx.close();
    tx.close();
  });

  async function receive(n: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    expect(received.length).toBe(n);
  }

  async function cycle(i: number): Promise<boolean> {
    const bpf = await BPF.create({ text: source(Math.floor(i / 10)), compile: { cacheDir } });
    try {
      const link = attachSocketFilter(rx, bpf.loadFunc('count', 'SOCKET_FILTER'));
      received.length = 0;
      const burst = 1 + (i % 3);
      for (let k = 0; k < burst; k++) tx.send(`${String.fromCharCode(65 + k)}${i}`, port, '127.0.0.1');
      await receive(burst);
      const seen = bpf.table<number, bigint>('seen');
      for (let k = 0; k < burst; k++) expect(seen.get(65 + k)).toBe(1n);
      expect(seen.size).toBe(burst);
      await link.close();
      return bpf.object.spec.fromCache === true;
    } finally {
      bpf.close();
    }
  }

  it(`${PROGRAM_CYCLES} compile/load/attach/read/close cycles leave descriptors, mappings and RSS flat`, async () => {
    const warmup = Math.min(100, Math.floor(PROGRAM_CYCLES / 10));
    let cached = 0;
    const started = performance.now();
    for (let i = 0; i < warmup; i++) if (await cycle(i)) cached++;
    const before = usage();
    const samples: number[] = [];
    for (let i = warmup; i < PROGRAM_CYCLES; i++) {
      if (await cycle(i)) cached++;
      if (i % 50 === 49) samples.push(usage().rssKb);
    }
    const after = usage();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `soak: ${PROGRAM_CYCLES} program cycles (${PROGRAM_CYCLES - cached} compiled) in ${seconds.toFixed(1)} s; ` +
        `after ${warmup} → after ${PROGRAM_CYCLES}: fds ${before.fds} → ${after.fds}, ` +
        `mappings ${before.mappings} → ${after.mappings}, RSS ${(before.rssKb / 1024).toFixed(1)} → ` +
        `${(after.rssKb / 1024).toFixed(1)} MB (samples every 50: ${samples.map((s) => (s / 1024).toFixed(0)).join(' ')})`,
    );
    expect(PROGRAM_CYCLES - cached).toBe(Math.ceil(PROGRAM_CYCLES / 10));
    expect(after.fds).toBe(before.fds);
    expect(after.mappings - before.mappings).toBeLessThanOrEqual(MAPPING_SLACK);
    expect(after.rssKb - before.rssKb).toBeLessThanOrEqual(RSS_SLACK_KB);
  }, 900_000);

  it(`${TESTBED_CYCLES} testbed up/down cycles leave no namespace, link or state file`, async () => {
    const name = uniqueName('sk');
    const links = (): string[] =>
      run('ip', ['-o', 'link', 'show'])
        .split('\n')
        .filter((l) => l.includes(name));
    const started = performance.now();
    const before = usage();
    for (let i = 0; i < TESTBED_CYCLES; i++) {
      const t = new Topology(`${name}${i % 10}`).bridge('br0');
      for (const h of ['h1', 'h2']) {
        t.host(h).link(
          { host: h, addresses: [`10.97.${i % 250}.${h === 'h1' ? 1 : 2}/24`] },
          { bridge: 'br0' },
        );
      }
      const net = await Network.up(t, { stateDir });
      try {
        expect(namespacesMatching(`${net.prefix}-`)).toHaveLength(3);
      } finally {
        await net.destroy();
      }
      expect(namespacesMatching(`${net.prefix}-`)).toEqual([]);
    }
    const after = usage();
    console.log(
      `soak: ${TESTBED_CYCLES} testbed cycles in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `fds ${before.fds} → ${after.fds}, RSS ${(before.rssKb / 1024).toFixed(1)} → ${(after.rssKb / 1024).toFixed(1)} MB`,
    );
    expect(namespacesMatching(name)).toEqual([]);
    expect(links()).toEqual([]);
    expect(listStates(stateDir)).toEqual([]);
    expect(readdirSync(stateDir)).toEqual([]);
    expect(after.fds).toBe(before.fds);
  }, 900_000);
});

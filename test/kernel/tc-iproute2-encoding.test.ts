/**
 * This kernel has no act_police, so the police encoding cannot be tried for real here. Instead
 * its bytes are compared with what iproute2's `tc` sends for the same action, captured with
 * strace (the kernel refuses the request, but the message is on the wire). Ours come from the
 * tc object model's kinds (src/netlink/tc/action/*, qdisc/tbf.ts, class/htb.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attrRun } from '../../src/netlink/schema.js';
import { findKind } from '../../src/netlink/tc/registry.js';
import type { TcObject } from '../../src/netlink/tc/kind.js';

interface NetlinkAttr {
  type: number;
  data: Buffer;
}
const parseAttrs = (b: Buffer): NetlinkAttr[] => [...attrRun(b)].map((a) => ({ type: a.id, data: a.data }));

/** The options a kind of the tc object model encodes for a spec, by attribute type. */
function modelOptions(object: TcObject, spec: { kind: string }, ifindex = 0): Map<number, Buffer> {
  const p = findKind(object, spec.kind)?.encode(spec as never, { ifindex: () => ifindex });
  return new Map(parseAttrs(p?.bytes ?? Buffer.alloc(0)).map((a) => [a.type, a.data]));
}
import { uniqueName } from './helpers/netns.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;

/** The options of the first nested attribute run below `attrs` with KIND = kind and OPTIONS. */
function findAction(attrs: NetlinkAttr[], kind = 'police'): Map<number, Buffer> | undefined {
  const k = attrs.find((a) => a.type === 1 && a.data.toString('latin1') === `${kind}\0`);
  const opts = attrs.find((a) => a.type === 2);
  if (k && opts) return new Map(parseAttrs(opts.data).map((a) => [a.type, a.data]));
  for (const a of attrs) {
    if (a.data.length < 4) continue;
    const inner = parseAttrs(a.data);
    if (inner.length === 0) continue;
    const found = findAction(inner, kind);
    if (found) return found;
  }
  return undefined;
}

/** The bytes of the first sendmsg carrying RTM_NEWTFILTER in an strace -e write=all log. */
function sentFilterMessage(log: string): Buffer {
  const blocks = log.split(/\n(?=\S)/).filter((b) => b.includes('sendmsg(') && b.includes('bytes in buffer'));
  for (const b of blocks) {
    const bytes = [...b.matchAll(/^ \| [0-9a-f]{5} {2}((?:[0-9a-f]{2} {1,2}){1,16})/gm)].flatMap((m) =>
      (m[1] ?? '')
        .trim()
        .split(/\s+/)
        .map((h) => parseInt(h, 16)),
    );
    const buf = Buffer.from(bytes);
    if (buf.length >= 16 && buf.readUInt16LE(4) === 44) return buf;
  }
  throw new Error('no RTM_NEWTFILTER in the strace log');
}

describe('police action encoding matches iproute2', () => {
  it.skipIf(!hasStrace).each([
    [
      ['rate', '1mbit', 'burst', '10k', 'mtu', '2k', 'conform-exceed', 'drop/pipe'],
      { kind: 'police', rate: '1mbit', burst: '10k', mtu: '2k', exceed: 'drop', conform: 'pipe' },
    ],
    [
      ['rate', '256kbit', 'burst', '32k', 'mtu', '1500', 'conform-exceed', 'drop/ok'],
      { kind: 'police', rate: '256kbit', burst: '32k', mtu: 1500, exceed: 'drop', conform: 'ok' },
    ],
  ] as const)('tc police %j', async (tcArgs, spec) => {
    const ns = `tsbcc-${uniqueName()}-pol`;
    const log = `/tmp/${ns}.strace`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
      execFileSync('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'va', 'clsact']);
      // The kernel may refuse (no act_police here) or accept; only the sent bytes matter.
      spawnSync('strace', [
        '-f',
        '-e',
        'trace=sendmsg',
        '-e',
        'write=all',
        '-o',
        log,
        'tc',
        '-n',
        ns,
        'filter',
        'add',
        'dev',
        'va',
        'ingress',
        'pref',
        '1',
        'u32',
        'match',
        'u32',
        '0',
        '0',
        'action',
        'police',
        ...tcArgs,
      ]);
      const theirs = findAction(parseAttrs(sentFilterMessage(readFileSync(log, 'utf8')).subarray(36)));
      expect(theirs).toBeDefined();
      const ours = modelOptions('action', spec);
      expect(theirs?.get(1)?.length).toBe(56);
      expect(theirs?.get(2)?.length).toBe(1024);
      // TCA_POLICE_TBF (struct tc_police), TCA_POLICE_RATE (rate table), TCA_POLICE_RESULT.
      expect(ours?.get(1)?.toString('hex')).toBe(theirs?.get(1)?.toString('hex'));
      expect(ours?.get(2)?.toString('hex')).toBe(theirs?.get(2)?.toString('hex'));
      expect(ours?.get(5)?.toString('hex')).toBe(theirs?.get(5)?.toString('hex'));
      expect([...(ours?.keys() ?? [])].sort()).toEqual([...(theirs?.keys() ?? [])].sort());
    } finally {
      rmSync(log, { force: true });
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('gact and mirred encodings match iproute2', () => {
  it.skipIf(!hasStrace).each([
    ['gact', ['gact', 'drop'], { kind: 'gact', verdict: 'drop' }],
    ['gact', ['gact', 'pipe'], { kind: 'gact', verdict: 'pipe' }],
    ['mirred', ['mirred', 'egress', 'redirect', 'dev', 'vb'], { kind: 'mirred', mode: 'redirect', to: 'vb' }],
    [
      'mirred',
      ['mirred', 'ingress', 'mirror', 'dev', 'vb'],
      { kind: 'mirred', mode: 'mirror', to: 'vb', direction: 'ingress' },
    ],
  ] as const)('%s %j', async (kind, tcArgs, spec) => {
    const ns = `tsbcc-${uniqueName()}-act`;
    const log = `/tmp/${ns}.strace`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
      execFileSync('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'va', 'clsact']);
      spawnSync('strace', [
        '-f',
        '-e',
        'trace=sendmsg',
        '-e',
        'write=all',
        '-o',
        log,
        'tc',
        '-n',
        ns,
        'filter',
        'add',
        'dev',
        'va',
        'ingress',
        'pref',
        '1',
        'u32',
        'match',
        'u32',
        '0',
        '0',
        'action',
        ...tcArgs,
      ]);
      const theirs = findAction(parseAttrs(sentFilterMessage(readFileSync(log, 'utf8')).subarray(36)), kind);
      const vbIndex = Number(
        /^(\d+):/.exec(execFileSync('ip', ['-n', ns, '-o', 'link', 'show', 'vb'], { encoding: 'utf8' }))?.[1],
      );
      const ours = modelOptions('action', spec, vbIndex);
      // TCA_*_PARMS (type 2 for both): struct tc_gact / struct tc_mirred.
      expect(theirs?.get(2)?.length).toBe(kind === 'gact' ? 20 : 28);
      expect(ours?.get(2)?.toString('hex')).toBe(theirs?.get(2)?.toString('hex'));
    } finally {
      rmSync(log, { force: true });
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('htb class and tbf encodings match iproute2', () => {
  /** Captures the first message of `type` that `tc args` sends (strace), as attributes after its 20-byte tcmsg. */
  function capture(ns: string, type: number, args: string[]): Map<number, Buffer> {
    const log = `/tmp/${ns}-${type}.strace`;
    try {
      spawnSync('strace', [
        '-f',
        '-e',
        'trace=sendmsg',
        '-e',
        'write=all',
        '-o',
        log,
        'tc',
        '-n',
        ns,
        ...args,
      ]);
      const text = readFileSync(log, 'utf8');
      const blocks = text.split(/\n(?=\S)/).filter((b) => b.includes('bytes in buffer'));
      for (const b of blocks) {
        const bytes = [...b.matchAll(/^ \| [0-9a-f]{5} {2}((?:[0-9a-f]{2} {1,2}){1,16})/gm)].flatMap((m) =>
          (m[1] ?? '')
            .trim()
            .split(/\s+/)
            .map((h) => parseInt(h, 16)),
        );
        const buf = Buffer.from(bytes);
        if (buf.length >= 36 && buf.readUInt16LE(4) === type) {
          const opts = parseAttrs(buf.subarray(36)).find((a) => a.type === 2);
          return new Map(parseAttrs(opts?.data ?? Buffer.alloc(0)).map((a) => [a.type, a.data]));
        }
      }
      throw new Error(`tc sent no message of type ${type}`);
    } finally {
      rmSync(log, { force: true });
    }
  }

  // Rate (bytes/s, at +8 of each tc_ratespec), burst and cburst in ticks, quantum, prio.
  const htbFields = (p: Buffer | undefined): number[] =>
    p
      ? [
          p.readUInt32LE(8),
          p.readUInt32LE(20),
          p.readUInt32LE(24),
          p.readUInt32LE(28),
          p.readUInt32LE(32),
          p.readUInt32LE(40),
        ]
      : [];
  const tbfFields = (p: Buffer | undefined): number[] =>
    p ? [p.readUInt32LE(8), p.readUInt32LE(24), p.readUInt32LE(28), p.readUInt32LE(32)] : [];

  it.skipIf(!hasStrace)('htb class rate/ceil/burst/cburst and tbf rate/limit/buffer', async () => {
    const ns = `tsbcc-${uniqueName()}-enc`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
      execFileSync('tc', ['-n', ns, 'qdisc', 'add', 'dev', 'va', 'root', 'handle', '1:', 'htb']);
      const theirsHtb = capture(ns, 40, [
        'class',
        'add',
        'dev',
        'va',
        'parent',
        '1:',
        'classid',
        '1:10',
        'htb',
        'rate',
        '8mbit',
        'ceil',
        '10mbit',
        'burst',
        '15k',
        'cburst',
        '20k',
        'prio',
        '2',
      ]);
      const oursHtb = modelOptions('class', {
        kind: 'htb',
        rate: '8mbit',
        ceil: '10mbit',
        burst: '15k',
        cburst: '20k',
        prio: 2,
      } as never);
      expect(theirsHtb.get(1)?.length).toBe(44);
      expect(htbFields(oursHtb.get(1))).toEqual(htbFields(theirsHtb.get(1)));
      const theirsTbf = capture(ns, 36, [
        'qdisc',
        'add',
        'dev',
        'vb',
        'root',
        'tbf',
        'rate',
        '12mbit',
        'burst',
        '32k',
        'limit',
        '100k',
      ]);
      const oursTbf = modelOptions('qdisc', {
        kind: 'tbf',
        rate: '12mbit',
        burst: '32k',
        limit: '100k',
      } as never);
      expect(theirsTbf.get(1)?.length).toBe(36);
      expect(tbfFields(oursTbf.get(1))).toEqual(tbfFields(theirsTbf.get(1)));
      expect(oursTbf.get(6)?.readUInt32LE(0)).toBe(32 * 1024);
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});

/**
 * `tsbcc ratelimit` with `strategy: police` (the CLI in child processes): the classifier and one
 * police filter per class on the interface's clsact hooks, egress and ingress. UDP offered at
 * twice a class's rate arrives at the class's rate (within the 10%); `set` moves the
 * address to the other class and the next run arrives at that rate, with every filter the same
 * (handles and program ids); a changed policy replaces one class filter in place and adds
 * another; `set ADDR RATE` adds the address's own police filter and `unset` removes it; `rm`
 * leaves the interface as it was. Needs act_police, which this machine's kernel
 * lacks: it skips here (the reason printed) and runs in the VM lane (test/vm/lane.ts).
 *
 * Rates are low (2-4 Mbit/s) and each class has a 128 KB bucket: under the VM's emulation on a
 * busy host the sender stalls for a hundred milliseconds and more, and a bucket that fills during
 * a stall wastes what the rate allowed then (at 8 Mbit/s with 256 KB, 7.3 arrived at load 12;
 * test/kernel/tc-actions-traffic.test.ts saw the same). The full bucket at the start adds 0.17
 * Mbit/s over 6 s, and UDP payload is 1400 of the 1442 bytes the policer counts on egress (1428
 * on ingress, without the Ethernet header): 2 Mbit/s should arrive as ~2.1, 4 as ~4.06.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { iperf, type IperfResult } from './helpers/iperf.js';
import { loadedProgramIds, nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';
import { requireFeatures } from './helpers/require-features.js';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function tsbcc(args: string[]): Run {
  const r = spawnSync('node', ['dist/src/cli/main.js', 'ratelimit', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(args: string[]): string {
  const r = tsbcc(args);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return r.out;
}

const hookState = (ns: string, dev: string): string =>
  nsExec(ns, ['tc', 'qdisc', 'show', 'dev', dev]) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'ingress']) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'egress']);

/**
 * The ratelimit filters on a hook: pref, handle, name and program id of each, sorted (cls_bpf
 * lists, and runs, a priority's newest filter first).
 */
function filters(ns: string, dev: string, hook: 'egress' | 'ingress' = 'egress'): string[] {
  const out = nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, hook]);
  return [...out.matchAll(/pref (\d+) bpf chain 0 handle (0x[0-9a-f]+) .*?(tsbcc:ratelimit-\w+).* id (\d+)/g)]
    .map((m) => `${m[1]} ${m[2]} ${m[3]} ${m[4]}`)
    .sort();
}

const placeOf = (f: string): string => f.split(' ').slice(0, 3).join(' ');

/** UDP at twice `rate` for 6 s, from ns1 to ns2 (egress of if1) or back (ingress of if1). */
async function udp(
  n: VethPairFixture,
  way: 'egress' | 'ingress',
  rate: number,
  port: number,
): Promise<IperfResult> {
  const args = ['-u', '-b', String(2 * rate), '-l', '1400'];
  return way === 'egress'
    ? iperf(n.ns1, n.ns2, n.ip2, port, 6, args)
    : iperf(n.ns2, n.ns1, n.ip1, port, 6, args);
}

function within10(what: string, r: IperfResult, rate: number): void {
  const measured = r.receivedBps;
  const msg = `${what}: ${(measured / 1e6).toFixed(2)} Mbit/s received for a class of ${(rate / 1e6).toFixed(2)} (${(r.sentBps / 1e6).toFixed(2)} sent)`;
  console.log(msg);
  expect(measured / rate, msg).toBeGreaterThan(0.9);
  expect(measured / rate, msg).toBeLessThan(1.1);
}

const policy = (n: VethPairFixture, slow: string, extra = ''): string => `interfaces:
  ${n.if1}:
    egress:
      strategy: police
      classes:
        slow: { rate: ${slow}, burst: 128kb, addresses: [${n.ip2}] }
        fast: { rate: 4mbit, burst: 128kb, addresses: [10.255.255.9] }
${extra}    ingress:
      strategy: police
      classes:
        up: { rate: 3mbit, burst: 128kb, addresses: [${n.ip2}] }
`;

describe('tsbcc ratelimit, police strategy (VM lane)', () => {
  let net: VethPairFixture | undefined;
  afterEach(() => net?.destroy());

  it('polices per class after the classifier, both ways; set moves the address with the same filters; rm restores', async (ctx) => {
    await requireFeatures(ctx, 'act_police', 'cls_bpf', 'clsact');
    const n = (net = vethPair());
    const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rlp-'));
    const file = join(dir, 'policy.yaml');
    const before = hookState(n.ns1, n.if1);
    const egressOnly = ['--dev', n.if1, '--direction', 'egress'];
    try {
      writeFileSync(file, policy(n, '2mbit'));
      const applied = ok(['apply', file, '--netns', n.ns1]);
      for (const way of ['egress', 'ingress']) {
        expect(applied).toContain(
          `${n.if1} ${way}: installed via police (police was asked for (a police action per class after the classifier))`,
        );
      }
      const installed = filters(n.ns1, n.if1);
      expect(installed.map(placeOf)).toEqual([
        '20 0x1 tsbcc:ratelimit-classify',
        '21 0x1 tsbcc:ratelimit-class',
        '21 0x2 tsbcc:ratelimit-class',
      ]);
      expect(filters(n.ns1, n.if1, 'ingress').map(placeOf)).toEqual([
        '20 0x1 tsbcc:ratelimit-classify',
        '21 0x1 tsbcc:ratelimit-class',
      ]);
      const egress = nsExec(n.ns1, ['tc', 'filter', 'show', 'dev', n.if1, 'egress']);
      expect(egress).toMatch(
        /handle 0x1 flowid 1:1 tsbcc:ratelimit-class[^]*police .*rate 2Mbit burst 128Kb/,
      );
      expect(egress).toMatch(
        /handle 0x2 flowid 1:2 tsbcc:ratelimit-class[^]*police .*rate 4Mbit burst 128Kb/,
      );

      within10(`${n.ip2} in slow (egress)`, await udp(n, 'egress', 2e6, 5411), 2e6);
      within10(`from ${n.ip2} in up (ingress)`, await udp(n, 'ingress', 3e6, 5412), 3e6);
      ok(['set', n.ip2, 'fast', '--netns', n.ns1, ...egressOnly]);
      expect(filters(n.ns1, n.if1)).toEqual(installed);
      within10(`${n.ip2} after set to fast (egress)`, await udp(n, 'egress', 4e6, 5413), 4e6);
      expect(filters(n.ns1, n.if1)).toEqual(installed);

      const shown = JSON.parse(ok(['show', '--netns', n.ns1, '--json'])) as {
        directions: {
          strategy: string;
          asked: string;
          reason: string;
          classes: { name: string; stats?: { packets: number; drops: number } }[];
          entries: { prefix: string; class: string; packets: number }[];
        }[];
      }[];
      const [eg, ing] = shown[0]!.directions;
      expect([eg!.strategy, eg!.asked, ing!.strategy]).toEqual(['police', 'police', 'police']);
      expect(eg!.entries.map((e) => `${e.prefix} ${e.class}`)).toEqual([
        `${n.ip2} fast`,
        '10.255.255.9 fast',
      ]);
      for (const [d, name] of [
        [eg!, 'slow'],
        [eg!, 'fast'],
        [ing!, 'up'],
      ] as const) {
        const s = d.classes.find((c) => c.name === name)?.stats;
        expect(s?.packets, name).toBeGreaterThan(0);
        expect(s?.drops, name).toBeGreaterThan(0); // offered twice the rate
      }

      // a changed policy: slow's rate changes (its filter replaced in place), bulk is added
      writeFileSync(file, policy(n, '3mbit', '        bulk: { rate: 1mbit }\n'));
      const re = ok(['apply', file, '--netns', n.ns1]);
      expect(re).toContain(
        `${n.if1} egress: reconciled (classes +1 ~1 -0, entries +0 ~1 -0; classifier kept)`,
      );
      expect(re).toContain(
        `${n.if1} ingress: reconciled (classes +0 ~0 -0, entries +0 ~0 -0; classifier kept)`,
      );
      const after = filters(n.ns1, n.if1);
      expect(after[0]).toBe(installed[0]); // the classifier: same handle and program
      expect(after.map(placeOf)).toEqual([
        '20 0x1 tsbcc:ratelimit-classify',
        '21 0x1 tsbcc:ratelimit-class',
        '21 0x2 tsbcc:ratelimit-class',
        '21 0x3 tsbcc:ratelimit-class',
      ]);
      expect(nsExec(n.ns1, ['tc', 'filter', 'show', 'dev', n.if1, 'egress'])).toMatch(
        /handle 0x1 flowid 1:1 tsbcc:ratelimit-class[^]*police .*rate 3Mbit burst 128Kb/,
      );

      // set ADDR RATE: the address's own class is one more police filter; unset takes it away
      expect(ok(['set', '10.255.255.7', '1mbit', '--netns', n.ns1, ...egressOnly])).toContain(
        `${n.if1} egress: 10.255.255.7 -> =10.255.255.7`,
      );
      const own = filters(n.ns1, n.if1);
      expect(own.slice(0, 4)).toEqual(after);
      expect(own.map(placeOf)[4]).toBe('21 0x4 tsbcc:ratelimit-class');
      expect(nsExec(n.ns1, ['tc', 'filter', 'show', 'dev', n.if1, 'egress'])).toMatch(
        /handle 0x4 flowid 1:4 tsbcc:ratelimit-class[^]*police .*rate 1Mbit burst 96Kb/,
      );
      ok(['unset', '10.255.255.7', '--netns', n.ns1, ...egressOnly]);
      expect(filters(n.ns1, n.if1)).toEqual(after);

      const ingressIds = filters(n.ns1, n.if1, 'ingress');
      expect(ok(['rm', '--netns', n.ns1])).toContain(`${n.ns1}: removed ${n.if1} ingress, ${n.if1} egress`);
      expect(hookState(n.ns1, n.if1)).toBe(before);
      expect(existsSync(`/sys/fs/bpf/tsbcc/ratelimit/${n.ns1}`)).toBe(false);
      const ids = loadedProgramIds();
      for (const f of [...installed, ...after, ...ingressIds]) {
        expect(ids.has(Number(f.split(' ')[3]))).toBe(false);
      }
    } finally {
      tsbcc(['rm', '--netns', n.ns1]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

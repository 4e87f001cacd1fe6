/**
 * `tsbcc ratelimit apply/set/show/rm` as an operator runs them (the CLI in child processes) on
 * a host's interface in a testbed: the limits hold after the command exited (iperf3 per address
 * within 10% of its class), `set` moves an address with the same filter handle and program id,
 * a changed policy is reconciled in place, `rm` leaves the interface as it was, a SIGKILLed
 * apply is cleaned by `rm`, and bad policies are refused with nothing changed.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network, Topology } from '../../src/index.js';
import { iperf } from './helpers/iperf.js';
import { interfaceState, pinDir, ratelimitCli, recordFile } from './helpers/ratelimit-cli.js';
import { loadedProgramIds, nsExec, uniqueName } from './helpers/netns.js';
import { requireFeatures } from './helpers/require-features.js';

const tsbcc = ratelimitCli;

interface Shown {
  directions: {
    classifier?: { handle: number; programId: number; inPlace: boolean };
    classes: { name: string; classid: string; rate: number; stats?: { bytes: number; packets: number } }[];
    entries: { prefix: string; class: string; packets: number; bytes: number }[];
    qdisc?: { packets: number };
  }[];
}

function show(ns: string): Shown {
  const r = tsbcc(['show', '--netns', ns, '--json']);
  expect(r.err).toBe('');
  const list = JSON.parse(r.out) as Shown[];
  expect(list).toHaveLength(1);
  return list[0]!;
}

/** The classifier's filter under htb 1: as tc lists it: handle and program id. */
function tcClassifier(ns: string, dev: string): { handle: number; id: number } {
  const out = nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'parent', '1:']);
  const m = /handle (0x[0-9a-f]+) .*tsbcc:ratelimit-classify .* id (\d+)/.exec(out);
  if (!m?.[1] || !m[2]) throw new Error(`no classifier filter on ${dev} in ${ns}:\n${out}`);
  return { handle: Number(m[1]), id: Number(m[2]) };
}

const within10 = (got: number, want: number): void => {
  expect(got / want, `${Math.round(got)} bit/s for a class of ${want}`).toBeGreaterThan(0.9);
  expect(got / want, `${Math.round(got)} bit/s for a class of ${want}`).toBeLessThan(1.1);
};

const SECONDS = 5;

// Host a sends to b's addresses; a's eth0 is limited. Without ipv6, a is an IPv4-only setup.
function testbed(ipv6 = false): Topology {
  const t = new Topology(uniqueName('rla')).host('a', { ipv6 }).host('b', { ipv6 });
  t.link(
    { host: 'a', ifname: 'eth0', addresses: ['10.234.0.1/24', ...(ipv6 ? ['fd34::1/64'] : [])] },
    {
      host: 'b',
      ifname: 'eth0',
      addresses: ['10.234.0.2/24', '10.234.0.3/24', '10.234.0.4/24', ...(ipv6 ? ['fd34::3/64'] : [])],
    },
  );
  return t;
}

const TWO_CLASSES = `interfaces:
  eth0:
    egress:
      classes:
        slow: { rate: 1mbit, addresses: [10.234.0.2, 10.234.0.3] }
        fast: { rate: 4mbit, addresses: [10.234.0.4] }
`;

describe('tsbcc ratelimit apply/set/show/rm (CLI, in a testbed)', () => {
  it('refuses bad policies with their paths and changes nothing', async (ctx) => {
    await requireFeatures(ctx, 'htb', 'cls_bpf');
    await Network.run(testbed(), async (net) => {
      const ns = net.nsName('a');
      const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rl-'));
      try {
        const before = interfaceState(ns);
        const file = join(dir, 'bad.yaml');
        const bad: [string, string][] = [
          [TWO_CLASSES.replace('eth0:', 'eth9:'), `${file}:2:3: interfaces.eth9: no interface eth9 in ${ns}`],
          [
            TWO_CLASSES.replace('[10.234.0.4]', '[10.234.0.0/30]'),
            `${file}:6:42: interfaces.eth0.egress.classes.fast.addresses.0: 10.234.0.0/30 overlaps 10.234.0.2 of class slow`,
          ],
          [
            TWO_CLASSES.replace('rate: 4mbit', 'rate: 0'),
            `${file}:6:23: interfaces.eth0.egress.classes.fast.rate: 0: a rate of 0 would stop all traffic`,
          ],
          [
            TWO_CLASSES.replace('[10.234.0.4]', '[10.234.0.4, "fd34::/64"]'),
            `interfaces.eth0.egress.classes.fast.addresses.1: fd34::/64 is IPv6, but eth0 in ${ns} has no IPv6`,
          ],
        ];
        for (const [text, message] of bad) {
          writeFileSync(file, text);
          const r = tsbcc(['apply', file, '--netns', ns]);
          expect(r.code).toBe(1);
          expect(r.err).toContain(message);
          expect(interfaceState(ns)).toBe(before);
          expect(existsSync(recordFile(ns))).toBe(false);
          expect(existsSync(pinDir(ns))).toBe(false);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('limits per address after the command exited; set moves an address live; apply reconciles; rm restores', async (ctx) => {
    await requireFeatures(ctx, 'htb', 'cls_bpf');
    await Network.run(testbed(true), async (net) => {
      const a = net.nsName('a');
      const b = net.nsName('b');
      const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rl-'));
      const policy = join(dir, 'policy.yaml');
      const before = interfaceState(a);
      try {
        // three addresses, one of them IPv6, in two classes
        writeFileSync(policy, TWO_CLASSES.replace('10.234.0.3]', '"fd34::3"]'));
        const r = tsbcc(['apply', policy, '--netns', a]);
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toContain('eth0 egress: installed via htb');
        // the command has exited: what follows runs on what it left in the kernel
        const filter = tcClassifier(a, 'eth0');
        let shown = show(a);
        expect(shown.directions[0]!.classifier).toMatchObject({
          handle: filter.handle,
          programId: filter.id,
          inPlace: true,
        });
        expect(shown.directions[0]!.classes.map((c) => [c.name, c.classid, c.rate])).toEqual([
          ['slow', '1:1', 1e6],
          ['fast', '1:2', 4e6],
        ]);

        const rates: Record<string, number> = {};
        for (const [addr, port] of [
          ['10.234.0.2', 5301],
          ['fd34::3', 5302],
          ['10.234.0.4', 5303],
        ] as const) {
          rates[addr] = (await iperf(a, b, addr, port, SECONDS)).receivedBps;
        }
        console.log(`per-address rates (bit/s): ${JSON.stringify(rates)}`);
        within10(rates['10.234.0.2']!, 1e6);
        within10(rates['fd34::3']!, 1e6);
        within10(rates['10.234.0.4']!, 4e6);

        // the classifier counted each address's bytes (at least what the receiver got)
        shown = show(a);
        const entry = (p: string): Shown['directions'][number]['entries'][number] =>
          shown.directions[0]!.entries.find((e) => e.prefix === p)!;
        console.log(tsbcc(['show', '--netns', a]).out);
        for (const addr of ['10.234.0.2', 'fd34::3', '10.234.0.4']) {
          expect(entry(addr).bytes).toBeGreaterThan((0.95 * SECONDS * rates[addr]!) / 8);
          expect(entry(addr).packets).toBeGreaterThan(0);
        }
        const slowStats = shown.directions[0]!.classes.find((c) => c.name === 'slow')!.stats!;
        expect(slowStats.bytes).toBeGreaterThanOrEqual(entry('10.234.0.2').bytes + entry('fd34::3').bytes);

        // set: a map update; the filter and its program stay
        const s = tsbcc(['set', '10.234.0.2', 'fast', '--netns', a]);
        expect(s.err).toBe('');
        expect(s.out).toContain('eth0 egress: 10.234.0.2 -> fast');
        expect(tcClassifier(a, 'eth0')).toEqual(filter);
        const moved = (await iperf(a, b, '10.234.0.2', 5304, SECONDS)).receivedBps;
        console.log(`10.234.0.2 after set to fast: ${Math.round(moved)} bit/s`);
        within10(moved, 4e6);
        expect(tcClassifier(a, 'eth0')).toEqual(filter);

        // set ADDR RATE: the address gets an htb class of its own; unset takes it (and the class) away
        const own = tsbcc(['set', '10.234.0.4', '2mbit', '--netns', a]);
        expect(own.err).toBe('');
        expect(own.out).toContain('eth0 egress: 10.234.0.4 -> =10.234.0.4');
        expect(nsExec(a, ['tc', 'class', 'show', 'dev', 'eth0'])).toMatch(/class htb 1:3 .*rate 2Mbit/);
        const alone = (await iperf(a, b, '10.234.0.4', 5306, SECONDS)).receivedBps;
        console.log(`10.234.0.4 after set to 2mbit: ${Math.round(alone)} bit/s`);
        within10(alone, 2e6);
        const un = tsbcc(['unset', '10.234.0.4', '--netns', a]);
        expect(un.err).toBe('');
        expect(nsExec(a, ['tc', 'class', 'show', 'dev', 'eth0'])).not.toContain('1:3');
        expect(show(a).directions[0]!.entries.map((e) => e.prefix)).toEqual(['10.234.0.2', 'fd34::3']);
        expect(tsbcc(['unset', '10.234.0.4', '--netns', a]).err).toContain(
          '10.234.0.4 is not set in eth0 egress',
        );
        expect(tcClassifier(a, 'eth0')).toEqual(filter);

        // a changed policy: fast changes rate, bulk is new and the default, fd34::3 goes, .2 is
        // back in slow (the policy replaces what set changed); the same classifier
        writeFileSync(
          policy,
          'interfaces:\n  eth0:\n    egress:\n      default: bulk\n      classes:\n        slow: { rate: 1mbit, addresses: [10.234.0.2] }\n        fast: { rate: 2mbit, ceil: 3mbit, addresses: [10.234.0.4] }\n        bulk: { rate: 512kbit }\n',
        );
        const re = tsbcc(['apply', policy, '--netns', a]);
        expect(re.err).toBe('');
        expect(re.out).toContain(
          'eth0 egress: reconciled (classes +1 ~1 -0, entries +1 ~1 -1; classifier kept)',
        );
        expect(tcClassifier(a, 'eth0')).toEqual(filter);
        const classes = nsExec(a, ['tc', 'class', 'show', 'dev', 'eth0']);
        expect(classes).toMatch(/class htb 1:2 .*rate 2Mbit ceil 3Mbit/);
        expect(classes).toMatch(/class htb 1:3 .*rate 512Kbit/);
        shown = show(a);
        expect(shown.directions[0]!.entries.map((e) => `${e.prefix} ${e.class}`)).toEqual([
          '10.234.0.2 slow',
          '10.234.0.4 fast',
        ]);

        const rm = tsbcc(['rm', '--netns', a]);
        expect(rm.err).toBe('');
        expect(rm.out).toContain(`${a}: removed eth0 egress`);
        expect(interfaceState(a)).toBe(before);
        expect(existsSync(recordFile(a))).toBe(false);
        expect(existsSync(pinDir(a))).toBe(false);
        expect(loadedProgramIds().has(filter.id)).toBe(false);
      } finally {
        tsbcc(['rm', '--netns', a]);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('limits ingress through an ifb; a SIGKILLed apply is refused again and cleaned by rm', async (ctx) => {
    await requireFeatures(ctx, 'htb', 'cls_bpf', 'clsact', 'ifb', 'act_mirred');
    await Network.run(testbed(), async (net) => {
      const a = net.nsName('a');
      const b = net.nsName('b');
      const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rl-'));
      const policy = join(dir, 'policy.yaml');
      const before = interfaceState(a);
      try {
        writeFileSync(
          policy,
          'interfaces:\n  eth0:\n    ingress:\n      classes:\n        up: { rate: 2mbit, addresses: [10.234.0.3] }\n',
        );
        const r = tsbcc(['apply', policy, '--netns', a]);
        expect(r.err).toBe('');
        expect(r.out).toContain('eth0 ingress: installed via ifb+htb');
        // b sends from .3 (limited by source address) to a
        const got = (await iperf(b, a, '10.234.0.1', 5305, SECONDS, ['-B', '10.234.0.3'])).receivedBps;
        console.log(`ingress from 10.234.0.3: ${Math.round(got)} bit/s`);
        within10(got, 2e6);
        expect(tsbcc(['rm', '--netns', a]).code).toBe(0);
        expect(interfaceState(a)).toBe(before);

        // the second kill is recorded in a run directory of its own and cleaned by rm --all,
        // which finds the namespace from the record
        const runDir = join(dir, 'run');
        for (const [step, env, rmArgs] of [
          ['pinned', {}, ['rm', '--netns', a]],
          ['installed', { TSBCC_RUN_DIR: runDir }, ['rm', '--all']],
        ] as const) {
          const record = join(
            env.TSBCC_RUN_DIR ?? (process.env.TSBCC_RUN_DIR || '/run/tsbcc'),
            'ratelimit',
            `${a}.json`,
          );
          const k = tsbcc(['apply', policy, '--netns', a], { ...env, TSBCC_RATELIMIT_KILL_AT: step });
          expect(k.signal).toBe('SIGKILL');
          expect(existsSync(record)).toBe(true);
          // killed with the maps pinned (and, at 'installed', the ifb, htb and filters made)
          expect(existsSync(pinDir(a))).toBe(true);
          if (step === 'installed') expect(interfaceState(a)).not.toBe(before);
          const again = tsbcc(['apply', policy, '--netns', a], env);
          expect(again.code).toBe(1);
          expect(again.err).toContain(`an earlier apply in ${a} did not finish`);
          const rm = tsbcc([...rmArgs], env);
          expect(rm.err).toBe('');
          expect(rm.out).toContain(`${a}: removed eth0 ingress`);
          expect(interfaceState(a)).toBe(before);
          expect(existsSync(record)).toBe(false);
          expect(existsSync(`${record.slice(0, -'.json'.length)}.lock`)).toBe(false);
          expect(existsSync(pinDir(a))).toBe(false);
        }
      } finally {
        tsbcc(['rm', '--netns', a]);
        tsbcc(['rm', '--all'], { TSBCC_RUN_DIR: join(dir, 'run') });
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

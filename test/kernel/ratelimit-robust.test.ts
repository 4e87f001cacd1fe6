/**
 * `tsbcc ratelimit` when changes collide or die (the CLI in child processes, in a testbed):
 * two applies of different policies on one interface run one after the other (the second waits
 * for the first's lock, then reconciles) and the result is one policy applied fully; an apply
 * SIGKILLed in the middle of a reconcile, a `set` SIGKILLed after it made the address's class
 * and an `rm` SIGKILLed half-way are refused by the next change and cleaned by `rm`, leaving
 * the interfaces exactly as before, no record, lock or pins, and no program loaded.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network, Topology } from '../../src/index.js';
import { loadedProgramIds, nsExec, uniqueName } from './helpers/netns.js';
import {
  interfaceState,
  pinDir,
  ratelimitCli as tsbcc,
  ratelimitCliAsync,
  recordFile,
} from './helpers/ratelimit-cli.js';
import { requireFeatures } from './helpers/require-features.js';

function testbed(): Topology {
  const t = new Topology(uniqueName('rlr')).host('a').host('b');
  t.link(
    { host: 'a', ifname: 'eth0', addresses: ['10.236.0.1/24'] },
    { host: 'b', ifname: 'eth0', addresses: ['10.236.0.2/24', '10.236.0.3/24', '10.236.0.4/24'] },
  );
  return t;
}

// two directions (egress htb, ingress ifb+htb), and one egress direction of one class
const P1 = `interfaces:
  eth0:
    egress:
      classes:
        slow: { rate: 1mbit, addresses: [10.236.0.2] }
        fast: { rate: 4mbit, addresses: [10.236.0.4] }
    ingress:
      classes:
        up: { rate: 2mbit, addresses: [10.236.0.3] }
`;
const P2 = `interfaces:
  eth0:
    egress:
      default: one
      classes:
        one: { rate: 2mbit, addresses: [10.236.0.2, 10.236.0.3, 10.236.0.4] }
`;

interface Shown {
  policy: string;
  directions: {
    interface: string;
    direction: string;
    complete: boolean;
    classifier?: { programId: number; inPlace: boolean };
    classes: { name: string; rate: number; classid: string }[];
    entries: { prefix: string; class: string }[];
  }[];
}

function show(ns: string): Shown {
  const r = tsbcc(['show', '--netns', ns, '--json']);
  expect(r.err).toBe('');
  const list = JSON.parse(r.out) as Shown[];
  expect(list).toHaveLength(1);
  return list[0]!;
}

/** What a policy looks like applied fully: its directions, classes and entries, in the kernel too. */
function expectApplied(ns: string, which: 'P1' | 'P2', file: string): number[] {
  const s = show(ns);
  expect(s.policy).toBe(file);
  const summary = s.directions.map((d) => ({
    where: `${d.interface} ${d.direction}`,
    complete: d.complete,
    inPlace: d.classifier?.inPlace,
    classes: d.classes.map((c) => `${c.name} ${c.rate}`),
    entries: d.entries.map((e) => `${e.prefix} ${e.class}`),
  }));
  const classLines = (dev: string): string[] =>
    nsExec(ns, ['tc', 'class', 'show', 'dev', dev])
      .split('\n')
      .filter(Boolean)
      .map((l) => /rate (\S+)/.exec(l)?.[1] ?? l);
  if (which === 'P1') {
    expect(summary).toEqual([
      {
        where: 'eth0 egress',
        complete: true,
        inPlace: true,
        classes: ['slow 1000000', 'fast 4000000'],
        entries: ['10.236.0.2 slow', '10.236.0.4 fast'],
      },
      {
        where: 'eth0 ingress',
        complete: true,
        inPlace: true,
        classes: ['up 2000000'],
        entries: ['10.236.0.3 up'],
      },
    ]);
    expect(classLines('eth0').sort()).toEqual(['1Mbit', '4Mbit']);
    expect(nsExec(ns, ['tc', 'filter', 'show', 'dev', 'eth0', 'ingress'])).toContain(
      'tsbcc:ratelimit-redirect',
    );
  } else {
    expect(summary).toEqual([
      {
        where: 'eth0 egress',
        complete: true,
        inPlace: true,
        classes: ['one 2000000'],
        entries: ['10.236.0.2 one', '10.236.0.3 one', '10.236.0.4 one'],
      },
    ]);
    expect(classLines('eth0')).toEqual(['2Mbit']);
    expect(nsExec(ns, ['tc', 'filter', 'show', 'dev', 'eth0', 'ingress'])).toBe('');
    expect(nsExec(ns, ['ip', '-o', 'link', 'show', 'type', 'ifb'])).toBe('');
  }
  return s.directions.map((d) => d.classifier?.programId ?? 0);
}

/** rm, then: the interfaces as before, nothing of the record, lock, pins or programs left. */
function expectRemoved(ns: string, before: string, programs: number[]): void {
  const rm = tsbcc(['rm', '--netns', ns]);
  expect(rm.err).toBe('');
  expect(rm.code).toBe(0);
  expect(interfaceState(ns)).toBe(before);
  expect(existsSync(recordFile(ns))).toBe(false);
  expect(existsSync(recordFile(ns).replace(/\.json$/, '.lock'))).toBe(false);
  expect(existsSync(pinDir(ns))).toBe(false);
  const ids = loadedProgramIds();
  for (const id of programs) expect(ids.has(id), `program ${id} still loaded`).toBe(false);
}

describe('tsbcc ratelimit: racing and killed changes (CLI, in a testbed)', () => {
  it('serialises two applies on one interface; the result is one policy applied fully', async (ctx) => {
    await requireFeatures(ctx, 'htb', 'cls_bpf', 'clsact', 'ifb', 'act_mirred');
    await Network.run(testbed(), async (net) => {
      const a = net.nsName('a');
      const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rlr-'));
      const [p1, p2] = [join(dir, 'p1.yaml'), join(dir, 'p2.yaml')];
      writeFileSync(p1, P1);
      writeFileSync(p2, P2);
      const before = interfaceState(a);
      const programs: number[] = [];
      try {
        // the first holds the lock in the middle of its install (maps pinned, nothing in tc yet)
        const first = ratelimitCliAsync(['apply', p1, '--netns', a], {
          TSBCC_RATELIMIT_STALL_AT: 'pinned',
          TSBCC_RATELIMIT_STALL_MS: '3000',
        });
        const lock = recordFile(a).replace(/\.json$/, '.lock');
        const holder = (): string => (existsSync(lock) ? readFileSync(lock, 'utf8') : '');
        while (!holder().startsWith(`${first.pid} `)) await new Promise((r) => setTimeout(r, 20));
        const second = ratelimitCliAsync(['apply', p2, '--netns', a]);
        const [r1, r2] = await Promise.all([first.done, second.done]);
        expect([r1.err, r1.code]).toEqual(['', 0]);
        expect(r2.code).toBe(0);
        expect(r2.err).toBe(
          `tsbcc ratelimit: waiting for process ${first.pid}, which is changing this namespace\n`,
        );
        expect(r1.out).toContain('eth0 egress: installed via htb');
        expect(r2.out).toContain('eth0 ingress: removed');
        expect(r2.out).toContain(
          'eth0 egress: reconciled (classes +1 ~0 -2, entries +1 ~2 -0; classifier kept)',
        );
        programs.push(...expectApplied(a, 'P2', p2));

        // both at once, from P2's state: whichever takes the lock second is what stays, fully
        for (let round = 0; round < 2; round++) {
          const x = ratelimitCliAsync(['apply', p1, '--netns', a]);
          const y = ratelimitCliAsync(['apply', p2, '--netns', a]);
          const [rx, ry] = await Promise.all([x.done, y.done]);
          expect([rx.code, ry.code]).toEqual([0, 0]);
          const last = show(a).policy === p1 ? 'P1' : 'P2';
          console.log(`race ${round}: ${last} applied last; waits: ${JSON.stringify([rx.err, ry.err])}`);
          programs.push(...expectApplied(a, last, last === 'P1' ? p1 : p2));
        }
        expectRemoved(a, before, programs);
      } finally {
        tsbcc(['rm', '--netns', a]);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('cleans a SIGKILLed reconcile, set and rm with rm', async (ctx) => {
    await requireFeatures(ctx, 'htb', 'cls_bpf', 'clsact', 'ifb', 'act_mirred');
    await Network.run(testbed(), async (net) => {
      const a = net.nsName('a');
      const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rlr-'));
      const [p1, p2] = [join(dir, 'p1.yaml'), join(dir, 'p2.yaml')];
      writeFileSync(p1, P1);
      writeFileSync(p2, P2);
      const before = interfaceState(a);
      const apply1 = (): number[] => {
        const r = tsbcc(['apply', p1, '--netns', a]);
        expect([r.err, r.code]).toEqual(['', 0]);
        return expectApplied(a, 'P1', p1);
      };
      try {
        // apply of P2 killed in its reconcile: class "one" added, the tries not yet changed
        let programs = apply1();
        const k = tsbcc(['apply', p2, '--netns', a], { TSBCC_RATELIMIT_KILL_AT: 'reconcile' });
        expect(k.signal).toBe('SIGKILL');
        expect(nsExec(a, ['tc', 'class', 'show', 'dev', 'eth0'])).toMatch(/rate 2Mbit/);
        const again = tsbcc(['apply', p2, '--netns', a]);
        expect(again.code).toBe(1);
        expect(again.err).toContain(`an earlier apply in ${a} did not finish`);
        expectRemoved(a, before, programs);

        // set ADDR RATE killed after it made the address's class, before the map update
        programs = apply1();
        const s = tsbcc(
          ['set', '10.236.0.2', '3mbit', '--netns', a, '--dev', 'eth0', '--direction', 'egress'],
          { TSBCC_RATELIMIT_KILL_AT: 'set' },
        );
        expect(s.signal).toBe('SIGKILL');
        expect(nsExec(a, ['tc', 'class', 'show', 'dev', 'eth0'])).toMatch(/class htb 1:3 .*rate 3Mbit/);
        const refused = tsbcc([
          'set',
          '10.236.0.2',
          'fast',
          '--netns',
          a,
          '--dev',
          'eth0',
          '--direction',
          'egress',
        ]);
        expect(refused.err).toContain(`an earlier apply in ${a} did not finish`);
        expectRemoved(a, before, programs);

        // rm killed after the first direction's tc objects went (ingress: redirect, ifb, clsact)
        programs = apply1();
        const r = tsbcc(['rm', '--netns', a], { TSBCC_RATELIMIT_KILL_AT: 'rm' });
        expect(r.signal).toBe('SIGKILL');
        expect(nsExec(a, ['ip', '-o', 'link', 'show', 'type', 'ifb'])).toBe('');
        expect(nsExec(a, ['tc', 'qdisc', 'show', 'dev', 'eth0'])).toContain('qdisc htb 1: root');
        expect(existsSync(recordFile(a))).toBe(true);
        expectRemoved(a, before, programs);
      } finally {
        tsbcc(['rm', '--netns', a]);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

/**
 * `tsbcc ratelimit check` (the validation apply runs first) against a real namespace: unknown
 * interfaces and IPv6 prefixes on an interface without IPv6 are refused with their YAML paths,
 * and nothing on the interface changes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network, Topology } from '../../src/index.js';
import { nsExec, uniqueName } from './helpers/netns.js';

function tsbcc(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('node', ['dist/src/cli/main.js', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('tsbcc ratelimit check (in a testbed: host v4 has IPv6 disabled, host v6 has it)', () => {
  it('accepts a good policy, refuses unknown interfaces and IPv6 on an IPv4-only interface, changes nothing', async () => {
    const t = new Topology(uniqueName('rl')).host('v4', { ipv6: false }).host('v6');
    t.link(
      { host: 'v4', ifname: 'eth0', addresses: ['10.232.0.1/24'] },
      { host: 'v6', ifname: 'eth0', addresses: ['10.232.0.2/24', 'fd32::2/64'] },
    );
    await Network.run(t, async (net) => {
      const dir = mkdtempSync(join(tmpdir(), 'tsbcc-rl-'));
      try {
        const policy = join(dir, 'policy.yaml');
        writeFileSync(
          policy,
          'interfaces:\n  eth0:\n    egress:\n      classes:\n        gold: { rate: 2mbit, addresses: [10.232.0.2, "fd32::/64"] }\n        bulk: { rate: 1mbit, addresses: [10.232.0.0/30] }\n',
        );
        const state = (ns: string): string =>
          nsExec(ns, ['tc', 'qdisc', 'show', 'dev', 'eth0']) +
          nsExec(ns, ['tc', 'filter', 'show', 'dev', 'eth0', 'egress']);
        const before = state(net.nsName('v4'));

        // overlapping prefixes in two classes: refused from the file alone
        let r = tsbcc('ratelimit', 'check', policy, '--netns', net.nsName('v6'));
        expect(r.code).toBe(1);
        expect(r.err).toContain(
          `${policy}:6:42: interfaces.eth0.egress.classes.bulk.addresses.0: 10.232.0.0/30 overlaps 10.232.0.2 of class gold`,
        );

        writeFileSync(
          policy,
          'interfaces:\n  eth0:\n    egress:\n      default: bulk\n      classes:\n        gold: { rate: 2mbit, addresses: [10.232.0.2, "fd32::/64"] }\n        bulk: { rate: 1mbit }\n  eth9:\n    ingress:\n      classes: { x: { rate: 1mbit } }\n',
        );
        r = tsbcc('ratelimit', 'check', policy, '--netns', net.nsName('v4'));
        expect(r.code).toBe(1);
        expect(r.err).toContain(
          `${policy}:6:54: interfaces.eth0.egress.classes.gold.addresses.1: fd32::/64 is IPv6, but eth0 in ${net.nsName('v4')} has no IPv6 (IPv6 disabled)`,
        );
        expect(r.err).toContain(`${policy}:8:3: interfaces.eth9: no interface eth9 in ${net.nsName('v4')}`);
        expect(state(net.nsName('v4'))).toBe(before);

        // the same policy without eth9 is good where eth0 has IPv6
        writeFileSync(
          policy,
          'interfaces:\n  eth0:\n    egress:\n      default: bulk\n      classes:\n        gold: { rate: 2mbit, addresses: [10.232.0.2, "fd32::/64"] }\n        bulk: { rate: 1mbit }\n',
        );
        r = tsbcc('ratelimit', 'check', policy, '--netns', net.nsName('v6'));
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toContain(
          'eth0 egress: by destination address; gold 2000000 bit/s (2 addresses), bulk 1000000 bit/s (0 addresses); default bulk',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

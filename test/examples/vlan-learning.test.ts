import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { features } from '../../src/index.js';
import { drawVlans, runVlanLearning } from '../../examples/networking/vlan_learning/vlan_learning.js';

describe('vlan_learning example (same addresses, separated by VLAN only; HTTP with curl)', () => {
  it('draws distinct VLANs from 2..17, differently from run to run', () => {
    const draws = Array.from({ length: 20 }, () => drawVlans(3));
    for (const d of draws) {
      expect(new Set(d).size).toBe(3);
      for (const v of d) expect(v >= 2 && v <= 17).toBe(true);
    }
    expect(new Set(draws.map((d) => d.join(','))).size).toBeGreaterThan(1);
  });

  it('sends every client to its own worker, learns each VLAN, and counts each MAC exactly', async () => {
    const has8021q = (await features()).has('8021q');
    const r = await runVlanLearning({ mode: { kind: 'duration', seconds: 2 }, interval: 0.5 });
    // real vlan devices where the kernel has 8021q, the tagging program where not
    expect(r.clientTagging).toBe(has8021q ? '8021q' : 'tc');
    expect(r.taggingReason).toContain(has8021q ? 'vlan device' : 'CONFIG_VLAN_8021Q');
    // every client is 172.16.1.100 and every worker 172.16.1.5; each client got its own worker
    expect(r.http).toEqual(
      [0, 1, 2].map((i) => ({ client: `client${i}`, answers: { [`worker${i}`]: 4 }, failures: 0 })),
    );
    expect(r.learned).toEqual(
      [0, 1, 2].map((i) => ({
        port: `port${i}`,
        vlan: r.vlans[i],
        proto: 0x8100,
        mac: `02:00:00:00:00:0${i}`,
      })),
    );
    for (const c of r.counters) {
      // four HTTP exchanges, each a TCP connection: at least SYN, ACK, request and FIN from the
      // client, and SYN-ACK, response and FIN from the worker; plus ARP
      expect(c.rxPackets, c.mac).toBeGreaterThanOrEqual(4 * 4 + 1);
      expect(c.txPackets, c.mac).toBeGreaterThanOrEqual(4 * 3 + 1);
      expect([c.rxPackets, c.rxBytes, c.txPackets, c.txBytes], c.mac).toEqual([
        c.workerRxPackets,
        c.workerRxBytes,
        c.workerTxPackets,
        c.workerTxBytes,
      ]);
    }
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });
});

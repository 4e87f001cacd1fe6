import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  runDistributedBridge,
  type DistributedBridgeResult,
} from '../../examples/networking/distributed_bridge/distributed_bridge.js';
import { dhcpTools } from '../../examples/networking/distributed_bridge/dhcp.js';

const bridgeMac = (i: number, j: number): string => `02:99:01:0${j}:00:${i.toString(16).padStart(2, '0')}`;

/** What every mode must show: the full matrix, no cross-VNI MAC, exactly the remote bridges learned. */
function expectBridged(r: DistributedBridgeResult, hosts: number): void {
  expect(r.matrices.map((m) => m.vni)).toEqual([10000, 10001]);
  for (const m of r.matrices) {
    m.cells.forEach((row, a) =>
      row.forEach((c, b) => {
        if (a === b) return;
        expect(c, `VNI ${m.vni} host${a} -> host${b}`).toEqual({ sent: 5, received: 5 });
      }),
    );
  }
  expect(r.crossVni).toEqual([]);
  for (let i = 0; i < hosts; i++) {
    for (const [j, vni] of [10000, 10001].entries()) {
      const bridges = r.learned
        .filter((l) => l.host === `host${i}` && l.vni === vni && l.mac.startsWith('02:99:01:'))
        .map((l) => [l.mac, l.remote]);
      const expected = [...Array(hosts).keys()]
        .filter((m) => m !== i)
        .map((m) => [bridgeMac(m, j), `172.16.1.${100 + m}`]);
      expect(bridges.sort(), `host${i} VNI ${vni}`).toEqual(expected.sort());
    }
  }
  expect(
    r.checks.every((c) => c.ok),
    JSON.stringify(r.checks.filter((c) => !c.ok)),
  ).toBe(true);
  expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
}

describe('distributed_bridge example (bridges per VNI over flow-based vxlan, ping matrices)', () => {
  it('multicast mode, 3 hosts: the programs learn each remote bridge behind its endpoint', async () => {
    const r = await runDistributedBridge({
      bridgeMode: 'multicast',
      hosts: 3,
      mode: { kind: 'duration', seconds: 1 },
    });
    expectBridged(r, 3);
    // mac2host counted the frames: at least the 5 echo requests (rx) and replies (tx) of each pair
    for (const l of r.learned) {
      expect(l.rxPkts, `${l.host} ${l.mac}`).toBeGreaterThanOrEqual(10);
      expect(l.txPkts, `${l.host} ${l.mac}`).toBeGreaterThanOrEqual(10);
    }
  });

  it('mesh mode, 3 hosts: each bridge learns on the tunnel port of the sender, split horizon holds floods back', async () => {
    const r = await runDistributedBridge({
      bridgeMode: 'mesh',
      hosts: 3,
      mode: { kind: 'duration', seconds: 1 },
    });
    expectBridged(r, 3);
    // a broadcast from one remote reaches a host once, on that remote's port, and is not sent on
    for (const h of ['host0', 'host1', 'host2']) expect(r.held[h], h).toBeGreaterThan(0);
  });

  it.each(['multicast', 'mesh'] as const)(
    '%s mode, 8 hosts: the full 56-pair matrix per VNI',
    async (bridgeMode) => {
      const r = await runDistributedBridge({ bridgeMode, hosts: 8, mode: { kind: 'duration', seconds: 1 } });
      expectBridged(r, 8);
    },
  );

  it('dhcp mode, 3 hosts: every bridge leases its address from host0 and the matrix holds', async (ctx) => {
    const tools = dhcpTools();
    if ('missing' in tools) {
      console.log(`skipped: ${tools.missing}`);
      ctx.skip();
    }
    const r = await runDistributedBridge({
      bridgeMode: 'dhcp',
      hosts: 3,
      mode: { kind: 'duration', seconds: 1 },
    });
    for (const [j, m] of r.matrices.entries()) {
      for (const a of m.addresses) expect(a).toMatch(new RegExp(`^99\\.1\\.${j}\\.(\\d+)$`));
      expect(m.addresses.includes(`99.1.${j}.1`)).toBe(false); // .1 is the server
    }
    expectBridged(r, 3);
  });
});

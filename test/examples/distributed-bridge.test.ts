import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runDistributedBridge } from '../../examples/networking/distributed_bridge/distributed_bridge.js';

describe('distributed_bridge example (per-VNI bridges over an external vxlan, real pings)', () => {
  it('pings cross the tunnel within a VNI, not across VNIs, and every host learns where MACs live', async () => {
    const lines: string[] = [];
    const r = await runDistributedBridge({ count: 3, log: (l) => lines.push(l) });
    expect(lines[0]).toContain(r.prefix);
    const pairs: Array<[number, number, number]> = [
      [0, 1, 10],
      [0, 2, 10],
      [1, 2, 10],
      [0, 1, 20],
      [2, 0, 20],
    ];
    for (const [a, b, vni] of pairs) {
      expect(r.pings[`t${a}v${vni}->t${b}v${vni}`]).toEqual({ sent: 3, received: 3 });
    }
    // Same subnet, other VNI: never answered.
    expect(r.pings['t0v10->t1v20']).toEqual({ sent: 1, received: 0 });

    // Tenant MACs are 02:00:00:62:<vni hex>:0<host>; each host learned them behind the right
    // tunnel endpoint and VNI (the other entries are single frames the remote bridges send
    // themselves, with their own MAC, as they come up).
    const tenantMac = (n: number, vni: number): string =>
      `02:00:00:62:${vni.toString(16).padStart(2, '0')}:0${n}`;
    const tenantEntries = r.learned.filter((l) => l.mac.startsWith('02:00:00:62:'));
    for (const l of tenantEntries) {
      const [vniHex, n] = l.mac.split(':').slice(4);
      expect(l.vni, l.mac).toBe(parseInt(vniHex!, 16));
      expect(l.remote, l.mac).toBe(`172.19.0.${Number(n) + 1}`);
      expect(l.host, l.mac).not.toBe(`host${Number(n)}`); // only remote MACs come from the tunnel
    }
    const find = (host: number, n: number, vni: number) =>
      tenantEntries.find((l) => l.host === `host${host}` && l.mac === tenantMac(n, vni));
    for (const [a, b, vni] of pairs) {
      // a's host sent the echo requests to b's endpoint as known unicast (the ARP request was flooded)
      expect(find(a, b, vni)?.txPkts, `host${a} -> t${b}v${vni}`).toBeGreaterThanOrEqual(3);
      // b's host received the ARP request and the echo requests from a through the tunnel
      expect(find(b, a, vni)?.rxPkts, `host${b} <- t${a}v${vni}`).toBeGreaterThanOrEqual(4);
    }
    for (const key of ['host0/10', 'host0/20', 'host1/10', 'host2/20']) {
      expect(r.flooded[key], key).toBeGreaterThanOrEqual(1);
    }
    // The only way between hosts is the underlay: every host received the tunnelled frames there.
    for (const h of ['host0', 'host1', 'host2']) {
      expect(r.underlayRxPackets[h], h).toBeGreaterThanOrEqual(3 * 4);
    }
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });
});

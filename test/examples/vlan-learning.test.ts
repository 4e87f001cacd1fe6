import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runVlanLearning } from '../../examples/networking/vlan_learning/vlan_learning.js';

describe('vlan_learning example (a tagged trunk to local ports without vlan devices, real pings)', () => {
  it('sends each client to its port, tags the way back with the learned VLAN, and isolates the rest', async () => {
    const lines: string[] = [];
    const r = await runVlanLearning({ count: 3, log: (l) => lines.push(l) });
    expect(r.pings).toEqual({
      client0: { sent: 3, received: 3 },
      client1: { sent: 3, received: 3 },
      client2: { sent: 3, received: 3 },
    });
    expect(r.crossPortReplies).toBe(0);
    expect(lines[0]).toContain(r.prefix);
    // Each client MAC went to its own port, and each port back to the trunk with its VLAN's tag.
    expect(r.ports.map((p) => [p.mac, p.port])).toEqual([
      ['02:00:00:00:61:00', 'port0'],
      ['02:00:00:00:61:01', 'port1'],
      ['02:00:00:00:61:02', 'port2'],
    ]);
    expect(r.trunks.map((t) => [t.port, t.trunk, t.vlan, t.proto])).toEqual([
      ['port0', 'trunk0', 100, 0x8100],
      ['port1', 'trunk0', 200, 0x8100],
      ['port2', 'trunk0', 300, 0x8100],
    ]);
    // Counters: every echo request (98-byte frame) one way, every reply the other, plus ARP
    // (42-byte frames); the tag is not part of skb->len (it sits in the skb's metadata).
    for (const e of [...r.ports, ...r.trunks]) {
      const arps = e.pkts - 3;
      expect(arps, `${e.port}`).toBeGreaterThanOrEqual(1);
      expect(e.bytes, `${e.port}`).toBe(3 * 98 + arps * 42);
    }
    // client0 sent one more ARP request (for worker1), which only port0 saw.
    expect(r.ports[0]!.pkts).toBeGreaterThan(r.ports[1]!.pkts);
    for (const [c, s] of Object.entries(r.clients)) {
      expect(s.tagged, c).toBeGreaterThanOrEqual(4);
      expect(s.received, c).toBeGreaterThanOrEqual(4);
    }
    // client0's broadcasts (vlan 100) were flooded to the others and dropped there.
    expect(r.clients.client1!.dropped).toBeGreaterThanOrEqual(2);
    expect(r.clients.client2!.dropped).toBeGreaterThanOrEqual(2);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });
});

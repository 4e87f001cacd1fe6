import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expectedFlow, runTunnelMonitor } from '../../examples/networking/tunnel_monitor/tunnel_monitor.js';
import { planTraffic } from '../../examples/networking/tunnel_monitor/traffic.js';

describe('tunnel_monitor example (9 hosts, 4 VNIs of multicast vxlan, pings counted per flow)', () => {
  it('plans distinct pairs over hosts and VNIs, the same for the same seed', () => {
    const plan = planTraffic({ hosts: 9, vnis: 4, pairs: 24, seed: 5 });
    expect(plan).toEqual(planTraffic({ hosts: 9, vnis: 4, pairs: 24, seed: 5 }));
    expect(
      new Set(plan.map((p) => `${Math.min(p.from, p.to)}-${Math.max(p.from, p.to)}-${p.vni}`)).size,
    ).toBe(24);
    expect(new Set(plan.map((p) => p.size)).size).toBeGreaterThan(2);
    expect(plan[0]).toMatchObject({ size: 1400, interval: 0.05 }); // the culprit
  });

  it("watching every host: each pair's flow holds exactly the pings it sent and got back, and ARP beside it", async () => {
    const r = await runTunnelMonitor({ mode: { kind: 'duration', seconds: 2 }, pairs: 24 });
    expect(r.pairChecks).toHaveLength(24);
    for (const c of r.pairChecks) {
      const what = `seed ${r.seed}: host${c.pair.from} -> host${c.pair.to} VNI ${10000 + c.pair.vni}`;
      expect(c.pair.sent, what).toBeGreaterThan(0);
      expect(c.pair.received, what).toBe(c.pair.sent);
      expect(c.found, what).toBeDefined();
      expect(
        {
          txPackets: c.found!.txPackets,
          txBytes: c.found!.txBytes,
          rxPackets: c.found!.rxPackets,
          rxBytes: c.found!.rxBytes,
        },
        what,
      ).toEqual(c.expected);
    }
    expect(r.unexpected).toEqual([]);
    // ARP replies are unicast, so counted (as frames that are not IPv4); ARP requests went to
    // the VNI's group and were skipped
    const arp = r.sample.flows.filter((f) => !f.ipv4);
    expect(arp.length).toBeGreaterThanOrEqual(24);
    for (const f of arp) expect([f.innerA, f.innerB]).toEqual(['0.0.0.0', '0.0.0.0']);
    expect(r.sample.skipped.outerMulticast).toBeGreaterThan(0);
    // every direction of every IPv4 flow is a Prometheus series with its count
    for (const f of r.sample.flows.filter((x) => x.ipv4)) {
      expect(r.metrics).toContain(
        `tsbcc_vxlan_flow_packets_total{outer_src="${f.outerB}",outer_dst="${f.outerA}",vni="${f.vni}",inner_src="${f.innerB}",inner_dst="${f.innerA}"} ${f.rxPackets}`,
      );
    }
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });

  it("watching host0 both ways (as BCC): exactly host0's flows", async () => {
    const seed = 3; // a plan with several pairs at host0
    const atHost0 = planTraffic({ hosts: 9, vnis: 4, pairs: 24, seed }).filter(
      (p) => p.from === 0 || p.to === 0,
    );
    expect(atHost0.length).toBeGreaterThanOrEqual(2);
    const r = await runTunnelMonitor({
      mode: { kind: 'duration', seconds: 1 },
      watch: 'host0',
      pairs: 24,
      seed,
    });
    expect(r.pairChecks.map((c) => c.pair.from * 100 + c.pair.to).sort()).toEqual(
      atHost0.map((p) => p.from * 100 + p.to).sort(),
    );
    for (const c of r.pairChecks) expect(c.found && expectedFlow(c.pair).expected).toEqual(c.expected);
    for (const f of r.sample.flows) expect(f.outerA).toBe('172.16.1.100');
    expect(r.checks.every((c) => c.ok)).toBe(true);
  });
});

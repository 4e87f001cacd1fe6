import { describe, expect, it } from 'vitest';
import { FlowTracker, vxlanFlowRegistry, type VxlanFlow } from '../../src/index.js';

describe('FlowTracker and the Prometheus registry of VxlanFlowMonitor (pure: a fake flow table)', () => {
  it('tracks deltas between samples and exports both directions as metrics', async () => {
    let flows: VxlanFlow[] = [];
    const fake = { flows: () => flows, skipped: () => ({ outerMulticast: 3, notVxlan: 1 }) };
    const f = {
      outerA: '10.0.0.1',
      outerB: '10.0.0.2',
      vni: 7,
      innerA: '192.168.0.1',
      innerB: '192.168.0.2',
      ipv4: true,
      idleMs: 0,
    };
    const t = new FlowTracker(fake);
    flows = [{ ...f, txPackets: 2, txBytes: 200, rxPackets: 1, rxBytes: 100 }];
    expect(t.sample()).toMatchObject({ seq: 1, intervalMs: 0, totals: { flows: 1, packets: 3, bytes: 300 } });
    flows = [{ ...f, txPackets: 5, txBytes: 500, rxPackets: 1, rxBytes: 100 }];
    const s = t.sample();
    expect(s.flows[0]!.delta).toEqual({ txPackets: 3, txBytes: 300, rxPackets: 0, rxBytes: 0 });
    expect(s.delta).toEqual({ packets: 3, bytes: 300 });
    const text = await (await vxlanFlowRegistry(fake)).metrics();
    expect(text).toContain(
      'tsbcc_vxlan_flow_packets_total{outer_src="10.0.0.1",outer_dst="10.0.0.2",vni="7",inner_src="192.168.0.1",inner_dst="192.168.0.2"} 5',
    );
    expect(text).toContain(
      'tsbcc_vxlan_flow_bytes_total{outer_src="10.0.0.2",outer_dst="10.0.0.1",vni="7",inner_src="192.168.0.2",inner_dst="192.168.0.1"} 100',
    );
    expect(text).toContain('tsbcc_vxlan_skipped_frames_total{reason="outer_multicast"} 3');
    expect(text).toContain('tsbcc_vxlan_flows 1');
  });
});

/**
 * A monitor's flow counters as Prometheus metrics (prom-client), so that the flows can feed a
 * fleet's existing monitoring. Each scrape reads the flow table afresh. One direction of a flow
 * is one series: its labels say where it went.
 *
 * - `tsbcc_vxlan_flow_packets_total` / `tsbcc_vxlan_flow_bytes_total` (counters)
 *   {outer_src, outer_dst, vni, inner_src, inner_dst}: IPv4 inner traffic.
 * - `tsbcc_vxlan_non_ipv4_packets_total` / `..._bytes_total` {outer_src, outer_dst, vni}: inner
 *   frames that are not IPv4 (ARP, ...).
 * - `tsbcc_vxlan_flows` (gauge): flows in the table.
 * - `tsbcc_vxlan_skipped_frames_total` {reason="outer_multicast"|"not_vxlan"}.
 */
import type { Counter, Registry } from 'prom-client';
import type { VxlanFlow, VxlanFlowMonitor } from './vxlan-flow-monitor.js';

const FLOW_LABELS = ['outer_src', 'outer_dst', 'vni', 'inner_src', 'inner_dst'] as const;
const NON_IPV4_LABELS = ['outer_src', 'outer_dst', 'vni'] as const;

/** Both directions of a flow as (labels, packets, bytes). */
function directions(f: VxlanFlow): Array<{ labels: Record<string, string>; packets: number; bytes: number }> {
  const vni = String(f.vni);
  return [
    {
      labels: { outer_src: f.outerA, outer_dst: f.outerB, vni, inner_src: f.innerA, inner_dst: f.innerB },
      packets: f.txPackets,
      bytes: f.txBytes,
    },
    {
      labels: { outer_src: f.outerB, outer_dst: f.outerA, vni, inner_src: f.innerB, inner_dst: f.innerA },
      packets: f.rxPackets,
      bytes: f.rxBytes,
    },
  ].filter((d) => d.packets > 0);
}

/**
 * A prom-client Registry whose metrics are read from `monitor` at every scrape
 * (`await registry.metrics()`, served with `registry.contentType`). Pass a registry to add the
 * metrics to one you already have. prom-client is loaded on the first call, not with tsbcc.
 */
export async function vxlanFlowRegistry(
  monitor: Pick<VxlanFlowMonitor, 'flows' | 'skipped'>,
  existing?: Registry,
): Promise<Registry> {
  const { Counter, Gauge, Registry: RegistryClass } = await import('prom-client');
  const registry = existing ?? new RegistryClass();
  // The flows are read once per scrape; the first collector to run reads them.
  let cached: { at: number; flows: VxlanFlow[] } | undefined;
  const flows = (): VxlanFlow[] => {
    const now = Date.now();
    if (!cached || now - cached.at > 100) cached = { at: now, flows: monitor.flows() };
    return cached.flows;
  };
  const setAll = (
    metric: Counter<string>,
    pick: (d: ReturnType<typeof directions>[number]) => number,
    ipv4: boolean,
  ): void => {
    metric.reset();
    for (const f of flows()) {
      if (f.ipv4 !== ipv4) continue;
      for (const d of directions(f)) {
        const labels = ipv4
          ? d.labels
          : {
              outer_src: d.labels.outer_src as string,
              outer_dst: d.labels.outer_dst as string,
              vni: d.labels.vni as string,
            };
        metric.inc(labels, pick(d));
      }
    }
  };
  new Counter({
    name: 'tsbcc_vxlan_flow_packets_total',
    help: 'Packets of IPv4 overlay traffic per direction (outer and inner source and destination, VNI)',
    labelNames: FLOW_LABELS,
    registers: [registry],
    collect() {
      setAll(this, (d) => d.packets, true);
    },
  });
  new Counter({
    name: 'tsbcc_vxlan_flow_bytes_total',
    help: 'Bytes on the underlay (outer frames) of IPv4 overlay traffic per direction',
    labelNames: FLOW_LABELS,
    registers: [registry],
    collect() {
      setAll(this, (d) => d.bytes, true);
    },
  });
  new Counter({
    name: 'tsbcc_vxlan_non_ipv4_packets_total',
    help: 'Overlay frames that are not IPv4 (ARP, ...) per direction between tunnel endpoints and VNI',
    labelNames: NON_IPV4_LABELS,
    registers: [registry],
    collect() {
      setAll(this, (d) => d.packets, false);
    },
  });
  new Counter({
    name: 'tsbcc_vxlan_non_ipv4_bytes_total',
    help: 'Bytes on the underlay of overlay frames that are not IPv4',
    labelNames: NON_IPV4_LABELS,
    registers: [registry],
    collect() {
      setAll(this, (d) => d.bytes, false);
    },
  });
  new Gauge({
    name: 'tsbcc_vxlan_flows',
    help: 'Flows (outer pair, VNI, inner pair) in the monitor table',
    registers: [registry],
    collect() {
      this.set(flows().length);
    },
  });
  new Counter({
    name: 'tsbcc_vxlan_skipped_frames_total',
    help: 'Frames the monitor saw and did not count as flows',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const s = monitor.skipped();
      this.reset();
      this.inc({ reason: 'outer_multicast' }, s.outerMulticast);
      this.inc({ reason: 'not_vxlan' }, s.notVxlan);
    },
  });
  return registry;
}

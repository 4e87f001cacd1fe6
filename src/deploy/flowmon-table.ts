/** `tsbcc flowmon`'s table: the top flows of the last interval, with their totals. */
import type { FlowSample, TrackedFlow } from '../recipes/vxlan-flow-monitor.js';

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The flows ordered as the table shows them: most bytes in the last interval, then most in total. */
export function topFlows(flows: readonly TrackedFlow[], n: number): TrackedFlow[] {
  const last = (f: TrackedFlow): number => f.delta.txBytes + f.delta.rxBytes;
  return [...flows]
    .sort((a, b) => last(b) - last(a) || b.txBytes + b.rxBytes - (a.txBytes + a.rxBytes))
    .slice(0, n);
}

/**
 * The table printed every interval: a header line with the time and totals, then one row per
 * flow (VNI, tunnel endpoints, inner pair, packets and bytes each way, bytes in the interval,
 * idle time). Inner addresses of non-IPv4 frames (ARP...) show as "(non-IPv4)".
 */
export function formatFlowTable(sample: FlowSample, top: number, expired = 0): string {
  const time = new Date(sample.time).toISOString().slice(11, 19);
  const head =
    `${time} ${sample.totals.flows} flows, ${sample.totals.packets} packets, ${human(sample.totals.bytes)}; ` +
    `last ${(sample.intervalMs / 1000).toFixed(1)} s: +${sample.delta.packets} packets, +${human(sample.delta.bytes)}` +
    `; expired ${expired}; skipped ${sample.skipped.outerMulticast} multicast, ${sample.skipped.notVxlan} not vxlan`;
  const rows = [
    [
      'VNI',
      'OUTER A',
      'OUTER B',
      'INNER A',
      'INNER B',
      'A->B PKTS',
      'A->B BYTES',
      'B->A PKTS',
      'B->A BYTES',
      'LAST',
      'IDLE',
    ],
    ...topFlows(sample.flows, top).map((f) => [
      String(f.vni),
      f.outerA,
      f.outerB,
      f.ipv4 ? f.innerA : '(non-IPv4)',
      f.ipv4 ? f.innerB : '',
      String(f.txPackets),
      String(f.txBytes),
      String(f.rxPackets),
      String(f.rxBytes),
      human(f.delta.txBytes + f.delta.rxBytes),
      `${(f.idleMs / 1000).toFixed(0)}s`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => (i >= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(' ')
      .trimEnd(),
  );
  return [head, ...lines].join('\n');
}

/**
 * `tsbcc ratelimit show`: what is installed in a namespace, read from the record, the pinned
 * maps (per-entry packets and bytes counted by the classifier) and the kernel (htb class and
 * qdisc statistics, the classifier's filter).
 */
import { NetlinkError } from '../errors.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { transactIn } from '../netlink/socket.js';
import { dumpClasses } from '../netlink/tc/class.js';
import { dumpQdiscs } from '../netlink/tc/qdisc.js';
import { decodeMessage } from '../netlink/schema.js';
import { TC_MSG, TC_H } from '../netlink/tc/tca.js';
import { formatRate } from '../netlink/tc/units.js';
import { PrefixClassifierMaps } from '../recipes/prefix-classifier.js';
import { TcDevice } from '../tc/device.js';
import { prefixText, shapedInterface } from './ratelimit-install.js';
import { policeClassifierInPlace, policeCounters } from './ratelimit-police.js';
import {
  namespaceKey,
  readRecord,
  recordKeys,
  type RatelimitRecord,
  type RecordFilter,
} from './ratelimit-record.js';

/** Counters of a qdisc or class (struct tc_stats). */
export interface TcCounters {
  bytes: number;
  packets: number;
  drops: number;
  overlimits: number;
}

/** One class as shown. */
export interface ShownClass {
  name: string;
  classid: string;
  rate: number;
  ceil?: number;
  burst?: number;
  /** Set for a class `set ADDR RATE` made for one address. */
  address?: string;
  /** The kernel's counters (absent when the class is gone). */
  stats?: TcCounters;
}

/** One trie entry as shown. */
export interface ShownEntry {
  prefix: string;
  class: string;
  packets: number;
  bytes: number;
}

/** One direction as shown. */
export interface ShownDirection {
  interface: string;
  direction: 'ingress' | 'egress';
  match: 'destination' | 'source';
  /** The mechanism (htb, ifb+htb, police), what the policy asked for, and why this one. */
  strategy?: string;
  asked?: string;
  reason?: string;
  /** The device the classes are on (the ifb for ingress). */
  shapedOn: string;
  defaultClass?: string;
  classifier?: RecordFilter & { inPlace: boolean };
  qdisc?: TcCounters;
  classes: ShownClass[];
  entries: ShownEntry[];
  /** IP packets that matched no entry (they went to the default class, or unlimited). */
  unmatched: { packets: number; bytes: number };
  complete: boolean;
  pinDir: string;
}

/** One namespace as shown. */
export interface ShownNamespace {
  key: string;
  netns?: string;
  status: RatelimitRecord['status'];
  policy?: string;
  updatedAt: string;
  directions: ShownDirection[];
}

function counters(msg: NetlinkMessage): { handle: number; parent: number; stats?: TcCounters } {
  const { header, attrs } = decodeMessage(TC_MSG, msg.payload);
  const s = attrs.STATS as Buffer | undefined;
  return {
    handle: header.tcm_handle,
    parent: header.tcm_parent,
    ...(s && s.length >= 20
      ? {
          stats: {
            bytes: Number(s.readBigUInt64LE(0)),
            packets: s.readUInt32LE(8),
            drops: s.readUInt32LE(12),
            overlimits: s.readUInt32LE(16),
          },
        }
      : {}),
  };
}

async function showDirection(
  rec: RatelimitRecord,
  i: number,
  netns: string | undefined,
): Promise<ShownDirection> {
  const d = rec.directions[i]!;
  const out: ShownDirection = {
    interface: d.interface,
    direction: d.direction,
    match: d.match,
    ...(d.strategy ? { strategy: d.strategy } : {}),
    asked: d.asked ?? 'auto',
    ...(d.reason ? { reason: d.reason } : {}),
    shapedOn: shapedInterface(d),
    ...(d.defaultClass ? { defaultClass: d.defaultClass } : {}),
    classes: d.classes.map((c) => ({
      name: c.name,
      classid: `1:${c.minor.toString(16)}`,
      rate: c.rate,
      ...(c.ceil !== undefined ? { ceil: c.ceil } : {}),
      ...(c.burst !== undefined ? { burst: c.burst } : {}),
      ...(c.address !== undefined ? { address: c.address } : {}),
    })),
    entries: [],
    unmatched: { packets: 0, bytes: 0 },
    complete: d.complete,
    pinDir: d.pinDir,
  };
  let dev: TcDevice | undefined;
  try {
    dev = await TcDevice.open({ interface: shapedInterface(d), netns });
  } catch {
    dev = undefined; // gone: nothing to count
  }
  if (dev && d.strategy === 'police') {
    try {
      // the class counters are those of each class's police action
      const byMinor = await policeCounters(dev, d);
      for (const c of d.classes) {
        const s = byMinor.get(c.minor);
        const shown = out.classes.find((x) => x.name === c.name);
        if (s && shown) shown.stats = s;
      }
      if (d.classifier) {
        out.classifier = { ...d.classifier, inPlace: await policeClassifierInPlace(d, netns) };
      }
    } finally {
      dev.close();
    }
  } else if (dev) {
    try {
      const [classes, qdiscs] = await transactIn(dev.nsPath, [
        { message: dumpClasses(dev.ifindex), operation: `list classes on ${dev.description}` },
        { message: dumpQdiscs(dev.ifindex), operation: `list qdiscs on ${dev.description}` },
      ]);
      if (classes && !(classes instanceof NetlinkError)) {
        for (const m of classes) {
          const c = counters(m);
          const shown = out.classes.find((x) => x.classid === `1:${(c.handle & 0xffff).toString(16)}`);
          if (shown && c.handle >>> 16 === 1 && c.stats) shown.stats = c.stats;
        }
      }
      if (qdiscs && !(qdiscs instanceof NetlinkError)) {
        const root = qdiscs.map(counters).find((q) => q.parent === TC_H.ROOT && q.handle === 0x10000);
        if (root?.stats) out.qdisc = root.stats;
      }
      if (d.classifier) {
        const fs = await dev.filters('1:');
        const cl = d.classifier;
        out.classifier = {
          ...cl,
          inPlace: fs.some((f) => f.handle === cl.handle && f.programId === cl.programId),
        };
      }
    } finally {
      dev.close();
    }
  }
  let maps: PrefixClassifierMaps | undefined;
  try {
    maps = PrefixClassifierMaps.openPinned(d.pinDir);
  } catch {
    maps = undefined;
  }
  if (maps) {
    try {
      const byMinor = new Map(d.classes.map((c) => [c.minor, c.name]));
      out.entries = maps
        .entries()
        .map((e) => ({
          prefix: prefixText(e),
          class: byMinor.get(e.minor) ?? `1:${e.minor.toString(16)}`,
          packets: Number(e.packets),
          bytes: Number(e.bytes),
        }))
        .sort((a, b) => a.prefix.localeCompare(b.prefix, 'en', { numeric: true }));
      const cfg = maps.config();
      out.unmatched = { packets: Number(cfg.packets), bytes: Number(cfg.bytes) };
    } finally {
      maps.close();
    }
  }
  return out;
}

/** What is installed in a namespace (or every namespace with a record), read-only. */
export async function showInstalled(opts: { netns?: string; all?: boolean } = {}): Promise<ShownNamespace[]> {
  const keys = opts.all ? recordKeys() : [namespaceKey(opts.netns)];
  const out: ShownNamespace[] = [];
  for (const key of keys) {
    const rec = readRecord(key);
    if (!rec) continue;
    const netns = opts.all ? rec.netns : opts.netns;
    const directions: ShownDirection[] = [];
    for (let i = 0; i < rec.directions.length; i++) directions.push(await showDirection(rec, i, netns));
    out.push({
      key,
      ...(rec.netns !== undefined ? { netns: rec.netns } : {}),
      status: rec.status,
      ...(rec.policy ? { policy: rec.policy } : {}),
      updatedAt: rec.updatedAt,
      directions,
    });
  }
  return out;
}

const pad = (s: string, n: number): string => s.padEnd(n);

/** The show output as text. */
export function formatShown(list: ShownNamespace[]): string {
  const lines: string[] = [];
  for (const ns of list) {
    lines.push(
      `namespace ${ns.key}: ${ns.status}${ns.policy ? `, policy ${ns.policy}` : ''} (${ns.updatedAt})`,
    );
    for (const d of ns.directions) {
      const cl = d.classifier
        ? `classifier filter handle 0x${d.classifier.handle.toString(16)} prog id ${d.classifier.programId}${d.classifier.inPlace ? '' : ' (GONE)'}`
        : 'no classifier recorded';
      lines.push(
        `  ${d.interface} ${d.direction} by ${d.match} address, ${d.strategy ?? '?'} on ${d.shapedOn}; ${cl}; default ${d.defaultClass ?? 'none (not limited)'}${d.complete ? '' : ' [INCOMPLETE: run rm]'}`,
        `    strategy ${d.strategy ?? '?'} (asked: ${d.asked ?? 'auto'}): ${d.reason ?? 'not recorded'}`,
      );
      if (d.qdisc) {
        lines.push(
          `    qdisc htb 1: ${d.qdisc.packets} packets, ${d.qdisc.bytes} bytes, ${d.qdisc.drops} dropped, ${d.qdisc.overlimits} overlimits`,
        );
      }
      lines.push(
        `    ${pad('CLASS', 24)} ${pad('CLASSID', 8)} ${pad('RATE', 22)} ${pad('PACKETS', 10)} ${pad('BYTES', 12)} DROPS  OVERLIMITS`,
      );
      for (const c of d.classes) {
        const rate = `${formatRate(c.rate)}${c.ceil !== undefined ? ` ceil ${formatRate(c.ceil)}` : ''}`;
        const s = c.stats;
        lines.push(
          `    ${pad(c.name, 24)} ${pad(c.classid, 8)} ${pad(rate, 22)} ${pad(s ? String(s.packets) : '-', 10)} ${pad(s ? String(s.bytes) : '-', 12)} ${pad(s ? String(s.drops) : '-', 6)} ${s ? s.overlimits : '-'}`,
        );
      }
      lines.push(`    ${pad('ADDRESS', 24)} ${pad('CLASS', 24)} ${pad('PACKETS', 10)} BYTES`);
      for (const e of d.entries) {
        lines.push(`    ${pad(e.prefix, 24)} ${pad(e.class, 24)} ${pad(String(e.packets), 10)} ${e.bytes}`);
      }
      lines.push(
        `    ${pad('(no entry)', 24)} ${pad(d.defaultClass ?? '(not limited)', 24)} ${pad(String(d.unmatched.packets), 10)} ${d.unmatched.bytes}`,
      );
    }
  }
  return lines.join('\n');
}

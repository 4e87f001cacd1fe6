/**
 * The `police` strategy of an installed `tsbcc ratelimit` direction (src/recipes/class-police.ts
 * builds it): the classifier and one police filter per class, all on the interface's clsact
 * hook of that direction. Adding a class adds its filter, a changed rate replaces its filter in
 * place (same priority and handle), a class that goes loses its filter; `rm` deletes the
 * filters by their names and priorities, and the clsact when it was not there before.
 */
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { transactIn, type NetlinkRequest } from '../netlink/socket.js';
import { decodeFilter, dumpFilters, filterRequest } from '../netlink/tc/filter.js';
import type { BpfFilterInfo } from '../netlink/tc/filter/bpf.js';
import { deleteQdisc } from '../netlink/tc/qdisc.js';
import { HOOK_QDISC_HANDLE, PARENT_EGRESS, PARENT_INGRESS, TC_H } from '../netlink/tc/tca.js';
import {
  attachClassPolice,
  CLASS_FILTER_NAME,
  CLASS_PRIORITY,
  CLASSIFY_PRIORITY,
  loadClassSelector,
} from '../recipes/class-police.js';
import { TcDevice } from '../tc/device.js';
import { TSBCC_FILTER_PREFIX } from '../tc/filter-list.js';
import type { RecordClass, RecordDirection } from './ratelimit-record.js';

const CLASSIFY = `${TSBCC_FILTER_PREFIX}ratelimit-classify`;
const CLASS = `${TSBCC_FILTER_PREFIX}${CLASS_FILTER_NAME}`;

async function run(nsPath: string, requests: NetlinkRequest[]): Promise<void> {
  for (const r of await transactIn(nsPath, requests)) {
    if (r instanceof NetlinkError && r.errno !== ERRNO.ENOENT && r.errno !== ERRNO.ENODEV) throw r;
  }
}

/** Adds (or replaces in place) the police filter of one class. */
export async function putPoliceClass(
  d: RecordDirection,
  c: RecordClass,
  netns: string | undefined,
  replace: boolean,
): Promise<void> {
  const dev = await TcDevice.open({ interface: d.interface, netns });
  const selector = await loadClassSelector().catch((e: unknown) => {
    dev.close();
    throw e;
  });
  try {
    await attachClassPolice(dev, selector.program, {
      direction: d.direction,
      minor: c.minor,
      rate: c.rate,
      ...(c.burst !== undefined ? { burst: c.burst } : {}),
      keep: true,
      replace,
    });
  } finally {
    selector.object.close(); // the filter holds the program
    dev.close();
  }
}

/** Deletes the police filter of one class (gone already is fine). */
export async function dropPoliceClass(
  d: RecordDirection,
  minor: number,
  netns: string | undefined,
): Promise<void> {
  const dev = await TcDevice.open({ interface: d.interface, netns });
  try {
    const mine = (await dev.filters(d.direction)).filter(
      (f) => f.name === CLASS && f.priority === CLASS_PRIORITY && f.handle === minor,
    );
    await run(
      dev.nsPath,
      mine.map((f) => ({
        message: filterRequest('delete', dev.ifindex, f),
        operation: `delete police filter of class 1:${minor.toString(16)} on ${dev.description}`,
      })),
    );
  } finally {
    dev.close();
  }
}

/** Whether the recorded classifier filter is still on the hook, running the recorded program. */
export async function policeClassifierInPlace(
  d: RecordDirection,
  netns: string | undefined,
): Promise<boolean> {
  let dev: TcDevice;
  try {
    dev = await TcDevice.open({ interface: d.interface, netns });
  } catch {
    return false;
  }
  try {
    return (await dev.filters(d.direction)).some(
      (f) =>
        f.name === CLASSIFY &&
        f.priority === CLASSIFY_PRIORITY &&
        f.handle === d.classifier?.handle &&
        f.programId === d.classifier.programId,
    );
  } finally {
    dev.close();
  }
}

/**
 * Removes the classifier and the class filters from the direction's hook, and the clsact when
 * the interface had none before and nothing else is left on it.
 */
export async function removePoliceFilters(d: RecordDirection, dev: TcDevice): Promise<void> {
  const hooked = (await dev.qdiscs()).some((q) => q.kind === 'clsact' || q.kind === 'ingress');
  if (!hooked) return;
  const mine = (await dev.filters(d.direction)).filter(
    (f) =>
      (f.name === CLASSIFY &&
        f.priority === CLASSIFY_PRIORITY &&
        (d.classifier === undefined || f.programId === d.classifier.programId)) ||
      (f.name === CLASS && f.priority === CLASS_PRIORITY),
  );
  await run(
    dev.nsPath,
    mine.map((f) => ({
      message: filterRequest('delete', dev.ifindex, f),
      operation: `delete filter ${f.name ?? ''} (pref ${f.priority} handle 0x${f.handle.toString(16)}) on ${dev.description}`,
    })),
  );
  if (d.hookBefore === false) {
    const left = (await dev.filters('ingress')).length + (await dev.filters('egress')).length;
    if (left === 0) {
      await run(dev.nsPath, [
        {
          message: deleteQdisc(dev.ifindex, 'clsact', HOOK_QDISC_HANDLE, TC_H.CLSACT),
          operation: `delete qdisc clsact on ${dev.description}`,
        },
      ]);
    }
  }
}

/** The counters of one class's police action (struct gnet_stats_basic/queue). */
export interface PoliceCounters {
  /** Packets and bytes the policer saw (passed and dropped). */
  packets: number;
  bytes: number;
  /** Packets it dropped (over the rate). */
  drops: number;
  overlimits: number;
}

/** Walks netlink attributes: [type, payload] pairs (the nested flag cleared). */
function* nlAttrs(buf: Buffer): Generator<[number, Buffer]> {
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) return;
    yield [buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len)];
    off += (len + 3) & ~3;
  }
}

const TCA_ACT_STATS = 4;
const TCA_STATS_BASIC = 1;
const TCA_STATS_QUEUE = 3;

/** The stats of the first action of a TCA_ACT list. */
function firstActionCounters(list: Buffer): PoliceCounters | undefined {
  for (const [, action] of nlAttrs(list)) {
    for (const [type, stats] of nlAttrs(action)) {
      if (type !== TCA_ACT_STATS) continue;
      const out: PoliceCounters = { packets: 0, bytes: 0, drops: 0, overlimits: 0 };
      for (const [t, v] of nlAttrs(stats)) {
        if (t === TCA_STATS_BASIC && v.length >= 12) {
          out.bytes = Number(v.readBigUInt64LE(0));
          out.packets = v.readUInt32LE(8);
        } else if (t === TCA_STATS_QUEUE && v.length >= 20) {
          out.drops = v.readUInt32LE(8);
          out.overlimits = v.readUInt32LE(16);
        }
      }
      return out;
    }
    return undefined;
  }
  return undefined;
}

/** Per class minor, the counters of its police filter on the direction's hook. */
export async function policeCounters(
  dev: TcDevice,
  d: RecordDirection,
): Promise<Map<number, PoliceCounters>> {
  const out = new Map<number, PoliceCounters>();
  const parent = d.direction === 'ingress' ? PARENT_INGRESS : PARENT_EGRESS;
  const [msgs] = await transactIn(dev.nsPath, [
    { message: dumpFilters(dev.ifindex, parent), operation: `list filters on ${dev.description}` },
  ]);
  if (!msgs || msgs instanceof NetlinkError) return out;
  for (const m of msgs) {
    const f = decodeFilter(m);
    const o = f.options as BpfFilterInfo | undefined;
    if (f.kind !== 'bpf' || o?.name !== CLASS || f.priority !== CLASS_PRIORITY || !o.actionList) continue;
    const c = firstActionCounters(o.actionList);
    if (c) out.set(f.handle, c);
  }
  return out;
}

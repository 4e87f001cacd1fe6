/** Listing an interface's filters with their programs, decoded by the tc object model. */
import { ERRNO } from '../errno.js';
import { NetlinkError } from '../errors.js';
import { native } from '../native.js';
import { where, type DeviceTarget } from '../netlink/device.js';
import type { NetlinkMessage } from '../netlink/message.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { dumpClasses } from '../netlink/tc/class.js';
import { decodeFilter, dumpFilters } from '../netlink/tc/filter.js';
import type { BpfFilterInfo } from '../netlink/tc/filter/bpf.js';
import { decodeTcObject, dumpQdiscs } from '../netlink/tc/qdisc.js';
import { HOOK_QDISC_HANDLE, PARENT_EGRESS, PARENT_INGRESS, tcMajor } from '../netlink/tc/tca.js';

/** Every tsbcc cls_bpf filter's name starts with this, so `tsbcc tc ls/clean` find only ours. */
export const TSBCC_FILTER_PREFIX = 'tsbcc:';

/** A filter as the kernel reports it. */
export interface FilterInfo {
  /** Classifier kind: "bpf", "u32", ... */
  kind: string;
  parent: number;
  priority: number;
  /** Ethernet protocol (host order). */
  protocol: number;
  /** The protocol as it sits in tcmsg.info (network order), for requests. */
  protocolRaw: number;
  handle: number;
  chain: number;
  /** cls_bpf: the filter's name (tsbcc's filters start with "tsbcc:"). */
  name?: string;
  /** cls_bpf: the program id (as bpftool shows it). */
  programId?: number;
  /** cls_bpf: the program's own name as the kernel has it (listings only). */
  programName?: string;
  /** cls_bpf: the program tag, hex. */
  programTag?: string;
  /** cls_bpf: direct-action mode. */
  directAction?: boolean;
  /** cls_bpf: the default class in classid mode. */
  classid?: number;
  /** Whether tsbcc made it (its name carries the tsbcc prefix). */
  ours: boolean;
}

/** Decodes one RTM_NEWTFILTER message (a dump entry or an echo). */
export function parseFilterReply(msg: NetlinkMessage): FilterInfo {
  const f = decodeFilter(msg);
  const info: FilterInfo = {
    kind: f.kind,
    parent: f.parent,
    priority: f.priority,
    protocol: f.protocol,
    protocolRaw: f.protocolRaw,
    handle: f.handle,
    chain: f.chain,
    ours: false,
  };
  if (f.kind === 'bpf' && f.options) {
    const o = f.options as BpfFilterInfo;
    if (o.name !== undefined) info.name = o.name;
    if (o.programId !== undefined) info.programId = o.programId;
    if (o.programTag !== undefined) info.programTag = o.programTag;
    info.directAction = o.directAction;
    if (o.classid !== undefined) info.classid = o.classid;
    info.ours = o.name?.startsWith(TSBCC_FILTER_PREFIX) ?? false;
  }
  return info;
}

/**
 * Every place a filter can hang on the interface: the clsact/ingress hooks, each classful
 * qdisc (its handle, e.g. 1:) and each class (1:10), found by dumping qdiscs and classes.
 */
export async function filterParents(sock: NetlinkSocket, target: DeviceTarget): Promise<number[]> {
  const parents = new Set<number>([PARENT_INGRESS, PARENT_EGRESS]);
  const [qdiscs, classes] = await sock.batch([
    { message: dumpQdiscs(target.ifindex), operation: `list qdiscs on ${where(target)}` },
    { message: dumpClasses(target.ifindex), operation: `list classes on ${where(target)}` },
  ]);
  for (const t of [
    ...(qdiscs ?? []).map((r) => decodeTcObject(r, 'qdisc')),
    ...(classes ?? []).map((r) => decodeTcObject(r, 'class')),
  ]) {
    // ffff: is the ingress/clsact qdisc itself, whose filters sit on the hooks above
    if (t.ifindex === target.ifindex && t.handle !== 0 && tcMajor(t.handle) !== HOOK_QDISC_HANDLE)
      parents.add(t.handle);
  }
  return [...parents];
}

/**
 * Lists the filters on the given parents (default: every parent on the interface, see
 * {@link filterParents}). A parent without a qdisc lists nothing.
 * @throws NetlinkError for kernel errors other than "no such qdisc".
 */
export async function listFilters(
  sock: NetlinkSocket,
  target: DeviceTarget,
  parents?: number[],
): Promise<FilterInfo[]> {
  const out: FilterInfo[] = [];
  const list = parents ?? (await filterParents(sock, target));
  const dumps = await sock.all(
    list.map((parent) => ({
      message: dumpFilters(target.ifindex, parent),
      operation: `list filters on ${where(target)}`,
    })),
  );
  dumps.forEach((replies, i) => {
    if (!replies) return; // not sent (these dumps carry no condition: never)
    if (replies instanceof NetlinkError) {
      if (replies.errno === ERRNO.EINVAL || replies.errno === ERRNO.ENOENT) return;
      throw replies;
    }
    // A dump lists each priority's head entry (handle 0) too; keep real filters only.
    for (const f of replies.map(parseFilterReply).filter((x) => x.handle !== 0 && x.parent === list[i])) {
      if (f.programId !== undefined) {
        try {
          const p = native().progInfoById(f.programId);
          if (p) f.programName = p.name;
        } catch {
          // the program may be unloading; leave the name out
        }
      }
      out.push(f);
    }
  });
  return out;
}

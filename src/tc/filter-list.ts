/** Decoding tc filter messages and listing an interface's filters with their programs. */
import { attrMap, attrString, decoding, MessageBuilder, type NetlinkMessage } from '../netlink/message.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { native } from '../native.js';
import {
  PARENT_EGRESS,
  PARENT_INGRESS,
  RTM,
  TCA,
  TCA_BPF,
  TCA_BPF_FLAG_ACT_DIRECT,
  TSBCC_FILTER_PREFIX,
} from './constants.js';
import { DUMP, readTcmsg, tcmsg, where, type TcTarget } from './tc-netlink.js';

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

/** Decodes one RTM_NEWTFILTER message. */
export function parseFilterReply(msg: NetlinkMessage): FilterInfo {
  return decoding('tc filter message', () => decodeFilter(msg));
}

function decodeFilter(msg: NetlinkMessage): FilterInfo {
  const t = readTcmsg(msg.payload);
  const attrs = attrMap(t.attrs);
  const kind = attrString(attrs.get(TCA.KIND)) ?? '';
  const chain = attrs.get(TCA.CHAIN)?.readUInt32LE(0) ?? 0;
  const protocolRaw = t.info & 0xffff;
  const info: FilterInfo = {
    kind,
    parent: t.parent,
    priority: t.info >>> 16,
    protocol: ((protocolRaw & 0xff) << 8) | (protocolRaw >> 8),
    protocolRaw,
    handle: t.handle,
    chain,
    ours: false,
  };
  const opts = attrs.get(TCA.OPTIONS);
  if (kind === 'bpf' && opts) {
    const o = attrMap(opts);
    const name = attrString(o.get(TCA_BPF.NAME));
    if (name !== undefined) info.name = name;
    const id = o.get(TCA_BPF.ID);
    if (id) info.programId = id.readUInt32LE(0);
    const tag = o.get(TCA_BPF.TAG);
    if (tag) info.programTag = tag.toString('hex');
    const flags = o.get(TCA_BPF.FLAGS)?.readUInt32LE(0) ?? 0;
    info.directAction = (flags & TCA_BPF_FLAG_ACT_DIRECT) !== 0;
    const classid = o.get(TCA_BPF.CLASSID);
    if (classid) info.classid = classid.readUInt32LE(0);
    info.ours = name?.startsWith(TSBCC_FILTER_PREFIX) ?? false;
  }
  return info;
}

/**
 * Every place a filter can hang on the interface: the clsact/ingress hooks, each classful
 * qdisc (its handle, e.g. 1:) and each class (1:10), found by dumping qdiscs and classes.
 */
export async function filterParents(sock: NetlinkSocket, target: TcTarget): Promise<number[]> {
  const parents = new Set<number>([PARENT_INGRESS, PARENT_EGRESS]);
  for (const type of [RTM.GETQDISC, RTM.GETTCLASS]) {
    const replies = await sock.request(
      new MessageBuilder(type, DUMP).raw(tcmsg({ ifindex: target.ifindex, handle: 0, parent: 0, info: 0 })),
      `list ${type === RTM.GETQDISC ? 'qdiscs' : 'classes'} on ${where(target)}`,
    );
    for (const t of replies.map((r) => readTcmsg(r.payload))) {
      // ffff: is the ingress/clsact qdisc itself, whose filters sit on the hooks above
      if (t.ifindex === target.ifindex && t.handle !== 0 && t.handle >>> 16 !== 0xffff) parents.add(t.handle);
    }
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
  target: TcTarget,
  parents?: number[],
): Promise<FilterInfo[]> {
  const out: FilterInfo[] = [];
  for (const parent of parents ?? (await filterParents(sock, target))) {
    let replies: NetlinkMessage[];
    try {
      replies = await sock.request(
        new MessageBuilder(RTM.GETTFILTER, DUMP).raw(
          tcmsg({ ifindex: target.ifindex, handle: 0, parent, info: 0 }),
        ),
        `list filters on ${where(target)}`,
      );
    } catch (e) {
      if ((e as { errno?: number }).errno === 22 || (e as { errno?: number }).errno === 2) continue;
      throw e;
    }
    // A dump lists each priority's head entry (handle 0) too; keep real filters only.
    for (const f of replies.map(parseFilterReply).filter((x) => x.handle !== 0 && x.parent === parent)) {
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
  }
  return out;
}

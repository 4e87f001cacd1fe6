/**
 * Filters (classifiers) of any kind: where one hangs (parent, priority, protocol, handle,
 * chain), its checks, its actions and its messages; the kind's options come from its file under
 * ./filter. Pure.
 */
import { buildMessage, MessageBuilder, NLM_F, REQUEST, type NetlinkMessage } from '../message.js';
import { RTM, TCMSG } from '../rtnetlink.js';
import { align4, decodeMessage, encodeMessage, type Payload } from '../schema.js';
import { actionInterfaces, checkActions, decodeActions, type ActionInfo } from './action.js';
import { Check, type Problem } from './check.js';
import type { EncodeEnv } from './kind.js';
import { findKind, unknownKind, type ActionKindSpec, type FilterKindSpec } from './registry.js';
import { ETH_P, PARENT_EGRESS, PARENT_INGRESS, TC_MSG, TCA } from './tca.js';
import { formatHandle, type HandleInput } from './units.js';

/** Where a filter hangs: the clsact hooks by name, or any parent handle ("1:", "1:10"). */
export type FilterParent = 'ingress' | 'egress' | HandleInput;

/** The Ethernet protocol a filter matches. */
export type FilterProtocol = 'all' | 'ip' | 'ipv6' | number;

/** Where a filter goes. */
export interface FilterPlace {
  /** Default 'ingress' (the clsact ingress hook). */
  parent?: FilterParent;
  /** 1-65535; the kernel picks one (from 49152 down) when omitted. */
  priority?: number;
  /** Filter handle 1-0xffffffff; the kernel picks one when omitted. */
  handle?: number;
  /** Filter chain (default 0). */
  chain?: number;
  /** Ethernet protocol matched: 'all' (default), 'ip', 'ipv6' or a number (host order). */
  protocol?: FilterProtocol;
}

/** A filter spec of any kind, with its place and its actions. */
export type FilterSpec = FilterKindSpec & FilterPlace & { actions?: readonly ActionKindSpec[] };

/** The 32-bit parent of a filter parent. */
export function filterParent(p: FilterParent | undefined, c?: Check): number {
  if (p === undefined || p === 'ingress') return PARENT_INGRESS;
  if (p === 'egress') return PARENT_EGRESS;
  const check = c ?? new Check('', 'filter');
  const h = check.handleOpt(p, 'parent') ?? PARENT_INGRESS;
  if (!c) check.orThrow();
  return h;
}

/** "ingress", "egress" or the handle, for messages. */
export function parentName(parent: number): string {
  if (parent === PARENT_INGRESS) return 'ingress';
  if (parent === PARENT_EGRESS) return 'egress';
  return formatHandle(parent);
}

/** tcm_info of a filter: priority << 16 | the protocol in network order. */
export function filterInfoField(priority: number, protocol: number): number {
  return ((priority << 16) | ((protocol >> 8) | ((protocol & 0xff) << 8))) >>> 0;
}

/** A checked filter, ready to encode. */
export interface CheckedFilter {
  kind: string;
  parent: number;
  priority: number;
  /** Ethernet protocol, host order. */
  protocol: number;
  handle: number;
  chain: number;
  /** Interfaces its actions name, with their paths (they must exist in the namespace). */
  interfaces: { name: string; path: string }[];
  /** TCA_OPTIONS, given the resolved interfaces. */
  encode(env: Omit<EncodeEnv, 'parent' | 'actions'>): Payload | undefined;
}

/**
 * Checks a filter spec (place, kind options, actions); `c` collects the problems. With
 * `plainData`, action kinds that need a loaded program are refused with its hint.
 */
export function checkFilter(spec: FilterSpec, c: Check, plainData?: { programHint: string }): CheckedFilter {
  const protocolOf = (p: unknown): number => {
    if (p === undefined || p === 'all') return ETH_P.ALL;
    if (p === 'ip') return ETH_P.IP;
    if (p === 'ipv6') return ETH_P.IPV6;
    if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 0xffff) return p;
    c.add('protocol', `invalid filter protocol ${JSON.stringify(p)} (all, ip, ipv6 or 0-65535)`);
    return ETH_P.ALL;
  };
  const fc = c.sub('', 'filter');
  const parent = filterParent(spec.parent, fc);
  const priority = fc.intOpt(spec.priority, 'priority', 1, 0xffff) ?? 0;
  const handle = fc.intOpt(spec.handle, 'handle', 1, 0xffffffff) ?? 0;
  const chain = fc.intOpt(spec.chain, 'chain', 0, 0xffffffff) ?? 0;
  const protocol = protocolOf(spec.protocol);
  const def = findKind('filter', spec.kind);
  if (!def) {
    c.add('kind', unknownKind('filter', spec.kind));
    return {
      kind: String(spec.kind),
      parent,
      priority,
      protocol,
      handle,
      chain,
      interfaces: [],
      encode: () => undefined,
    };
  }
  const options = def.check(spec as never, c.sub('', 'filter'));
  const actions = checkActions(spec.actions, c, 'actions', plainData);
  const interfaces = Array.isArray(spec.actions) ? actionInterfaces(spec.actions, c.at('actions')) : [];
  return {
    kind: def.kind,
    parent,
    priority,
    protocol,
    handle,
    chain,
    interfaces,
    encode: (env) => options({ ...env, parent, actions: actions({ ...env, parent }) }),
  };
}

/** Every problem of a filter spec given as plain data (no program), with paths under `path`. */
export function validateFilter(spec: unknown, path: string, programHint: string): Problem[] {
  const c = new Check(path, 'filter');
  checkFilter((spec ?? {}) as FilterSpec, c, { programHint });
  return c.problems;
}

/** The identity of a filter in the kernel: what a lookup or a deletion names. */
export interface FilterKey {
  kind: string;
  parent: number;
  priority: number;
  /** The protocol as tcm_info holds it (network order). */
  protocolRaw: number;
  handle: number;
  chain: number;
}

/** RTM_NEWTFILTER (NLM_F_ECHO: the kernel answers with the filter it made). */
export function newFilter(
  ifindex: number,
  f: Omit<CheckedFilter, 'encode' | 'interfaces'>,
  options: Payload | undefined,
  how: 'create' | 'create-or-replace' | 'replace',
): MessageBuilder {
  return new MessageBuilder(RTM.NEWTFILTER, newFilterFlags(how), newFilterBody(ifindex, f, options));
}

/** The nlmsg_flags of {@link newFilter}. */
export function newFilterFlags(how: 'create' | 'create-or-replace' | 'replace'): number {
  const flags =
    how === 'create' ? REQUEST.CREATE : how === 'replace' ? REQUEST.REPLACE : REQUEST.CREATE_OR_REPLACE;
  return flags | NLM_F.ECHO;
}

/** The body (tcmsg and attributes) of {@link newFilter}. */
export function newFilterBody(
  ifindex: number,
  f: Omit<CheckedFilter, 'encode' | 'interfaces'>,
  options: Payload | undefined,
): Buffer {
  return encodeMessage(TC_MSG, {
    header: {
      tcm_ifindex: ifindex,
      tcm_handle: f.handle,
      tcm_parent: f.parent,
      tcm_info: filterInfoField(f.priority, f.protocol),
    },
    attrs: { KIND: f.kind, CHAIN: f.chain || undefined, OPTIONS: options },
  });
}

/**
 * RTM_GETTFILTER or RTM_DELTFILTER of one filter. The lookup asks for no ack: its answer is the
 * filter (one message) or an error, either of which ends it, so it costs one reply datagram.
 */
export function filterRequest(type: 'get' | 'delete', ifindex: number, k: FilterKey): MessageBuilder {
  const flags = type === 'get' ? NLM_F.REQUEST : REQUEST.ACK;
  return new MessageBuilder(
    type === 'get' ? RTM.GETTFILTER : RTM.DELTFILTER,
    flags,
    filterKeyBody(ifindex, k),
  );
}

/**
 * The body of a filter lookup or deletion, written directly (the values come from the kernel's
 * own reply): struct tcmsg, TCA_KIND and (chain other than 0) TCA_CHAIN. The same bytes as
 * encodeMessage(TC_MSG, ...), without its generic walk (one of these per filter removal).
 */
export function filterKeyBody(ifindex: number, k: FilterKey): Buffer {
  const kindLen = 4 + Buffer.byteLength(k.kind) + 1;
  const chainAt = TCMSG.size + align4(kindLen);
  const b = Buffer.alloc(chainAt + (k.chain ? 8 : 0));
  b.writeInt32LE(ifindex, 4);
  b.writeUInt32LE(k.handle >>> 0, 8);
  b.writeUInt32LE(k.parent >>> 0, 12);
  b.writeUInt32LE(((k.priority << 16) | k.protocolRaw) >>> 0, 16);
  b.writeUInt16LE(kindLen, TCMSG.size);
  b.writeUInt16LE(TCA_KIND_ID, TCMSG.size + 2);
  b.write(k.kind, TCMSG.size + 4);
  if (k.chain) {
    b.writeUInt16LE(8, chainAt);
    b.writeUInt16LE(TCA_CHAIN_ID, chainAt + 2);
    b.writeUInt32LE(k.chain >>> 0, chainAt + 4);
  }
  return b;
}

const TCA_KIND_ID = TCA.defs.KIND[0];
const TCA_CHAIN_ID = TCA.defs.CHAIN[0];

/** RTM_GETTFILTER dump of one parent. */
export function dumpFilters(ifindex: number, parent: number): MessageBuilder {
  return buildMessage(RTM.GETTFILTER, REQUEST.DUMP, TC_MSG, {
    header: { tcm_ifindex: ifindex, tcm_parent: parent },
  });
}

/** A filter as the kernel reports it. */
export interface DecodedFilter extends FilterKey {
  ifindex: number;
  /** Ethernet protocol (host order). */
  protocol: number;
  /** The kind's decoded options, when tsbcc knows the kind. */
  options?: unknown;
  /** Its actions (cls_bpf's TCA_BPF_ACT). */
  actions?: ActionInfo[];
}

/** Decodes an RTM_NEWTFILTER message (a dump entry or an echo). */
export function decodeFilter(msg: NetlinkMessage): DecodedFilter {
  const { header, attrs } = decodeMessage(TC_MSG, msg.payload);
  const protocolRaw = header.tcm_info & 0xffff;
  const f: DecodedFilter = {
    ifindex: header.tcm_ifindex,
    kind: attrs.KIND ?? '',
    parent: header.tcm_parent,
    priority: header.tcm_info >>> 16,
    protocolRaw,
    protocol: ((protocolRaw & 0xff) << 8) | (protocolRaw >> 8),
    handle: header.tcm_handle,
    chain: attrs.CHAIN ?? 0,
  };
  const def = findKind('filter', f.kind);
  if (def && attrs.OPTIONS) {
    f.options = def.decode(attrs.OPTIONS);
    const list = (f.options as { actionList?: Buffer }).actionList;
    if (list) f.actions = decodeActions(list);
  }
  return f;
}

/**
 * Qdiscs of any kind: where one goes (parent, handle), its checks and its messages. The kind's
 * options come from its file under ./qdisc; this is what every qdisc shares. Pure.
 */
import { buildMessage, REQUEST, type MessageBuilder, type NetlinkMessage } from '../message.js';
import { RTM } from '../rtnetlink.js';
import { decodeMessage, type Payload } from '../schema.js';
import { Check, type Problem } from './check.js';
import type { AnyTcKind } from './kind.js';
import { findKind, unknownKind, type QdiscKindSpec } from './registry.js';
import { HOOK_QDISC_HANDLE, TC_H, TC_MSG, tcMinor } from './tca.js';
import type { HandleInput } from './units.js';

/** Where a qdisc goes and what it is called. */
export interface QdiscPlace {
  /** Parent: "root" (default) or a class such as "1:10". Hook qdiscs (clsact, ingress) take none. */
  parent?: HandleInput;
  /** The qdisc's handle, e.g. "1:" (default: the kind's, else the kernel picks). */
  handle?: HandleInput;
}

/** A qdisc spec of any kind, with its place. */
export type QdiscSpec = QdiscKindSpec & QdiscPlace;

/** A checked qdisc, ready to encode. */
export interface ResolvedQdisc {
  kind: string;
  handle: number;
  parent: number;
  options: Payload | undefined;
  def: AnyTcKind;
}

/** Checks a qdisc spec (its place and its kind's options); `c` collects the problems. */
export function checkQdisc(
  spec: QdiscSpec,
  c: Check,
): Omit<ResolvedQdisc, 'options'> & { encode: () => Payload | undefined } {
  const def = findKind('qdisc', spec.kind);
  if (!def) {
    c.add('kind', unknownKind('qdisc', spec.kind));
    return {
      kind: String(spec.kind),
      handle: 0,
      parent: 0,
      def: undefined as never,
      encode: () => undefined,
    };
  }
  const kc = c.sub('', spec.kind);
  if (def.hook) {
    if (spec.parent !== undefined || spec.handle !== undefined) {
      kc.add('', `a ${spec.kind} qdisc sits at ffff: under ffff:fff1; it takes no parent or handle`);
    }
    const enc = def.check(spec as never, kc);
    return {
      kind: def.kind,
      handle: HOOK_QDISC_HANDLE,
      parent: TC_H.CLSACT,
      def,
      encode: () => enc({ ifindex: noIfindex }),
    };
  }
  const handle = kc.handleOpt(spec.handle, 'handle') ?? def.defaultHandle ?? 0;
  if (tcMinor(handle)) {
    kc.add(
      'handle',
      `invalid ${spec.kind} handle ${JSON.stringify(spec.handle)}: a qdisc handle has no minor (e.g. "1:")`,
    );
  }
  const parent = kc.handleOpt(spec.parent, 'parent') ?? TC_H.ROOT;
  const enc = def.check(spec as never, kc);
  return { kind: def.kind, handle, parent, def, encode: () => enc({ ifindex: noIfindex }) };
}

const noIfindex = (name: string): number => {
  throw new RangeError(`a qdisc names no interface (${name})`);
};

/** Every problem of a qdisc spec given as plain data, with paths under `path`. */
export function validateQdisc(spec: unknown, path = ''): Problem[] {
  const c = new Check(path, 'qdisc');
  checkQdisc((spec ?? {}) as QdiscSpec, c);
  return c.problems;
}

/**
 * Checks and encodes a qdisc spec.
 * @throws InvalidArgumentError with the first problem (naming the kind and field).
 */
export function resolveQdisc(spec: QdiscSpec): ResolvedQdisc {
  const c = new Check('', spec.kind);
  const q = checkQdisc(spec, c);
  c.orThrow();
  return { kind: q.kind, handle: q.handle, parent: q.parent, def: q.def, options: q.encode() };
}

/** RTM_NEWQDISC for a resolved qdisc (create, failing when one is there, unless `replace`). */
export function newQdisc(ifindex: number, q: ResolvedQdisc, replace = false): MessageBuilder {
  return buildMessage(RTM.NEWQDISC, replace ? REQUEST.CREATE_OR_REPLACE : REQUEST.CREATE, TC_MSG, {
    header: { tcm_ifindex: ifindex, tcm_handle: q.handle, tcm_parent: q.parent },
    attrs: { KIND: q.kind, OPTIONS: q.options },
  });
}

/** RTM_DELQDISC of the qdisc of `kind` at handle/parent. */
export function deleteQdisc(ifindex: number, kind: string, handle: number, parent: number): MessageBuilder {
  return buildMessage(RTM.DELQDISC, REQUEST.ACK, TC_MSG, {
    header: { tcm_ifindex: ifindex, tcm_handle: handle, tcm_parent: parent },
    attrs: { KIND: kind },
  });
}

/** RTM_GETQDISC dump (every interface's; filter replies by ifindex). */
export function dumpQdiscs(ifindex: number): MessageBuilder {
  return buildMessage(RTM.GETQDISC, REQUEST.DUMP, TC_MSG, { header: { tcm_ifindex: ifindex } });
}

/** A qdisc as the kernel lists it. */
export interface QdiscInfo {
  ifindex: number;
  kind: string;
  handle: number;
  parent: number;
  /** The kind's decoded options, when tsbcc knows the kind (e.g. a tbf's rate and burst). */
  options?: unknown;
}

/** Decodes an RTM_NEWQDISC (or RTM_NEWTCLASS) reply, options by the kind's decoder. */
export function decodeTcObject(msg: NetlinkMessage, object: 'qdisc' | 'class'): QdiscInfo {
  const { header, attrs } = decodeMessage(TC_MSG, msg.payload);
  const info: QdiscInfo = {
    ifindex: header.tcm_ifindex,
    kind: attrs.KIND ?? '',
    handle: header.tcm_handle,
    parent: header.tcm_parent,
  };
  const def = findKind(object, info.kind);
  if (def && attrs.OPTIONS) info.options = def.decode(attrs.OPTIONS);
  return info;
}

/**
 * Qdiscs as Links: QdiscLink.create() adds a qdisc and remembers whether it made it; close()
 * removes only what it made. The clsact hook shared by BPF filters is reference-counted per
 * interface so the last of our filters to go removes the clsact we added, and only when no
 * other filter is left on it.
 */
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { MessageBuilder, type NetlinkMessage } from '../netlink/message.js';
import type { NetlinkRequest, NetlinkSocket } from '../netlink/socket.js';
import { PARENT_EGRESS, PARENT_INGRESS, RTM, TCA } from './constants.js';
import { encodeQdisc, notSupported, QDISC_FEATURE, type QdiscSpec } from './qdisc-options.js';
import { TcObjectLink, type KeepOption } from './tc-link.js';
import {
  CREATE_EXCL,
  CREATE_REPLACE,
  DUMP,
  readTcmsg,
  REQUEST_ACK,
  tcmsg,
  where,
  type TcTarget,
} from './tc-netlink.js';
import { attrMap, attrString } from '../netlink/message.js';
import { formatHandle } from '../netlink/tc-units.js';

/** Options for adding a qdisc. */
export interface QdiscOptions extends KeepOption {
  /** Replace whatever qdisc is at the parent (close() then removes ours, leaving the default). */
  replace?: boolean;
}

/** Whether a netlink error says the tc kind is not in the kernel. */
export function isUnknownKind(e: NetlinkError): boolean {
  return e.errno === 2 && /unknown|not found|load|module/i.test(e.extack ?? '');
}

/** A qdisc this process added. close() deletes it. */
export class QdiscLink extends TcObjectLink {
  private constructor(
    sock: NetlinkSocket,
    readonly target: TcTarget,
    /** The qdisc kind. */
    readonly kind: QdiscSpec['kind'],
    /** Its handle. */
    readonly handle: number,
    /** Its parent. */
    readonly parent: number,
    keep: boolean | undefined,
  ) {
    super(target.nsPath, keep, sock);
    this.register();
  }

  get description(): string {
    return `qdisc ${this.kind} ${formatHandle(this.handle)} (parent ${formatHandle(this.parent)}) on ${where(this.target)}`;
  }

  /**
   * Adds a qdisc. Nothing is created when the options are invalid.
   * @throws InvalidArgumentError for bad values, or when a qdisc already sits there and
   *   replace is not set.
   * @throws NotSupportedError naming the kernel option when the kernel lacks the qdisc kind.
   * @throws NetlinkError with the kernel's extended-ack text otherwise.
   */
  static async create(
    sock: NetlinkSocket,
    target: TcTarget,
    spec: QdiscSpec,
    opts: QdiscOptions = {},
  ): Promise<QdiscLink> {
    const q = encodeQdisc(spec);
    const m = new MessageBuilder(RTM.NEWQDISC, opts.replace ? CREATE_REPLACE : CREATE_EXCL).raw(
      tcmsg({ ifindex: target.ifindex, handle: q.handle, parent: q.parent, info: 0 }),
    );
    q.encode(m);
    const op = `add qdisc ${spec.kind} on ${where(target)}`;
    try {
      await sock.request(m, op);
    } catch (e) {
      throw qdiscError(e, spec.kind, target);
    }
    return new QdiscLink(sock, target, spec.kind, q.handle, q.parent, opts.keep);
  }

  private listRequest(): NetlinkRequest {
    return {
      message: new MessageBuilder(RTM.GETQDISC, DUMP).raw(
        tcmsg({ ifindex: this.target.ifindex, handle: 0, parent: 0, info: 0 }),
      ),
      operation: `list qdiscs on ${where(this.target)}`,
    };
  }

  /** Deletes only while a qdisc of our kind and handle is still there (it may be replaced). */
  private decide(list: NetlinkMessage[] | NetlinkError | undefined): NetlinkRequest[] {
    if (!list || list instanceof NetlinkError) return [];
    const present = list.some((r) => {
      const t = readTcmsg(r.payload);
      const kind = attrString(attrMap(t.attrs).get(TCA.KIND));
      return (
        t.ifindex === this.target.ifindex &&
        kind === this.kind &&
        (this.handle === 0 || t.handle === this.handle)
      );
    });
    return present
      ? [deleteQdisc(this.target.ifindex, this.kind, this.handle, this.parent, this.description)]
      : [];
  }

  protected async removal(
    lookup: (
      r: NetlinkRequest[],
    ) => Promise<(NetlinkMessage[] | NetlinkError)[]> | (NetlinkMessage[] | NetlinkError)[],
  ): Promise<NetlinkRequest[]> {
    const [list] = await lookup([this.listRequest()]);
    return this.decide(list);
  }

  protected removalSync(
    lookup: (r: NetlinkRequest[]) => (NetlinkMessage[] | NetlinkError)[],
  ): NetlinkRequest[] {
    const [list] = lookup([this.listRequest()]);
    return this.decide(list);
  }
}

/** Maps a qdisc creation error to a typed one. */
export function qdiscError(e: unknown, kind: QdiscSpec['kind'], target: TcTarget): unknown {
  if (!(e instanceof NetlinkError)) return e;
  if (isUnknownKind(e)) return notSupported(QDISC_FEATURE[kind]);
  if (e.errno === 17) {
    return new InvalidArgumentError(
      `a qdisc already exists there on ${where(target)} (${e.extack ?? 'EEXIST'}); pass replace: true to replace it`,
    );
  }
  return e;
}

function deleteQdisc(
  ifindex: number,
  kind: string,
  handle: number,
  parent: number,
  what: string,
): NetlinkRequest {
  return {
    message: new MessageBuilder(RTM.DELQDISC, REQUEST_ACK)
      .raw(tcmsg({ ifindex, handle, parent, info: 0 }))
      .str(TCA.KIND, kind),
    operation: `delete ${what}`,
  };
}

/** A qdisc as the kernel lists it. */
export interface QdiscInfo {
  kind: string;
  handle: number;
  parent: number;
}

/** Lists the qdiscs of an interface. */
export async function listQdiscs(sock: NetlinkSocket, target: TcTarget): Promise<QdiscInfo[]> {
  const replies = await sock.request(
    new MessageBuilder(RTM.GETQDISC, DUMP).raw(
      tcmsg({ ifindex: target.ifindex, handle: 0, parent: 0, info: 0 }),
    ),
    `list qdiscs on ${where(target)}`,
  );
  return replies
    .map((r) => readTcmsg(r.payload))
    .filter((t) => t.ifindex === target.ifindex)
    .map((t) => ({
      kind: attrString(attrMap(t.attrs).get(TCA.KIND)) ?? '',
      handle: t.handle,
      parent: t.parent,
    }));
}

// ---- the clsact hook shared by filters ----

interface HookState {
  /** Whether this process added the clsact. */
  created: boolean;
  /** How many of our open filter links use it. */
  users: number;
}

const hooks = new Map<string, HookState>();
const hookKey = (t: TcTarget): string => `${t.nsPath}\0${t.ifindex}`;

/** Counts one more user of a hook this process already knows about; false when unknown. */
export function holdKnownHook(target: TcTarget): boolean {
  const state = hooks.get(hookKey(target));
  if (state) state.users++;
  return state !== undefined;
}

/** Records one more user of a hook qdisc found in place (created: whether we added it). */
export function noteHook(target: TcTarget, created: boolean): void {
  const state = hooks.get(hookKey(target));
  if (state) state.users++;
  else hooks.set(hookKey(target), { created, users: 1 });
}

/**
 * Makes sure the interface has a clsact (or ingress) qdisc for ingress/egress filters, adding
 * clsact when neither is there, and counts one more user.
 * @throws NotSupportedError when the kernel has no clsact.
 */
export async function acquireHook(sock: NetlinkSocket, target: TcTarget): Promise<void> {
  const key = hookKey(target);
  const state = hooks.get(key);
  if (state) {
    state.users++;
    return;
  }
  const m = new MessageBuilder(RTM.NEWQDISC, CREATE_EXCL)
    .raw(tcmsg({ ifindex: target.ifindex, handle: 0xffff0000, parent: 0xfffffff1, info: 0 }))
    .str(TCA.KIND, 'clsact');
  let created = true;
  try {
    await sock.request(m, `add qdisc clsact on ${where(target)}`);
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === 17) created = false;
    else throw qdiscError(e, 'clsact', target);
  }
  hooks.set(key, { created, users: 1 });
}

/**
 * One user fewer; when none is left and we added the clsact, the requests that delete it if
 * no filter remains on it (the caller runs the lookups and the deletion).
 */
export function releaseHook(
  target: TcTarget,
): { check: NetlinkRequest[]; remove: NetlinkRequest } | undefined {
  const key = hookKey(target);
  const state = hooks.get(key);
  if (!state) return undefined;
  state.users--;
  if (state.users > 0) return undefined;
  hooks.delete(key);
  if (!state.created) return undefined;
  const dump = (parent: number): NetlinkRequest => ({
    message: new MessageBuilder(RTM.GETTFILTER, DUMP).raw(
      tcmsg({ ifindex: target.ifindex, handle: 0, parent, info: 0 }),
    ),
    operation: `list filters on ${where(target)}`,
  });
  return {
    check: [dump(PARENT_INGRESS), dump(PARENT_EGRESS)],
    remove: deleteQdisc(target.ifindex, 'clsact', 0xffff0000, 0xfffffff1, `qdisc clsact on ${where(target)}`),
  };
}

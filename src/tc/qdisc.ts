/**
 * Qdiscs as Links: QdiscLink.create() adds a qdisc of any kind the tc object model declares
 * (src/netlink/tc/qdisc/*) and close() removes it only while a qdisc of its kind and handle is
 * still in place (it may have been replaced).
 */
import { ERRNO } from '../errno.js';
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { where, type DeviceTarget } from '../netlink/device.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { isUnknownTcKind } from '../netlink/tc/probe.js';
import {
  decodeTcObject,
  deleteQdisc,
  dumpQdiscs,
  newQdisc,
  resolveQdisc,
  type QdiscInfo as ModelQdiscInfo,
  type QdiscSpec,
} from '../netlink/tc/qdisc.js';
import { findKind } from '../netlink/tc/registry.js';
import { kindNotSupported } from './not-supported.js';
import { formatHandle } from '../netlink/tc/units.js';
import { recordOwned, type OwnerToken } from './owner-record.js';
import { removed, TcObjectLink, type KeepOption, type RemovalPlan } from './tc-link.js';

export type { QdiscSpec };

/** Options for adding a qdisc. */
export interface QdiscOptions extends KeepOption {
  /** Replace whatever qdisc is at the parent (close() then removes ours, leaving the default). */
  replace?: boolean;
}

/** Maps a qdisc creation error to a typed one (a kind the kernel lacks, a qdisc already there). */
export function qdiscError(e: unknown, kind: string, target: DeviceTarget): unknown {
  if (!(e instanceof NetlinkError)) return e;
  const def = findKind('qdisc', kind);
  if (def && isUnknownTcKind(e)) return kindNotSupported(def);
  if (e.errno === ERRNO.EEXIST) {
    return new InvalidArgumentError(
      `a qdisc already exists there on ${where(target)} (${e.extack ?? 'EEXIST'}); pass replace: true to replace it`,
    );
  }
  return e;
}

/** A qdisc this process added. close() deletes it. */
export class QdiscLink extends TcObjectLink {
  private constructor(
    sock: NetlinkSocket,
    readonly target: DeviceTarget,
    /** The qdisc kind. */
    readonly kind: QdiscSpec['kind'],
    /** Its handle. */
    readonly handle: number,
    /** Its parent. */
    readonly parent: number,
    keep: boolean | undefined,
    owner: OwnerToken | undefined,
  ) {
    super(target.nsPath, keep, sock);
    this.register(owner);
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
    target: DeviceTarget,
    spec: QdiscSpec,
    opts: QdiscOptions = {},
  ): Promise<QdiscLink> {
    const q = resolveQdisc(spec);
    const owner = opts.keep
      ? undefined
      : recordOwned(target, {
          type: 'qdisc',
          ifindex: target.ifindex,
          kind: spec.kind,
          handle: q.handle,
          parent: q.parent,
        });
    try {
      await sock.request(
        newQdisc(target.ifindex, q, opts.replace),
        `add qdisc ${spec.kind} on ${where(target)}`,
      );
    } catch (e) {
      owner?.forget();
      throw qdiscError(e, spec.kind, target);
    }
    return new QdiscLink(sock, target, spec.kind, q.handle, q.parent, opts.keep, owner);
  }

  /** Deletes only while a qdisc of our kind and handle is still there. */
  protected *removal(): RemovalPlan {
    const [list] = yield [
      { message: dumpQdiscs(this.target.ifindex), operation: `list qdiscs on ${where(this.target)}` },
    ];
    if (!list || list instanceof NetlinkError) return;
    const present = list
      .map((r) => decodeTcObject(r, 'qdisc'))
      .some(
        (q) =>
          q.ifindex === this.target.ifindex &&
          q.kind === this.kind &&
          (this.handle === 0 || q.handle === this.handle),
      );
    if (!present) return;
    removed(
      yield [
        {
          message: deleteQdisc(this.target.ifindex, this.kind, this.handle, this.parent),
          operation: `delete ${this.description}`,
        },
      ],
    );
  }
}

/** A qdisc as the kernel lists it (options decoded for the kinds tsbcc knows). */
export type QdiscInfo = Omit<ModelQdiscInfo, 'ifindex'>;

/** Lists the qdiscs of an interface. */
export async function listQdiscs(sock: NetlinkSocket, target: DeviceTarget): Promise<QdiscInfo[]> {
  const replies = await sock.request(dumpQdiscs(target.ifindex), `list qdiscs on ${where(target)}`);
  return replies
    .map((r) => decodeTcObject(r, 'qdisc'))
    .filter((q) => q.ifindex === target.ifindex)
    .map(({ ifindex: _ifindex, ...q }) => q);
}

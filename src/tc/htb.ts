/** HTB classes as Links: a rate and ceiling per class under an htb qdisc. */
import { ERRNO } from '../errno.js';
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { where, type DeviceTarget } from '../netlink/device.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import type { HtbClassSpec as HtbClassOptions } from '../netlink/tc/class/htb.js';
import {
  deleteClass,
  newClass,
  resolveClass,
  type ClassPlace,
  type ResolvedClass,
} from '../netlink/tc/class.js';
import { isUnknownTcKind } from '../netlink/tc/probe.js';
import { findKind } from '../netlink/tc/registry.js';
import { kindNotSupported } from './not-supported.js';
import { formatHandle } from '../netlink/tc/units.js';
import { recordOwned, type OwnerToken } from './owner-record.js';
import { removed, TcObjectLink, type KeepOption, type RemovalPlan } from './tc-link.js';

/** One htb class: its place, its rates, and whether to replace one with the same id. */
export interface HtbClassSpec extends Omit<HtbClassOptions, 'kind'>, ClassPlace, KeepOption {
  /** Replace an existing class with the same id. */
  replace?: boolean;
}

/** An htb class this process added; close() deletes it. */
export class HtbClassLink extends TcObjectLink {
  private constructor(
    sock: NetlinkSocket,
    readonly target: DeviceTarget,
    /** The class as it was added. */
    readonly params: ResolvedClass,
    private readonly rate: string,
    keep: boolean | undefined,
    owner: OwnerToken | undefined,
  ) {
    super(target.nsPath, keep, sock);
    this.register(owner);
  }

  get description(): string {
    return `htb class ${formatHandle(this.params.classid)} rate ${this.rate} on ${where(this.target)}`;
  }

  /**
   * Adds the class. Kernel: CONFIG_NET_SCH_HTB, and an htb qdisc with the class's major.
   * @throws InvalidArgumentError for bad values or an existing class (without replace).
   * @throws NetlinkError (e.g. ENOENT when the parent qdisc does not exist) with extack text.
   */
  static async create(sock: NetlinkSocket, target: DeviceTarget, spec: HtbClassSpec): Promise<HtbClassLink> {
    const { keep, replace, ...rest } = spec;
    const p = resolveClass({ ...rest, kind: 'htb' });
    const owner = keep
      ? undefined
      : recordOwned(target, { type: 'class', ifindex: target.ifindex, classid: p.classid, parent: p.parent });
    try {
      await sock.request(
        newClass(target.ifindex, p, replace),
        `add htb class ${formatHandle(p.classid)} on ${where(target)}`,
      );
    } catch (e) {
      owner?.forget();
      const def = findKind('class', 'htb');
      if (def && isUnknownTcKind(e)) throw kindNotSupported(def);
      if (e instanceof NetlinkError && e.errno === ERRNO.EEXIST) {
        throw new InvalidArgumentError(
          `htb class ${formatHandle(p.classid)} already exists on ${where(target)}`,
        );
      }
      throw e;
    }
    return new HtbClassLink(sock, target, p, String(spec.rate), keep, owner);
  }

  protected *removal(): RemovalPlan {
    removed(
      yield [
        {
          message: deleteClass(this.target.ifindex, this.params.classid, this.params.parent),
          operation: `delete ${this.description}`,
        },
      ],
    );
  }
}

/** ifb (intermediate functional block) devices as Links: made up, removed on close(). */
import { ERRNO } from '../errno.js';
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { interfaceIndex, nsLabel, type DeviceTarget } from '../netlink/device.js';
import { deleteLink, newLink } from '../netlink/link.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { checkInterfaceName, type NetnsRef } from '../util/netns-path.js';
import { notSupported } from './not-supported.js';
import { recordOwned, type OwnerToken } from './owner-record.js';
import { removed, TcObjectLink, type KeepOption, type RemovalPlan } from './tc-link.js';

/** Options of an ifb device. */
export interface IfbOptions extends KeepOption {
  /** Device name (1-15 bytes, no '/', ':', whitespace or NUL). */
  name: string;
  /** Namespace (name or path); the caller's when omitted. */
  netns?: NetnsRef;
}

/** An ifb device this process made; close() deletes it. */
export class IfbLink extends TcObjectLink {
  private constructor(
    sock: NetlinkSocket,
    /** The device as a tc target (attach qdiscs to it). */
    readonly target: DeviceTarget,
    keep: boolean | undefined,
    owner: OwnerToken | undefined,
  ) {
    super(target.nsPath, keep, sock);
    this.register(owner);
  }

  get description(): string {
    return `ifb device ${this.target.interface}${this.target.netns ? ` in namespace ${this.target.netns}` : ''}`;
  }

  /**
   * Makes the ifb device and sets it up. Kernel: CONFIG_IFB.
   * @throws InvalidArgumentError for a bad or taken name; NotSupportedError without CONFIG_IFB.
   */
  static async create(sock: NetlinkSocket, opts: IfbOptions): Promise<IfbLink> {
    checkInterfaceName(opts.name);
    const add = newLink(
      { kind: 'ifb', name: opts.name, up: true },
      `add ifb device ${opts.name} in ${nsLabel(opts.netns)}`,
    );
    const owner = opts.keep
      ? undefined
      : recordOwned(
          { netns: opts.netns, nsPath: sock.nsPath, interface: opts.name },
          { type: 'ifb', name: opts.name },
        );
    try {
      await sock.request(add.message, add.operation);
    } catch (e) {
      owner?.forget();
      if (e instanceof NetlinkError && e.errno === ERRNO.EOPNOTSUPP) throw notSupported('ifb');
      if (e instanceof NetlinkError && e.errno === ERRNO.EEXIST) {
        throw new InvalidArgumentError(
          `an interface named "${opts.name}" already exists in ${nsLabel(opts.netns)}`,
        );
      }
      throw e;
    }
    const ifindex = await interfaceIndex(sock, opts.name, opts.netns);
    const target: DeviceTarget = { netns: opts.netns, nsPath: sock.nsPath, interface: opts.name, ifindex };
    return new IfbLink(sock, target, opts.keep, owner);
  }

  protected *removal(): RemovalPlan {
    const del = deleteLink(this.target.interface, this.target.ifindex);
    removed(yield [{ message: del.message, operation: `delete ${this.description}` }]);
  }
}

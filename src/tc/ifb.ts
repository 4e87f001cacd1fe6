/** ifb (intermediate functional block) devices as Links: made up, removed on close(). */
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { MessageBuilder } from '../netlink/message.js';
import type { NetlinkRequest, NetlinkSocket } from '../netlink/socket.js';
import { checkInterfaceName } from '../util/netns-path.js';
import { IFLA, IFLA_INFO, RTM } from './constants.js';
import { notSupported } from './qdisc-options.js';
import { TcObjectLink, type KeepOption } from './tc-link.js';
import { CREATE_EXCL, interfaceIndex, nsLabel, REQUEST_ACK, type TcTarget } from './tc-netlink.js';
import type { NetnsRef } from '../util/netns-path.js';

const IFF_UP = 1;

function ifinfomsg(index: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

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
    readonly target: TcTarget,
    keep: boolean | undefined,
  ) {
    super(target.nsPath, keep, sock);
    this.register();
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
    const add = new MessageBuilder(RTM.NEWLINK, CREATE_EXCL)
      .raw(ifinfomsg(0, IFF_UP, IFF_UP))
      .str(IFLA.IFNAME, opts.name)
      .nest(IFLA.LINKINFO, (l) => l.str(IFLA_INFO.KIND, 'ifb'));
    try {
      await sock.request(add, `add ifb device ${opts.name} in ${nsLabel(opts.netns)}`);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === 95) throw notSupported('ifb');
      if (e instanceof NetlinkError && e.errno === 17) {
        throw new InvalidArgumentError(
          `an interface named "${opts.name}" already exists in ${nsLabel(opts.netns)}`,
        );
      }
      throw e;
    }
    const ifindex = await interfaceIndex(sock, opts.name, opts.netns);
    const target: TcTarget = { netns: opts.netns, nsPath: sock.nsPath, interface: opts.name, ifindex };
    return new IfbLink(sock, target, opts.keep);
  }

  protected removal(): NetlinkRequest[] {
    return [
      {
        message: new MessageBuilder(RTM.DELLINK, REQUEST_ACK).raw(ifinfomsg(this.target.ifindex)),
        operation: `delete ${this.description}`,
      },
    ];
  }

  protected removalSync(): NetlinkRequest[] {
    return this.removal();
  }
}

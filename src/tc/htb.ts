/** HTB classes as Links: a rate and ceiling per class under an htb qdisc. */
import { InvalidArgumentError, NetlinkError } from '../errors.js';
import { MessageBuilder } from '../netlink/message.js';
import type { NetlinkRequest, NetlinkSocket } from '../netlink/socket.js';
import { RTM } from './constants.js';
import { notSupported } from './qdisc-options.js';
import { isUnknownKind } from './qdisc.js';
import { encodeHtbClassOptions } from '../netlink/tc-qdisc.js';
import { rateBytes, xmitTicks } from '../netlink/tc-ratespec.js';
import { TcObjectLink, type KeepOption } from './tc-link.js';
import { CREATE_EXCL, CREATE_REPLACE, REQUEST_ACK, tcmsg, where, type TcTarget } from './tc-netlink.js';
import {
  checkInteger,
  formatHandle,
  formatRate,
  parseHandle,
  parseRate,
  parseSize,
  type HandleInput,
  type RateInput,
  type SizeInput,
} from '../netlink/tc-units.js';

/** One htb class. */
export interface HtbClassSpec extends KeepOption {
  /** The class id, e.g. "1:10" (major = the htb qdisc's handle). */
  classid: HandleInput;
  /** The parent class or the qdisc, e.g. "1:" (default: the qdisc of the class's major). */
  parent?: HandleInput;
  /** Guaranteed rate. */
  rate: RateInput;
  /** Ceiling it may borrow up to (default = rate). */
  ceil?: RateInput;
  /** Bytes that may be sent at once at the rate (default rate/1000 + 1600, as tc). */
  burst?: SizeInput;
  /** Bytes at the ceiling (default ceil/1000 + 1600). */
  cburst?: SizeInput;
  /** Priority for borrowing (0 highest). */
  prio?: number;
  /** Bytes dequeued per round (default: the kernel derives it from r2q). */
  quantum?: SizeInput;
  /** Replace an existing class with the same id. */
  replace?: boolean;
}

/** Parsed class parameters (exported for unit tests). */
export interface HtbClassParams {
  classid: number;
  parent: number;
  rateBps: number;
  ceilBps: number;
  encode(m: MessageBuilder): void;
}

/** Parses a class spec. @throws InvalidArgumentError naming the bad field. */
export function encodeHtbClass(spec: HtbClassSpec): HtbClassParams {
  const classid = parseHandle(spec.classid, 'htb classid');
  if ((classid & 0xffff) === 0 || classid >>> 16 === 0) {
    throw new InvalidArgumentError(
      `invalid htb classid "${String(spec.classid)}": needs a major and a minor, e.g. "1:10"`,
    );
  }
  const parent =
    spec.parent === undefined ? (classid & 0xffff0000) >>> 0 : parseHandle(spec.parent, 'htb parent');
  const rate = parseRate(spec.rate, 'htb rate');
  const ceil = spec.ceil === undefined ? rate : parseRate(spec.ceil, 'htb ceil');
  if (ceil < rate)
    throw new InvalidArgumentError(`htb ceil ${formatRate(ceil)} is below its rate ${formatRate(rate)}`);
  const rb = rateBytes(rate);
  const cb = rateBytes(ceil);
  const burst = spec.burst === undefined ? Math.round(rb / 1000) + 1600 : parseSize(spec.burst, 'htb burst');
  const cburst =
    spec.cburst === undefined ? Math.round(cb / 1000) + 1600 : parseSize(spec.cburst, 'htb cburst');
  const quantum = checkInteger(
    spec.quantum === undefined ? 0 : parseSize(spec.quantum, 'htb quantum'),
    'htb quantum (bytes)',
  );
  const prio = spec.prio ?? 0;
  if (!Number.isInteger(prio) || prio < 0 || prio > 7)
    throw new InvalidArgumentError(`invalid htb prio ${prio}: 0-7`);
  return {
    classid,
    parent,
    rateBps: rate,
    ceilBps: ceil,
    encode: (m) =>
      encodeHtbClassOptions(m, {
        rate: { bytesPerSecond: rb },
        ceil: { bytesPerSecond: cb },
        buffer: xmitTicks(rb, burst),
        cbuffer: xmitTicks(cb, cburst),
        quantum,
        prio,
      }),
  };
}

/** An htb class this process added; close() deletes it. */
export class HtbClassLink extends TcObjectLink {
  private constructor(
    sock: NetlinkSocket,
    readonly target: TcTarget,
    readonly params: HtbClassParams,
    keep: boolean | undefined,
  ) {
    super(target.nsPath, keep, sock);
    this.register();
  }

  get description(): string {
    return `htb class ${formatHandle(this.params.classid)} rate ${formatRate(this.params.rateBps)} on ${where(this.target)}`;
  }

  /**
   * Adds the class. Kernel: CONFIG_NET_SCH_HTB, and an htb qdisc with the class's major.
   * @throws InvalidArgumentError for bad values or an existing class (without replace).
   * @throws NetlinkError (e.g. ENOENT when the parent qdisc does not exist) with extack text.
   */
  static async create(sock: NetlinkSocket, target: TcTarget, spec: HtbClassSpec): Promise<HtbClassLink> {
    const p = encodeHtbClass(spec);
    const m = new MessageBuilder(RTM.NEWTCLASS, spec.replace ? CREATE_REPLACE : CREATE_EXCL).raw(
      tcmsg({ ifindex: target.ifindex, handle: p.classid, parent: p.parent, info: 0 }),
    );
    p.encode(m);
    try {
      await sock.request(m, `add htb class ${formatHandle(p.classid)} on ${where(target)}`);
    } catch (e) {
      if (e instanceof NetlinkError && isUnknownKind(e)) throw notSupported('htb');
      if (e instanceof NetlinkError && e.errno === 17) {
        throw new InvalidArgumentError(
          `htb class ${formatHandle(p.classid)} already exists on ${where(target)}`,
        );
      }
      throw e;
    }
    return new HtbClassLink(sock, target, p, spec.keep);
  }

  protected removal(): NetlinkRequest[] {
    return [
      {
        message: new MessageBuilder(RTM.DELTCLASS, REQUEST_ACK).raw(
          tcmsg({
            ifindex: this.target.ifindex,
            handle: this.params.classid,
            parent: this.params.parent,
            info: 0,
          }),
        ),
        operation: `delete ${this.description}`,
      },
    ];
  }

  protected removalSync(): NetlinkRequest[] {
    return this.removal();
  }
}

/**
 * XDP attachment over rtnetlink (IFLA_XDP), in any network namespace, as a Link: generic
 * (skb) or native (driver) mode, with replace semantics — attaching fails when a program is
 * already there unless replace is asked for, XdpLink.replace() swaps atomically only while our
 * program is attached, and close() detaches only our program.
 */
import type { Link } from '../core/link.js';
import type { Program } from '../core/program.js';
import { ProgramType } from '../uapi/program-type.js';
import { track, untrack, type Closeable } from '../resources.js';
import { InvalidArgumentError, NetlinkError, NotSupportedError } from '../errors.js';
import { logger } from '../logger.js';
import { native } from '../native.js';
import { attrMap, decoding, MessageBuilder, type NetlinkMessage } from '../netlink/message.js';
import type { NetlinkRequest } from '../netlink/socket.js';
import { IFLA, RTM } from '../tc/constants.js';
import { interfaceIndex, openIn, REQUEST_ACK, runAll, runAllSync, where } from '../tc/tc-netlink.js';
import { namespaceGone } from '../tc/tc-link.js';
import { netnsPath, type NetnsRef } from '../util/netns-path.js';

/** Where XDP runs: generic (after the skb is built; any device) or native (in the driver). */
export type XdpMode = 'generic' | 'native';

/** Options of an XDP attachment. */
export interface XdpOptions {
  /** Interface name. */
  interface: string;
  /** Namespace (name or nsfs path); the caller's when omitted. */
  netns?: NetnsRef;
  /** Default: native where the driver supports it, else generic (the kernel's choice). */
  mode?: XdpMode;
  /** Replace a program already attached in that mode instead of failing. */
  replace?: boolean;
  /** Leave the program attached when the process exits without closing the Link. */
  keep?: boolean;
}

const IFLA_XDP = {
  FD: 1,
  ATTACHED: 2,
  FLAGS: 3,
  PROG_ID: 4,
  DRV_PROG_ID: 5,
  SKB_PROG_ID: 6,
  EXPECTED_FD: 8,
} as const;
const XDP_FLAGS = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, REPLACE: 16 } as const;
const XDP_ATTACHED = ['none', 'native', 'generic', 'offload', 'multi'] as const;

/** What an interface has attached. */
export interface XdpState {
  /** How it is attached ('none' when nothing is). */
  attached: (typeof XDP_ATTACHED)[number];
  /** The program id in each mode (0 = none). */
  nativeProgramId: number;
  genericProgramId: number;
}

function ifinfomsg(index: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  return b;
}

function modeFlag(mode: XdpMode | undefined): number {
  if (mode === undefined) return 0;
  if (mode === 'generic') return XDP_FLAGS.SKB_MODE;
  if (mode === 'native') return XDP_FLAGS.DRV_MODE;
  throw new InvalidArgumentError(`invalid XDP mode "${String(mode)}" (use generic or native)`);
}

function setRequest(
  ifindex: number,
  fd: number,
  flags: number,
  expectedFd: number | undefined,
  op: string,
): NetlinkRequest {
  const m = new MessageBuilder(RTM.SETLINK, REQUEST_ACK).raw(ifinfomsg(ifindex)).nest(IFLA.XDP, (x) => {
    const fdb = Buffer.alloc(4);
    fdb.writeInt32LE(fd);
    x.attr(IFLA_XDP.FD, fdb);
    if (flags) x.u32(IFLA_XDP.FLAGS, flags);
    if (expectedFd !== undefined) {
      const e = Buffer.alloc(4);
      e.writeInt32LE(expectedFd);
      x.attr(IFLA_XDP.EXPECTED_FD, e);
    }
  });
  return { message: m, operation: op };
}

function getRequest(ifindex: number, op: string): NetlinkRequest {
  return { message: new MessageBuilder(RTM.GETLINK, REQUEST_ACK).raw(ifinfomsg(ifindex)), operation: op };
}

function parseState(replies: NetlinkMessage[]): XdpState {
  return decoding('XDP link state', () => decodeState(replies));
}

function decodeState(replies: NetlinkMessage[]): XdpState {
  const state: XdpState = { attached: 'none', nativeProgramId: 0, genericProgramId: 0 };
  const link = replies.find((r) => r.type === RTM.NEWLINK);
  const xdp = link && attrMap(link.payload.subarray(16)).get(IFLA.XDP);
  if (!xdp) return state;
  const a = attrMap(xdp);
  state.attached = XDP_ATTACHED[a.get(IFLA_XDP.ATTACHED)?.readUInt8(0) ?? 0] ?? 'none';
  const id = a.get(IFLA_XDP.PROG_ID)?.readUInt32LE(0) ?? 0;
  state.nativeProgramId =
    a.get(IFLA_XDP.DRV_PROG_ID)?.readUInt32LE(0) ?? (state.attached === 'native' ? id : 0);
  state.genericProgramId =
    a.get(IFLA_XDP.SKB_PROG_ID)?.readUInt32LE(0) ?? (state.attached === 'generic' ? id : 0);
  return state;
}

/** Reports what XDP program an interface runs. @throws InvalidArgumentError for an unknown interface. */
export async function xdpState(opts: { interface: string; netns?: NetnsRef }): Promise<XdpState> {
  const sock = await openIn(opts.netns);
  try {
    const ifindex = await interfaceIndex(sock, opts.interface, opts.netns);
    const { message, operation } = getRequest(ifindex, `query XDP on ${where(opts)}`);
    return parseState(await sock.request(message, operation));
  } finally {
    sock.close();
  }
}

/** An XDP program attached by this process. */
export class XdpLink implements Link, Closeable {
  private fdDup: number;
  private isClosed = false;
  /** The attached program's id (changes with replace()). */
  programId: number;

  /** The interface name. */
  readonly interface: string;

  private constructor(
    ifname: string,
    readonly netns: NetnsRef,
    private readonly nsPath: string,
    private readonly ifindex: number,
    /** The mode the kernel attached it in. */
    readonly mode: XdpMode,
    program: Program,
    keep: boolean | undefined,
  ) {
    this.interface = ifname;
    this.fdDup = native().dupFd(program.fd);
    this.programId = program.id;
    if (!keep) track(this);
  }

  get description(): string {
    return `XDP (${this.mode}) program ${this.programId} on ${where({ interface: this.interface, netns: this.netns })}`;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Attaches an XDP program. Kernel: CONFIG_BPF_SYSCALL + XDP (native mode needs driver support).
   * @throws InvalidArgumentError for a non-XDP program, an unknown interface, or when a program
   *   is already attached and replace is not set.
   * @throws NotSupportedError when the driver has no native XDP.
   * @throws NetlinkError with the kernel's extended-ack text otherwise.
   */
  static async attach(program: Program, opts: XdpOptions): Promise<XdpLink> {
    if (program.type !== ProgramType.XDP) {
      throw new InvalidArgumentError(
        `program ${program.name} is ${program.typeName}; XDP needs a program loaded as XDP`,
      );
    }
    const flags = modeFlag(opts.mode) | (opts.replace ? 0 : XDP_FLAGS.UPDATE_IF_NOEXIST);
    const path = netnsPath(opts.netns);
    const sock = await openIn(opts.netns);
    try {
      const ifindex = await interfaceIndex(sock, opts.interface, opts.netns);
      const op = `attach XDP program ${program.name} to ${where(opts)}`;
      const set = setRequest(ifindex, program.fd, flags, undefined, op);
      try {
        await sock.request(set.message, set.operation);
      } catch (e) {
        if (e instanceof NetlinkError && e.errno === 16) {
          throw new InvalidArgumentError(
            `${where(opts)} already has an XDP program (${e.extack ?? 'EBUSY'}); pass replace: true to replace it`,
          );
        }
        if (e instanceof NetlinkError && e.errno === 95 && opts.mode === 'native') {
          throw new NotSupportedError(
            `native XDP on ${opts.interface}`,
            undefined,
            `use mode 'generic' (${e.extack ?? ''})`,
          );
        }
        throw e;
      }
      const g = getRequest(ifindex, `query XDP on ${where(opts)}`);
      const state = parseState(await sock.request(g.message, g.operation));
      const mode: XdpMode = state.genericProgramId === program.id ? 'generic' : 'native';
      return new XdpLink(opts.interface, opts.netns, path, ifindex, mode, program, opts.keep);
    } finally {
      sock.close();
    }
  }

  /**
   * Swaps in another XDP program atomically, only while ours is still attached.
   * @throws NetlinkError (EEXIST) when another program replaced ours meanwhile.
   */
  async replace(program: Program): Promise<void> {
    if (program.type !== ProgramType.XDP) {
      throw new InvalidArgumentError(
        `program ${program.name} is ${program.typeName}; XDP needs a program loaded as XDP`,
      );
    }
    const flags = modeFlag(this.mode) | XDP_FLAGS.REPLACE;
    const [r] = await runAll(undefined, this.nsPath, [
      setRequest(this.ifindex, program.fd, flags, this.fdDup, `replace ${this.description}`),
    ]);
    if (r instanceof NetlinkError) throw r;
    const old = this.fdDup;
    this.fdDup = native().dupFd(program.fd);
    native().closeFd(old);
    this.programId = program.id;
  }

  private detachRequest(): NetlinkRequest {
    return setRequest(
      this.ifindex,
      -1,
      modeFlag(this.mode) | XDP_FLAGS.REPLACE,
      this.fdDup,
      `detach ${this.description}`,
    );
  }

  private finish(r: NetlinkMessage[] | NetlinkError | undefined): void {
    native().closeFd(this.fdDup);
    this.fdDup = -1;
    if (r instanceof NetlinkError) {
      // EEXIST: someone else's program is attached now; ENODEV: the interface is gone.
      if (r.errno === 17 || r.errno === 19) logger().info(`${this.description}: not detached (${r.code})`);
      else throw r;
    }
  }

  /** Detaches our program (not a program that replaced it); idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    untrack(this);
    let r: NetlinkMessage[] | NetlinkError | undefined;
    try {
      [r] = await runAll(undefined, this.nsPath, [this.detachRequest()]);
    } catch (e) {
      if (!namespaceGone(e)) throw e;
    }
    this.finish(r);
  }

  closeSync(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    untrack(this);
    try {
      const [r] = runAllSync(this.nsPath, [this.detachRequest()]);
      this.finish(r);
    } catch (e) {
      logger().warn(`detaching ${this.description} failed`, { error: (e as Error).message });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Attaches an XDP program; see {@link XdpLink.attach}. */
export function attachXdp(program: Program, opts: XdpOptions): Promise<XdpLink> {
  return XdpLink.attach(program, opts);
}

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
import { ERRNO } from '../errno.js';
import { interfaceIndex, namespaceGone, openIn, where } from '../netlink/device.js';
import { LINK_MSG, XDP_ATTACHED, XDP_FLAGS } from '../netlink/ifla.js';
import { buildMessage, REQUEST, type NetlinkMessage } from '../netlink/message.js';
import { RTM } from '../netlink/rtnetlink.js';
import { decodeMessage } from '../netlink/schema.js';
import { transactIn, transactInSync, type NetlinkRequest, type Outcome } from '../netlink/socket.js';
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

/** What an interface has attached. */
export interface XdpState {
  /** How it is attached ('none' when nothing is). */
  attached: (typeof XDP_ATTACHED)[number];
  /** The program id in each mode (0 = none). */
  nativeProgramId: number;
  genericProgramId: number;
}

function modeFlag(mode: XdpMode | undefined): number {
  if (mode === undefined) return 0;
  if (mode === 'generic') return XDP_FLAGS.SKB_MODE;
  if (mode === 'native') return XDP_FLAGS.DRV_MODE;
  throw new InvalidArgumentError(`invalid XDP mode "${String(mode)}" (use generic or native)`);
}

/** The RTM_SETLINK request attaching (or replacing, with expectedFd) an XDP program. Pure. */
export function setRequest(
  ifindex: number,
  fd: number,
  flags: number,
  expectedFd: number | undefined,
  op: string,
): NetlinkRequest {
  const message = buildMessage(RTM.SETLINK, REQUEST.ACK, LINK_MSG, {
    header: { ifi_index: ifindex },
    attrs: { XDP: { FD: fd, FLAGS: flags || undefined, EXPECTED_FD: expectedFd } },
  });
  return { message, operation: op };
}

function getRequest(ifindex: number, op: string): NetlinkRequest {
  return {
    message: buildMessage(RTM.GETLINK, REQUEST.ACK, LINK_MSG, { header: { ifi_index: ifindex } }),
    operation: op,
  };
}

function parseState(replies: NetlinkMessage[]): XdpState {
  const state: XdpState = { attached: 'none', nativeProgramId: 0, genericProgramId: 0 };
  const link = replies.find((r) => r.type === RTM.NEWLINK);
  const xdp = link && decodeMessage(LINK_MSG, link.payload).attrs.XDP;
  if (!xdp) return state;
  state.attached = XDP_ATTACHED[xdp.ATTACHED ?? 0] ?? 'none';
  const id = xdp.PROG_ID ?? 0;
  state.nativeProgramId = xdp.DRV_PROG_ID ?? (state.attached === 'native' ? id : 0);
  state.genericProgramId = xdp.SKB_PROG_ID ?? (state.attached === 'generic' ? id : 0);
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
        if (e instanceof NetlinkError && e.errno === ERRNO.EBUSY) {
          throw new InvalidArgumentError(
            `${where(opts)} already has an XDP program (${e.extack ?? 'EBUSY'}); pass replace: true to replace it`,
          );
        }
        if (e instanceof NetlinkError && e.errno === ERRNO.EOPNOTSUPP && opts.mode === 'native') {
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
    const [r] = await transactIn(this.nsPath, [
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

  private finish(r: Outcome | undefined): void {
    native().closeFd(this.fdDup);
    this.fdDup = -1;
    if (r instanceof NetlinkError) {
      // EEXIST: someone else's program is attached now; ENODEV: the interface is gone.
      if (r.errno === ERRNO.EEXIST || r.errno === ERRNO.ENODEV)
        logger().info(`${this.description}: not detached (${r.code})`);
      else throw r;
    }
  }

  /** Detaches our program (not a program that replaced it); idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    untrack(this);
    let r: Outcome | undefined;
    try {
      [r] = await transactIn(this.nsPath, [this.detachRequest()]);
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
      const [r] = transactInSync(this.nsPath, [this.detachRequest()]);
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

/**
 * XDP attachment over rtnetlink (IFLA_XDP), in any network namespace, as a Link: generic
 * (skb) or native (driver) mode, with replace semantics — attaching fails when a program is
 * already there unless replace is asked for, XdpLink.replace() swaps atomically only while our
 * program is attached, and close() detaches only our program. An attachment (unless `keep`) is
 * in the tc owner record (src/tc/owner-record.ts) from before its request until it is detached,
 * so `tsbcc tc clean` detaches it after a SIGKILL — only while the interface still runs it.
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
import { XDP_FLAGS } from '../netlink/ifla.js';
import { transactIn, transactInSync, type NetlinkRequest, type Outcome } from '../netlink/socket.js';
import { netnsPath, type NetnsRef } from '../util/netns-path.js';
import { recordOwned, type OwnerPlace, type OwnerToken } from '../tc/owner-record.js';
import {
  detachXdpIfRunning,
  getRequest,
  modeFlag,
  parseState,
  setRequest,
  type XdpMode,
  type XdpState,
} from './xdp-netlink.js';

export { setRequest, type XdpMode, type XdpState } from './xdp-netlink.js';

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
    private readonly place: OwnerPlace,
    private owner: OwnerToken | undefined,
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
    const place: OwnerPlace = {
      ...(opts.netns ? { netns: opts.netns } : {}),
      nsPath: path,
      interface: opts.interface,
    };
    const sock = await openIn(opts.netns);
    try {
      const ifindex = await interfaceIndex(sock, opts.interface, opts.netns);
      const op = `attach XDP program ${program.name} to ${where(opts)}`;
      const set = setRequest(ifindex, program.fd, flags, undefined, op);
      const owner = opts.keep
        ? undefined
        : recordOwned(place, { type: 'xdp', ifindex, programId: program.id });
      try {
        await sock.request(set.message, set.operation);
      } catch (e) {
        owner?.forget();
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
      let state: XdpState;
      try {
        state = parseState(await sock.request(g.message, g.operation));
      } catch (e) {
        // attached, but its mode is unknown: take it away again (only if it is still ours)
        try {
          await detachXdpIfRunning(path, ifindex, program.id, op);
          owner?.forget();
        } catch {
          // left recorded: tsbcc tc clean detaches it once this process is gone
        }
        throw e;
      }
      const mode: XdpMode = state.genericProgramId === program.id ? 'generic' : 'native';
      return new XdpLink(opts.interface, opts.netns, path, ifindex, mode, program, opts.keep, place, owner);
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
    const next = this.owner
      ? recordOwned(this.place, { type: 'xdp', ifindex: this.ifindex, programId: program.id })
      : undefined;
    let r: Outcome | undefined;
    try {
      [r] = await transactIn(this.nsPath, [
        setRequest(this.ifindex, program.fd, flags, this.fdDup, `replace ${this.description}`),
      ]);
    } catch (e) {
      next?.forget();
      throw e;
    }
    if (r instanceof NetlinkError) {
      next?.forget();
      throw r;
    }
    this.owner?.forget();
    this.owner = next;
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

  /** After the detach request: `r` its outcome (undefined: the namespace is gone). */
  private finish(r: Outcome | undefined): void {
    native().closeFd(this.fdDup);
    this.fdDup = -1;
    if (r instanceof NetlinkError) {
      // EEXIST: someone else's program is attached now; ENODEV: the interface is gone.
      if (r.errno === ERRNO.EEXIST || r.errno === ERRNO.ENODEV)
        logger().info(`${this.description}: not detached (${r.code})`);
      else throw r; // still attached: stays recorded
    }
    this.owner?.forget();
    this.owner = undefined;
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

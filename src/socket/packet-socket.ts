/**
 * A raw packet socket (AF_PACKET) on an interface, in any network namespace, with a socket
 * filter program attached — what BCC's attach_raw_socket does.
 */
import { ClosedError, SyscallError, fromNative } from '../errors.js';
import { native } from '../native.js';
import type { Program } from '../core/program.js';
import type { Link } from '../core/link.js';
import { ProgramType } from '../uapi/program-type.js';
import { InvalidArgumentError } from '../errors.js';
import { track, untrack, type Closeable } from '../resources.js';
import { checkInterfaceName, netnsPath, type NetnsRef } from '../util/netns-path.js';
import { PacketQueue, type PacketIteratorOptions } from './packet-queue.js';

/** ETH_P_ALL: every protocol. */
export const ETH_P_ALL = 0x0003;

/** Where to open the socket. */
export interface PacketSocketOptions {
  /** Interface to bind to; all interfaces of the namespace when omitted. */
  interface?: string;
  /** Namespace name (as `ip netns` shows it) or nsfs path; the current namespace by default. */
  netns?: NetnsRef;
  /** Ethernet protocol to receive (host order); default ETH_P_ALL. */
  protocol?: number;
}

/**
 * A non-blocking AF_PACKET socket. Close it with close() or `using`; the registry closes it at
 * exit otherwise.
 */
export class PacketSocket implements Closeable {
  private fdValue: number;
  private queue: PacketQueue | undefined;

  private constructor(
    fd: number,
    readonly options: PacketSocketOptions,
  ) {
    this.fdValue = fd;
    track(this);
  }

  /**
   * Opens the socket inside the namespace (on a native thread) and binds it to the interface.
   * @throws InvalidArgumentError for a malformed interface or namespace name.
   * @throws SyscallError (ENODEV / ENOENT) when the interface or namespace does not exist.
   */
  static async open(opts: PacketSocketOptions = {}): Promise<PacketSocket> {
    if (opts.interface !== undefined) checkInterfaceName(opts.interface);
    const path = netnsPath(opts.netns);
    try {
      const fd = await native().openPacketSocket(path, opts.interface ?? '', opts.protocol ?? ETH_P_ALL);
      return new PacketSocket(fd, opts);
    } catch (e) {
      const where = `${opts.interface ? `interface ${opts.interface}` : 'all interfaces'}${
        opts.netns ? ` in namespace ${opts.netns}` : ''
      }`;
      const err = fromNative(e, `packet socket on ${where}`);
      if (err instanceof SyscallError && err.call === 'if_nametoindex') {
        throw new InvalidArgumentError(
          `no interface "${opts.interface}" in ${opts.netns ? `namespace ${opts.netns}` : 'this namespace'}`,
        );
      }
      if (err instanceof SyscallError && err.call === 'setns') {
        throw new InvalidArgumentError(`cannot enter network namespace "${opts.netns}" (${err.code})`);
      }
      throw err;
    }
  }

  /** The socket's fd. @throws ClosedError after close(). */
  get fd(): number {
    if (this.fdValue < 0) throw new ClosedError('packet socket');
    return this.fdValue;
  }

  get closed(): boolean {
    return this.fdValue < 0;
  }

  get description(): string {
    return `packet socket on ${this.options.interface ?? 'all interfaces'}${this.options.netns ? ` in ${this.options.netns}` : ''}`;
  }

  /**
   * Attaches a SOCKET_FILTER program (SO_ATTACH_BPF). Packets queued before it (which the
   * filter never saw) are discarded, so everything read afterwards passed the filter. The
   * returned Link detaches it.
   * @throws InvalidArgumentError when the program is not a SOCKET_FILTER.
   */
  attach(program: Program): Link {
    if (program.type !== ProgramType.SOCKET_FILTER) {
      throw new InvalidArgumentError(
        `program ${program.name} is ${program.typeName}; a socket filter must be loaded as SOCKET_FILTER`,
      );
    }
    try {
      native().attachSocketFilter(this.fd, program.fd);
    } catch (e) {
      throw fromNative(e, `attach ${program.name} to ${this.description}`);
    }
    // Packets queued before the filter was in place did not pass it: discard them.
    while (this.tryRead(1) !== undefined);
    this.queue?.clear();
    let closed = false;
    const link: Link = {
      description: `socket filter ${program.name} on ${this.description}`,
      get closed() {
        return closed;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        if (this.fdValue >= 0) native().detachSocketFilter(this.fdValue);
      },
      [Symbol.asyncDispose]: () => link.close(),
    };
    return link;
  }

  /** Reads one queued packet without blocking; undefined when none is queued. */
  tryRead(maxLength = 65536): Buffer | undefined {
    const buf = Buffer.alloc(maxLength);
    const n = native().recvPacket(this.fd, buf);
    return n < 0 ? undefined : buf.subarray(0, Math.min(n, maxLength));
  }

  /**
   * The packets the socket receives (after its filter), as an async iterator. The fd is watched
   * by libuv (uv_poll) and drained without blocking; the JS thread never waits in recv().
   * Packets queue from the first call on (up to `maxQueued`, older ones are kept and newer
   * dropped beyond it; `dropped` counts them). Ends when the socket is closed or the signal aborts.
   * @throws ClosedError when the socket is closed.
   */
  packets(opts: PacketIteratorOptions = {}): AsyncIterableIterator<Buffer> {
    const fd = this.fd;
    this.queue ??= new PacketQueue(fd, (max) => this.tryRead(max), opts);
    return this.queue.iterate(opts.signal);
  }

  /** Packets dropped because the iterator's queue was full. */
  get dropped(): number {
    return this.queue?.dropped ?? 0;
  }

  /** Closes the socket (detaching any filter); idempotent. */
  closeSync(): void {
    if (this.fdValue < 0) return;
    this.queue?.close();
    this.queue = undefined;
    native().closeFd(this.fdValue);
    this.fdValue = -1;
    untrack(this);
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}

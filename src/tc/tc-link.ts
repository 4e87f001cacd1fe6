/**
 * The base of every tc attachment Link (qdisc, class, filter, ifb device): it remembers exactly
 * what it created, removes it on close(), and is closed synchronously at exit by the resource
 * registry unless the caller asked to keep it.
 */
import type { Link } from '../core/link.js';
import { NetlinkError, SyscallError } from '../errors.js';
import { logger } from '../logger.js';
import type { NetlinkRequest, NetlinkSocket } from '../netlink/socket.js';
import type { NetlinkMessage } from '../netlink/message.js';
import { track, untrack, type Closeable } from '../resources.js';
import { runAll, runAllSync } from './tc-netlink.js';

/** Whether an error says the namespace could not be entered because it is gone. */
export function namespaceGone(e: unknown): boolean {
  return e instanceof SyscallError && e.call === 'setns' && e.errno === 2;
}

/** ENOENT / ENODEV / EINVAL-on-missing answers mean "already gone" when removing. */
const GONE = new Set([2, 19]);

/** Options every tc Link shares. */
export interface KeepOption {
  /**
   * Leave the object in the kernel when the process exits without closing the Link (tc
   * objects outlive their creator). close() still removes it. Default false: removed at exit.
   */
  keep?: boolean;
}

/** A tc object this process created, removed by close(). */
export abstract class TcObjectLink implements Link, Closeable {
  private isClosed = false;
  private readonly tracked: boolean;

  protected constructor(
    /** The namespace path the object lives in. */
    readonly nsPath: string,
    keep: boolean | undefined,
    /** The socket used while it is open (closing falls back to a one-shot socket). */
    protected sock: NetlinkSocket | undefined,
  ) {
    this.tracked = !keep;
  }

  /** Registers with the exit registry; subclasses call it once fully constructed. */
  protected register(): void {
    if (this.tracked) track(this);
  }

  abstract readonly description: string;

  /** The requests that remove the object, given a way to run a lookup first. */
  protected abstract removal(
    lookup: (
      requests: NetlinkRequest[],
    ) => Promise<(NetlinkMessage[] | NetlinkError)[]> | (NetlinkMessage[] | NetlinkError)[],
  ): Promise<NetlinkRequest[]> | NetlinkRequest[];

  /** Synchronous variant of removal() (no awaiting allowed). */
  protected abstract removalSync(
    lookup: (requests: NetlinkRequest[]) => (NetlinkMessage[] | NetlinkError)[],
  ): NetlinkRequest[];

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Removes the object from the kernel; idempotent. An object already gone is not an error.
   * @throws NetlinkError when the kernel refuses the removal for another reason.
   */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    untrack(this);
    const run = (r: NetlinkRequest[]): Promise<(NetlinkMessage[] | NetlinkError)[]> =>
      runAll(this.sock, this.nsPath, r);
    try {
      const requests = await this.removal(run);
      this.check(requests.length ? await run(requests) : []);
    } catch (e) {
      // A namespace that no longer exists took everything in it along.
      if (!namespaceGone(e)) throw e;
    } finally {
      this.afterClose();
    }
  }

  /** Removes the object synchronously (used by the exit registry); idempotent, never throws. */
  closeSync(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    untrack(this);
    try {
      const run = (r: NetlinkRequest[]): (NetlinkMessage[] | NetlinkError)[] => runAllSync(this.nsPath, r);
      const requests = this.removalSync(run);
      this.check(requests.length ? run(requests) : []);
    } catch (e) {
      logger().warn(`removing ${this.description} failed`, { error: (e as Error).message });
    }
    this.afterClose();
  }

  /** Hook after removal (e.g. to release a shared qdisc). */
  protected afterClose(): void {}

  private check(results: (NetlinkMessage[] | NetlinkError)[]): void {
    for (const r of results) {
      if (r instanceof NetlinkError && !GONE.has(r.errno)) throw r;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

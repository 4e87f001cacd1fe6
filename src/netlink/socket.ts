/**
 * A netlink socket bound to one network namespace. The socket is created on a native thread
 * that enters the namespace (DESIGN D7); requests run off the JS thread. One-shot transactions
 * in a namespace (async, or synchronous for clean-up at exit) share the reply handling.
 */
import { native } from '../native.js';
import { NetlinkError, ClosedError, fromNative } from '../errors.js';
import { NLM_F, type MessageBuilder, type NetlinkMessage } from './message.js';
import { combine, joinable, split, type Transaction } from './coalesce.js';
import { nativeConditions, outcome, type NetlinkRequest, type Outcome } from './request.js';

export type { NetlinkRequest, Outcome, RequestCondition } from './request.js';

/** A transaction waiting for its round trip. */
interface Queued extends Transaction {
  resolve: (out: (Outcome | undefined)[]) => void;
  reject: (e: unknown) => void;
}

/** Netlink protocol families used by tsbcc. */
export const NETLINK_ROUTE = 0;

/**
 * blocking 'auto': a transaction on the JS thread that took longer than this (ms) sends the
 * socket's next ones to the thread pool for {@link AUTO_BACKOFF_MS}. An uncontended tc request
 * takes 10-500 us (the first and last filter on a device patch kernel text); on a machine whose
 * CPUs are all busy the thread also waits for a CPU (which the thread pool would not change):
 * at load 7 on 2 CPUs, 0.75% of attach+detach cycles took over 10 ms and none over 50 ms.
 * Another process holding rtnl (e.g. namespaces being torn down) makes it tens to hundreds
 * of ms. So the JS thread waits up to this long per request, and longer once per backoff.
 */
export const AUTO_SLOW_MS = 50;
/** blocking 'auto': how long (ms) transactions stay off the JS thread after a slow one. */
export const AUTO_BACKOFF_MS = 1000;

/**
 * A netlink socket in a namespace. Close it with close() or `using`.
 */
export class NetlinkSocket {
  private fd: number;
  /**
   * Transactions asked for while one is in flight. They go together, in order, in the next
   * native round trip (coalesce.ts): one call at a time on the fd, since two at once (each on
   * its own thread-pool thread) would take each other's replies.
   */
  private queue: Queued[] = [];
  private inFlight = false;
  /**
   * Where transactions run. false (default): on a thread-pool thread. true: on the JS thread
   * (netlinkTransactSync): no thread hop per round trip (on a loaded machine the hop costs more
   * than the kernel's work), but the JS thread waits for the kernel's answers, which can take
   * long while another process holds the kernel's rtnl lock. 'auto': on the JS thread for
   * transactions without a dump, except for {@link AUTO_BACKOFF_MS} after one that took longer
   * than {@link AUTO_SLOW_MS} (rtnl held elsewhere): then on the thread pool. So a contended rtnl
   * blocks the JS thread for at most one transaction per AUTO_BACKOFF_MS.
   */
  blocking: boolean | 'auto' = false;
  /** 'auto': hrtime (ms) until which transactions go to the thread pool. */
  private backoffUntil = 0;

  private constructor(
    fd: number,
    /** The namespace path the socket lives in ("" = the caller's namespace). */
    readonly nsPath: string,
  ) {
    this.fd = fd;
  }

  /**
   * Opens a NETLINK_ROUTE socket in the namespace at nsPath (e.g. /run/netns/NAME), or in the
   * current namespace when nsPath is empty.
   * @throws SyscallError when the namespace cannot be entered or the socket made.
   */
  static async open(nsPath = '', protocol = NETLINK_ROUTE): Promise<NetlinkSocket> {
    try {
      return new NetlinkSocket(await native().netlinkOpen(nsPath, protocol), nsPath);
    } catch (e) {
      throw fromNative(e, nsPath ? `netlink socket in ${nsPath}` : 'netlink socket');
    }
  }

  /**
   * Adopts a NETLINK_ROUTE socket fd made natively inside nsPath (e.g. by netnsCreate); the
   * returned socket owns the fd and closes it.
   */
  static fromFd(fd: number, nsPath: string): NetlinkSocket {
    return new NetlinkSocket(fd, nsPath);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.fd < 0;
  }

  /**
   * Sends one request and returns its reply messages (for dumps, every message).
   * @throws NetlinkError with the kernel's errno and extended-ack text.
   */
  async request(message: MessageBuilder, operation: string): Promise<NetlinkMessage[]> {
    const [replies] = await this.batch([{ message, operation }]);
    return replies ?? [];
  }

  /**
   * Sends several requests in one native round trip. The first request the kernel refuses
   * ends the batch: later ones are not sent, so everything before it took effect and nothing
   * after it did. Transactions on one socket run one at a time, in the order asked for. A
   * request not sent because of its `onlyIf` reads as no replies.
   * @throws NetlinkError naming the failed step.
   */
  async batch(requests: NetlinkRequest[]): Promise<NetlinkMessage[][]> {
    return (await this.outcomes(requests, true)).map((o) => {
      if (o instanceof NetlinkError) throw o;
      return o ?? [];
    });
  }

  /**
   * Sends every request whose `onlyIf` holds (none is skipped because an earlier one was
   * refused) and returns each one's outcome, undefined for a request not sent.
   * @throws ClosedError after close().
   */
  all(requests: NetlinkRequest[]): Promise<(Outcome | undefined)[]> {
    return this.outcomes(requests, false);
  }

  /**
   * The outcomes of the requests, as {@link all} (or, with stopOnError, {@link batch}) would
   * give them, made now on the JS thread when this socket runs them here (blocking true, or
   * 'auto' without a dump and not backing off) and no transaction is in flight; undefined when
   * it does not (then use all() or batch(), which keep the order). Saves the promise hops of a
   * caller that can go on synchronously.
   * @throws SyscallError (from the addon) when the socket fails.
   */
  allNow(requests: NetlinkRequest[], stopOnError = false): (Outcome | undefined)[] | undefined {
    if (this.fd < 0 || requests.length === 0 || this.blocking === false || this.inFlight) return undefined;
    if (this.blocking !== true && !this.runsHere(requests)) return undefined;
    const tx = { requests, stopOnError };
    const { requests: all, conditions } = combine([tx]);
    const t0 = this.blocking === 'auto' ? performance.now() : 0;
    try {
      const datagrams = native().netlinkTransactSync(
        this.fd,
        all.map((r) => r.message.build()),
        false,
        conditions,
      );
      return split([tx], datagrams)[0] ?? [];
    } catch (e) {
      throw fromNative(e, 'netlink');
    } finally {
      if (t0 > 0) {
        const t1 = performance.now();
        if (t1 - t0 > AUTO_SLOW_MS) this.backoffUntil = t1 + AUTO_BACKOFF_MS;
      }
    }
  }

  /**
   * One request's replies made now on the JS thread, as {@link allNow} decides; undefined when
   * not (use {@link request}).
   * @throws NetlinkError with the kernel's errno and extended-ack text.
   */
  requestNow(message: MessageBuilder, operation: string): NetlinkMessage[] | undefined {
    const out = this.allNow([{ message, operation }], true);
    if (!out) return undefined;
    const [o] = out;
    if (o instanceof NetlinkError) throw o;
    return o ?? [];
  }

  private outcomes(requests: NetlinkRequest[], stopOnError: boolean): Promise<(Outcome | undefined)[]> {
    if (this.fd < 0) return Promise.reject(new ClosedError('netlink socket'));
    if (requests.length === 0) return Promise.resolve([]);
    try {
      const now = this.allNow(requests, stopOnError);
      if (now) return Promise.resolve(now);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ requests, stopOnError, resolve, reject });
      if (!this.inFlight) void this.pump();
    });
  }

  /** 'auto': whether these requests run on the JS thread now (no dump, not backing off). */
  private runsHere(requests: NetlinkRequest[]): boolean {
    if (this.backoffUntil > 0) {
      if (performance.now() < this.backoffUntil) return false;
      this.backoffUntil = 0;
    }
    for (const r of requests) if ((r.message.flags & NLM_F.DUMP) === NLM_F.DUMP) return false;
    return true;
  }

  /** Sends what is queued, a native round trip at a time, until the queue is empty. */
  private async pump(): Promise<void> {
    this.inFlight = true;
    try {
      while (this.queue.length > 0) {
        // everything queued goes together, except a transaction that cannot follow others
        let n = 1;
        if (joinable(this.queue[0] as Queued)) {
          while (n < this.queue.length && joinable(this.queue[n] as Queued)) n++;
        }
        const txs = this.queue.splice(0, n);
        if (this.fd < 0) {
          for (const t of txs) t.reject(new ClosedError('netlink socket'));
          continue;
        }
        const { requests, conditions } = combine(txs);
        let datagrams: (Buffer[] | null)[];
        try {
          datagrams = await native().netlinkTransact(
            this.fd,
            requests.map((r) => r.message.build()),
            false,
            conditions,
          );
        } catch (e) {
          const err = fromNative(e, 'netlink');
          for (const t of txs) t.reject(err);
          continue;
        }
        split(txs, datagrams).forEach((out, i) => (txs[i] as Queued).resolve(out));
      }
    } finally {
      this.inFlight = false;
    }
  }

  /** Closes the socket; idempotent. */
  close(): void {
    if (this.fd >= 0) native().closeFd(this.fd);
    this.fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The messages and their send conditions, as the addon's transact calls take them. */
function nativeBatch(requests: NetlinkRequest[]): [Buffer[], ReturnType<typeof nativeConditions>] {
  return [requests.map((r) => r.message.build()), nativeConditions(requests)];
}

/**
 * Runs requests on a one-shot socket in nsPath ("@fresh": a new, empty namespace that vanishes
 * afterwards). Unlike NetlinkSocket.batch, every request whose `onlyIf` holds runs; each
 * result is its replies or the NetlinkError it failed with, undefined when it was not sent.
 * @throws SyscallError when the namespace cannot be entered.
 */
export async function transactIn(
  nsPath: string,
  requests: NetlinkRequest[],
  protocol = NETLINK_ROUTE,
): Promise<(Outcome | undefined)[]> {
  let datagrams: (Buffer[] | null)[];
  try {
    datagrams = await native().netlinkTransactIn(nsPath, protocol, ...nativeBatch(requests));
  } catch (e) {
    throw fromNative(e, `netlink in ${nsPath || 'this namespace'}`);
  }
  return requests.map((r, i) => outcome(r, datagrams[i]));
}

/**
 * transactIn, synchronously (the JS thread waits for a native thread inside nsPath): for
 * clean-up at process exit. Every request must get an answer (an ack, or a lookup's reply).
 * @throws SyscallError when the namespace cannot be entered.
 */
export function transactInSync(
  nsPath: string,
  requests: NetlinkRequest[],
  protocol = NETLINK_ROUTE,
): (Outcome | undefined)[] {
  let datagrams: (Buffer[] | null)[];
  try {
    datagrams = native().netlinkTransactInSync(nsPath, protocol, ...nativeBatch(requests));
  } catch (e) {
    throw fromNative(e, `netlink in ${nsPath || 'this namespace'}`);
  }
  return requests.map((r, i) => outcome(r, datagrams[i]));
}

/**
 * Runs requests on `sock` when one is given and open, else on a one-shot socket in nsPath;
 * every request whose `onlyIf` holds runs, each result is its replies or its NetlinkError
 * (undefined when not sent).
 */
export async function transactOn(
  sock: NetlinkSocket | undefined,
  nsPath: string,
  requests: NetlinkRequest[],
): Promise<(Outcome | undefined)[]> {
  if (requests.length === 0) return [];
  if (!sock || sock.closed) return transactIn(nsPath, requests);
  try {
    return await sock.all(requests);
  } catch (e) {
    // closed between the check and the transaction
    if (e instanceof ClosedError) return transactIn(nsPath, requests);
    throw e;
  }
}

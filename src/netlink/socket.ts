/**
 * A netlink socket bound to one network namespace. The socket is created on a native thread
 * that enters the namespace (DESIGN D7); requests run off the JS thread. One-shot transactions
 * in a namespace (async, or synchronous for clean-up at exit) share the reply handling.
 */
import { native } from '../native.js';
import { NetlinkError, ClosedError, fromNative } from '../errors.js';
import { errnoName } from '../errno.js';
import { MessageBuilder, NLMSG, parseAck, parseMessages, type NetlinkMessage } from './message.js';

/** Netlink protocol families used by tsbcc. */
export const NETLINK_ROUTE = 0;

/** One step of a batch: the message and a description used in errors. */
export interface NetlinkRequest {
  message: MessageBuilder;
  operation: string;
}

/** What one request came to: its reply messages, or the error the kernel answered. */
export type Outcome = NetlinkMessage[] | NetlinkError;

/** The replies to one request (those with its sequence number), or its NetlinkError. */
function outcome(r: NetlinkRequest, datagrams: Buffer[] | undefined): Outcome {
  const out: NetlinkMessage[] = [];
  for (const d of datagrams ?? []) {
    for (const m of parseMessages(d)) {
      if (m.seq !== r.message.seq) continue;
      if (m.type === NLMSG.ERROR) {
        const ack = parseAck(m);
        if (ack.errno !== 0)
          return new NetlinkError(r.operation, ack.errno, errnoName(ack.errno), ack.extack);
      } else if (m.type !== NLMSG.DONE && m.type !== NLMSG.NOOP) {
        out.push(m);
      }
    }
  }
  return out;
}

/**
 * A netlink socket in a namespace. Close it with close() or `using`.
 */
export class NetlinkSocket {
  private fd: number;
  /**
   * The transaction in flight: the next one starts after it. Two transactions on one fd at
   * once (each on its own thread-pool thread) would take each other's replies, and one of
   * them would wait for an ack that never comes.
   */
  private tail: Promise<unknown> = Promise.resolve();

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
   * after it did. Transactions on one socket run one at a time, in the order asked for.
   * @throws NetlinkError naming the failed step.
   */
  async batch(requests: NetlinkRequest[]): Promise<NetlinkMessage[][]> {
    return (await this.outcomes(requests, true)).map((o) => {
      if (o instanceof NetlinkError) throw o;
      return o;
    });
  }

  /**
   * Sends every request (none is skipped when one is refused) and returns each one's outcome.
   * @throws ClosedError after close().
   */
  all(requests: NetlinkRequest[]): Promise<Outcome[]> {
    return this.outcomes(requests, false);
  }

  private outcomes(requests: NetlinkRequest[], stopOnError: boolean): Promise<Outcome[]> {
    const run = this.tail.then(() => this.transact(requests, stopOnError));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async transact(requests: NetlinkRequest[], stopOnError: boolean): Promise<Outcome[]> {
    if (this.fd < 0) throw new ClosedError('netlink socket');
    let datagrams: Buffer[][];
    try {
      datagrams = await native().netlinkTransact(
        this.fd,
        requests.map((r) => r.message.build()),
        stopOnError,
      );
    } catch (e) {
      throw fromNative(e, 'netlink');
    }
    const out = requests.map((r, i) => outcome(r, datagrams[i]));
    // with stopOnError the requests after the refused one were not sent: they have no outcome
    const failed = out.findIndex((o) => o instanceof NetlinkError);
    return stopOnError && failed >= 0 ? out.slice(0, failed + 1) : out;
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

/**
 * Runs requests on a one-shot socket in nsPath ("@fresh": a new, empty namespace that vanishes
 * afterwards). Unlike NetlinkSocket.batch, every request runs; each result is its replies or
 * the NetlinkError it failed with.
 * @throws SyscallError when the namespace cannot be entered.
 */
export async function transactIn(
  nsPath: string,
  requests: NetlinkRequest[],
  protocol = NETLINK_ROUTE,
): Promise<Outcome[]> {
  let datagrams: Buffer[][];
  try {
    datagrams = await native().netlinkTransactIn(
      nsPath,
      protocol,
      requests.map((r) => r.message.build()),
    );
  } catch (e) {
    throw fromNative(e, `netlink in ${nsPath || 'this namespace'}`);
  }
  return requests.map((r, i) => outcome(r, datagrams[i]));
}

/**
 * transactIn, synchronously (the JS thread waits for a native thread inside nsPath): for
 * clean-up at process exit. Every request must ask for an ack.
 * @throws SyscallError when the namespace cannot be entered.
 */
export function transactInSync(
  nsPath: string,
  requests: NetlinkRequest[],
  protocol = NETLINK_ROUTE,
): Outcome[] {
  let datagrams: Buffer[][];
  try {
    datagrams = native().netlinkTransactInSync(
      nsPath,
      protocol,
      requests.map((r) => r.message.build()),
    );
  } catch (e) {
    throw fromNative(e, `netlink in ${nsPath || 'this namespace'}`);
  }
  return requests.map((r, i) => outcome(r, datagrams[i]));
}

/**
 * Runs requests on `sock` when one is given and open, else on a one-shot socket in nsPath;
 * every request runs, each result is its replies or its NetlinkError.
 */
export async function transactOn(
  sock: NetlinkSocket | undefined,
  nsPath: string,
  requests: NetlinkRequest[],
): Promise<Outcome[]> {
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

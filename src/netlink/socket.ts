/**
 * A netlink socket bound to one network namespace. The socket is created on a native thread
 * that enters the namespace (DESIGN D7); requests run off the JS thread.
 */
import { native } from '../native.js';
import { NetlinkError, ClosedError, fromNative } from '../errors.js';
import { errnoName } from '../errno.js';
import { MessageBuilder, NLMSG, parseAck, parseMessages, type NetlinkMessage } from './message.js';

/** Netlink protocol families used by tsbcc. */
export const NETLINK_ROUTE = 0;

function collect(operation: string, datagrams: Buffer[], seq: number): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  for (const d of datagrams) {
    for (const m of parseMessages(d)) {
      if (m.seq !== seq) continue;
      if (m.type === NLMSG.ERROR) {
        const ack = parseAck(m);
        if (ack.errno !== 0) throw new NetlinkError(operation, ack.errno, errnoName(ack.errno), ack.extack);
      } else if (m.type !== NLMSG.DONE && m.type !== NLMSG.NOOP) {
        out.push(m);
      }
    }
  }
  return out;
}

/** One step of a batch: the message and a description used in errors. */
export interface NetlinkRequest {
  message: MessageBuilder;
  operation: string;
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
  batch(requests: NetlinkRequest[]): Promise<NetlinkMessage[][]> {
    const run = this.tail.then(() => this.transact(requests));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async transact(requests: NetlinkRequest[]): Promise<NetlinkMessage[][]> {
    if (this.fd < 0) throw new ClosedError('netlink socket');
    let datagrams: Buffer[][];
    try {
      datagrams = await native().netlinkTransact(
        this.fd,
        requests.map((r) => r.message.build()),
        true,
      );
    } catch (e) {
      throw fromNative(e, 'netlink');
    }
    return requests.map((r, i) => collect(r.operation, datagrams[i] ?? [], r.message.seq));
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
 */
export async function transactIn(
  nsPath: string,
  requests: NetlinkRequest[],
  protocol = NETLINK_ROUTE,
): Promise<(NetlinkMessage[] | NetlinkError)[]> {
  let datagrams: Buffer[][];
  try {
    datagrams = await native().netlinkTransactIn(
      nsPath,
      protocol,
      requests.map((r) => r.message.build()),
    );
  } catch (e) {
    throw fromNative(e, `netlink in ${nsPath}`);
  }
  return requests.map((r, i) => {
    try {
      return collect(r.operation, datagrams[i] ?? [], r.message.seq);
    } catch (e) {
      if (e instanceof NetlinkError) return e;
      throw e;
    }
  });
}

/**
 * The netlink plumbing tc needs: struct tcmsg, one socket per namespace, interface lookup in
 * that namespace, and a synchronous path for cleanup at exit.
 */
import { ClosedError, InvalidArgumentError, NetlinkError, fromNative } from '../errors.js';
import { errnoName } from '../errno.js';
import { native } from '../native.js';
import {
  MessageBuilder,
  NLM_F,
  NLMSG,
  attrMap,
  attrString,
  decoding,
  parseAck,
  parseMessages,
  type NetlinkMessage,
} from '../netlink/message.js';
import { NETLINK_ROUTE, NetlinkSocket, transactIn, type NetlinkRequest } from '../netlink/socket.js';
import { checkInterfaceName, netnsPath, type NetnsRef } from '../util/netns-path.js';
import { IFLA, RTM } from './constants.js';

export { readTcmsg, tcmsg, type TcMsg } from '../netlink/tc-qdisc.js';

/** A request flag set: create (failing if it exists), ack. */
export const CREATE_EXCL = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;
/** A request flag set: create or replace, ack. */
export const CREATE_REPLACE = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.REPLACE;
/** A request flag set: plain request with ack. */
export const REQUEST_ACK = NLM_F.REQUEST | NLM_F.ACK;
/** A dump request. */
export const DUMP = NLM_F.REQUEST | NLM_F.DUMP;

/** Where a tc object lives: a namespace and an interface in it. */
export interface TcTarget {
  /** The namespace as the caller named it (for messages); undefined = the caller's own. */
  readonly netns: NetnsRef;
  /** The nsfs path ("" = the caller's namespace). */
  readonly nsPath: string;
  /** The interface name. */
  readonly interface: string;
  /** Its index inside the namespace. */
  readonly ifindex: number;
}

/** "veth0 in namespace ns1" / "veth0" for messages. */
export function where(t: { interface: string; netns?: NetnsRef }): string {
  return t.netns ? `${t.interface} in namespace ${t.netns}` : t.interface;
}

/**
 * Opens a NETLINK_ROUTE socket in the namespace.
 * @throws InvalidArgumentError when the namespace name is malformed or cannot be entered.
 */
export async function openIn(netns: NetnsRef): Promise<NetlinkSocket> {
  const path = netnsPath(netns);
  try {
    return await NetlinkSocket.open(path);
  } catch (e) {
    const err = fromNative(e);
    throw new InvalidArgumentError(`cannot enter network namespace "${netns}": ${err.message}`);
  }
}

/**
 * The index of an interface inside the socket's namespace (RTM_GETLINK by name).
 * @throws InvalidArgumentError when the name is malformed or no such interface exists there.
 */
export async function interfaceIndex(sock: NetlinkSocket, name: string, netns: NetnsRef): Promise<number> {
  checkInterfaceName(name);
  const m = new MessageBuilder(RTM.GETLINK, REQUEST_ACK).raw(Buffer.alloc(16)).str(IFLA.IFNAME, name);
  try {
    const [reply] = await sock.request(m, `look up interface ${name}`);
    if (!reply) throw new InvalidArgumentError(`no interface "${name}" in ${nsLabel(netns)}`);
    return decoding('link message', () => reply.payload.readInt32LE(4));
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === 19) {
      throw new InvalidArgumentError(`no interface "${name}" in ${nsLabel(netns)}`);
    }
    throw e;
  }
}

/** The name of an interface by index (RTM_GETLINK), or undefined. */
export async function interfaceName(sock: NetlinkSocket, ifindex: number): Promise<string | undefined> {
  const hdr = Buffer.alloc(16);
  hdr.writeInt32LE(ifindex, 4);
  try {
    const [reply] = await sock.request(new MessageBuilder(RTM.GETLINK, REQUEST_ACK).raw(hdr), 'look up link');
    return reply ? attrString(attrMap(reply.payload.subarray(16)).get(IFLA.IFNAME)) : undefined;
  } catch {
    return undefined;
  }
}

/** "namespace X" or "this namespace". */
export function nsLabel(netns: NetnsRef): string {
  return netns ? `namespace ${netns}` : 'this namespace';
}

/**
 * Runs requests on a socket when one is given and open, else on a one-shot socket in nsPath.
 * Every request runs; each result is its replies or its NetlinkError.
 */
export async function runAll(
  sock: NetlinkSocket | undefined,
  nsPath: string,
  requests: NetlinkRequest[],
): Promise<(NetlinkMessage[] | NetlinkError)[]> {
  if (!sock) return transactIn(nsPath, requests);
  const out: (NetlinkMessage[] | NetlinkError)[] = [];
  for (const r of requests) {
    try {
      out.push(await sock.request(r.message, r.operation));
    } catch (e) {
      if (e instanceof ClosedError)
        return [...out, ...(await transactIn(nsPath, requests.slice(out.length)))];
      if (e instanceof NetlinkError) out.push(e);
      else throw e;
    }
  }
  return out;
}

/**
 * Runs requests synchronously in nsPath (for cleanup at exit). Each result is its replies or
 * its NetlinkError.
 * @throws SyscallError when the namespace cannot be entered.
 */
export function runAllSync(nsPath: string, requests: NetlinkRequest[]): (NetlinkMessage[] | NetlinkError)[] {
  let datagrams: Buffer[][];
  try {
    datagrams = native().netlinkTransactInSync(
      nsPath,
      NETLINK_ROUTE,
      requests.map((r) => r.message.build()),
    );
  } catch (e) {
    throw fromNative(e, `netlink in ${nsPath || 'this namespace'}`);
  }
  return requests.map((r, i) => {
    const out: NetlinkMessage[] = [];
    for (const d of datagrams[i] ?? []) {
      for (const m of parseMessages(d)) {
        if (m.seq !== r.message.seq) continue;
        if (m.type === NLMSG.ERROR) {
          const ack = parseAck(m);
          if (ack.errno !== 0)
            return new NetlinkError(r.operation, ack.errno, errnoName(ack.errno), ack.extack);
        } else if (m.type !== NLMSG.DONE) out.push(m);
      }
    }
    return out;
  });
}

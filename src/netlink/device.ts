/**
 * An interface in a namespace, as tc, XDP and the CLI address it: the namespace's socket, the
 * interface's index looked up there (which also validates it), and how both read in messages.
 */
import { ERRNO } from '../errno.js';
import { fromNative, InvalidArgumentError, NetlinkError, SyscallError } from '../errors.js';
import { checkInterfaceName, netnsPath, type NetnsRef } from '../util/netns-path.js';
import { getLinkRequest, parseLink } from './link.js';
import { NetlinkSocket } from './socket.js';

/** Where an object lives: a namespace and an interface in it. */
export interface DeviceTarget {
  /** The namespace as the caller named it (for messages); undefined = the caller's own. */
  readonly netns: NetnsRef;
  /** The nsfs path ("" = the caller's namespace). */
  readonly nsPath: string;
  /** The interface name. */
  readonly interface: string;
  /** Its index inside the namespace. */
  readonly ifindex: number;
}

/** "veth0 in namespace ns1" / "veth0", for messages. */
export function where(t: { interface: string; netns?: NetnsRef }): string {
  return t.netns ? `${t.interface} in namespace ${t.netns}` : t.interface;
}

/** "namespace X" or "this namespace". */
export function nsLabel(netns: NetnsRef): string {
  return netns ? `namespace ${netns}` : 'this namespace';
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
  const { message, operation } = getLinkRequest({ name }, `look up interface ${name}`);
  try {
    const [reply] = await sock.request(message, operation);
    if (!reply) throw new InvalidArgumentError(`no interface "${name}" in ${nsLabel(netns)}`);
    return parseLink(reply).index;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === ERRNO.ENODEV) {
      throw new InvalidArgumentError(`no interface "${name}" in ${nsLabel(netns)}`);
    }
    throw e;
  }
}

/** Whether an error says a namespace could not be entered because it is gone. */
export function namespaceGone(e: unknown): boolean {
  return e instanceof SyscallError && e.call === 'setns' && e.errno === ERRNO.ENOENT;
}

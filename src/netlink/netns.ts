/**
 * Named network namespaces (the `ip netns` convention: a bind mount under /run/netns/NAME), made
 * natively on a short-lived thread, with a netlink socket inside and sysctl access.
 */
import { closeSync, openSync } from 'node:fs';
import { native } from '../native.js';
import { fromNative, ClosedError, InvalidArgumentError } from '../errors.js';
import { NetlinkSocket } from './socket.js';

/** Where named namespaces live (iproute2's directory). */
export const NETNS_DIR = '/run/netns';

/** Validates a namespace name (a file name under /run/netns). */
export function checkNamespaceName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(name) || name === '.' || name === '..') {
    throw new InvalidArgumentError(`invalid namespace name "${name}": letters, digits, '_', '.', '-' only`);
  }
}

/**
 * A named network namespace this process created, with an open netlink socket inside it.
 * Requires CAP_SYS_ADMIN. Close with {@link NamedNamespace.delete} (removes the name; the
 * namespace ends when nothing else holds it) or {@link NamedNamespace.close} (keeps it).
 */
export class NamedNamespace {
  private nsFd = -1;

  private constructor(
    /** The name under /run/netns (what `ip netns exec NAME` takes). */
    readonly name: string,
    /** The bind-mount path. */
    readonly path: string,
    private sock: NetlinkSocket | undefined,
  ) {}

  /**
   * Creates /run/netns/NAME bound to a new, empty network namespace.
   * @throws SyscallError (EEXIST when the name is taken); nothing is left behind on failure.
   */
  static async create(name: string, dir = NETNS_DIR): Promise<NamedNamespace> {
    checkNamespaceName(name);
    let fd: number;
    try {
      fd = await native().netnsCreate(dir, name, true);
    } catch (e) {
      throw fromNative(e, `network namespace ${name}`);
    }
    const path = `${dir}/${name}`;
    return new NamedNamespace(name, path, NetlinkSocket.fromFd(fd, path));
  }

  /** Opens an existing named namespace (its socket is made on first use). */
  static attach(name: string, dir = NETNS_DIR): NamedNamespace {
    checkNamespaceName(name);
    return new NamedNamespace(name, `${dir}/${name}`, undefined);
  }

  /**
   * The netlink socket inside the namespace (opened on first use).
   * @throws ClosedError after close()/delete().
   */
  async socket(): Promise<NetlinkSocket> {
    if (this.closed) throw new ClosedError(`namespace ${this.name}`);
    this.sock ??= await NetlinkSocket.open(this.path);
    return this.sock;
  }

  /** An open fd of the namespace (for IFLA_NET_NS_FD); owned by this object. */
  fd(): number {
    if (this.closed) throw new ClosedError(`namespace ${this.name}`);
    if (this.nsFd < 0) this.nsFd = openSync(this.path, 'r');
    return this.nsFd;
  }

  /**
   * Writes sysctls inside the namespace, e.g. `{ 'net.ipv4.ip_forward': '1' }`.
   * @throws SyscallError naming the key that failed.
   */
  async sysctl(values: Record<string, string>): Promise<void> {
    const entries = Object.entries(values).map(([k, v]): [string, string] => [k.replaceAll('.', '/'), v]);
    try {
      await native().netnsSysctl(this.path, entries);
    } catch (e) {
      throw fromNative(e, `sysctl in namespace ${this.name}`);
    }
  }

  private closed = false;

  /** Closes the socket and fd this object holds; the namespace stays. Idempotent. */
  close(): void {
    this.sock?.close();
    this.sock = undefined;
    if (this.nsFd >= 0) closeSync(this.nsFd);
    this.nsFd = -1;
    this.closed = true;
  }

  /** Closes, then removes the name (and with it the namespace, once unused). Idempotent. */
  delete(): void {
    this.close();
    deleteNamespace(this.name, this.path);
  }

  [Symbol.dispose](): void {
    this.delete();
  }
}

/**
 * Removes a named namespace by name or path (lazy unmount + unlink); a missing one is fine.
 * @throws SyscallError when it cannot be unmounted.
 */
export function deleteNamespace(name: string, path = `${NETNS_DIR}/${name}`): void {
  try {
    native().netnsDelete(path);
  } catch (e) {
    throw fromNative(e, `delete namespace ${name}`);
  }
}

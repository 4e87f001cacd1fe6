/**
 * Named network namespaces (the `ip netns` convention: a bind mount under /run/netns/NAME), made
 * natively on a short-lived thread, with a netlink socket inside and sysctl access.
 */
import { closeSync, openSync } from 'node:fs';
import { native } from '../native.js';
import { errnoName } from '../errno.js';
import { fromNative, ClosedError, InvalidArgumentError, SyscallError } from '../errors.js';
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

  /**
   * Creates several named namespaces, in order, in one native call on one thread (no thread hop
   * per namespace), each with its netlink socket and nsfs fd already open. The first failure
   * stops the rest: `created` holds the ones made before it (the caller owns them), `error` the
   * failure (that one left nothing behind).
   * @throws SyscallError when dir cannot be made a shared mount (nothing made).
   */
  static async createMany(
    names: readonly string[],
    dir = NETNS_DIR,
  ): Promise<{ created: NamedNamespace[]; error?: SyscallError }> {
    names.forEach(checkNamespaceName);
    let r: Awaited<ReturnType<ReturnType<typeof native>['netnsCreateMany']>>;
    try {
      r = await native().netnsCreateMany(dir, [...names]);
    } catch (e) {
      throw fromNative(e, `network namespaces in ${dir}`);
    }
    const created: NamedNamespace[] = [];
    for (let i = 0; 2 * i < r.fds.length; i++) {
      const name = names[i] as string;
      const path = `${dir}/${name}`;
      const ns = new NamedNamespace(name, path, NetlinkSocket.fromFd(r.fds[2 * i] as number, path));
      ns.nsFd = r.fds[2 * i + 1] as number;
      created.push(ns);
    }
    if (r.error === undefined) return { created };
    const errno = r.errno ?? 0;
    const failed = names[created.length] ?? '';
    return {
      created,
      error: new SyscallError(r.error, errno, errnoName(errno), `network namespace ${failed}`),
    };
  }

  /**
   * Deletes several namespaces at once (closed first; their unmounts run on parallel native
   * threads, which share the kernel's RCU grace periods: ~8x faster than one by one).
   * Synchronous, usable at exit. Returns the failures by namespace; the others are gone.
   */
  static deleteMany(namespaces: readonly NamedNamespace[]): Map<NamedNamespace, SyscallError> {
    const open = namespaces.filter((ns) => !ns.deleted);
    for (const ns of open) {
      ns.close();
      ns.deleted = true;
    }
    const failures = new Map<NamedNamespace, SyscallError>();
    if (open.length === 0) return failures;
    for (const [i, call, errno] of native().netnsDeleteMany(open.map((ns) => ns.path))) {
      const ns = open[i] as NamedNamespace;
      failures.set(ns, new SyscallError(call, errno, errnoName(errno), `delete namespace ${ns.name}`));
    }
    return failures;
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
  private deleted = false;

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
    if (this.deleted) return;
    deleteNamespace(this.name, this.path);
    this.deleted = true;
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

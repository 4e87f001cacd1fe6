/**
 * TcDevice: one interface in one namespace, the entry point for qdiscs, classes and BPF
 * filters. It holds a netlink socket made inside the namespace; the Links it returns remove
 * what they made when closed (also after the device itself is closed).
 */
import type { Program } from '../core/program.js';
import { InvalidArgumentError } from '../errors.js';
import { interfaceIndex, openIn, where, type DeviceTarget } from '../netlink/device.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { checkInterfaceName, netnsPath, type NetnsRef } from '../util/netns-path.js';
import { listFilters, type FilterInfo } from './filter-list.js';
import { parentHandle, TcFilterLink, type BpfFilterOptions, type FilterParent } from './filter.js';
import { HtbClassLink, type HtbClassSpec } from './htb.js';
import { IfbLink, type IfbOptions } from './ifb.js';
import { listQdiscs, QdiscLink, type QdiscInfo, type QdiscOptions, type QdiscSpec } from './qdisc.js';

/** Which interface, in which namespace. */
export interface TcDeviceOptions {
  /**
   * Interface name: validated as the kernel does (1-15 bytes, no '/', ':', whitespace or NUL)
   * before any socket is opened, and must exist.
   */
  interface: string;
  /** Namespace name (`ip netns` name) or nsfs path; the caller's namespace when omitted. */
  netns?: NetnsRef;
  /**
   * Where this device's netlink requests run (Links made from the device use it while it is
   * open). true: on the JS thread: no thread hop per request (on a loaded machine the hop costs
   * more than the kernel's work: see bench/tc), but the JS thread waits for the kernel, which
   * can take long while another process holds the kernel's rtnl lock (e.g. while namespaces are
   * being torn down). false: always on a thread-pool thread (the JS thread never waits).
   * 'auto' (default): on the JS thread, except dumps, and except for a second after a request
   * that took longer than 50 ms (rtnl held elsewhere): so the JS thread waits for a contended
   * rtnl at most once a second.
   */
  blockingNetlink?: boolean | 'auto';
}

/** An interface to attach tc objects to. Close it when done (Links stay valid). */
export class TcDevice implements DeviceTarget {
  /** The interface name. */
  readonly interface: string;

  private constructor(
    private readonly sock: NetlinkSocket,
    readonly netns: NetnsRef,
    readonly nsPath: string,
    name: string,
    readonly ifindex: number,
  ) {
    this.interface = name;
  }

  /**
   * Opens the interface: a netlink socket inside the namespace and the interface's index.
   * Kernel: CONFIG_NET_SCHED for anything useful.
   * @throws InvalidArgumentError for a malformed name, an unknown interface or namespace.
   */
  static async open(opts: TcDeviceOptions): Promise<TcDevice> {
    checkInterfaceName(opts.interface);
    const blocking = opts.blockingNetlink ?? 'auto';
    if (blocking !== true && blocking !== false && blocking !== 'auto') {
      throw new InvalidArgumentError(
        `blockingNetlink must be true, false or 'auto', got ${JSON.stringify(blocking)}`,
      );
    }
    const path = netnsPath(opts.netns);
    const sock = await openIn(opts.netns);
    sock.blocking = blocking;
    try {
      const ifindex = await interfaceIndex(sock, opts.interface, opts.netns);
      return new TcDevice(sock, opts.netns, path, opts.interface, ifindex);
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  get description(): string {
    return where(this);
  }

  /** Adds a qdisc; see {@link QdiscLink.create}. The Link deletes it. */
  addQdisc(spec: QdiscSpec, opts?: QdiscOptions): Promise<QdiscLink> {
    return QdiscLink.create(this.sock, this, spec, opts);
  }

  /** Adds an htb class; see {@link HtbClassLink.create}. The Link deletes it. */
  addClass(spec: HtbClassSpec): Promise<HtbClassLink> {
    return HtbClassLink.create(this.sock, this, spec);
  }

  /**
   * Attaches a SCHED_CLS program as a cls_bpf filter; see {@link TcFilterLink.create}.
   * The Link removes exactly that filter (and the clsact it added, once empty).
   */
  attachBpf(program: Program, opts: BpfFilterOptions = {}): Promise<TcFilterLink> {
    return TcFilterLink.create(this.sock, this, program, opts, (name) => this.indexOf(name));
  }

  /** Makes an ifb device in this interface's namespace. The Link deletes it. */
  addIfb(opts: Omit<IfbOptions, 'netns'>): Promise<IfbLink> {
    return IfbLink.create(this.sock, { ...opts, netns: this.netns });
  }

  /**
   * The filters on a parent (default: every parent — the ingress and egress hooks, each qdisc
   * and each class), with program ids and names.
   */
  filters(parent?: FilterParent): Promise<FilterInfo[]> {
    return listFilters(this.sock, this, parent === undefined ? undefined : [parentHandle(parent)]);
  }

  /** The qdiscs of the interface. */
  qdiscs(): Promise<QdiscInfo[]> {
    return listQdiscs(this.sock, this);
  }

  /** The index of another interface in the same namespace. @throws InvalidArgumentError. */
  indexOf(name: string): Promise<number> {
    return interfaceIndex(this.sock, name, this.netns);
  }

  /** Closes the netlink socket; idempotent. Links made from it keep working. */
  close(): void {
    this.sock.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

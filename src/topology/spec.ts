/**
 * The plain-data description of a testbed (what YAML files and the {@link Topology} builder
 * produce). Pure types: nothing here touches the kernel.
 */
import type { ActionKindSpec } from '../netlink/tc/registry.js';
import type { HandleInput } from '../netlink/tc/units.js';
import type { TcVerdictName } from '../netlink/tc/verdict.js';

/** A network namespace standing for one machine. */
export interface HostSpec {
  /** IPv4/IPv6 forwarding (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding). */
  forwarding?: boolean;
  /** false sets net.ipv6.conf.{all,default}.disable_ipv6 = 1. */
  ipv6?: boolean;
  /** Extra sysctls, e.g. `{ 'net.ipv4.conf.all.rp_filter': '0' }`. */
  sysctls?: Record<string, string | number | boolean>;
  /** Routes inside the host. */
  routes?: RouteDef[];
  /** vxlan devices inside the host. */
  vxlans?: VxlanDef[];
  /** ifb devices inside the host (names). */
  ifbs?: string[];
}

/** A route inside a host. */
export interface RouteDef {
  /** `default` (IPv4), `default6`, or a prefix such as 10.2.0.0/16 or 224.0.0.0/4. */
  dst: string;
  /** Gateway address. */
  via?: string;
  /** Output device name in the host. */
  dev?: string;
  metric?: number;
}

/** A vxlan device inside a host. */
export interface VxlanDef {
  name: string;
  /** VXLAN network identifier, 0-16777215. */
  vni: number;
  /** Unicast remote VTEP address. */
  remote?: string;
  /** Multicast group (needs `device`, and usually a route for the group). */
  group?: string;
  /** Local source address. */
  local?: string;
  /** Underlay device name in the same host. */
  device?: string;
  /** UDP port (default 4789). */
  port?: number;
  /** Learn remote MACs (default: kernel default, on). */
  learning?: boolean;
  /** Flow-based mode (collect_metadata): tunnel keys come from BPF/tc. */
  external?: boolean;
  addresses?: string[];
  mac?: string;
  mtu?: number;
  /** A bridge in the same host to enslave the device to. */
  master?: string;
}

/** A bridge: in the testbed's fabric namespace (default), in a host, or in the root namespace. */
export interface BridgeSpec {
  /** Place the bridge in this host's namespace instead of the fabric. */
  host?: string;
  /** Place the bridge in the root namespace (explicit opt-in; its name carries the run prefix). */
  root?: boolean;
  stp?: boolean;
  addresses?: string[];
  mac?: string;
  mtu?: number;
}

/** One end of a link: a host interface or a port of a bridge. */
export interface LinkEnd {
  /** The host the interface is in (one of host/bridge). */
  host?: string;
  /** The bridge the interface is a port of (one of host/bridge). */
  bridge?: string;
  /** Interface name (default: ethN in hosts, derived from the peer for bridge ports). */
  ifname?: string;
  addresses?: string[];
  mac?: string;
  mtu?: number;
}

/** Rate limiting and impairments applied to both directions of a link. */
export interface ShapingSpec {
  /** Rate, e.g. `10mbit`, `1gbit`, `500kbit`, or bits per second as a number. */
  rate?: string | number;
  /** Which qdisc enforces the rate (default tbf). */
  qdisc?: 'tbf' | 'htb';
  /** Bucket size, e.g. `32kb` (default: what the rate needs for ~4 ms, at least 16 kB). */
  burst?: string | number;
  /** One-way delay, e.g. `10ms` (needs netem). */
  delay?: string;
  /** Loss, e.g. `1%` (needs netem). */
  loss?: string;
}

/** A veth link between two ends. */
export interface LinkSpec {
  a: LinkEnd;
  b: LinkEnd;
  mtu?: number;
  shaping?: ShapingSpec;
}

/** A tc verdict by name (shared with src/tc). */
export type { TcVerdictName };

/**
 * An action on a topology's tc filter: an action kind of the tc object model (mirred, police,
 * gact, ...) that needs no loaded program (a testbed description cannot hold one).
 */
export type TcProgramAction = Exclude<ActionKindSpec, { fd: number }>;

/**
 * How a topology's program is attached: the plain-data fields of src/tc's `BpfFilterOptions`
 * (`keep` is the attacher's choice). The attachers pass the resolved form on unchanged, so the
 * compiler holds the two shapes together.
 */
export interface TcProgramOptions {
  /**
   * Where the filter hangs: the program's `direction` hook by default. `ingress`/`egress` must
   * agree with `direction`; a qdisc or class handle (e.g. `1:` of a link shaped with htb) is an
   * egress parent.
   */
  parent?: 'ingress' | 'egress' | HandleInput;
  /**
   * Direct action: the return value is the verdict. false: classid mode (0 = no match, -1 = the
   * filter's classid, else the class), and the actions run on a match. Default: direct action
   * unless a classid or actions are given; must agree with `mode` when both are given.
   */
  directAction?: boolean;
  /** The class a match goes to in classid mode (e.g. `1:10`); must agree with `mode.classid`. */
  classid?: HandleInput;
  /** Filter name shown by tc (stored as `tsbcc:NAME`); default the function name. */
  name?: string;
  /** 1-65535; the kernel picks one when omitted. */
  priority?: number;
  /** Filter handle 1-0xffffffff; the kernel picks one when omitted. */
  handle?: number;
  /** Filter chain (default 0). */
  chain?: number;
  /** Ethernet protocol matched: all (default), ip, ipv6, or a number. */
  protocol?: 'all' | 'ip' | 'ipv6' | number;
  /** Actions run on a match (classid mode only). */
  actions?: TcProgramAction[];
  /** Replace a filter with the same priority and handle instead of failing. */
  replace?: boolean;
}

/** A tc BPF program to attach to an interface once the testbed is up. */
export interface TcProgramSpec {
  host: string;
  dev: string;
  direction: 'ingress' | 'egress';
  /** The BCC-C source file. */
  file: string;
  /** The function to load. */
  function: string;
  /**
   * Shorthand: direct action, or classid mode with that classid (`{ classid: "1:10" }`). When
   * omitted, `options` decide (direct action by default).
   */
  mode?: 'direct-action' | { classid: string };
  /** The filter's options (validated with paths like `programs[0].options.actions[1].to`). */
  options?: TcProgramOptions;
}

/** A whole testbed. */
export interface TopologySpec {
  /** Testbed name (part of every namespace name). */
  name?: string;
  hosts: Record<string, HostSpec>;
  bridges?: Record<string, BridgeSpec>;
  links?: LinkSpec[];
  programs?: TcProgramSpec[];
}

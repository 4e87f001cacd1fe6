/**
 * A validated topology resolved into concrete kernel objects: namespace names, interface names
 * and ifindexes, masters, addresses, routes and shaping. Pure data, produced by
 * {@link resolveTopology}; a {@link Network} executes it.
 */
import type { HandleInput } from '../netlink/tc/units.js';
import type { TcProgramAction, TcProgramOptions } from './spec.js';

/** Key of the fabric namespace in a plan (hosts use their own names). */
export const FABRIC = '@fabric';
/** Key of the root namespace in a plan. */
export const ROOT = '@root';

/** A namespace the testbed creates (or the root namespace). */
export interface PlanNamespace {
  /** Host name, FABRIC or ROOT. */
  key: string;
  /** The name under /run/netns ('' for the root namespace). */
  name: string;
  /** Sysctls to write (dotted keys). */
  sysctls: [string, string][];
}

/** An interface in one namespace. */
export interface PlanIface {
  /** Namespace key. */
  ns: string;
  name: string;
  /** ifindex to request (0 in the root namespace: the kernel picks). */
  index: number;
  addresses: string[];
  mac?: string;
  mtu?: number;
  /** Name of the bridge (same namespace) to enslave to. */
  master?: string;
  /** Where this came from in the spec (for errors). */
  path: string;
}

/** Resolved shaping of a link. */
export interface PlanShaping {
  qdisc: 'tbf' | 'htb';
  /** Bits per second (undefined: no rate limit). */
  rate?: number;
  /** Bucket bytes. */
  burst: number;
  /** Microseconds (needs netem). */
  delayUs?: number;
  /** Fraction 0..1 (needs netem). */
  loss?: number;
}

/** A veth pair. */
export interface PlanVeth {
  a: PlanIface;
  b: PlanIface;
  shaping?: PlanShaping;
  path: string;
}

/** A bridge. */
export interface PlanBridge extends PlanIface {
  /** The spec's bridge name. */
  key: string;
  stp: boolean;
}

/** A vxlan device. */
export interface PlanVxlan extends PlanIface {
  vni: number;
  remote?: string;
  group?: string;
  local?: string;
  /** Underlay device name in the same namespace. */
  device?: string;
  port: number;
  learning?: boolean;
  external: boolean;
}

/** A route. */
export interface PlanRoute {
  ns: string;
  dst: string;
  via?: string;
  dev?: string;
  metric?: number;
  path: string;
}

/**
 * A topology program's filter options, resolved: `parent`, `directAction`, `name` and `actions`
 * always set (from `direction`, `mode` and the defaults). Assignable to src/tc's
 * `BpfFilterOptions` as it is.
 */
export interface PlanTcFilter extends TcProgramOptions {
  parent: 'ingress' | 'egress' | HandleInput;
  directAction: boolean;
  name: string;
  actions: TcProgramAction[];
}

/** A tc program attachment, passed to the Network's program attacher. */
export interface PlanProgram {
  ns: string;
  dev: string;
  direction: 'ingress' | 'egress';
  file: string;
  function: string;
  /** How to attach it (pass to `TcDevice.attachBpf`, adding `keep` if wanted). */
  filter: PlanTcFilter;
  path: string;
}

/** Everything a Network creates, in creation order per kind. */
export interface Plan {
  /** The per-run prefix every name carries. */
  prefix: string;
  /** Namespaces to create (hosts, then the fabric when used); the root namespace is not listed. */
  namespaces: PlanNamespace[];
  bridges: PlanBridge[];
  veths: PlanVeth[];
  vxlans: PlanVxlan[];
  ifbs: PlanIface[];
  routes: PlanRoute[];
  programs: PlanProgram[];
  /** Interface names in the root namespace this plan creates (all carry the run prefix). */
  rootIfaces: string[];
}

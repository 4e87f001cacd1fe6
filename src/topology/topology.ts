/**
 * The Topology builder: a pure graph of hosts, bridges, links, vxlan and ifb devices, routes,
 * shaping and tc programs, validated without root (DESIGN D8). Realise it with
 * {@link Network.up}.
 */
import { randomBytes } from 'node:crypto';
import type { Plan } from './plan.js';
import { resolveTopology, TopologyValidationError, type Problem } from './resolve.js';
import type {
  BridgeSpec,
  HostSpec,
  LinkEnd,
  LinkSpec,
  TcProgramSpec,
  RouteDef,
  ShapingSpec,
  TopologySpec,
  VxlanDef,
} from './spec.js';

/** A link end given as `h1`, `h1:eth0`, or a full {@link LinkEnd}. */
export type EndRef = string | LinkEnd;

/** Turns `h1` / `h1:eth0` into a host end; objects pass through. */
export function endOf(ref: EndRef): LinkEnd {
  if (typeof ref !== 'string') return ref;
  const colon = ref.indexOf(':');
  return colon < 0 ? { host: ref } : { host: ref.slice(0, colon), ifname: ref.slice(colon + 1) };
}

/** A fresh per-run prefix: `<name>-<6 hex>` (name defaults to `tb`). */
export function runPrefix(name = 'tb'): string {
  return `${name}-${randomBytes(3).toString('hex')}`;
}

/**
 * A testbed description. Methods add elements and return this; nothing touches the kernel.
 * {@link Topology.validate} lists problems, {@link Topology.plan} resolves or throws.
 */
export class Topology {
  readonly spec: TopologySpec;

  /** @param name the testbed name, part of every namespace name (default `tb`). */
  constructor(name?: string | TopologySpec) {
    if (typeof name === 'object') this.spec = structuredClone(name);
    else this.spec = name === undefined ? { hosts: {} } : { name, hosts: {} };
  }

  /** A topology from a plain spec (e.g. parsed YAML). */
  static fromSpec(spec: TopologySpec): Topology {
    return new Topology(spec);
  }

  /** Adds a host (a namespace of its own). */
  host(name: string, opts: HostSpec = {}): this {
    this.spec.hosts[name] = { ...this.spec.hosts[name], ...opts };
    return this;
  }

  /** Adds several hosts with default settings. */
  hosts(...names: string[]): this {
    for (const n of names) this.host(n);
    return this;
  }

  /** Adds a bridge (in the fabric namespace unless opts.host or opts.root). */
  bridge(name: string, opts: BridgeSpec = {}): this {
    (this.spec.bridges ??= {})[name] = opts;
    return this;
  }

  /** Adds a veth link between two ends; `a`/`b` may be `h1`, `h1:eth0` or a LinkEnd. */
  link(a: EndRef, b: EndRef, opts: { mtu?: number; shaping?: ShapingSpec } = {}): this {
    const l: LinkSpec = { a: endOf(a), b: endOf(b) };
    if (opts.mtu !== undefined) l.mtu = opts.mtu;
    if (opts.shaping) l.shaping = opts.shaping;
    (this.spec.links ??= []).push(l);
    return this;
  }

  /** Adds a vxlan device to a host. */
  vxlan(host: string, def: VxlanDef): this {
    ((this.spec.hosts[host] ??= {}).vxlans ??= []).push(def);
    return this;
  }

  /** Adds an ifb device to a host. */
  ifb(host: string, name: string): this {
    ((this.spec.hosts[host] ??= {}).ifbs ??= []).push(name);
    return this;
  }

  /** Adds a route to a host. */
  route(host: string, r: RouteDef): this {
    ((this.spec.hosts[host] ??= {}).routes ??= []).push(r);
    return this;
  }

  /** Adds a tc program to attach once the testbed is up. */
  program(p: TcProgramSpec): this {
    (this.spec.programs ??= []).push(p);
    return this;
  }

  /** Every problem of the description (empty when valid). Pure. */
  validate(): Problem[] {
    return resolveTopology(this.spec, 'x').problems;
  }

  /**
   * Resolves the description for a run prefix.
   * @throws TopologyValidationError listing every problem, with paths.
   */
  plan(prefix = runPrefix(this.spec.name), rootPrefix = `x${randomBytes(2).toString('hex')}`): Plan {
    const { problems, plan } = resolveTopology(this.spec, prefix, rootPrefix);
    if (!plan) throw new TopologyValidationError(problems);
    return plan;
  }
}

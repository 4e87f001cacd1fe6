/**
 * Resolution of a {@link TopologySpec} into a {@link Plan} (pure, no root), one stage per part
 * of the spec (hosts, bridges, ifbs, links, vxlans, routes, programs): each stage turns its part
 * into plan entries, checking values through {@link SpecChecks} (spec-checks.ts: names, CIDRs,
 * MACs, MTUs, duplicates), and the checks across the spec (named devices, gateways) run once
 * every interface is known. ifindexes are chosen afterwards, in one place (ifindex.ts). Every
 * problem carries the spec path it is about.
 */
import { isIp, isMulticast, parseCidr, parseIp, type IpAddress } from '../netlink/ip.js';
import { resolveShaping, type Problem } from './checks.js';
import { assignIndexes } from './ifindex.js';
import { FABRIC, ROOT, type Plan, type PlanIface, type PlanNamespace } from './plan.js';
import { resolveProgramFilter } from './program-options.js';
import type { LinkEnd, TopologySpec } from './spec.js';
import { SpecChecks } from './spec-checks.js';

/** Ports a Linux bridge can hold: port numbers are 10 bits and 0 is reserved (BR_MAX_PORTS - 1). */
const BRIDGE_MAX_PORTS = 1023;

export { TopologyValidationError, type Problem } from './checks.js';

export { FIRST_INDEX } from './ifindex.js';

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** Length of the prefix of root-namespace interface names (`x` + 4 hex). */
export const ROOT_PREFIX_LEN = 5;

/** What the stages share: the spec, the checks, the plan being built, and the names so far. */
interface Resolution {
  spec: TopologySpec;
  prefix: string;
  rootPrefix: string;
  checks: SpecChecks;
  add: (path: string, message: string) => void;
  plan: Plan;
  hostNames: string[];
  hosts: NonNullable<TopologySpec['hosts']>;
  nsByKey: Map<string, PlanNamespace>;
  /** Bridge name to the namespace key it lives in. */
  bridgeNs: Map<string, string>;
  fabricUsed: boolean;
}

/**
 * Validates a spec and resolves it for a run prefix (`prefix` names namespaces; `rootPrefix`,
 * `x` + 4 hex, prefixes root-namespace interfaces). Pure.
 * @returns the problems found, and the plan when there are none.
 */
export function resolveTopology(
  spec: TopologySpec,
  prefix: string,
  rootPrefix = 'x0000',
): { problems: Problem[]; plan?: Plan } {
  const checks = new SpecChecks();
  const r: Resolution = {
    spec,
    prefix,
    rootPrefix,
    checks,
    add: checks.add,
    plan: {
      prefix,
      namespaces: [],
      bridges: [],
      veths: [],
      vxlans: [],
      ifbs: [],
      routes: [],
      programs: [],
      rootIfaces: [],
    },
    hostNames: [],
    hosts: {},
    nsByKey: new Map(),
    bridgeNs: new Map(),
    fabricUsed: false,
  };
  checkNames(r);
  resolveHosts(r);
  resolveBridges(r);
  resolveIfbs(r);
  resolveLinks(r);
  resolveVxlans(r);
  resolveRoutes(r);
  resolvePrograms(r);
  checks.checkReferences(r.plan);
  if (r.fabricUsed) r.plan.namespaces.push({ key: FABRIC, name: `${prefix}-fabric`, sysctls: [] });
  if (checks.problems.length > 0) return { problems: checks.problems };
  assignIndexes(r.plan);
  return { problems: checks.problems, plan: r.plan };
}

function checkNames({ add, prefix, spec }: Resolution): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(prefix)) add('prefix', `invalid run prefix "${prefix}"`);
  // the name starts every run prefix (`NAME-<6 hex>`), so it must leave room for the suffix
  if (
    spec.name !== undefined &&
    (typeof spec.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,56}$/.test(spec.name))
  )
    add('name', `invalid testbed name "${String(spec.name)}" (letters, digits, '_', '.', '-', at most 57)`);
}

function resolveHosts(r: Resolution): void {
  const { add } = r;
  const hosts = r.spec.hosts ?? {};
  if (typeof hosts !== 'object' || Array.isArray(hosts))
    add('hosts', 'hosts must be a mapping of name to host');
  r.hosts = hosts;
  r.hostNames = Object.keys(hosts);
  for (const h of r.hostNames) {
    const path = `hosts.${h}`;
    if (!HOST_NAME.test(h)) {
      add(path, `invalid host name "${h}" (letters, digits, '_' and '-', at most 32, starting alphanumeric)`);
    }
    const hs = hosts[h] ?? {};
    const sysctls: [string, string][] = [];
    if (hs.ipv6 === false) {
      sysctls.push(['net.ipv6.conf.all.disable_ipv6', '1'], ['net.ipv6.conf.default.disable_ipv6', '1']);
    }
    if (hs.forwarding) sysctls.push(['net.ipv4.ip_forward', '1'], ['net.ipv6.conf.all.forwarding', '1']);
    for (const [k, v] of Object.entries(hs.sysctls ?? {})) {
      if (!/^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/.test(k))
        add(`${path}.sysctls.${k}`, `invalid sysctl name "${k}"`);
      else sysctls.push([k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v)]);
    }
    const pns: PlanNamespace = { key: h, name: `${r.prefix}-${h}`, sysctls };
    r.nsByKey.set(h, pns);
    r.plan.namespaces.push(pns);
  }
}

function resolveBridges(r: Resolution): void {
  const { add, checks, plan } = r;
  for (const [b, bs] of Object.entries(r.spec.bridges ?? {})) {
    const path = `bridges.${b}`;
    let key = FABRIC;
    if (bs.host !== undefined && bs.root)
      add(path, 'a bridge is either in a host or in the root namespace, not both');
    if (bs.host !== undefined) {
      if (!r.nsByKey.has(bs.host)) add(`${path}.host`, `unknown host "${bs.host}"`);
      key = bs.host;
    } else if (bs.root) key = ROOT;
    else r.fabricUsed = true;
    const name = key === ROOT ? `${r.rootPrefix}${b}` : b;
    const iface: PlanIface = {
      ns: key,
      name,
      index: 0,
      addresses: checks.addressList(bs.addresses, `${path}.addresses`),
      path,
    };
    const mac = checks.mac(bs.mac, `${path}.mac`);
    if (mac) iface.mac = mac;
    const mtu = checks.mtu(bs.mtu, `${path}.mtu`);
    if (mtu) iface.mtu = mtu;
    if (checks.claim(key, name, path, iface)) {
      r.bridgeNs.set(b, key);
      plan.bridges.push({ ...iface, key: b, stp: bs.stp ?? false });
      if (key === ROOT) plan.rootIfaces.push(name);
    }
  }
}

function resolveIfbs(r: Resolution): void {
  for (const h of r.hostNames) {
    (r.hosts[h]?.ifbs ?? []).forEach((name, i) => {
      const path = `hosts.${h}.ifbs[${i}]`;
      const iface: PlanIface = { ns: h, name, index: 0, addresses: [], path };
      if (r.checks.claim(h, name, path, iface)) r.plan.ifbs.push(iface);
    });
  }
}

function resolveLinks(r: Resolution): void {
  const { add, checks, plan, rootPrefix } = r;
  const bridgePorts = new Map<string, number>();
  const ethCount = new Map<string, number>();
  (r.spec.links ?? []).forEach((l, i) => {
    const path = `links[${i}]`;
    const ends: (PlanIface | undefined)[] = [];
    const endSpecs: [LinkEnd | undefined, 'a' | 'b'][] = [
      [l?.a, 'a'],
      [l?.b, 'b'],
    ];
    // default names need the other end's identity, so resolve keys first
    const keys = endSpecs.map(([e, side]) => {
      const p = `${path}.${side}`;
      if (!e || typeof e !== 'object') {
        add(p, 'missing link end (give host or bridge)');
        return undefined;
      }
      if ((e.host === undefined) === (e.bridge === undefined)) {
        add(p, 'a link end names exactly one of host or bridge');
        return undefined;
      }
      if (e.host !== undefined) {
        if (!r.nsByKey.has(e.host)) {
          add(`${p}`, `unknown host "${e.host}"`);
          return undefined;
        }
        return { nsKey: e.host, bridge: undefined };
      }
      const bk = r.bridgeNs.get(e.bridge ?? '');
      if (bk === undefined) {
        add(`${p}`, `unknown bridge "${e.bridge}"`);
        return undefined;
      }
      const ports = (bridgePorts.get(e.bridge ?? '') ?? 0) + 1;
      bridgePorts.set(e.bridge ?? '', ports);
      if (ports === BRIDGE_MAX_PORTS + 1)
        add(
          `${p}`,
          `bridge "${e.bridge}" would get its ${ports}th port here; a Linux bridge holds at most ${BRIDGE_MAX_PORTS} (use more bridges)`,
        );
      if (e.addresses?.length)
        add(`${p}.addresses`, 'a bridge port takes no addresses (put them on the bridge)');
      return { nsKey: bk, bridge: e.bridge };
    });
    endSpecs.forEach(([e, side], j) => {
      const k = keys[j];
      if (!e || !k) return;
      const p = `${path}.${side}`;
      let name = e.ifname;
      if (name === undefined) {
        if (k.bridge === undefined) {
          let n = ethCount.get(k.nsKey) ?? 0;
          while (checks.has(k.nsKey, `eth${n}`)) n++;
          name = `eth${n}`;
          ethCount.set(k.nsKey, n + 1);
        } else {
          const other = endSpecs[1 - j]?.[0];
          const guess = other?.host !== undefined ? `${other.host}-${other.ifname ?? 'eth'}` : `p${i}${side}`;
          name = Buffer.byteLength(guess) <= 15 && !checks.has(k.nsKey, guess) ? guess : `p${i}${side}`;
          if (k.nsKey === ROOT) name = `${rootPrefix}p${i}${side}`;
        }
      } else if (k.nsKey === ROOT) {
        name = `${rootPrefix}${name}`;
      }
      const iface: PlanIface = {
        ns: k.nsKey,
        name,
        index: 0,
        addresses: checks.addressList(e.addresses, `${p}.addresses`),
        path: p,
      };
      if (k.bridge !== undefined) iface.master = k.nsKey === ROOT ? `${rootPrefix}${k.bridge}` : k.bridge;
      const mac = checks.mac(e.mac, `${p}.mac`);
      if (mac) iface.mac = mac;
      const mtu = checks.mtu(e.mtu ?? l.mtu, e.mtu !== undefined ? `${p}.mtu` : `${path}.mtu`);
      if (mtu) iface.mtu = mtu;
      if (checks.claim(k.nsKey, name, e.ifname !== undefined ? `${p}.ifname` : p, iface)) ends.push(iface);
      if (k.nsKey === FABRIC) r.fabricUsed = true;
      if (k.nsKey === ROOT) plan.rootIfaces.push(name);
    });
    const [a, b] = ends;
    if (a && b && ends.length === 2) {
      const v: (typeof plan.veths)[number] = { a, b, path };
      if (l.shaping) v.shaping = resolveShaping(l.shaping, `${path}.shaping`, add);
      plan.veths.push(v);
    }
  });
}

function resolveVxlans(r: Resolution): void {
  const { add, checks, plan } = r;
  for (const h of r.hostNames) {
    (r.hosts[h]?.vxlans ?? []).forEach((x, i) => {
      const path = `hosts.${h}.vxlans[${i}]`;
      if (!Number.isInteger(x.vni) || x.vni < 0 || x.vni > 0xffffff) {
        add(`${path}.vni`, `invalid VNI ${String(x.vni)} (0-16777215)`);
      }
      const ipOf = (v: string | undefined, p: string): IpAddress | undefined => {
        if (v === undefined) return undefined;
        if (!isIp(v)) {
          add(p, `invalid IP address "${v}"`);
          return undefined;
        }
        return parseIp(v);
      };
      const remote = ipOf(x.remote, `${path}.remote`);
      const group = ipOf(x.group, `${path}.group`);
      ipOf(x.local, `${path}.local`);
      if (x.remote !== undefined && x.group !== undefined) add(path, 'give remote or group, not both');
      if (remote && isMulticast(remote)) add(`${path}.remote`, `${x.remote} is multicast; use group for it`);
      if (group && !isMulticast(group)) add(`${path}.group`, `${x.group} is not a multicast address`);
      if (group && x.device === undefined)
        add(`${path}.device`, 'a multicast group needs the underlay device');
      if (x.device !== undefined) checks.requireDevice(h, x.device, `${path}.device`);
      if (x.port !== undefined && (!Number.isInteger(x.port) || x.port < 1 || x.port > 65535)) {
        add(`${path}.port`, `invalid UDP port ${x.port}`);
      }
      if (x.master !== undefined && r.bridgeNs.get(x.master) !== h) {
        add(`${path}.master`, `no bridge "${x.master}" in host "${h}"`);
      }
      const iface: PlanIface = {
        ns: h,
        name: x.name,
        index: 0,
        addresses: checks.addressList(x.addresses, `${path}.addresses`),
        path,
      };
      const mac = checks.mac(x.mac, `${path}.mac`);
      if (mac) iface.mac = mac;
      const mtu = checks.mtu(x.mtu, `${path}.mtu`);
      if (mtu) iface.mtu = mtu;
      if (x.master !== undefined) iface.master = x.master;
      if (checks.claim(h, String(x.name ?? ''), `${path}.name`, iface)) {
        const pv: (typeof plan.vxlans)[number] = {
          ...iface,
          vni: x.vni,
          port: x.port ?? 4789,
          external: !!x.external,
        };
        if (x.remote !== undefined) pv.remote = x.remote;
        if (x.group !== undefined) pv.group = x.group;
        if (x.local !== undefined) pv.local = x.local;
        if (x.device !== undefined) pv.device = x.device;
        if (x.learning !== undefined) pv.learning = x.learning;
        plan.vxlans.push(pv);
      }
    });
  }

  // a flow-based (external) vxlan owns its UDP port in the namespace
  for (const h of r.hostNames) {
    const list = r.hosts[h]?.vxlans ?? [];
    list.forEach((x, i) => {
      if (!x.external) return;
      const port = x.port ?? 4789;
      const j = list.findIndex((y, k) => k !== i && (y.port ?? 4789) === port);
      if (j >= 0 && (j > i || !list[j]?.external)) {
        add(
          `hosts.${h}.vxlans[${Math.max(i, j)}].port`,
          `UDP port ${port} is taken by another vxlan in host "${h}" (an external vxlan needs a port of its own)`,
        );
      }
    });
  }
}

function resolveRoutes(r: Resolution): void {
  const { add } = r;
  for (const h of r.hostNames) {
    (r.hosts[h]?.routes ?? []).forEach((rt, i) => {
      const path = `hosts.${h}.routes[${i}]`;
      let family: 4 | 6 | undefined;
      if (rt.dst === 'default') family = 4;
      else if (rt.dst === 'default6') family = 6;
      else {
        try {
          family = parseCidr(String(rt.dst)).family;
        } catch (e) {
          add(`${path}.dst`, (e as Error).message);
        }
      }
      if (rt.via !== undefined) {
        if (!isIp(rt.via)) add(`${path}.via`, `invalid gateway address "${rt.via}"`);
        else if (family && parseIp(rt.via).family !== family)
          add(`${path}.via`, `gateway ${rt.via} is not IPv${family}`);
      }
      if (rt.via === undefined && rt.dev === undefined) add(path, 'a route needs via or dev');
      if (rt.dev !== undefined) r.checks.requireDevice(h, rt.dev, `${path}.dev`);
      const pr: (typeof r.plan.routes)[number] = { ns: h, dst: rt.dst, path };
      if (rt.via !== undefined) pr.via = rt.via;
      if (rt.dev !== undefined) pr.dev = rt.dev;
      if (rt.metric !== undefined) pr.metric = rt.metric;
      r.plan.routes.push(pr);
    });
  }
}

function resolvePrograms(r: Resolution): void {
  const { add, checks } = r;
  (r.spec.programs ?? []).forEach((p, i) => {
    const path = `programs[${i}]`;
    if (!r.nsByKey.has(p.host)) return add(`${path}.host`, `unknown host "${p.host}"`);
    checks.requireDevice(p.host, p.dev, `${path}.dev`);
    if (p.direction !== 'ingress' && p.direction !== 'egress') {
      add(`${path}.direction`, `direction must be ingress or egress, not "${String(p.direction)}"`);
    }
    if (typeof p.file !== 'string' || !p.file) add(`${path}.file`, 'missing program source file');
    if (typeof p.function !== 'string' || !p.function) add(`${path}.function`, 'missing function name');
    const filter = resolveProgramFilter(p, path, add, (dev, at) => checks.requireDevice(p.host, dev, at));
    r.plan.programs.push({
      ns: p.host,
      dev: p.dev,
      direction: p.direction,
      file: p.file,
      function: p.function,
      filter,
      path,
    });
  });
}

/**
 * Validation and resolution of a {@link TopologySpec} into a {@link Plan} (pure, no root): names,
 * CIDRs, MACs, MTUs, duplicates, dangling ends, interface-name lengths, vxlan and route
 * consistency, shaping units, tc program options. Every problem carries the spec path it is about.
 */
import { cidrContains, isIp, isMulticast, parseCidr, parseIp, type IpAddress } from '../netlink/ip.js';
import { FABRIC, ROOT, type Plan, type PlanIface, type PlanNamespace } from './plan.js';
import type { LinkEnd, TopologySpec } from './spec.js';
import { interfaceNameProblem } from '../util/netns-path.js';
import { resolveShaping, type Problem } from './checks.js';
import { resolveProgramFilter } from './program-options.js';

/** Ports a Linux bridge can hold: port numbers are 10 bits and 0 is reserved (BR_MAX_PORTS - 1). */
const BRIDGE_MAX_PORTS = 1023;

export { TopologyValidationError, type Problem } from './checks.js';

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** First ifindex used in namespaces the testbed owns (clear of devices the kernel adds). */
export const FIRST_INDEX = 100;
/** Length of the prefix of root-namespace interface names (`x` + 4 hex). */
export const ROOT_PREFIX_LEN = 5;

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
  const problems: Problem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const plan: Plan = {
    prefix,
    namespaces: [],
    bridges: [],
    veths: [],
    vxlans: [],
    ifbs: [],
    routes: [],
    programs: [],
    rootIfaces: [],
  };
  const nsByKey = new Map<string, PlanNamespace>();
  const nextIndex = new Map<string, number>();
  const ifaces = new Map<string, Map<string, { path: string; iface?: PlanIface }>>();
  const addresses = new Map<string, string>();
  const macs = new Map<string, string>();
  const ethCount = new Map<string, number>();

  const ns = (key: string): string => key;
  const claim = (nsKey: string, name: string, path: string, iface?: PlanIface): boolean => {
    const bad = interfaceNameProblem(name);
    if (bad) {
      add(path, bad);
      return false;
    }
    let m = ifaces.get(nsKey);
    if (!m) ifaces.set(nsKey, (m = new Map()));
    const prev = m.get(name);
    if (prev) {
      const where =
        nsKey === FABRIC ? 'the fabric' : nsKey === ROOT ? 'the root namespace' : `host "${nsKey}"`;
      add(path, `duplicate interface name "${name}" in ${where} (also at ${prev.path})`);
      return false;
    }
    m.set(name, iface ? { path, iface } : { path });
    return true;
  };
  const indexFor = (nsKey: string): number => {
    if (nsKey === ROOT) return 0;
    const n = nextIndex.get(nsKey) ?? FIRST_INDEX;
    nextIndex.set(nsKey, n + 1);
    return n;
  };
  const checkAddrs = (list: unknown, path: string): string[] => {
    if (list === undefined) return [];
    if (!Array.isArray(list)) {
      add(path, 'addresses must be a list of CIDRs');
      return [];
    }
    const out: string[] = [];
    list.forEach((a: unknown, i) => {
      const p = `${path}[${i}]`;
      if (typeof a !== 'string') return add(p, 'address must be a string like 10.0.0.1/24');
      try {
        const c = parseCidr(a);
        const key = c.text;
        const prev = addresses.get(key);
        if (prev) add(p, `duplicate address ${c.text} (also at ${prev})`);
        else addresses.set(key, p);
        out.push(a);
      } catch (e) {
        add(p, (e as Error).message);
      }
    });
    return out;
  };
  const checkMac = (mac: unknown, path: string): string | undefined => {
    if (mac === undefined) return undefined;
    if (typeof mac !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) {
      add(path, `invalid MAC address "${String(mac)}" (six hex octets like 02:00:00:00:00:01)`);
      return undefined;
    }
    if (parseInt(mac.slice(0, 2), 16) & 1) add(path, `MAC address ${mac} is multicast; use a unicast one`);
    const key = mac.toLowerCase();
    const prev = macs.get(key);
    if (prev) add(path, `duplicate MAC address ${mac} (also at ${prev})`);
    else macs.set(key, path);
    return mac;
  };
  const checkMtu = (mtu: unknown, path: string): number | undefined => {
    if (mtu === undefined) return undefined;
    if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      add(path, `invalid MTU ${String(mtu)} (68-65535)`);
      return undefined;
    }
    return mtu;
  };

  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(prefix)) add('prefix', `invalid run prefix "${prefix}"`);
  // the name starts every run prefix (`NAME-<6 hex>`), so it must leave room for the suffix
  if (
    spec.name !== undefined &&
    (typeof spec.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,56}$/.test(spec.name))
  )
    add('name', `invalid testbed name "${String(spec.name)}" (letters, digits, '_', '.', '-', at most 57)`);

  // hosts
  const hosts = spec.hosts ?? {};
  if (typeof hosts !== 'object' || Array.isArray(hosts))
    add('hosts', 'hosts must be a mapping of name to host');
  const hostNames = Object.keys(hosts);
  for (const h of hostNames) {
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
    const pns: PlanNamespace = { key: h, name: `${prefix}-${h}`, sysctls };
    nsByKey.set(h, pns);
    plan.namespaces.push(pns);
  }
  const fabric: PlanNamespace = { key: FABRIC, name: `${prefix}-fabric`, sysctls: [] };
  let fabricUsed = false;

  // bridges
  const bridgeNs = new Map<string, string>();
  for (const [b, bs] of Object.entries(spec.bridges ?? {})) {
    const path = `bridges.${b}`;
    let key = FABRIC;
    if (bs.host !== undefined && bs.root)
      add(path, 'a bridge is either in a host or in the root namespace, not both');
    if (bs.host !== undefined) {
      if (!nsByKey.has(bs.host)) add(`${path}.host`, `unknown host "${bs.host}"`);
      key = bs.host;
    } else if (bs.root) key = ROOT;
    else fabricUsed = true;
    const name = key === ROOT ? `${rootPrefix}${b}` : b;
    const iface: PlanIface = {
      ns: ns(key),
      name,
      index: indexFor(key),
      addresses: checkAddrs(bs.addresses, `${path}.addresses`),
      path,
    };
    const mac = checkMac(bs.mac, `${path}.mac`);
    if (mac) iface.mac = mac;
    const mtu = checkMtu(bs.mtu, `${path}.mtu`);
    if (mtu) iface.mtu = mtu;
    if (claim(key, name, path, iface)) {
      bridgeNs.set(b, key);
      plan.bridges.push({ ...iface, key: b, stp: bs.stp ?? false });
      if (key === ROOT) plan.rootIfaces.push(name);
    }
  }

  // vxlans and ifbs first reserve their names; their underlay devices are checked after links.
  const pendingDevices: { nsKey: string; dev: string; path: string }[] = [];
  for (const h of hostNames) {
    const hs = hosts[h] ?? {};
    (hs.ifbs ?? []).forEach((name, i) => {
      const path = `hosts.${h}.ifbs[${i}]`;
      const iface: PlanIface = { ns: h, name, index: indexFor(h), addresses: [], path };
      if (claim(h, name, path, iface)) plan.ifbs.push(iface);
    });
  }

  // links
  const bridgePorts = new Map<string, number>();
  (spec.links ?? []).forEach((l, i) => {
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
        if (!nsByKey.has(e.host)) {
          add(`${p}`, `unknown host "${e.host}"`);
          return undefined;
        }
        return { nsKey: e.host, bridge: undefined };
      }
      const bk = bridgeNs.get(e.bridge ?? '');
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
          while (ifaces.get(k.nsKey)?.has(`eth${n}`)) n++;
          name = `eth${n}`;
          ethCount.set(k.nsKey, n + 1);
        } else {
          const other = endSpecs[1 - j]?.[0];
          const guess = other?.host !== undefined ? `${other.host}-${other.ifname ?? 'eth'}` : `p${i}${side}`;
          name = Buffer.byteLength(guess) <= 15 && !ifaces.get(k.nsKey)?.has(guess) ? guess : `p${i}${side}`;
          if (k.nsKey === ROOT) name = `${rootPrefix}p${i}${side}`;
        }
      } else if (k.nsKey === ROOT) {
        name = `${rootPrefix}${name}`;
      }
      const iface: PlanIface = {
        ns: k.nsKey,
        name,
        index: indexFor(k.nsKey),
        addresses: checkAddrs(e.addresses, `${p}.addresses`),
        path: p,
      };
      if (k.bridge !== undefined) iface.master = k.nsKey === ROOT ? `${rootPrefix}${k.bridge}` : k.bridge;
      const mac = checkMac(e.mac, `${p}.mac`);
      if (mac) iface.mac = mac;
      const mtu = checkMtu(e.mtu ?? l.mtu, e.mtu !== undefined ? `${p}.mtu` : `${path}.mtu`);
      if (mtu) iface.mtu = mtu;
      if (claim(k.nsKey, name, e.ifname !== undefined ? `${p}.ifname` : p, iface)) ends.push(iface);
      if (k.nsKey === FABRIC) fabricUsed = true;
      if (k.nsKey === ROOT) plan.rootIfaces.push(name);
    });
    const [a, b] = ends;
    if (a && b && ends.length === 2) {
      const v: (typeof plan.veths)[number] = { a, b, path };
      if (l.shaping) v.shaping = resolveShaping(l.shaping, `${path}.shaping`, add);
      plan.veths.push(v);
    }
  });

  // vxlans
  for (const h of hostNames) {
    (hosts[h]?.vxlans ?? []).forEach((x, i) => {
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
      if (x.device !== undefined) pendingDevices.push({ nsKey: h, dev: x.device, path: `${path}.device` });
      if (x.port !== undefined && (!Number.isInteger(x.port) || x.port < 1 || x.port > 65535)) {
        add(`${path}.port`, `invalid UDP port ${x.port}`);
      }
      if (x.master !== undefined && bridgeNs.get(x.master) !== h) {
        add(`${path}.master`, `no bridge "${x.master}" in host "${h}"`);
      }
      const iface: PlanIface = {
        ns: h,
        name: x.name,
        index: indexFor(h),
        addresses: checkAddrs(x.addresses, `${path}.addresses`),
        path,
      };
      const mac = checkMac(x.mac, `${path}.mac`);
      if (mac) iface.mac = mac;
      const mtu = checkMtu(x.mtu, `${path}.mtu`);
      if (mtu) iface.mtu = mtu;
      if (x.master !== undefined) iface.master = x.master;
      if (claim(h, String(x.name ?? ''), `${path}.name`, iface)) {
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
  for (const h of hostNames) {
    const list = hosts[h]?.vxlans ?? [];
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

  // routes
  for (const h of hostNames) {
    (hosts[h]?.routes ?? []).forEach((r, i) => {
      const path = `hosts.${h}.routes[${i}]`;
      let family: 4 | 6 | undefined;
      if (r.dst === 'default') family = 4;
      else if (r.dst === 'default6') family = 6;
      else {
        try {
          family = parseCidr(String(r.dst)).family;
        } catch (e) {
          add(`${path}.dst`, (e as Error).message);
        }
      }
      if (r.via !== undefined) {
        if (!isIp(r.via)) add(`${path}.via`, `invalid gateway address "${r.via}"`);
        else if (family && parseIp(r.via).family !== family)
          add(`${path}.via`, `gateway ${r.via} is not IPv${family}`);
      }
      if (r.via === undefined && r.dev === undefined) add(path, 'a route needs via or dev');
      if (r.dev !== undefined) pendingDevices.push({ nsKey: h, dev: r.dev, path: `${path}.dev` });
      const pr: (typeof plan.routes)[number] = { ns: h, dst: r.dst, path };
      if (r.via !== undefined) pr.via = r.via;
      if (r.dev !== undefined) pr.dev = r.dev;
      if (r.metric !== undefined) pr.metric = r.metric;
      plan.routes.push(pr);
    });
  }

  // programs
  (spec.programs ?? []).forEach((p, i) => {
    const path = `programs[${i}]`;
    if (!nsByKey.has(p.host)) return add(`${path}.host`, `unknown host "${p.host}"`);
    pendingDevices.push({ nsKey: p.host, dev: p.dev, path: `${path}.dev` });
    if (p.direction !== 'ingress' && p.direction !== 'egress') {
      add(`${path}.direction`, `direction must be ingress or egress, not "${String(p.direction)}"`);
    }
    if (typeof p.file !== 'string' || !p.file) add(`${path}.file`, 'missing program source file');
    if (typeof p.function !== 'string' || !p.function) add(`${path}.function`, 'missing function name');
    const filter = resolveProgramFilter(p, path, add, (dev, at) =>
      pendingDevices.push({ nsKey: p.host, dev, path: at }),
    );
    plan.programs.push({
      ns: p.host,
      dev: p.dev,
      direction: p.direction,
      file: p.file,
      function: p.function,
      filter,
      path,
    });
  });

  for (const d of pendingDevices) {
    if (!ifaces.get(d.nsKey)?.has(d.dev)) add(d.path, `no interface "${d.dev}" in host "${d.nsKey}"`);
  }
  // a gateway must be reachable through a connected prefix of the host
  for (const r of plan.routes) {
    if (!r.via || !isIp(r.via)) continue;
    const gw = parseIp(r.via);
    const own = [...(ifaces.get(r.ns)?.values() ?? [])].flatMap((x) => x.iface?.addresses ?? []);
    if (own.length > 0 && !own.some((a) => cidrContains(parseCidr(a), gw))) {
      add(`${r.path}.via`, `gateway ${r.via} is not in any subnet of host "${r.ns}"`);
    }
  }

  if (fabricUsed) plan.namespaces.push(fabric);
  return problems.length > 0 ? { problems } : { problems, plan };
}

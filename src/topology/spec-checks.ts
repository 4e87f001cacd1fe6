/**
 * The validation half of resolving a topology (see resolve.ts): the checks of single values
 * (addresses, MACs, MTUs, interface names) with the duplicates they must not repeat, and the
 * checks across the whole spec made once every interface is known (devices that routes,
 * vxlans and programs name; gateways inside a connected prefix). Every problem has the spec
 * path it is about. Pure.
 */
import { cidrContains, isIp, parseCidr, parseIp } from '../netlink/ip.js';
import { interfaceNameProblem } from '../util/netns-path.js';
import type { Problem } from './checks.js';
import { FABRIC, ROOT, type Plan, type PlanIface } from './plan.js';

/** The problems of a spec, and what the checks need to remember across it. */
export class SpecChecks {
  readonly problems: Problem[] = [];
  /** Interfaces claimed per namespace key, with where they were declared. */
  private readonly ifaces = new Map<string, Map<string, { path: string; iface?: PlanIface }>>();
  private readonly addresses = new Map<string, string>();
  private readonly macs = new Map<string, string>();
  /** Devices named by routes, vxlans and programs, checked once every interface is known. */
  private readonly pending: { nsKey: string; dev: string; path: string }[] = [];

  /** Records a problem. */
  readonly add = (path: string, message: string): void => {
    this.problems.push({ path, message });
  };

  /** Whether an interface name is taken in a namespace. */
  has(nsKey: string, name: string): boolean {
    return this.ifaces.get(nsKey)?.has(name) ?? false;
  }

  /** Claims an interface name in a namespace: false (and a problem) when invalid or taken. */
  claim(nsKey: string, name: string, path: string, iface?: PlanIface): boolean {
    const bad = interfaceNameProblem(name);
    if (bad) {
      this.add(path, bad);
      return false;
    }
    let m = this.ifaces.get(nsKey);
    if (!m) this.ifaces.set(nsKey, (m = new Map()));
    const prev = m.get(name);
    if (prev) {
      const where =
        nsKey === FABRIC ? 'the fabric' : nsKey === ROOT ? 'the root namespace' : `host "${nsKey}"`;
      this.add(path, `duplicate interface name "${name}" in ${where} (also at ${prev.path})`);
      return false;
    }
    m.set(name, iface ? { path, iface } : { path });
    return true;
  }

  /** A list of CIDRs, each valid and not used anywhere else in the spec. */
  addressList(list: unknown, path: string): string[] {
    if (list === undefined) return [];
    if (!Array.isArray(list)) {
      this.add(path, 'addresses must be a list of CIDRs');
      return [];
    }
    const out: string[] = [];
    list.forEach((a: unknown, i) => {
      const p = `${path}[${i}]`;
      if (typeof a !== 'string') return this.add(p, 'address must be a string like 10.0.0.1/24');
      try {
        const c = parseCidr(a);
        const prev = this.addresses.get(c.text);
        if (prev) this.add(p, `duplicate address ${c.text} (also at ${prev})`);
        else this.addresses.set(c.text, p);
        out.push(a);
      } catch (e) {
        this.add(p, (e as Error).message);
      }
    });
    return out;
  }

  /** A unicast MAC address not used elsewhere, or undefined. */
  mac(mac: unknown, path: string): string | undefined {
    if (mac === undefined) return undefined;
    if (typeof mac !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) {
      this.add(path, `invalid MAC address "${String(mac)}" (six hex octets like 02:00:00:00:00:01)`);
      return undefined;
    }
    if (parseInt(mac.slice(0, 2), 16) & 1)
      this.add(path, `MAC address ${mac} is multicast; use a unicast one`);
    const key = mac.toLowerCase();
    const prev = this.macs.get(key);
    if (prev) this.add(path, `duplicate MAC address ${mac} (also at ${prev})`);
    else this.macs.set(key, path);
    return mac;
  }

  /** An MTU in 68-65535, or undefined. */
  mtu(mtu: unknown, path: string): number | undefined {
    if (mtu === undefined) return undefined;
    if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      this.add(path, `invalid MTU ${String(mtu)} (68-65535)`);
      return undefined;
    }
    return mtu;
  }

  /** Notes a device the spec names in a host; checked by {@link checkReferences}. */
  requireDevice(nsKey: string, dev: string, path: string): void {
    this.pending.push({ nsKey, dev, path });
  }

  /**
   * The checks across the spec, once every interface is claimed: named devices exist in their
   * host, and every gateway is inside a connected prefix of its host.
   */
  checkReferences(plan: Plan): void {
    for (const d of this.pending) {
      if (!this.has(d.nsKey, d.dev)) this.add(d.path, `no interface "${d.dev}" in host "${d.nsKey}"`);
    }
    for (const r of plan.routes) {
      if (!r.via || !isIp(r.via)) continue;
      const gw = parseIp(r.via);
      const own = [...(this.ifaces.get(r.ns)?.values() ?? [])].flatMap((x) => x.iface?.addresses ?? []);
      if (own.length > 0 && !own.some((a) => cidrContains(parseCidr(a), gw))) {
        this.add(`${r.path}.via`, `gateway ${r.via} is not in any subnet of host "${r.ns}"`);
      }
    }
  }
}

/**
 * `tsbcc ratelimit`'s policy file: per interface and direction, classes with a rate (and
 * optional ceil and burst), the addresses and prefixes (IPv4 and IPv6) of each class, and a
 * default class for everything else. Checked completely before anything is changed; every
 * problem names its YAML path and file:line:col.
 *
 * ```yaml
 * interfaces:
 *   eth0:
 *     egress:                    # or ingress
 *       match: destination       # which address picks the class (default: destination on
 *                                # egress, source on ingress)
 *       default: bulk            # class of addresses not listed (optional: else not limited)
 *       strategy: auto           # police | shape | auto (default: shape where htb is usable)
 *       classes:
 *         gold:   { rate: 10mbit, ceil: 20mbit, addresses: [10.0.0.5, fd00:1::/64] }
 *         bulk:   { rate: 1mbit, burst: 32kb, addresses: [10.0.1.0/24] }
 * ```
 */
import { readFileSync } from 'node:fs';
import type { Document } from 'yaml';
import { InvalidArgumentError } from '../errors.js';
import { parseRate, parseSize } from '../netlink/tc/units.js';
import { interfaceNameProblem } from '../util/netns-path.js';
import { yaml } from '../util/yaml.js';

/** An address or prefix of a class, parsed. */
export interface PolicyPrefix {
  /** As written in the file, e.g. `10.0.1.0/24`. */
  text: string;
  family: 4 | 6;
  /** The network address's bytes (4 or 16), host bits cleared. */
  bytes: Buffer;
  /** Prefix length (32 or 128 for a single address). */
  length: number;
  /** Where it is in the policy: YAML path and file:line:col (set by checkPolicy). */
  path?: string;
  at?: string;
}

/** One class of a direction. */
export interface PolicyClass {
  name: string;
  /** Bits per second. */
  rate: number;
  /** Bits per second (htb ceil), at least the rate. */
  ceil?: number;
  /** Bytes. */
  burst?: number;
  prefixes: PolicyPrefix[];
}

/** What one interface's direction gets. */
export interface PolicyDirection {
  interface: string;
  direction: 'ingress' | 'egress';
  match: 'destination' | 'source';
  classes: PolicyClass[];
  /** Name of the default class, if any. */
  defaultClass?: string;
  /**
   * How the classes are enforced: `shape` (htb, through an ifb on ingress), `police` (a police
   * action per class on the clsact hook: drops what exceeds the rate) or `auto` (default:
   * RateLimit's choice, which shapes wherever htb is usable).
   */
  strategy: 'police' | 'shape' | 'auto';
  /** file:line:col of the interface's key in the policy. */
  interfaceAt?: string;
}

/** A checked policy: every direction of every interface, in file order. */
export interface RatePolicy {
  directions: PolicyDirection[];
}

/** One problem found in a policy. */
export interface PolicyProblem {
  /** YAML path, e.g. `interfaces.eth0.egress.classes.gold.rate`. */
  path: string;
  /** `file:line:col` of the value, when known. */
  at?: string;
  message: string;
}

/** A policy that cannot be applied: every problem found, with paths. */
export class PolicyError extends InvalidArgumentError {
  constructor(readonly problems: PolicyProblem[]) {
    super(
      problems.map((p) => `${p.at ? `${p.at}: ` : ''}${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'),
    );
    this.name = 'PolicyError';
  }
}

const CLASS_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const KEYS = {
  top: ['interfaces'],
  direction: ['match', 'default', 'strategy', 'classes'],
  class: ['rate', 'ceil', 'burst', 'addresses'],
};

/** Parses an IPv4 or IPv6 address with an optional /length; undefined when it is neither. */
export function parsePrefix(text: string): PolicyPrefix | { error: string } {
  const [addr = '', len, extra] = text.split('/');
  if (extra !== undefined) return { error: `"${text}" is not an address or prefix` };
  let bytes: Buffer;
  let family: 4 | 6;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(addr)) {
    const parts = addr.split('.').map(Number);
    if (parts.some((p) => p > 255)) return { error: `"${text}": an IPv4 byte above 255` };
    bytes = Buffer.from(parts);
    family = 4;
  } else if (addr.includes(':')) {
    const halves = addr.split('::');
    if (halves.length > 2) return { error: `"${text}": more than one ::` };
    const group = (s: string): string[] => (s === '' ? [] : s.split(':'));
    const head = group(halves[0] ?? '');
    const tail = halves.length === 2 ? group(halves[1] ?? '') : [];
    const fill = 8 - head.length - tail.length;
    if ((halves.length === 2 && fill < 1) || (halves.length === 1 && fill !== 0)) {
      return { error: `"${text}" is not an IPv6 address` };
    }
    const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
    if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)))
      return { error: `"${text}" is not an IPv6 address` };
    bytes = Buffer.alloc(16);
    groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
    family = 6;
  } else {
    return { error: `"${text}" is not an IPv4 or IPv6 address or prefix` };
  }
  const max = family === 4 ? 32 : 128;
  const length = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(length >= 0 && length <= max)) return { error: `"${text}": prefix length must be 0-${max}` };
  for (let bit = length; bit < max; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) {
      return { error: `"${text}": host bits set beyond /${length}` };
    }
  }
  return { text, family, bytes, length };
}

/** Whether two prefixes share an address (one contains the other). */
export function prefixesOverlap(a: PolicyPrefix, b: PolicyPrefix): boolean {
  if (a.family !== b.family) return false;
  const n = Math.min(a.length, b.length);
  for (let bit = 0; bit < n; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((a.bytes[bit >> 3]! & m) !== (b.bytes[bit >> 3]! & m)) return false;
  }
  return true;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a policy document. Every problem is collected (not only the first).
 * @throws PolicyError listing them, with paths and file:line:col.
 */
export function checkPolicy(text: string, file = 'policy'): RatePolicy {
  const { isMap, isScalar, LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const problems: PolicyProblem[] = [];
  const at = (offset: number | undefined): string | undefined => {
    if (offset === undefined) return undefined;
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  for (const e of doc.errors) {
    problems.push({ path: '', at: at(e.pos[0]), message: e.message.split(/ at line |\n/)[0] ?? e.message });
  }
  if (problems.length) throw new PolicyError(problems);
  const where = (path: (string | number)[]): string | undefined => {
    const node = (doc as Document).getIn(path, true);
    const range = isScalar(node) || isMap(node) ? node.range : undefined;
    return at(range?.[0]);
  };
  // the key of a mapping entry (an interface name) is where it is written
  const keyAt = (path: (string | number)[]): string | undefined => {
    const parent = (doc as Document).getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === path[path.length - 1]);
    return isScalar(pair?.key) ? at(pair.key.range?.[0]) : undefined;
  };
  const problem = (path: (string | number)[], message: string): void => {
    problems.push({ path: path.join('.'), at: where(path), message });
  };
  const unknown = (o: Record<string, unknown>, known: string[], path: (string | number)[]): void => {
    for (const k of Object.keys(o)) {
      if (!known.includes(k)) {
        problems.push({
          path: [...path, k].join('.'),
          at: keyAt([...path, k]),
          message: `unknown key (known: ${known.join(', ')})`,
        });
      }
    }
  };

  const root: unknown = doc.toJS();
  if (!isObj(root) || !isObj(root.interfaces)) {
    throw new PolicyError([
      { path: 'interfaces', message: 'a mapping of interface names to directions is required' },
    ]);
  }
  unknown(root, KEYS.top, []);
  const directions: PolicyDirection[] = [];
  for (const [ifname, dirs] of Object.entries(root.interfaces)) {
    const ifPath = ['interfaces', ifname];
    const bad = interfaceNameProblem(ifname);
    if (bad) problems.push({ path: ifPath.join('.'), at: keyAt(ifPath), message: bad });
    if (!isObj(dirs) || Object.keys(dirs).length === 0) {
      problem(ifPath, 'give ingress: and/or egress:');
      continue;
    }
    for (const [dir, spec] of Object.entries(dirs)) {
      const dPath = [...ifPath, dir];
      if (dir !== 'ingress' && dir !== 'egress') {
        problem(dPath, 'a direction is ingress or egress');
        continue;
      }
      if (!isObj(spec)) {
        problem(dPath, 'a mapping with classes: (and match:, default:)');
        continue;
      }
      unknown(spec, KEYS.direction, dPath);
      const match = spec.match ?? (dir === 'egress' ? 'destination' : 'source');
      if (match !== 'destination' && match !== 'source') {
        problem([...dPath, 'match'], `${JSON.stringify(match)}: use destination or source`);
      }
      const strategy = spec.strategy ?? 'auto';
      if (strategy !== 'police' && strategy !== 'shape' && strategy !== 'auto') {
        problem([...dPath, 'strategy'], `${JSON.stringify(strategy)}: use police, shape or auto`);
      }
      const classes: PolicyClass[] = [];
      if (!isObj(spec.classes) || Object.keys(spec.classes).length === 0) {
        problem([...dPath, 'classes'], 'a mapping of class names to { rate, addresses } (1 to 64 classes)');
      } else {
        if (Object.keys(spec.classes).length > 64) problem([...dPath, 'classes'], 'at most 64 classes');
        for (const [name, c] of Object.entries(spec.classes)) {
          const cPath = [...dPath, 'classes', name];
          if (!CLASS_NAME.test(name)) problem(cPath, 'a class name is 1-32 letters, digits, - or _');
          if (!isObj(c)) {
            problem(cPath, 'a mapping with rate: (and ceil:, burst:, addresses:)');
            continue;
          }
          unknown(c, KEYS.class, cPath);
          const num = (key: 'rate' | 'ceil' | 'burst'): number | undefined => {
            const v = c[key];
            if (v === undefined) {
              if (key === 'rate') problem([...cPath, key], 'required, e.g. 10mbit');
              return undefined;
            }
            if (typeof v !== 'string' && typeof v !== 'number') {
              problem([...cPath, key], `${JSON.stringify(v)}: a ${key === 'burst' ? 'size' : 'rate'}`);
              return undefined;
            }
            if (v === 0 || (typeof v === 'string' && /^0+(\.0*)?[a-z]*$/i.test(v.trim()))) {
              problem(
                [...cPath, key],
                `${JSON.stringify(v)}: a ${key} of 0 would stop all traffic of the class; give a positive ${key}`,
              );
              return undefined;
            }
            try {
              return key === 'burst' ? parseSize(v, key) : parseRate(v, key);
            } catch (e) {
              problem([...cPath, key], (e as Error).message);
              return undefined;
            }
          };
          const rate = num('rate');
          const ceil = num('ceil');
          const burst = num('burst');
          if (rate !== undefined && ceil !== undefined && ceil < rate) {
            problem([...cPath, 'ceil'], `${String(c.ceil)} is below the rate ${String(c.rate)}`);
          }
          if (strategy === 'police' && ceil !== undefined && ceil !== rate) {
            problem([...cPath, 'ceil'], 'a policer cannot borrow up to a ceil (htb can: strategy shape)');
          }
          const prefixes: PolicyPrefix[] = [];
          const addrs = c.addresses ?? [];
          if (!Array.isArray(addrs)) {
            problem([...cPath, 'addresses'], 'a list of addresses and prefixes');
          } else {
            addrs.forEach((a, i) => {
              const p =
                typeof a === 'string'
                  ? parsePrefix(a)
                  : { error: `${JSON.stringify(a)}: an address as text` };
              if ('error' in p) problem([...cPath, 'addresses', i], p.error);
              else {
                const path = [...cPath, 'addresses', i];
                prefixes.push({ ...p, path: path.join('.'), ...(where(path) ? { at: where(path) } : {}) });
              }
            });
          }
          classes.push({
            name,
            rate: rate ?? 0,
            ...(ceil !== undefined ? { ceil } : {}),
            ...(burst !== undefined ? { burst } : {}),
            prefixes,
          });
        }
      }
      // the same address in two classes would make the class depend on lookup order
      for (let i = 0; i < classes.length; i++) {
        for (let j = i; j < classes.length; j++) {
          const ci = classes[i]!;
          const cj = classes[j]!;
          ci.prefixes.forEach((p, pi) => {
            cj.prefixes.forEach((q, qi) => {
              if (i === j && qi <= pi) return;
              if (!prefixesOverlap(p, q)) return;
              problem(
                [...dPath, 'classes', cj.name, 'addresses', qi],
                i === j
                  ? `${q.text} overlaps ${p.text} of the same class`
                  : `${q.text} overlaps ${p.text} of class ${ci.name}: an address belongs to one class`,
              );
            });
          });
        }
      }
      const def = spec.default;
      if (def !== undefined && (typeof def !== 'string' || !classes.some((c) => c.name === def))) {
        problem(
          [...dPath, 'default'],
          `${JSON.stringify(def)} is not one of the classes (${classes.map((c) => c.name).join(', ')})`,
        );
      }
      directions.push({
        interface: ifname,
        direction: dir,
        match: match as 'destination' | 'source',
        strategy: strategy as PolicyDirection['strategy'],
        classes,
        ...(keyAt(ifPath) ? { interfaceAt: keyAt(ifPath) } : {}),
        ...(typeof def === 'string' ? { defaultClass: def } : {}),
      });
    }
  }
  if (problems.length) throw new PolicyError(problems);
  return { directions };
}

/**
 * Reads and checks a policy file.
 * @throws PolicyError (with paths and file:line:col), InvalidArgumentError when it cannot be read.
 */
export function readPolicy(path: string): RatePolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`${path}: ${(e as Error).message}`);
  }
  return checkPolicy(text, path);
}

/** What {@link checkPolicyOnHost} needs to know about an interface. */
export interface HostInterface {
  name: string;
  /** Whether it has any IPv6 address (none: IPv6 is disabled on it). */
  ipv6: boolean;
}

/**
 * The checks that need the host: every interface exists (in the namespace the policy is
 * applied in), and IPv6 prefixes are given only for interfaces that carry IPv6.
 * @throws PolicyError listing every problem.
 */
export function checkPolicyOnHost(
  policy: RatePolicy,
  interfaces: readonly HostInterface[],
  where: string,
): void {
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  for (const d of policy.directions) {
    const dev = interfaces.find((i) => i.name === d.interface);
    if (!dev) {
      if (!seen.has(d.interface)) {
        problems.push({
          path: `interfaces.${d.interface}`,
          ...(d.interfaceAt ? { at: d.interfaceAt } : {}),
          message: `no interface ${d.interface} ${where}`,
        });
      }
      seen.add(d.interface);
      continue;
    }
    if (dev.ipv6) continue;
    for (const c of d.classes) {
      for (const p of c.prefixes) {
        if (p.family !== 6) continue;
        problems.push({
          path: p.path ?? `interfaces.${d.interface}.${d.direction}.classes.${c.name}.addresses`,
          ...(p.at ? { at: p.at } : {}),
          message: `${p.text} is IPv6, but ${d.interface} ${where} has no IPv6 (IPv6 disabled): it would never match`,
        });
      }
    }
  }
  if (problems.length) throw new PolicyError(problems);
}

/**
 * IP addresses, prefixes and MAC addresses parsed from text (pure). Used at the edges (YAML,
 * CLI, topology specs) to turn strings into bytes for netlink, with errors that name the input.
 */
import { InvalidArgumentError } from '../errors.js';
import { net } from '../util/node-builtins.js';

/** A parsed IP address. */
export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Buffer;
  /** The text it was parsed from (normalised for IPv4). */
  text: string;
}

/** An address with a prefix length, e.g. 10.0.0.1/24. */
export interface Cidr extends IpAddress {
  prefix: number;
}

function ipv6Bytes(s: string): Buffer {
  let text = s;
  const out = Buffer.alloc(16);
  // an embedded IPv4 tail (::ffff:1.2.3.4)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4?.[1]) {
    tail = v4[1].split('.').map(Number);
    const hi = ((tail[0] ?? 0) << 8) | (tail[1] ?? 0);
    const lo = ((tail[2] ?? 0) << 8) | (tail[3] ?? 0);
    text = `${text.slice(0, -v4[1].length)}${hi.toString(16)}:${lo.toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Whether s is an IPv4 or IPv6 address. */
export function isIp(s: string): boolean {
  return net().isIPv4(s) || net().isIPv6(s);
}

/**
 * Parses an IPv4 or IPv6 address.
 * @throws InvalidArgumentError naming the text.
 */
export function parseIp(s: string): IpAddress {
  if (net().isIPv4(s)) return { family: 4, bytes: Buffer.from(s.split('.').map(Number)), text: s };
  if (net().isIPv6(s)) return { family: 6, bytes: ipv6Bytes(s), text: s };
  throw new InvalidArgumentError(`invalid IP address "${s}"`);
}

/**
 * Parses `ADDR/LEN` (prefix length required, in range for the family).
 * @throws InvalidArgumentError naming the text.
 */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  if (slash < 0) throw new InvalidArgumentError(`invalid CIDR "${s}": expected ADDRESS/PREFIXLEN`);
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  const prefix = Number(lenText);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(lenText) || prefix > max) {
    throw new InvalidArgumentError(`invalid CIDR "${s}": prefix length must be 0-${max}`);
  }
  return { ...ip, prefix };
}

/** The network part of a CIDR (host bits cleared), as bytes. */
export function networkOf(c: Cidr): Buffer {
  const out = Buffer.from(c.bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, c.prefix - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Whether addr lies inside the prefix of c. */
export function cidrContains(c: Cidr, addr: IpAddress): boolean {
  if (c.family !== addr.family) return false;
  return networkOf(c).equals(networkOf({ ...addr, prefix: c.prefix }));
}

/** Whether ip is a multicast address (224.0.0.0/4 or ff00::/8). */
export function isMulticast(ip: IpAddress): boolean {
  return ip.family === 4 ? ((ip.bytes[0] ?? 0) & 0xf0) === 0xe0 : ip.bytes[0] === 0xff;
}

/**
 * Parses a MAC address `aa:bb:cc:dd:ee:ff`.
 * @throws InvalidArgumentError naming the text.
 */
export function parseMac(s: string): Buffer {
  if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(s)) {
    throw new InvalidArgumentError(
      `invalid MAC address "${s}": expected six hex octets like 02:00:00:00:00:01`,
    );
  }
  return Buffer.from(s.split(':').map((o) => parseInt(o, 16)));
}

/** Formats 4 or 16 address bytes as text. */
export function formatIp(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

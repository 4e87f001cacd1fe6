/**
 * Helpers for address fields of decoded keys and values. Kernel structs keep IPv4 addresses as
 * a `__be32` in network byte order; the codec reads it as a little-endian u32, so these helpers
 * convert between that number and the dotted text. MAC and IPv6 fields decode to Buffers.
 */
import { InvalidArgumentError } from '../errors.js';
import { net } from '../util/node-builtins.js';

/**
 * Formats an IPv4 address field: a `__be32` decoded as number (memory order), or 4 bytes.
 * Pass `{ hostOrder: true }` for a u32 that holds the address in host order (e.g. BCC's
 * proto.h `ip->src`, which the dialect reads byte-swapped).
 */
export function formatIPv4(v: number | Uint8Array, opts: { hostOrder?: boolean } = {}): string {
  if (v instanceof Uint8Array) {
    if (v.length !== 4) throw new InvalidArgumentError(`an IPv4 address has 4 bytes, got ${v.length}`);
    return `${v[0]}.${v[1]}.${v[2]}.${v[3]}`;
  }
  const n = v >>> 0;
  const b = [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
  if (opts.hostOrder) b.reverse();
  return b.join('.');
}

/**
 * Parses dotted IPv4 text into the number a `__be32` field holds (memory order), or the host
 * order number with `{ hostOrder: true }`.
 * @throws InvalidArgumentError for text that is not an IPv4 address.
 */
export function parseIPv4(s: string, opts: { hostOrder?: boolean } = {}): number {
  if (!net().isIPv4(s)) throw new InvalidArgumentError(`"${s}" is not an IPv4 address`);
  const b = s.split('.').map(Number);
  if (opts.hostOrder) b.reverse();
  return ((b[0] ?? 0) | ((b[1] ?? 0) << 8) | ((b[2] ?? 0) << 16) | ((b[3] ?? 0) << 24)) >>> 0;
}

/** Formats 16 bytes (an `in6_addr` or `u8[16]` field) as RFC 5952 text. */
export function formatIPv6(v: Uint8Array): string {
  if (v.length !== 16) throw new InvalidArgumentError(`an IPv6 address has 16 bytes, got ${v.length}`);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((v[i] ?? 0) << 8) | (v[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Parses IPv6 text into the 16 bytes an `in6_addr` field holds.
 * @throws InvalidArgumentError for text that is not an IPv6 address.
 */
export function parseIPv6(s: string): Buffer {
  if (!net().isIPv6(s)) throw new InvalidArgumentError(`"${s}" is not an IPv6 address`);
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    const hi = (((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16);
    const lo = (((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16);
    text = `${s.slice(0, -v4[1].length)}${hi}:${lo}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((x, i) => out.writeUInt16BE(parseInt(x, 16), i * 2));
  return out;
}

/**
 * Formats a MAC address: 6 bytes in wire order, or a number/bigint holding the 48-bit address
 * in host order (as BCC's proto.h `ethernet->src` yields it).
 */
export function formatMac(v: Uint8Array | number | bigint): string {
  let bytes: number[];
  if (v instanceof Uint8Array) {
    if (v.length !== 6) throw new InvalidArgumentError(`a MAC address has 6 bytes, got ${v.length}`);
    bytes = [...v];
  } else {
    const n = BigInt(v);
    bytes = [40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 0xffn));
  }
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/**
 * Parses `aa:bb:cc:dd:ee:ff` into 6 bytes in wire order.
 * @throws InvalidArgumentError for malformed text.
 */
export function parseMac(s: string): Buffer {
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(s))
    throw new InvalidArgumentError(`"${s}" is not a MAC address`);
  return Buffer.from(s.split(/[:-]/).map((x) => parseInt(x, 16)));
}

/** The 48-bit host-order number of a MAC address (for u64 fields filled from proto.h reads). */
export function macToBigInt(s: string): bigint {
  return parseMac(s).reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/**
 * tcpconnect -d: DNS answers seen on the wire, remembered by address, so a connect to an address
 * can be shown with the name that was looked up for it (BCC's dnslib + TTLCache part of
 * tcpconnect). The parser reads one DNS message (RFC 1035 §4.1) with name compression.
 */
import { formatIPv4, formatIPv6 } from '../maps/net-format.js';

/** The names of one DNS response: the question and the A/AAAA addresses it was answered with. */
export interface DnsAnswer {
  /** The queried name, without the trailing dot. */
  question: string;
  /** Addresses of the A and AAAA records among the answers, formatted as inet_ntop does. */
  addresses: string[];
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/** Reads a (possibly compressed) name at `off`; the name and the offset after it in place. */
function readName(pkt: Buffer, off: number): { name: string; next: number } | undefined {
  const labels: string[] = [];
  let next: number | undefined;
  for (let hops = 0; hops < 128; hops++) {
    if (off >= pkt.length) return undefined;
    const len = pkt[off] ?? 0;
    if (len === 0) return { name: labels.join('.'), next: next ?? off + 1 };
    if ((len & 0xc0) === 0xc0) {
      if (off + 1 >= pkt.length) return undefined;
      next ??= off + 2;
      off = ((len & 0x3f) << 8) | (pkt[off + 1] ?? 0);
      continue;
    }
    if ((len & 0xc0) !== 0 || off + 1 + len > pkt.length) return undefined;
    labels.push(pkt.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  return undefined; // a pointer loop
}

/**
 * Parses a DNS message and returns its question and answer addresses when it is a response
 * (QR set) to exactly one question with answers or the authoritative flag, as BCC's tcpconnect
 * keeps them; undefined for anything else or a malformed message.
 */
export function parseDnsAnswer(pkt: Buffer): DnsAnswer | undefined {
  if (pkt.length < 12) return undefined;
  const flags = pkt.readUInt16BE(2);
  const qdcount = pkt.readUInt16BE(4);
  const ancount = pkt.readUInt16BE(6);
  if (flags >> 15 !== 1 || qdcount !== 1) return undefined;
  if (ancount === 0 && ((flags >> 10) & 1) === 0) return undefined;
  const q = readName(pkt, 12);
  if (!q || q.next + 4 > pkt.length) return undefined;
  let off = q.next + 4; // QTYPE, QCLASS
  const addresses: string[] = [];
  for (let i = 0; i < ancount; i++) {
    const n = readName(pkt, off);
    if (!n || n.next + 10 > pkt.length) break;
    const type = pkt.readUInt16BE(n.next);
    const rdlen = pkt.readUInt16BE(n.next + 8);
    const rdata = n.next + 10;
    if (rdata + rdlen > pkt.length) break;
    if (type === TYPE_A && rdlen === 4) addresses.push(formatIPv4(pkt.subarray(rdata, rdata + 4)));
    if (type === TYPE_AAAA && rdlen === 16) addresses.push(formatIPv6(pkt.subarray(rdata, rdata + 16)));
    off = rdata + rdlen;
  }
  return { question: q.name, addresses };
}

/** Options of DnsCache (BCC's values by default). */
export interface DnsCacheOptions {
  /** Most addresses kept (default 10240); the oldest goes first. */
  maxEntries?: number;
  /** How long an answer is kept, in ms (default 24 h). */
  ttlMs?: number;
  /** A delay past which the connect shows it, in ms (default 100). */
  showDelayMs?: number;
  /** The clock, in ms (default performance.now). */
  now?: () => number;
}

/** Names by address from DNS answers, and BCC's QUERY column for a connect. */
export class DnsCache {
  private readonly names = new Map<string, { name: string; at: number }>();
  private readonly max: number;
  private readonly ttl: number;
  private readonly showDelay: number;
  private readonly now: () => number;

  constructor(opts: DnsCacheOptions = {}) {
    this.max = opts.maxEntries ?? 10240;
    this.ttl = opts.ttlMs ?? 86_400_000;
    this.showDelay = opts.showDelayMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
  }

  /** Remembers the addresses of a DNS response packet (ignored unless parseDnsAnswer keeps it). */
  addPacket(pkt: Buffer): void {
    const a = parseDnsAnswer(pkt);
    if (!a) return;
    const at = this.now();
    for (const addr of a.addresses) {
      this.names.delete(addr);
      this.names.set(addr, { name: a.question, at });
      if (this.names.size > this.max) {
        const oldest = this.names.keys().next().value;
        if (oldest !== undefined) this.names.delete(oldest);
      }
    }
  }

  /**
   * The QUERY column for a connect to `addr`: the name looked up for it, with the time since
   * the answer when that exceeds 100 ms (`name (123.342ms)`); `localhost` for 127.0.0.1 and ::1
   * without an answer; otherwise `No DNS Query`.
   */
  query(addr: string): string {
    const e = this.names.get(addr);
    const now = this.now();
    if (!e || now - e.at > this.ttl) {
      if (e) this.names.delete(addr);
      return addr === '127.0.0.1' || addr === '::1' ? 'localhost' : 'No DNS Query';
    }
    const delay = now - e.at;
    return delay > this.showDelay ? `${e.name} (${delay.toFixed(3)}ms)` : e.name;
  }
}

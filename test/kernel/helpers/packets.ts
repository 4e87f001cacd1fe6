/** Packet-level checks for tests: counting ICMP echo requests seen on an interface. */
import type { PacketSocket } from '../../../src/index.js';
import { nsExec, type VethPairFixture } from './netns.js';

/** Whether an Ethernet frame is an IPv4 ICMP echo request. */
export const isEchoRequest = (p: Buffer): boolean =>
  p.length > 34 && p.readUInt16BE(12) === 0x0800 && p[23] === 1 && p[14 + (p[14]! & 0xf) * 4] === 8;

/**
 * Reads packets until n echo requests arrived (other traffic is skipped) or the timeout;
 * returns how many arrived. Start it before sending, await it after.
 */
export async function echoRequests(sock: PacketSocket, n: number, timeoutMs = 5000): Promise<number> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let seen = 0;
  try {
    for await (const p of sock.packets({ signal: ac.signal })) {
      if (isEchoRequest(p) && ++seen === n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

/** How many replies `ping -c N` got, from its output (it exits 1 when some are lost). */
export function pingReceived(stdout: string): number {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (!m) throw new Error(`unexpected ping output: ${stdout}`);
  return Number(m[2]);
}

/** Pings the pair's second address n times from its first namespace; how many were answered. */
export function pingsAnswered(net: VethPairFixture, n: number): number {
  let out: string;
  try {
    out = nsExec(net.ns1, ['ping', '-c', String(n), '-i', '0.05', '-W', '1', net.ip2]);
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? ''); // ping exits 1 when some are lost
  }
  return pingReceived(out);
}

/**
 * struct tc_ratespec, psched ticks and rate tables (what iproute2's tc_core computes), pure.
 * The kernel keeps time in psched ticks of 64 ns (PSCHED_SHIFT 6, /proc/net/psched).
 */
import type { StructIn } from '../schema.js';
import type { TC_RATESPEC } from './tca.js';

/** Nanoseconds per psched tick. */
export const NS_PER_TICK = 64;
/** TC_LINKLAYER_ETHERNET: tells the kernel no legacy rate table is needed for htb/tbf. */
export const TC_LINKLAYER_ETHERNET = 1;

/** psched ticks per microsecond (1000 / 64, from /proc/net/psched's t2us and us2t). */
const TICKS_PER_US = 1000 / NS_PER_TICK;

/**
 * psched ticks to send `bytes` at `bytesPerSecond`, computed as iproute2's tc_calc_xmittime
 * does (whole microseconds first, then ticks, both truncated), so tables match tc's bit for bit.
 */
export function xmitTicks(bytesPerSecond: number, bytes: number): number {
  const us = Math.floor(1e6 * (bytes / bytesPerSecond));
  return Math.min(0xffffffff, Math.floor(us * TICKS_PER_US));
}

/** Microseconds to psched ticks, truncated as iproute2's tc_core_time2tick does. */
export function usToTicks(us: number): number {
  return Math.min(0xffffffff, Math.floor(us * TICKS_PER_US));
}

/** A rate spec's fields. */
export interface RateSpec {
  /** Bytes per second (capped at 2^32-1; larger rates go in a 64-bit attribute). */
  bytesPerSecond: number;
  cellLog?: number;
  mpu?: number;
  overhead?: number;
}

/** The largest rate struct tc_ratespec holds; faster ones also go in a 64-bit attribute. */
export const RATE32_MAX = 0xffffffff;

/** Whether a rate (bytes per second) needs the 64-bit attribute next to its tc_ratespec. */
export const needsRate64 = (bytesPerSecond: number): boolean => bytesPerSecond > RATE32_MAX;

/** struct tc_ratespec's values for a rate (ethernet link layer: no legacy rate table needed). */
export function rateSpec(r: RateSpec): StructIn<typeof TC_RATESPEC.fields> {
  return {
    cell_log: r.cellLog ?? 0,
    linklayer: TC_LINKLAYER_ETHERNET,
    overhead: r.overhead ?? 0,
    cell_align: r.cellLog === undefined ? 0 : -1,
    mpu: r.mpu ?? 0,
    rate: Math.min(RATE32_MAX, Math.round(r.bytesPerSecond)),
  };
}

/**
 * The 256-entry rate table (struct tc_ratespec's companion, 1 KiB) the police action needs,
 * and the cell_log it was built with (iproute2's tc_calc_rtable).
 */
export function rateTable(bytesPerSecond: number, mtu: number): { table: Buffer; cellLog: number } {
  const m = mtu > 0 ? mtu : 2047;
  let cellLog = 0;
  // arithmetic, not shifts: an MTU of 2^31 or more would turn negative in 32-bit shifts
  while (Math.floor(m / 2 ** cellLog) > 255) cellLog++;
  const table = Buffer.alloc(1024);
  for (let i = 0; i < 256; i++) table.writeUInt32LE(xmitTicks(bytesPerSecond, (i + 1) * 2 ** cellLog), i * 4);
  return { table, cellLog };
}

/** Bits per second to the bytes per second the kernel's rate fields hold. */
export function rateBytes(bitsPerSecond: number): number {
  return Math.round(bitsPerSecond / 8);
}

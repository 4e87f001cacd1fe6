/** Rates, sizes, times and percentages as written in testbeds (`10mbit`, `32kb`, `5ms`, `1%`). */

const RATE_UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
};

/** Bits per second from `10mbit`, `1gbit`, `125kbps` (bytes), or a number of bits/s; undefined if invalid. */
export function parseRate(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? v : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  if (!m?.[1]) return undefined;
  const unit = (m[2] ?? '').toLowerCase() || 'bit';
  const mult = RATE_UNITS[unit];
  const n = Number(m[1]) * (mult ?? NaN);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

const SIZE_UNITS: Record<string, number> = { b: 1, '': 1, kb: 1024, k: 1024, mb: 1 << 20, m: 1 << 20 };

/** Bytes from `32kb`, `1mb`, `1500` or a number; undefined if invalid. */
export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
  const m = /^(\d+)\s*([a-z]*)$/i.exec(v.trim());
  const mult = SIZE_UNITS[(m?.[2] ?? 'x').toLowerCase()];
  if (!m?.[1] || mult === undefined) return undefined;
  return Number(m[1]) * mult;
}

/** Microseconds from `10ms`, `250us`, `1s`; undefined if invalid. */
export function parseTime(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(us|ms|s)$/.exec(v.trim());
  if (!m?.[1]) return undefined;
  const mult = m[2] === 's' ? 1e6 : m[2] === 'ms' ? 1e3 : 1;
  return Number(m[1]) * mult;
}

/** A fraction 0..1 from `1%` or `0.5%`; undefined if invalid. */
export function parsePercent(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(v.trim());
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  return n <= 100 ? n / 100 : undefined;
}

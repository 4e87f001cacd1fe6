/**
 * Log2 histograms of the tracing examples: bpf_log2l's slot of a value (what a check expects),
 * and histograms printed every interval (BCC's `while True: sleep(interval);
 * print_log2_hist(); clear()` loops of vfsreadlat and strlen_hist): the loop that ends at
 * Ctrl-C, after a count of intervals or at the end of --duration, a reader of what a histogram
 * gained since the last interval, and the sum of the intervals.
 */
import type { Table } from '../../../src/index.js';
import type { RunMode } from '../../common/cli.js';

/**
 * bpf_log2l's slot for `n` (include/bcc/helpers.h): floor(log2 n) + 1, and 1 for 0 (BCC's
 * print_log2_hist shows slot 1 as "0 -> 1").
 */
export function log2Slot(n: number | bigint): number {
  const v = BigInt(n);
  return v <= 1n ? 1 : v.toString(2).length;
}

/** The per-slot sum of several histograms (the intervals of one run). */
export function sumSlots(histograms: Iterable<ReadonlyMap<number, bigint>>): Map<number, bigint> {
  const all = new Map<number, bigint>();
  for (const h of histograms) for (const [k, v] of h) all.set(k, (all.get(k) ?? 0n) + v);
  return all;
}

/**
 * What a histogram table gained since the last take(). BCC prints the table and clears it, so
 * a count that lands between the two is lost; reading the growth instead shows the same
 * per-interval histogram without losing any.
 */
export class HistogramDelta {
  private readonly seen = new Map<number, bigint>();

  constructor(private readonly table: Table<number, bigint>) {}

  /** The slots that grew since the last call, with how much. */
  take(): Map<number, bigint> {
    const grew = new Map<number, bigint>();
    for (const [k, v] of this.table.entries()) {
      const d = v - (this.seen.get(k) ?? 0n);
      this.seen.set(k, v);
      if (d > 0n) grew.set(k, d);
    }
    return grew;
  }
}

/** Options of {@link everyInterval}. */
export interface IntervalLoop {
  mode: RunMode;
  /** Seconds between ticks. */
  interval: number;
  /** Ticks before the loop ends (default: until Ctrl-C or the duration's end). */
  count?: number;
  /** Awaited before the last tick (the workload's end), so its counts are all in that one. */
  beforeLast?: Promise<unknown>;
  /** Called every interval; `last` on the final call. */
  tick(last: boolean): void;
}

/**
 * Calls `tick` every interval until Ctrl-C (interactive mode), `count` ticks, or the end of
 * the duration, whichever comes first; the last tick comes at the end of the duration even
 * when that is mid-interval.
 */
export async function everyInterval(loop: IntervalLoop): Promise<void> {
  const { mode, interval } = loop;
  let interrupted = false;
  const stopped =
    mode.kind === 'interactive' ? mode.waitForStop().then(() => (interrupted = true)) : undefined;
  const deadline = mode.kind === 'duration' ? Date.now() + mode.seconds * 1000 : Infinity;
  for (let ticks = 1; ; ticks++) {
    // whether this interval is the last is decided before waiting, from one clock reading:
    // a timer may fire a millisecond before Date.now() reaches the deadline
    const left = deadline - Date.now();
    const lastByTime = left <= interval * 1000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise((r) => (timer = setTimeout(r, lastByTime ? Math.max(0, left) : interval * 1000))),
      ...(stopped ? [stopped] : []),
    ]);
    clearTimeout(timer);
    const last = lastByTime || interrupted || (loop.count !== undefined && ticks >= loop.count);
    if (last && loop.beforeLast) await loop.beforeLast;
    loop.tick(last);
    if (last) return;
  }
}

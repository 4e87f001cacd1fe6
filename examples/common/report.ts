/**
 * What an example showed: named checks (each passed or failed, with the numbers behind it) and
 * summary lines for `npm start`'s table. An example run in `--duration` mode exits 0 only when
 * every check passed.
 */

/** One claim an example makes about what it observed. */
export interface Check {
  /** What is claimed, e.g. "wan0 -> neighbor0 within 15% of 128 kbit/s". */
  name: string;
  ok: boolean;
  /** The measurement behind it, e.g. "131.2 kbit/s". */
  detail: string;
}

/** The outcome of one example run. */
export interface ExampleReport {
  example: string;
  /** The testbed's per-run prefix (its namespaces are PREFIX-*). */
  prefix: string;
  checks: Check[];
  /** Lines for the tour's summary (rates against limits, matrices, counters). */
  summary: string[];
}

/** Whether every check of a report passed (a report without checks did not show anything). */
export function reportOk(r: ExampleReport): boolean {
  return r.checks.length > 0 && r.checks.every((c) => c.ok);
}

/** Collects checks as an example goes. */
export class Checks {
  readonly list: Check[] = [];

  /** Records a check and returns whether it passed. */
  add(name: string, ok: boolean, detail = ''): boolean {
    this.list.push({ name, ok, detail });
    return ok;
  }

  /** Records "value within `tolerance` (a fraction) of `target`". */
  within(
    name: string,
    value: number,
    target: number,
    tolerance: number,
    unit: (v: number) => string,
  ): boolean {
    const off = target === 0 ? Infinity : value / target - 1;
    return this.add(
      name,
      Math.abs(off) <= tolerance,
      `${unit(value)} (${off >= 0 ? '+' : ''}${(off * 100).toFixed(1)}% of ${unit(target)})`,
    );
  }
}

/** The checks as text lines: `ok   name: detail` / `FAIL name: detail`. */
export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`)
    .join('\n');
}

/** A plain text table; the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const width = rows.reduce((n, r) => Math.max(n, r.length), 0);
  const widths = [...Array(width).keys()].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Bits per second as kbit/s or Mbit/s. */
export function formatRate(bps: number): string {
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mbit/s` : `${(bps / 1e3).toFixed(1)} kbit/s`;
}

/** ping's "N packets transmitted, M received" summary. */
export function parsePingSummary(out: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  return m ? { sent: Number(m[1]), received: Number(m[2]) } : { sent: 0, received: 0 };
}

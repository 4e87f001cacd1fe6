/**
 * The process-wide quota of open kprobes and uprobes (BCC's get_probe_limit and its global
 * count of open probes): an attach that would take the count past the limit fails before
 * anything is attached, so a regular expression matching thousands of functions cannot
 * exhaust file descriptors or stall the machine probe by probe.
 */
import { InvalidArgumentError, TsbccError } from '../errors.js';

/** BCC's default limit when BCC_PROBE_LIMIT is not set. */
export const DEFAULT_PROBE_LIMIT = 1000;

let open = 0;

/**
 * The most kprobes, kretprobes, uprobes and uretprobes (USDT sites included) this process may
 * hold open at once: `BCC_PROBE_LIMIT` from the environment, as in BCC, else 1000.
 * @throws InvalidArgumentError when BCC_PROBE_LIMIT is set but not a positive integer.
 */
export function getProbeLimit(): number {
  const env = process.env['BCC_PROBE_LIMIT'];
  if (env === undefined || env === '') return DEFAULT_PROBE_LIMIT;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`BCC_PROBE_LIMIT must be a positive integer, not "${env}"`);
  return n;
}

/** Kprobes and uprobes this process holds open now (every BPF object together). */
export function numOpenProbes(): number {
  return open;
}

/**
 * Fails when `count` more probes would exceed the limit (BCC's "would exceed global quota").
 * @throws TsbccError (code `PROBE_QUOTA`) naming what was asked, what is open and the limit.
 */
export function checkProbeQuota(count: number, what: string): void {
  const limit = getProbeLimit();
  if (open + count > limit)
    throw new TsbccError(
      `${what}: ${count} more probe${count === 1 ? '' : 's'} with ${open} open would exceed the limit of ${limit} (BCC_PROBE_LIMIT)`,
      'PROBE_QUOTA',
    );
}

/**
 * @internal Counts one open probe; the returned function gives it back (once, however often
 * it is called).
 */
export function holdProbe(): () => void {
  open++;
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    open--;
  };
}

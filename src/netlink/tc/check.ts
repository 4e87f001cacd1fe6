/**
 * Validation of tc specs given as plain data: a {@link Check} reads each field with tc's
 * parsers (rates, sizes, times, handles, verdicts, interface names), records every problem with
 * its path, and hands back the parsed values (0 / the fallback where a field is bad, so a kind's
 * parser runs to the end and reports everything). The same code serves src/tc (which throws the
 * first problem) and src/topology (which lists them all with YAML paths).
 */
import { InvalidArgumentError } from '../../errors.js';
import type { Problem } from '../../util/problem.js';
import { interfaceNameProblem } from '../../util/netns-path.js';
import { parseHandle, parseRate, parseSize, parseTime } from './units.js';
import { TC_VERDICT_NAMES, type TcVerdictName } from './verdict.js';

export type { Problem };

const U32_MAX = 0xffffffff;

/** Collects the problems of one spec, at `path` (e.g. `links[0].shaping`, or '' at the top). */
export class Check {
  readonly problems: Problem[] = [];

  constructor(
    /** Where the spec sits; field paths are `${path}.${field}`. */
    readonly path: string,
    /** What the spec is, for messages ("tbf", "police", "filter"). */
    readonly what: string,
  ) {}

  /** The path of a field ('' = the spec itself). */
  at(field: string): string {
    if (!field) return this.path;
    if (field.startsWith('[')) return `${this.path}${field}`;
    return this.path ? `${this.path}.${field}` : field;
  }

  /** A check of a part of this spec (an action in a filter, ...), adding to the same problems. */
  sub(field: string, what: string): Check {
    const c = new Check(this.at(field), what);
    (c as { problems: Problem[] }).problems = this.problems;
    return c;
  }

  /** Records a problem with a field. */
  add(field: string, message: string): void {
    this.problems.push({ path: this.at(field), message });
  }

  /** Whether nothing is wrong so far. */
  get ok(): boolean {
    return this.problems.length === 0;
  }

  /** @throws InvalidArgumentError with the first problem's message when there is one. */
  orThrow(): void {
    const [first] = this.problems;
    if (first) throw new InvalidArgumentError(first.message);
  }

  private parsed<T>(field: string, fallback: T, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof InvalidArgumentError)) throw e;
      this.add(field, e.message);
      return fallback;
    }
  }

  private quantity(
    v: unknown,
    field: string,
    example: string,
    parse: (x: number | string, what: string) => number,
    max?: { value: number; unit: string },
  ): number {
    if (v === undefined) {
      this.add(field, `${this.what} needs a ${field} such as ${example}`);
      return 0;
    }
    if (typeof v !== 'number' && typeof v !== 'string') {
      this.add(
        field,
        `${this.what} ${field} must be a number or a string such as ${example}, not ${typeof v}`,
      );
      return 0;
    }
    const n = this.parsed(field, 0, () => parse(v, `${this.what} ${field}`));
    if (max && n > max.value) {
      // the kernel's structs hold sizes and times in 32 bits
      this.add(field, `invalid ${this.what} ${field} ${JSON.stringify(v)}: at most ${max.value} ${max.unit}`);
      return 0;
    }
    return n;
  }

  /** A rate in bits per second ("10mbit", or a number); required. */
  rate(v: unknown, field: string): number {
    return this.quantity(v, field, '1mbit', parseRate);
  }
  /** A size in bytes ("32k", or a number) that fits the kernel's 32-bit fields; required. */
  size(v: unknown, field: string): number {
    return this.quantity(v, field, '10k', parseSize, { value: U32_MAX, unit: 'bytes' });
  }
  /** A time in whole microseconds ("10ms", or a number) that fits 32 bits; required. */
  time(v: unknown, field: string): number {
    return Math.round(this.quantity(v, field, '10ms', parseTime, { value: U32_MAX, unit: 'microseconds' }));
  }
  /** An optional rate. */
  rateOpt(v: unknown, field: string): number | undefined {
    return v === undefined ? undefined : this.rate(v, field);
  }
  /** An optional size. */
  sizeOpt(v: unknown, field: string): number | undefined {
    return v === undefined ? undefined : this.size(v, field);
  }
  /** An optional time. */
  timeOpt(v: unknown, field: string): number | undefined {
    return v === undefined ? undefined : this.time(v, field);
  }

  /** An optional tc handle ("1:10", "ffff:", a number). */
  handleOpt(v: unknown, field: string): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' && typeof v !== 'string') {
      this.add(field, `${this.what} ${field} must be a handle such as "1:10" or a number`);
      return undefined;
    }
    return this.parsed<number | undefined>(field, undefined, () => parseHandle(v, `${this.what} ${field}`));
  }

  /** An optional integer in [lo, hi] ("invalid filter priority 70000: 1-65535"). */
  intOpt(v: unknown, field: string, lo: number, hi: number): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      this.add(field, `invalid ${this.what} ${field} ${JSON.stringify(v)}: ${lo}-${hi}`);
      return undefined;
    }
    return v;
  }

  /** An optional boolean. */
  boolOpt(v: unknown, field: string): boolean | undefined {
    if (v === undefined || typeof v === 'boolean') return v;
    this.add(field, `${field} must be true or false`);
    return undefined;
  }

  /** One of a list of words; `fallback` when absent. */
  oneOf<T extends string>(v: unknown, field: string, values: readonly T[], fallback: T): T {
    if (v === undefined) return fallback;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    this.add(field, `invalid ${this.what} ${field} ${JSON.stringify(v)} (use ${values.join(' or ')})`);
    return fallback;
  }

  /** A verdict by name; `fallback` when absent. */
  verdict(v: unknown, field: string, fallback: TcVerdictName): TcVerdictName {
    if (v === undefined) return fallback;
    if (TC_VERDICT_NAMES.includes(v as TcVerdictName)) return v as TcVerdictName;
    const what = field === 'verdict' ? this.what : `${this.what} ${field}`;
    this.add(field, `invalid ${what} verdict ${JSON.stringify(v)} (use ${TC_VERDICT_NAMES.join(', ')})`);
    return fallback;
  }

  /** An interface name by the kernel's rules; `missing` is the message when absent. */
  ifname(v: unknown, field: string, missing: string): string {
    if (v === undefined) {
      this.add(field, missing);
      return '';
    }
    const bad = interfaceNameProblem(v);
    if (bad) {
      this.add(field, bad);
      return '';
    }
    return v as string;
  }
}

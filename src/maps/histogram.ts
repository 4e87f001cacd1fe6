/**
 * Histograms in BCC's text format (print_log2_hist / print_linear_hist), byte for byte, and a
 * JSON form. Input is a table's entries: a scalar key is the slot; a struct key's first field
 * is the section (bucket) and its second field the slot.
 */
import { InvalidArgumentError } from '../errors.js';

/** BCC's number of log2 slots and linear slots. */
export const LOG2_INDEX_MAX = 65;
export const LINEAR_INDEX_MAX = 1025;
const STARS_MAX = 40;

/** Options shared by the histogram printers (BCC's argument names in camelCase). */
export interface HistogramOptions<B = unknown> {
  /** Column header for the values; default `value`. */
  valType?: string;
  /** Header of each section for struct keys; default `Bucket ptr`. */
  sectionHeader?: string;
  /** Formats a section's bucket for its header; default: BCC's repr of the value. */
  sectionPrintFn?: (bucket: B) => string;
  /** Maps each bucket before grouping. */
  bucketFn?: (bucket: B) => B;
  /** Skip leading empty rows. */
  stripLeadingZero?: boolean;
  /** Orders the sections; default: first-seen order. */
  bucketSortFn?: (buckets: B[]) => B[];
}

function toNum(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new InvalidArgumentError(`histogram ${what} must be an integer, got ${typeof v}`);
}

function stars(val: number, valMax: number, width: number): string {
  let text = '';
  for (let i = 0; ; i++) {
    if (i > (width * val) / valMax - 1 || i > width - 1) break;
    text += '*';
  }
  if (val > valMax) text = `${text.slice(0, -1)}+`;
  return text;
}

const padL = (s: string | number, w: number): string => String(s).padStart(w);
const padR = (s: string | number, w: number): string => String(s).padEnd(w);

function maxes(vals: number[]): { idxMax: number; valMax: number } {
  let idxMax = -1;
  let valMax = 0;
  vals.forEach((v, i) => {
    if (v > 0) idxMax = i;
    if (v > valMax) valMax = v;
  });
  return { idxMax, valMax };
}

/** Formats one log2 histogram (slot i counts values in [2^(i-1), 2^i - 1]) exactly as BCC prints it. */
export function formatLog2Vals(vals: number[], valType = 'value', stripLeadingZero = false): string {
  const { idxMax, valMax } = maxes(vals);
  const lines: string[] = [];
  const wide = idxMax > 32;
  const width = wide ? Math.floor(STARS_MAX / 2) : STARS_MAX;
  if (idxMax > 0) {
    lines.push(
      wide
        ? `               ${padR(valType, 29)} : count     distribution`
        : `     ${padR(valType, 19)} : count     distribution`,
    );
  }
  let strip = stripLeadingZero;
  for (let i = 1; i <= idxMax; i++) {
    let low = (1n << BigInt(i)) >> 1n;
    const high = (1n << BigInt(i)) - 1n;
    if (low === high) low -= 1n;
    const val = vals[i] ?? 0;
    const row = wide
      ? `${padL(String(low), 20)} -> ${padR(String(high), 20)} : ${padR(val, 8)} |${padR(stars(val, valMax, width), width)}|`
      : `${padL(String(low), 10)} -> ${padR(String(high), 10)} : ${padR(val, 8)} |${padR(stars(val, valMax, width), width)}|`;
    if (strip) {
      if (val) {
        lines.push(row);
        strip = false;
      }
    } else lines.push(row);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** Formats one linear histogram (slot = value) exactly as BCC prints it. */
export function formatLinearVals(vals: number[], valType = 'value', stripLeadingZero = false): string {
  const { idxMax, valMax } = maxes(vals);
  const lines: string[] = [];
  if (idxMax >= 0) lines.push(`     ${padR(valType, 13)} : count     distribution`);
  let strip = stripLeadingZero;
  for (let i = 0; i <= idxMax; i++) {
    const val = vals[i] ?? 0;
    const row = `        ${padR(i, 10)} : ${padR(val, 8)} |${padR(stars(val, valMax, STARS_MAX), STARS_MAX)}|`;
    if (strip) {
      if (val) {
        lines.push(row);
        strip = false;
      }
    } else lines.push(row);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** Python's repr of a bucket value as BCC prints it with %r (bytes print as b'...'). */
function repr(b: unknown): string {
  if (typeof b === 'string') return `b'${b}'`;
  if (Buffer.isBuffer(b)) return `b'${b.toString('latin1').replace(/\0+$/, '')}'`;
  return String(b);
}

interface Grouped {
  sections: Map<unknown, number[]> | undefined;
  flat: number[];
}

function group(
  entries: Iterable<readonly [unknown, unknown]>,
  slots: number,
  opts: HistogramOptions,
): Grouped {
  const flat = new Array<number>(slots).fill(0);
  let sections: Map<unknown, number[]> | undefined;
  for (const [k, v] of entries) {
    const count = toNum(v, 'value');
    if (typeof k === 'object' && k !== null && !Buffer.isBuffer(k)) {
      const fields = Object.keys(k);
      const f1 = fields[0];
      let f2 = fields[1];
      if (f2 === '__pad_1' && fields.length === 3) f2 = fields[2];
      if (f1 === undefined || f2 === undefined)
        throw new InvalidArgumentError('a histogram struct key needs a bucket field and a slot field');
      const rec = k as Record<string, unknown>;
      let bucket = rec[f1];
      if (typeof bucket === 'bigint' && bucket <= BigInt(Number.MAX_SAFE_INTEGER)) bucket = Number(bucket);
      if (Buffer.isBuffer(bucket)) bucket = bucket.toString('latin1').replace(/\0+$/, '');
      if (opts.bucketFn) bucket = opts.bucketFn(bucket);
      sections ??= new Map();
      let vals = sections.get(bucket);
      if (!vals) sections.set(bucket, (vals = new Array<number>(slots).fill(0)));
      const slot = toNum(rec[f2], 'slot');
      if (slot >= 0 && slot < slots) vals[slot] = count;
    } else {
      const slot = toNum(k, 'key');
      if (slot >= 0 && slot < slots) flat[slot] = count;
    }
  }
  return { sections, flat };
}

function formatGrouped(
  g: Grouped,
  opts: HistogramOptions,
  one: (vals: number[], valType: string, strip: boolean) => string,
): string {
  const valType = opts.valType ?? 'value';
  const strip = opts.stripLeadingZero ?? false;
  if (!g.sections) return one(g.flat, valType, strip);
  let buckets = [...g.sections.keys()];
  if (opts.bucketSortFn) buckets = opts.bucketSortFn(buckets);
  let out = '';
  for (const b of buckets) {
    const shown = opts.sectionPrintFn ? opts.sectionPrintFn(b) : repr(b);
    out += `\n${opts.sectionHeader ?? 'Bucket ptr'} = ${shown}\n`;
    out += one(g.sections.get(b) ?? [], valType, strip);
  }
  return out;
}

/** The text BCC's print_log2_hist prints for these entries. */
export function formatLog2Hist(
  entries: Iterable<readonly [unknown, unknown]>,
  opts: HistogramOptions = {},
): string {
  return formatGrouped(group(entries, LOG2_INDEX_MAX, opts), opts, formatLog2Vals);
}

/** The text BCC's print_linear_hist prints for these entries. */
export function formatLinearHist(
  entries: Iterable<readonly [unknown, unknown]>,
  opts: HistogramOptions = {},
): string {
  return formatGrouped(group(entries, LINEAR_INDEX_MAX, opts), opts, formatLinearVals);
}

/** One interval of a JSON histogram. */
export interface JsonHistInterval {
  'interval-start': number;
  'interval-end': number;
  count: number;
}

/** A histogram as data (BCC's print_json_hist fields). */
export interface JsonHist {
  ts: string;
  val_type: string;
  data: JsonHistInterval[];
  /** The section when the key is a struct: [sectionHeader, bucket]. */
  section?: { header: string; bucket: unknown };
}

function jsonVals(vals: number[], valType: string, ts: string): JsonHist {
  let maxNonzero = 0;
  vals.forEach((v, i) => {
    if (v !== 0) maxNonzero = i;
  });
  const data: JsonHistInterval[] = [];
  let index = 1;
  let prev = 0;
  for (let i = 1; i <= maxNonzero; i++) {
    index *= 2;
    data.push({ 'interval-start': prev, 'interval-end': index - 1, count: vals[i] ?? 0 });
    prev = index;
  }
  return { ts, val_type: valType, data };
}

function timestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A log2 histogram as data: one JsonHist, or one per section for struct keys. */
export function log2HistJson(
  entries: Iterable<readonly [unknown, unknown]>,
  opts: HistogramOptions = {},
): JsonHist[] {
  const g = group(entries, LOG2_INDEX_MAX, opts);
  const ts = timestamp(new Date());
  const valType = opts.valType ?? 'value';
  if (!g.sections) return [jsonVals(g.flat, valType, ts)];
  let buckets = [...g.sections.keys()];
  if (opts.bucketSortFn) buckets = opts.bucketSortFn(buckets);
  return buckets.map((b) => ({
    ...jsonVals(g.sections?.get(b) ?? [], valType, ts),
    section: { header: opts.sectionHeader ?? 'Bucket ptr', bucket: b },
  }));
}

/**
 * Fast paths for values that repeat from record to record, used by the compiled decoders
 * (compiled.ts): short `char` arrays decoded as strings (a task's `comm` is the same in
 * thousands of events) come from a small per-field cache keyed by the array's exact bytes, and
 * 64-bit integers below 256 (zeros, flags, small counts) come from a table of bigints instead
 * of a new bigint each. Strings and bigints are immutable primitives compared by value, so a
 * shared one is indistinguishable from a fresh one: decoded values are exactly what the closure
 * decoders in codec.ts give.
 */

/** `char` arrays up to this length are cached (TASK_COMM_LEN is 16; paths are not cached). */
export const MAX_CACHED_CHARS = 32;

/** Slots per cache (direct-mapped: a new string replaces the one in its slot). */
const SLOTS = 256;

/** Lookups per window of the hit-rate check. */
const WINDOW = 4096;
/** Decodes that skip the cache after a window with fewer than 1/4 hits (strings that do not repeat). */
const BYPASS = 65536;

/** Decodes a char array to a string at `o` of `b`; `v` is a DataView over all of `b`. */
export type StringDec = (b: Buffer, o: number, v: DataView) => string;

/**
 * A caching decoder of a `char[n]` array (n <= {@link MAX_CACHED_CHARS}): the array's bytes, all
 * n of them (also those after the NUL), are compared with the cached entry of their hash slot; a
 * hit returns the string decoded before, a miss calls `slow` and keeps its result. When fewer
 * than a quarter of a window's lookups hit, the next {@link BYPASS} decodes call `slow` directly,
 * so strings that do not repeat cost little more than without a cache.
 * @param useView whether it reads through the DataView argument (batch decoders) or the Buffer.
 */
export function cachedCharString(
  n: number,
  slow: (b: Buffer, o: number) => string,
  useView: boolean,
): StringDec {
  const words = n >>> 2;
  const tail = n & 3;
  const width = words + (tail > 0 ? 1 : 0);
  const keys = new Int32Array(SLOTS * width);
  const values = new Array<string | undefined>(SLOTS).fill(undefined);
  const scratch = new Int32Array(Math.max(1, width));
  let lookups = 0;
  let hits = 0;
  let bypass = 0;
  return (b, o, v) => {
    if (bypass > 0) {
      bypass--;
      return slow(b, o);
    }
    if (++lookups === WINDOW) {
      if (hits * 4 < WINDOW) bypass = BYPASS;
      lookups = 0;
      hits = 0;
    }
    let h = 0x2545f491;
    for (let i = 0; i < words; i++) {
      const w = useView ? v.getInt32(o + 4 * i, true) : b.readInt32LE(o + 4 * i);
      scratch[i] = w;
      h = Math.imul(h ^ w, 0x9e3779b1);
    }
    if (tail > 0) {
      let w = 0;
      const at = o + 4 * words;
      for (let j = 0; j < tail; j++) w |= (b[at + j] as number) << (8 * j);
      scratch[words] = w;
      h = Math.imul(h ^ w, 0x9e3779b1);
    }
    const slot = h >>> 24; // the top 8 bits: SLOTS = 256
    const base = slot * width;
    const hit = values[slot];
    if (hit !== undefined) {
      let i = 0;
      while (i < width && keys[base + i] === scratch[i]) i++;
      if (i === width) {
        hits++;
        return hit;
      }
    }
    const s = slow(b, o);
    for (let i = 0; i < width; i++) keys[base + i] = scratch[i] as number;
    values[slot] = s;
    return s;
  };
}

/** 0n..255n, shared by every decoder. */
const SMALL: readonly bigint[] = Array.from({ length: 256 }, (_, i) => BigInt(i));

/** A u64 (or a non-negative s64) at `o`, read through the DataView: small values from the table. */
export function u64View(v: DataView, o: number): bigint {
  if (v.getUint32(o + 4, true) === 0) {
    const lo = v.getUint32(o, true);
    if (lo < 256) return SMALL[lo] as bigint;
  }
  return v.getBigUint64(o, true);
}

/** An s64 at `o`, read through the DataView: small non-negative values from the table. */
export function s64View(v: DataView, o: number): bigint {
  if (v.getUint32(o + 4, true) === 0) {
    const lo = v.getUint32(o, true);
    if (lo < 256) return SMALL[lo] as bigint;
  }
  return v.getBigInt64(o, true);
}

/** A u64 at `o` of `b` (single-value decoders): small values from the table. */
export function u64Buf(b: Buffer, o: number): bigint {
  if (b.readUInt32LE(o + 4) === 0) {
    const lo = b.readUInt32LE(o);
    if (lo < 256) return SMALL[lo] as bigint;
  }
  return b.readBigUInt64LE(o);
}

/** An s64 at `o` of `b` (single-value decoders): small non-negative values from the table. */
export function s64Buf(b: Buffer, o: number): bigint {
  if (b.readUInt32LE(o + 4) === 0) {
    const lo = b.readUInt32LE(o);
    if (lo < 256) return SMALL[lo] as bigint;
  }
  return b.readBigInt64LE(o);
}

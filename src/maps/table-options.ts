/** Options of a typed table: codecs that override the layouts from BTF. */
import type { Codec, CodecOptions } from '../codec/codec.js';

/** Options of table(): codecs override the layouts from BTF. */
export interface TableOptions extends CodecOptions {
  /** Key codec (default: from the map's BTF key layout, else by size). */
  key?: Codec;
  /** Value codec for one value (per-CPU maps: one CPU's value). */
  value?: Codec;
  /** Codec for ring/perf buffer records (default: the event layout the compiler captured). */
  event?: Codec;
}

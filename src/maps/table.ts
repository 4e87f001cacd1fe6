/**
 * Table: a typed view of one map. Keys and values are encoded and decoded with codecs built from
 * the program's BTF; whole-map reads use the batch syscalls where the kernel has them and a
 * native get_next_key walk where it does not (D5). Cheap operations are synchronous.
 */
import type { NativeDump } from '../../native/index.js';
import { InvalidArgumentError, SyscallError, fromNative } from '../errors.js';
import { logger } from '../logger.js';
import { native } from '../native.js';
import { mapTypeName } from '../uapi/map-type.js';
import type { Closeable } from '../resources.js';
import { batchDecoder, encodeToBuffer, viewOf, type Codec } from '../codec/codec.js';
import {
  formatLinearHist,
  formatLog2Hist,
  log2HistJson,
  type HistogramOptions,
  type JsonHist,
} from './histogram.js';
import { RawMap, UpdateFlags } from '../core/raw-map.js';

/** Bytes of keys and values one clear() batch call may return. */
const CLEAR_BUDGET = 8 << 20;

/** Options of the histogram printers: BCC's options plus where the text goes. */
export interface PrintHistOptions<B = unknown> extends HistogramOptions<B> {
  /** Receives the text; default: process.stdout. */
  write?: (text: string) => void;
}

const NO_BATCH = new Set([22 /* EINVAL */, 95 /* EOPNOTSUPP */, 524 /* ENOTSUPP */]);

/**
 * A typed map. Owned by its BPF object (closing the object closes the table's map handle);
 * every method throws ClosedError after that.
 */
export class Table<K = unknown, V = unknown> implements Iterable<[K, V]> {
  private readonly batch: { lookup?: boolean; lookupAndDelete?: boolean; delete?: boolean } = {};

  /**
   * @internal Set by the owning BpfObject: readers and counters opened through this table are
   * handed to it, so closing the object closes them.
   */
  adopt?: (c: Closeable) => void;

  /** @internal Use BPF.table() / BpfObject.table(). */
  constructor(
    /** The raw map underneath (bytes in, bytes out). */
    readonly raw: RawMap,
    /** Key codec. */
    readonly keyCodec: Codec<K>,
    /** Value codec (for per-CPU maps: all CPUs' values). */
    readonly valueCodec: Codec<V>,
  ) {}

  /** The map's name. */
  get name(): string {
    return this.raw.name;
  }

  /** The map's fd (owned by the table's object). @throws ClosedError after close. */
  get fd(): number {
    return this.raw.fd;
  }

  /** The kernel map type number. */
  get type(): number {
    return this.raw.info.type;
  }

  /** The map's max_entries. */
  get maxEntries(): number {
    return this.raw.info.maxEntries;
  }

  /** Whether the map handle is closed. */
  get closed(): boolean {
    return this.raw.closed;
  }

  /** A description for messages, e.g. `map counts (HASH)`. */
  get description(): string {
    return `map ${this.name} (${mapTypeName(this.type)})`;
  }

  /** Encodes a key. @throws InvalidArgumentError naming the field when it does not fit. */
  encodeKey(k: K): Buffer {
    return encodeToBuffer(this.keyCodec, k, `${this.name} key`);
  }

  /** Encodes a value. @throws InvalidArgumentError naming the field when it does not fit. */
  encodeValue(v: V | unknown): Buffer {
    return encodeToBuffer(this.valueCodec, v, `${this.name} value`);
  }

  /** The value at key, or undefined when absent. */
  get(k: K): V | undefined {
    const b = this.raw.lookup(this.encodeKey(k), this.valueCodec.size);
    return b ? this.valueCodec.decode(b, 0) : undefined;
  }

  /** Whether key is present. */
  has(k: K): boolean {
    return this.raw.lookup(this.encodeKey(k), this.valueCodec.size) !== undefined;
  }

  /**
   * Writes value at key (flags: UpdateFlags.ANY, NOEXIST or EXIST). Accepts plain objects,
   * numbers, bigints and Buffers; missing struct fields are zero.
   * @throws InvalidArgumentError for a wrong shape; SyscallError (E2BIG when full, EEXIST...).
   */
  set(k: K, v: V | unknown, flags: number = UpdateFlags.ANY): this {
    this.raw.update(this.encodeKey(k), this.encodeValue(v), flags);
    return this;
  }

  /** Inserts only when absent (BCC's insert); returns false when the key existed. */
  insert(k: K, v: V | unknown): boolean {
    try {
      this.raw.update(this.encodeKey(k), this.encodeValue(v), UpdateFlags.NOEXIST);
      return true;
    } catch (e) {
      if (e instanceof SyscallError && e.errno === 17) return false;
      throw e;
    }
  }

  /** Deletes key; false when absent. */
  delete(k: K): boolean {
    return this.raw.delete(this.encodeKey(k));
  }

  /**
   * Every key and value as packed bytes, in one native call: the batch syscall where the
   * kernel has it for this map type, else a get_next_key walk. With `andDelete` the entries are
   * removed as they are read (batch only).
   */
  dumpRaw(andDelete = false): NativeDump {
    const { keySize } = this.raw.info;
    const valueSize = this.valueCodec.size;
    const mode = andDelete ? 'lookupAndDelete' : 'lookup';
    if (this.batch[mode] !== false) {
      try {
        // clear(): as few lookup-and-delete calls as an 8 MiB buffer allows (one for 100k
        // u32 -> u64 entries: 33-48 ms against 42-91 ms in 4096-entry chunks, bench/maps)
        const chunk = andDelete
          ? Math.max(
              1,
              Math.min(this.maxEntries, Math.max(4096, Math.floor(CLEAR_BUDGET / (keySize + valueSize)))),
            )
          : Math.min(this.maxEntries, 16384);
        const d = native().mapDumpBatch(this.fd, keySize, valueSize, chunk, andDelete);
        this.batch[mode] = true;
        return d;
      } catch (e) {
        const err = (e as { errno?: number }).errno;
        if (this.batch[mode] === undefined && err !== undefined && NO_BATCH.has(err)) {
          this.batch[mode] = false;
          logger().debug(`${this.description}: no batch ${mode}, walking keys`);
        } else {
          throw fromNative(e, `dump ${this.description}`);
        }
      }
    }
    try {
      const d = native().mapDumpWalk(this.fd, keySize, valueSize, 0);
      if (andDelete) native().mapDeleteKeys(this.fd, d.keys, keySize, d.count);
      return d;
    } catch (e) {
      throw fromNative(e, `dump ${this.description}`);
    }
  }

  private decodeDump(d: NativeDump): Array<[K, V]> {
    const out = new Array<[K, V]>(d.count);
    const ks = this.raw.info.keySize;
    const vs = this.valueCodec.size;
    // one DataView per buffer for the compiled decoders (64-bit fields by getBigUint64)
    const kd = batchDecoder(this.keyCodec);
    const vd = batchDecoder(this.valueCodec);
    const kv = viewOf(d.keys);
    const vv = viewOf(d.values);
    for (let i = 0; i < d.count; i++) out[i] = [kd(d.keys, i * ks, kv), vd(d.values, i * vs, vv)];
    return out;
  }

  /** All entries, decoded, read with batch syscalls (BCC's items_lookup_batch). */
  lookupBatch(): Array<[K, V]> {
    return this.decodeDump(this.dumpRaw(false));
  }

  /** Reads and removes every entry (BCC's items_lookup_and_delete_batch). */
  lookupAndDeleteBatch(): Array<[K, V]> {
    return this.decodeDump(this.dumpRaw(true));
  }

  /** Writes many entries with one syscall where supported (BCC's items_update_batch). */
  updateBatch(entries: Iterable<readonly [K, V | unknown]>, flags: number = UpdateFlags.ANY): number {
    const list = [...entries];
    if (list.length === 0) return 0;
    const ks = this.raw.info.keySize;
    const vs = this.valueCodec.size;
    const keys = Buffer.alloc(list.length * ks);
    const values = Buffer.alloc(list.length * vs);
    list.forEach(([k, v], i) => {
      this.keyCodec.encode(k, keys, i * ks, `${this.name} key[${i}]`);
      this.valueCodec.encode(v, values, i * vs, `${this.name} value[${i}]`);
    });
    try {
      return native().mapUpdateBatch(this.fd, keys, values, list.length, flags);
    } catch (e) {
      const err = (e as { errno?: number }).errno;
      if (err === undefined || !NO_BATCH.has(err)) throw fromNative(e, `update batch in ${this.description}`);
    }
    for (let i = 0; i < list.length; i++)
      this.raw.update(keys.subarray(i * ks, (i + 1) * ks), values.subarray(i * vs, (i + 1) * vs), flags);
    return list.length;
  }

  /** Deletes the given keys, or every key (BCC's items_delete_batch); returns how many. */
  deleteBatch(keys?: Iterable<K>): number {
    const ks = this.raw.info.keySize;
    let buf: Buffer;
    let count: number;
    if (keys === undefined) {
      const d = this.dumpRaw(false);
      buf = d.keys;
      count = d.count;
    } else {
      const list = [...keys];
      count = list.length;
      buf = Buffer.alloc(count * ks);
      list.forEach((k, i) => this.keyCodec.encode(k, buf, i * ks, `${this.name} key[${i}]`));
    }
    if (count === 0) return 0;
    if (this.batch.delete !== false) {
      try {
        const n = native().mapDeleteBatch(this.fd, buf, count);
        this.batch.delete = true;
        return n;
      } catch (e) {
        const err = (e as { errno?: number }).errno;
        if (this.batch.delete !== undefined || err === undefined || !NO_BATCH.has(err))
          throw fromNative(e, `delete batch in ${this.description}`);
        this.batch.delete = false;
      }
    }
    try {
      return native().mapDeleteKeys(this.fd, buf, ks, count);
    } catch (e) {
      throw fromNative(e, `delete in ${this.description}`);
    }
  }

  /** Decoded entries (a batch read, decoded as iterated). */
  *entries(): IterableIterator<[K, V]> {
    const d = this.dumpRaw(false);
    const ks = this.raw.info.keySize;
    const vs = this.valueCodec.size;
    const kd = batchDecoder(this.keyCodec);
    const vd = batchDecoder(this.valueCodec);
    const kv = viewOf(d.keys);
    const vv = viewOf(d.values);
    for (let i = 0; i < d.count; i++) yield [kd(d.keys, i * ks, kv), vd(d.values, i * vs, vv)];
  }

  /** Decoded keys. */
  *keys(): IterableIterator<K> {
    for (const [k] of this.entries()) yield k;
  }

  /** Decoded values. */
  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** The number of entries (counted; for arrays: max_entries). */
  get size(): number {
    return this.dumpRaw(false).count;
  }

  /** Deletes every entry (arrays: zeroes every slot); one lookup-and-delete batch pass where supported. */
  clear(): void {
    if (this.batch.lookupAndDelete !== false) {
      const { keySize } = this.raw.info;
      const valueSize = this.valueCodec.size;
      const chunk = Math.max(
        1,
        Math.min(this.maxEntries, Math.max(4096, Math.floor(CLEAR_BUDGET / (keySize + valueSize)))),
      );
      try {
        // nothing read comes back to JS: no Buffers, so no garbage collection inside the clear
        native().mapClearBatch(this.fd, keySize, valueSize, chunk);
        this.batch.lookupAndDelete = true;
        return;
      } catch (e) {
        const err = (e as { errno?: number }).errno;
        if (this.batch.lookupAndDelete !== undefined || err === undefined || !NO_BATCH.has(err))
          throw fromNative(e, `clear ${this.description}`);
        this.batch.lookupAndDelete = false;
        logger().debug(`${this.description}: no batch lookupAndDelete, walking keys`);
      }
    }
    this.dumpRaw(true);
  }

  /** Sets every existing entry's value to zeroes. */
  zero(): void {
    const d = this.dumpRaw(false);
    if (d.count === 0) return;
    d.values.fill(0);
    const ks = this.raw.info.keySize;
    const vs = this.valueCodec.size;
    try {
      native().mapUpdateBatch(this.fd, d.keys, d.values, d.count, UpdateFlags.EXIST);
    } catch (e) {
      const err = (e as { errno?: number }).errno;
      if (err === undefined || !NO_BATCH.has(err)) throw fromNative(e, `zero ${this.description}`);
      for (let i = 0; i < d.count; i++)
        this.raw.update(d.keys.subarray(i * ks, (i + 1) * ks), d.values.subarray(i * vs, (i + 1) * vs));
    }
  }

  /** BCC's print_log2_hist text for this table. */
  formatLog2Hist(opts: HistogramOptions = {}): string {
    return formatLog2Hist(this.entries(), opts);
  }

  /** BCC's print_linear_hist text for this table. */
  formatLinearHist(opts: HistogramOptions = {}): string {
    return formatLinearHist(this.entries(), opts);
  }

  /** Writes BCC's print_log2_hist output (to process.stdout unless `write` is given). */
  printLog2Hist(opts: PrintHistOptions = {}): void {
    (opts.write ?? ((s: string) => void process.stdout.write(s)))(this.formatLog2Hist(opts));
  }

  /** Writes BCC's print_linear_hist output (to process.stdout unless `write` is given). */
  printLinearHist(opts: PrintHistOptions = {}): void {
    (opts.write ?? ((s: string) => void process.stdout.write(s)))(this.formatLinearHist(opts));
  }

  /** The log2 histogram as data (BCC's print_json_hist). */
  log2HistJson(opts: HistogramOptions = {}): JsonHist[] {
    return log2HistJson(this.entries(), opts);
  }

  /** @throws InvalidArgumentError: helper for families that do not support an operation. */
  protected unsupported(op: string): never {
    throw new InvalidArgumentError(`${this.description} does not support ${op}`);
  }
}

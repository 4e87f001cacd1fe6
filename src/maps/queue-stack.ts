/** QUEUE and STACK maps: keyless FIFO / LIFO of values. */
import { fromNative } from '../errors.js';
import { native } from '../native.js';
import { Table } from './table.js';
import { UpdateFlags } from '../core/raw-map.js';

/** A queue (FIFO) or stack (LIFO). Keyed operations are not supported; use push/pop/peek. */
export class QueueStackTable<V = unknown> extends Table<null, V> {
  /** Appends a value (flags: UpdateFlags.EXIST overwrites the oldest when full). */
  push(v: V | unknown, flags: number = UpdateFlags.ANY): void {
    this.raw.update(null, this.encodeValue(v), flags);
  }

  /** Removes and returns the next value, or undefined when empty. */
  pop(): V | undefined {
    const b = Buffer.alloc(this.valueCodec.size);
    let ok: boolean;
    try {
      ok = native().mapLookupAndDelete(this.fd, null, b);
    } catch (e) {
      throw fromNative(e, `pop from ${this.description}`);
    }
    return ok ? this.valueCodec.decode(b, 0) : undefined;
  }

  /** The next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    const b = this.raw.lookup(null, this.valueCodec.size);
    return b ? this.valueCodec.decode(b, 0) : undefined;
  }

  /** Pops every value (up to max_entries), in pop order (BCC's values()). */
  override *values(): IterableIterator<V> {
    for (let i = 0; i < this.maxEntries; i++) {
      const v = this.pop();
      if (v === undefined) return;
      yield v;
    }
  }

  override get(): V | undefined {
    return this.unsupported('get (use peek)');
  }
  override set(): this {
    return this.unsupported('set (use push)');
  }
  override delete(): boolean {
    return this.unsupported('delete (use pop)');
  }
  override *entries(): IterableIterator<[null, V]> {
    for (const v of this.values()) yield [null, v];
  }
  override get size(): number {
    return this.unsupported('size');
  }
  /** Pops everything. */
  override clear(): void {
    while (this.pop() !== undefined);
  }
}

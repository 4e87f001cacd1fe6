/** ARRAY maps: fixed slots 0..max_entries-1 that always exist. */
import { InvalidArgumentError, fromNative } from '../errors.js';
import { native } from '../native.js';
import { Table } from './table.js';

/**
 * An array: keys are slot indexes (negative counts from the end, like BCC). delete() and
 * clear() zero slots instead of removing them; size is max_entries.
 */
export class ArrayTable<V = unknown> extends Table<number, V> {
  /**
   * The slot index for i.
   * @throws InvalidArgumentError when i is outside 0..max_entries-1 (after negative wrap).
   */
  index(i: number): number {
    const n = this.maxEntries;
    const j = i < 0 ? i + n : i;
    if (!Number.isInteger(j) || j < 0 || j >= n)
      throw new InvalidArgumentError(`${this.description}: index ${i} is out of range 0..${n - 1}`);
    return j;
  }

  override get(i: number): V | undefined {
    return super.get(this.index(i));
  }

  override has(i: number): boolean {
    const j = i < 0 ? i + this.maxEntries : i;
    return Number.isInteger(j) && j >= 0 && j < this.maxEntries;
  }

  override set(i: number, v: V | unknown, flags?: number): this {
    return super.set(this.index(i), v, flags);
  }

  /** Zeroes slot i (array slots cannot be removed); returns true. */
  override delete(i: number): boolean {
    super.set(this.index(i), Buffer.alloc(this.valueCodec.size));
    return true;
  }

  override get size(): number {
    return this.maxEntries;
  }

  /** Zeroes every slot. */
  override clear(): void {
    try {
      native().mapFillIndexed(this.fd, Buffer.alloc(this.valueCodec.size), this.maxEntries);
    } catch (e) {
      throw fromNative(e, `clear ${this.description}`);
    }
  }

  override zero(): void {
    this.clear();
  }
}

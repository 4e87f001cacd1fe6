/** Reading the tools' maps the way their summaries need. */
import { ArrayTable } from '../maps/array.js';
import type { Table } from '../maps/table.js';

/**
 * Every entry of a summary map, and the map emptied for the next interval: hash maps lose each
 * entry as it is read (one lookup-and-delete batch pass, so nothing counted in between is
 * lost); arrays are read, then zeroed.
 */
export function drain<K, V>(t: Table<K, V>): Array<[K, V]> {
  if (t instanceof ArrayTable) {
    const out = t.lookupBatch() as Array<[K, V]>;
    t.clear();
    return out;
  }
  return t.lookupAndDeleteBatch();
}

/** Entries sorted by value, ascending (BCC's sorted(..., key=value)); `desc` for descending. */
export function byValue<K>(entries: Array<[K, bigint]>, desc = false): Array<[K, bigint]> {
  const sign = desc ? -1 : 1;
  return entries.sort((a, b) => sign * (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}

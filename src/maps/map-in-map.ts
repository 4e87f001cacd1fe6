/** ARRAY_OF_MAPS and HASH_OF_MAPS: values are inner maps. */
import { RawMap } from './raw-map.js';
import { Table } from './table.js';

/** Something that names an inner map: a table, a raw map or a map fd. */
export type InnerMap = Table | RawMap | number;

function innerFd(m: InnerMap | unknown): unknown {
  if (m instanceof Table || m instanceof RawMap) return m.fd;
  return m;
}

/**
 * A map of maps. set() takes a Table, RawMap or map fd (the inner map must match the template
 * the outer map was created with); get() returns the inner map's id.
 */
export class MapInMapTable<K = unknown> extends Table<K, number> {
  override set(k: K, inner: InnerMap | unknown, flags?: number): this {
    return super.set(k, innerFd(inner), flags);
  }
}

/** ARRAY_OF_MAPS and HASH_OF_MAPS: values are inner maps. */
import { fromNative } from '../errors.js';
import { native } from '../native.js';
import type { TypeLayout } from '../compiler/type-layout.js';
import type { MapSpec } from '../compiler/object-spec.js';
import type { Codec } from '../codec/codec.js';
import { mapInfoOf, RawMap } from '../core/raw-map.js';
import { Table } from './table.js';
import type { TableOptions } from './table-options.js';

/** @internal Opens an inner map as a table (openTable, handed in so the two files do not import each other). */
export type InnerOpener = (raw: RawMap, spec: MapSpec, opts: TableOptions | undefined) => Table;

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
  /** @internal */
  innerLayouts: { key?: TypeLayout; value?: TypeLayout } = {};

  /** @internal Use BPF.table(). */
  constructor(
    raw: RawMap,
    keyCodec: Codec<K>,
    valueCodec: Codec<number>,
    private readonly openInner: InnerOpener,
  ) {
    super(raw, keyCodec, valueCodec);
  }

  override set(k: K, inner: InnerMap | unknown, flags?: number): this {
    return super.set(k, innerFd(inner), flags);
  }

  /**
   * The inner map stored at `k` as a typed table (decoded with the template map's layouts unless
   * `opts` gives codecs), or undefined when the slot is empty. The caller owns the returned
   * table: close its `raw` map when done.
   * @throws SyscallError when the inner map is gone.
   */
  innerTable<IK = unknown, IV = unknown>(k: K, opts?: TableOptions): Table<IK, IV> | undefined {
    const id = this.get(k);
    if (!id) return undefined;
    let fd: number;
    try {
      fd = native().mapFdById(id);
    } catch (e) {
      throw fromNative(e, `open inner map ${id} of ${this.description}`);
    }
    try {
      const info = mapInfoOf(native().mapInfoByFd(fd));
      const raw = new RawMap(info, fd);
      const spec = {
        ...info,
        btfKeyTypeId: 0,
        btfValueTypeId: 0,
        ...this.innerLayouts,
      };
      return this.openInner(raw, spec, opts) as Table<IK, IV>;
    } catch (e) {
      native().closeFd(fd);
      throw fromNative(e, `open inner map ${id} of ${this.description}`);
    }
  }
}

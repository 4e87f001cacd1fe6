/** Choosing the table class and codecs for a map (BCC's get_table). */
import { InvalidArgumentError } from '../errors.js';
import { possibleCpus } from '../util/cpus.js';
import { MapType, mapTypeName } from '../uapi/map-type.js';
import type { MapSpec } from '../compiler/object-spec.js';
import type { BpfObject } from '../core/bpf-object.js';
import type { TypeLayout } from '../compiler/type-layout.js';
import { ArrayTable } from './array.js';
import { CgroupArrayTable } from './cgroup-array.js';
import { codecFor, codecForSize, type Codec, type CodecOptions } from '../codec/codec.js';
import { CpuMapTable, DevMapTable, XskMapTable } from './dev-map.js';
import { HashTable, LruHashTable } from './hash.js';
import { LpmTrieTable } from './lpm-trie.js';
import { MapInMapTable } from './map-in-map.js';
import { PerCpuArrayTable, PerCpuHashTable, perCpuCodec } from './percpu.js';
import { PerfEventArrayTable } from './perf-event-array.js';
import { ProgArrayTable } from './prog-array.js';
import { QueueStackTable } from './queue-stack.js';
import type { RawMap } from '../core/raw-map.js';
import { RingBufTable } from './ring-buf.js';
import { StackTraceTable } from './stack-trace.js';
import { Table } from './table.js';
import type { TableOptions } from './table-options.js';

export type { TableOptions };

const u32: TypeLayout = { kind: 'int', name: 'unsigned int', size: 4, signed: false };
const none: Codec<never> = {
  size: 0,
  decode: () => undefined as never,
  encode: () => undefined,
};

function pick(
  layout: TypeLayout | undefined,
  size: number,
  given: Codec | undefined,
  o: CodecOptions,
): Codec {
  if (given) return given;
  if (layout && layout.size === size) return codecFor(layout, o);
  return codecForSize(size);
}

/**
 * A typed table over `raw`, of the class its map type calls for.
 * @throws InvalidArgumentError for map types tsbcc has no table for (sockmap, storage maps...).
 */
export function openTable(
  raw: RawMap,
  spec: MapSpec | undefined,
  events: TypeLayout | undefined,
  opts: TableOptions = {},
  inner?: MapSpec,
): Table {
  const { keySize, valueSize, type } = raw.info;
  const key = (): Codec => pick(spec?.key, keySize, opts.key, opts);
  const value = (): Codec => pick(spec?.value, valueSize, opts.value, opts);
  const index = codecFor<number>(u32);
  const u32v = codecFor<number>(u32);
  const event = opts.event ?? (events ? codecFor(events, { strings: opts.strings ?? true }) : undefined);
  switch (type) {
    case MapType.HASH:
      return new HashTable(raw, key(), value());
    case MapType.LRU_HASH:
      return new LruHashTable(raw, key(), value());
    case MapType.ARRAY:
      return new ArrayTable(raw, index, value());
    case MapType.PERCPU_HASH:
    case MapType.LRU_PERCPU_HASH:
      return new PerCpuHashTable(raw, key(), perCpuCodec(value(), possibleCpus()));
    case MapType.PERCPU_ARRAY:
      return new PerCpuArrayTable(raw, index, perCpuCodec(value(), possibleCpus()));
    case MapType.LPM_TRIE:
      return new LpmTrieTable(raw, key(), value());
    case MapType.PROG_ARRAY:
      return new ProgArrayTable(raw, index, u32v);
    case MapType.PERF_EVENT_ARRAY:
      return new PerfEventArrayTable(raw, index, u32v, event);
    case MapType.RINGBUF:
      return new RingBufTable(raw, none, none, event);
    case MapType.STACK_TRACE:
      return new StackTraceTable(
        raw,
        index,
        codecFor<bigint[]>({
          kind: 'array',
          name: 'u64[]',
          size: valueSize,
          length: valueSize / 8,
          element: { kind: 'int', name: 'unsigned long long', size: 8, signed: false },
        }),
      );
    case MapType.QUEUE:
    case MapType.STACK:
      return new QueueStackTable(raw, none as Codec<null>, value());
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS: {
      const t = new MapInMapTable(raw, type === MapType.ARRAY_OF_MAPS ? index : key(), u32v, (r, s, o) =>
        openTable(r, s, undefined, o),
      );
      if (inner?.key) t.innerLayouts.key = inner.key;
      if (inner?.value) t.innerLayouts.value = inner.value;
      return t;
    }
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
      return new DevMapTable(raw, key(), value());
    case MapType.CPUMAP:
      return new CpuMapTable(raw, key(), value());
    case MapType.XSKMAP:
      return new XskMapTable(raw, index, u32v);
    case MapType.CGROUP_ARRAY:
      return new CgroupArrayTable(raw, index, u32v);
    default:
      throw new InvalidArgumentError(`no table class for map ${raw.name} of type ${mapTypeName(type)}`);
  }
}

/**
 * The map `name` of `obj` as a typed table of the class its type calls for (HashTable,
 * ArrayTable, PerCpuHashTable, RingBufTable, ...), decoding with the layouts from the program's
 * BTF; readers and counters opened through it are owned by `obj`. `BPF.table()` caches these.
 * @throws InvalidArgumentError when there is no such map or no table class for its type.
 */
export function objectTable<K = unknown, V = unknown>(
  obj: BpfObject,
  name: string,
  opts?: TableOptions,
): Table<K, V> {
  const raw = obj.map(name);
  const spec = obj.spec.maps.find((m) => m.name === name);
  const inner = spec?.innerMap ? obj.spec.maps.find((m) => m.name === spec.innerMap) : undefined;
  const t = openTable(raw, spec, obj.spec.events?.[name], opts, inner);
  t.adopt = (c) => void obj.own(c);
  return t as Table<K, V>;
}

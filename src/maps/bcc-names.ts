/**
 * BCC's table class names (bcc/table.py) as type aliases of tsbcc's classes, for code ported
 * from BCC: `b.table('parser') as ProgArray`. (`Array` has no alias: it would shadow the global.)
 */
import type { ArrayTable } from './array.js';
import type { CgroupArrayTable } from './cgroup-array.js';
import type { CpuMapTable, DevMapTable, XskMapTable } from './dev-map.js';
import type { LruHashTable } from './hash.js';
import type { LpmTrieTable } from './lpm-trie.js';
import type { MapInMapTable } from './map-in-map.js';
import type { PerCpuArrayTable, PerCpuHashTable } from './percpu.js';
import type { PerfEventArrayTable } from './perf-event-array.js';
import type { ProgArrayTable } from './prog-array.js';
import type { QueueStackTable } from './queue-stack.js';
import type { RingBufTable } from './ring-buf.js';
import type { StackTraceTable } from './stack-trace.js';

/** BCC's ProgArray. */
export type ProgArray = ProgArrayTable;
/** BCC's LruHash. */
export type LruHash<K = unknown, V = unknown> = LruHashTable<K, V>;
/** BCC's PerCpuHash (and LruPerCpuHash). */
export type PerCpuHash<K = unknown, V = unknown> = PerCpuHashTable<K, V>;
export type LruPerCpuHash<K = unknown, V = unknown> = PerCpuHashTable<K, V>;
/** BCC's PerCpuArray. */
export type PerCpuArray<V = unknown> = PerCpuArrayTable<V>;
/** BCC's BPF array, under a name that does not shadow the global Array. */
export type BpfArray<V = unknown> = ArrayTable<V>;
/** BCC's PerfEventArray. */
export type PerfEventArray<E = unknown> = PerfEventArrayTable<E>;
/** BCC's RingBuf. */
export type RingBuf<E = unknown> = RingBufTable<E>;
/** BCC's StackTrace. */
export type StackTrace = StackTraceTable;
/** BCC's LpmTrie. */
export type LpmTrie<K = unknown, V = unknown> = LpmTrieTable<K, V>;
/** BCC's QueueStack. */
export type QueueStack<V = unknown> = QueueStackTable<V>;
/** BCC's CgroupArray. */
export type CgroupArray = CgroupArrayTable;
/** BCC's DevMap, CpuMap and XskMap. */
export type DevMap<K = number, V = unknown> = DevMapTable<K, V>;
export type CpuMap<K = number, V = unknown> = CpuMapTable<K, V>;
export type XskMap = XskMapTable;
/** BCC's MapInMapArray and MapInMapHash. */
export type MapInMapArray = MapInMapTable<number>;
export type MapInMapHash<K = unknown> = MapInMapTable<K>;

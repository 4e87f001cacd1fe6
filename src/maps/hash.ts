/** HASH and LRU_HASH maps. */
import { Table } from './table.js';

/** A hash map (BPF_HASH, BPF_HISTOGRAM with a struct key). */
export class HashTable<K = unknown, V = unknown> extends Table<K, V> {}

/** An LRU hash map: the kernel evicts the least recently used entry when full. */
export class LruHashTable<K = unknown, V = unknown> extends HashTable<K, V> {}

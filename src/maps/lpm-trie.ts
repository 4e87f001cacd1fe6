/** LPM_TRIE maps: longest-prefix match on a `{ prefixlen, data }` key. */
import { Table } from './table.js';

/**
 * A longest-prefix-match trie. Keys are the program's key struct (a u32 `prefixlen` followed by
 * the address bytes); `get` with a full-length prefix finds the longest matching entry. The
 * kernel has no batch ops for tries, so whole-map reads walk the keys.
 */
export class LpmTrieTable<K = unknown, V = unknown> extends Table<K, V> {}

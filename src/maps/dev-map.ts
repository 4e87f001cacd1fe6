/** DEVMAP, CPUMAP and XSKMAP: XDP redirect targets. */
import { Table } from './table.js';

/** A device map for bpf_redirect_map: slot -> ifindex (or `struct bpf_devmap_val`). */
export class DevMapTable<K = number, V = unknown> extends Table<K, V> {}

/** A CPU map for bpf_redirect_map: slot -> queue size (or `struct bpf_cpumap_val`). */
export class CpuMapTable<K = number, V = unknown> extends Table<K, V> {}

/** An AF_XDP socket map: slot -> XSK socket fd on write; reads are not allowed by the kernel. */
export class XskMapTable extends Table<number, number> {}

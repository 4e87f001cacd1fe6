/** DEVMAP, CPUMAP and XSKMAP: XDP redirect targets. */
import { fromNative } from '../errors.js';
import { native } from '../native.js';
import { netnsPath, type NetnsRef } from '../util/netns-path.js';
import { UpdateFlags } from '../core/raw-map.js';
import { Table } from './table.js';

/**
 * A device map for bpf_redirect_map: slot -> ifindex (or `struct bpf_devmap_val`).
 *
 * The kernel resolves the ifindex in the network namespace of the process that writes the
 * entry: `set()` names a device of this process's namespace. For a program attached in another
 * namespace (a testbed's), write with {@link DevMapTable.setIn}.
 */
export class DevMapTable<K = number, V = unknown> extends Table<K, V> {
  /**
   * Writes `k -> v` from inside network namespace `netns` (name or nsfs path), so the ifindex in
   * `v` is that namespace's device. The write runs on a short-lived native thread that enters the
   * namespace; the JS thread never does.
   * @throws InvalidArgumentError for a wrong key/value shape or namespace name.
   * @throws SyscallError: setns (ENOENT when there is no such namespace), bpf_map_update_elem
   *   (ENODEV when the namespace has no such ifindex).
   */
  async setIn(netns: NetnsRef, k: K, v: V | unknown, flags: number = UpdateFlags.ANY): Promise<this> {
    const path = netnsPath(netns);
    const key = this.encodeKey(k);
    const value = this.encodeValue(v);
    try {
      await native().mapUpdateInNetns(path, this.fd, key, value, flags);
    } catch (e) {
      throw fromNative(e, `update in ${this.description} from namespace ${netns ?? '(current)'}`);
    }
    return this;
  }
}

/** A CPU map for bpf_redirect_map: slot -> queue size (or `struct bpf_cpumap_val`). */
export class CpuMapTable<K = number, V = unknown> extends Table<K, V> {}

/** An AF_XDP socket map: slot -> XSK socket fd on write; reads are not allowed by the kernel. */
export class XskMapTable extends Table<number, number> {}

/**
 * Perf counters in a PERF_EVENT_ARRAY (BCC's open_perf_event): one perf event per online CPU,
 * its fd stored at the CPU's slot, so programs read it with bpf_perf_event_read /
 * bpf_perf_event_read_value (BCC's `perf_read`).
 */
import { fromNative } from '../errors.js';
import { native } from '../native.js';
import { track, untrack, type Closeable } from '../resources.js';

/** The counters opened into one map; close() closes the perf events (the slots go stale). */
export class PerfCounters implements Closeable {
  private fds: Map<number, number>;

  /**
   * Opens a counting perf event of `type`/`config` on each CPU in `cpus` and stores it at
   * `mapFd[cpu]`.
   * @throws SyscallError (ENOENT/EOPNOTSUPP when the event does not exist on this machine).
   */
  constructor(
    readonly mapName: string,
    mapFd: number,
    readonly type: number,
    readonly config: number,
    cpus: number[],
  ) {
    this.fds = new Map();
    const n = native();
    try {
      for (const cpu of cpus) {
        const fd = n.perfEventOpen({ type, config }, -1, cpu, -1);
        this.fds.set(cpu, fd);
        const key = Buffer.alloc(4);
        key.writeUInt32LE(cpu);
        const value = Buffer.alloc(4);
        value.writeUInt32LE(fd);
        n.mapUpdate(mapFd, key, value, 0);
      }
    } catch (e) {
      for (const fd of this.fds.values()) n.closeFd(fd);
      throw fromNative(e, `open perf counter ${type}:${config} into ${mapName}`);
    }
    track(this);
  }

  get description(): string {
    return `perf counters ${this.type}:${this.config} in ${this.mapName}`;
  }

  get closed(): boolean {
    return this.fds.size === 0;
  }

  /** The counter of one CPU as user space reads it. */
  read(cpu: number): bigint {
    const fd = this.fds.get(cpu);
    if (fd === undefined) return 0n;
    try {
      return native().perfEventRead(fd);
    } catch (e) {
      throw fromNative(e, `read ${this.description}`);
    }
  }

  closeSync(): void {
    if (this.fds.size === 0) return;
    for (const fd of this.fds.values()) native().closeFd(fd);
    this.fds.clear();
    untrack(this);
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}

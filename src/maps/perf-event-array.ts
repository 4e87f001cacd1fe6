/** PERF_EVENT_ARRAY maps: per-CPU perf rings for perf_submit (read through a PerfBuffer). */
import { PerfBuffer, type PerfBufferOptions } from '../events/perf-buffer.js';
import { PerfCounters } from '../events/perf-counters.js';
import { onlineCpus } from '../util/cpus.js';
import type { Codec } from '../codec/codec.js';
import type { RawMap } from '../core/raw-map.js';
import { Table } from './table.js';

/**
 * A perf event array. Open a consumer with {@link PerfEventArrayTable.open} (BCC's
 * open_perf_buffer); `eventCodec` decodes records with the layout the compiler captured.
 */
export class PerfEventArrayTable<E = unknown> extends Table<number, number> {
  /** @internal */
  constructor(
    raw: RawMap,
    keyCodec: Codec<number>,
    valueCodec: Codec<number>,
    readonly eventCodec: Codec<E> | undefined,
  ) {
    super(raw, keyCodec, valueCodec);
  }

  /**
   * Opens one ring per CPU and delivers `callback(event, cpu)` per record; `lost(count, cpu)`
   * reports drops. The consumer is closed with the table's BPF object.
   * @throws InvalidArgumentError when pageCount is not a power of two.
   */
  open(
    callback?: (event: E, cpu: number) => void,
    opts: Omit<PerfBufferOptions<E>, 'callback'> = {},
  ): PerfBuffer<E> {
    const codec = opts.codec ?? this.eventCodec;
    const r = new PerfBuffer<E>(this.name, this.fd, {
      ...opts,
      ...(codec ? { codec } : {}),
      ...(callback ? { callback } : {}),
    });
    this.adopt?.(r);
    return r;
  }

  /**
   * Opens a counting perf event per online CPU into this array (BCC's open_perf_event), for
   * programs that read counters with bpf_perf_event_read. Close the result to stop counting.
   * @throws SyscallError when the event does not exist on this machine.
   */
  openPerfEvent(type: number, config: number): PerfCounters {
    const c = new PerfCounters(this.name, this.fd, type, config, onlineCpus());
    this.adopt?.(c);
    return c;
  }
}

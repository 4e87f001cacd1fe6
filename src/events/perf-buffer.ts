/**
 * Perf buffer (BPF_MAP_TYPE_PERF_EVENT_ARRAY) consumer: one ring per CPU, drained by a native
 * thread blocked on the CPUs' perf fds (D6). Records arrive in order per CPU, decoded with the event layout;
 * lost-record notices go to `lost`.
 */
import { batchDecoder, decodesDetached, viewOf, type Codec } from '../codec/codec.js';
import { InvalidArgumentError } from '../errors.js';
import { native } from '../native.js';
import { EventReader, type EventReaderOptions } from './event-reader.js';

/** One decoded perf record and the CPU it came from. */
export interface PerfEvent<T> {
  cpu: number;
  data: T;
}

/** Options of a perf buffer consumer (BCC's open_perf_buffer arguments). */
export interface PerfBufferOptions<T> extends EventReaderOptions {
  /** Called for every record: (event, cpu). */
  callback?: (event: T, cpu: number) => void;
  /**
   * Called when the kernel dropped records because a CPU's ring was full: (count, cpu). Without
   * it, losses are reported as BCC reports them: a process warning `Possibly lost N samples`
   * (code TSBCC_LOST_SAMPLES; `process.on('warning')` sees it, node prints it to stderr).
   */
  lost?: (count: number, cpu: number) => void;
  /** Pages per CPU ring; a power of two. Default 8. */
  pageCount?: number;
  /** Wake the reader every N records (default 1). */
  wakeupEvents?: number;
  /** Decodes records; default: Buffers. */
  codec?: Codec<T>;
}

/** A live consumer of one perf event array. Close it (or its BPF object) to stop. */
export class PerfBuffer<T = Buffer> extends EventReader<PerfEvent<T>> {
  /** Records the kernel reported lost so far. */
  lostCount = 0;

  /**
   * Opens one ring per CPU on the PERF_EVENT_ARRAY behind mapFd (the fd is not owned).
   * @throws InvalidArgumentError when pageCount is not a power of two; SyscallError on failure.
   */
  constructor(mapName: string, mapFd: number, opts: PerfBufferOptions<T> = {}) {
    super(mapName, 'perf buffer');
    const pages = opts.pageCount ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0)
      throw new InvalidArgumentError(
        `perf buffer ${mapName}: pageCount must be a power of two, got ${pages}`,
      );
    const { callback, lost, codec } = opts;
    // one DataView per chunk for the compiled decoder; other records are views of the chunk,
    // or copies when the codec's values are detached from it and the native side refills one
    // long-lived Buffer per chunk (as in ring-buffer.ts)
    const decode = codec && batchDecoder(codec);
    const size = codec?.size ?? Infinity;
    const reuse = codec !== undefined && decodesDetached(codec as Codec<unknown>);
    let lastData: Buffer | undefined;
    let view: DataView | undefined;
    const onData = (data: Buffer, meta: Uint32Array, count: number, lostPairs: Float64Array | null): void => {
      if (decode && count > 0 && data !== lastData) {
        lastData = reuse ? data : undefined;
        view = viewOf(data);
      }
      const v = view;
      const ab = data.buffer;
      const base = data.byteOffset;
      for (let i = 0; i < count; i++) {
        const off = meta[3 * i] as number;
        const len = meta[3 * i + 1] as number;
        const cpu = meta[3 * i + 2] as number;
        const ev = (
          decode && v && len >= size
            ? decode(data, off, v)
            : reuse
              ? Buffer.from(data.subarray(off, off + len))
              : Buffer.from(ab, base + off, len)
        ) as T;
        this.received++;
        callback?.(ev, cpu);
        if (this.iterating) this.push({ cpu, data: ev });
      }
      if (lostPairs) {
        let batch = 0;
        for (let i = 0; i < lostPairs.length; i += 2) {
          const n = lostPairs[i + 1] as number;
          this.lostCount += n;
          batch += n;
          lost?.(n, lostPairs[i] as number);
        }
        if (!lost && batch > 0)
          process.emitWarning(`Possibly lost ${batch} samples (perf buffer ${mapName})`, {
            code: 'TSBCC_LOST_SAMPLES',
          });
      }
    };
    this.open(
      () => new (native().NativePerfBuffer)(mapFd, pages, opts.wakeupEvents ?? 1, onData, reuse),
      opts,
    );
  }
}

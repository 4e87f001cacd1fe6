/**
 * Perf buffer (BPF_MAP_TYPE_PERF_EVENT_ARRAY) consumer: one ring per CPU, watched with uv_poll
 * on libbpf's epoll fd (D6). Records arrive in order per CPU, decoded with the event layout;
 * lost-record notices go to `lost`.
 */
import type { NativePerfBuffer } from '../../native/index.js';
import { ClosedError, InvalidArgumentError, fromNative } from '../errors.js';
import { native } from '../native.js';
import { track, untrack, type Closeable } from '../resources.js';
import type { Codec } from '../codec/codec.js';
import { EventQueue, onAbort, type IterateOptions } from './event-queue.js';

/** One decoded perf record and the CPU it came from. */
export interface PerfEvent<T> {
  cpu: number;
  data: T;
}

/** Options of a perf buffer consumer (BCC's open_perf_buffer arguments). */
export interface PerfBufferOptions<T> {
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
  /** Keep the process alive while watching (default true). */
  ref?: boolean;
  /** Closes the consumer when aborted (an already aborted signal gives a closed consumer). */
  signal?: AbortSignal;
}

/** A live consumer of one perf event array. Close it (or its BPF object) to stop. */
export class PerfBuffer<T = Buffer> implements Closeable {
  private nb: NativePerfBuffer | undefined;
  private readonly queue = new EventQueue<PerfEvent<T>>();
  private forgetSignal: () => void = () => undefined;
  /** Records delivered so far. */
  received = 0;
  /** Records the kernel reported lost so far. */
  lostCount = 0;

  /**
   * Opens one ring per CPU on the PERF_EVENT_ARRAY behind mapFd (the fd is not owned).
   * @throws InvalidArgumentError when pageCount is not a power of two; SyscallError on failure.
   */
  constructor(
    readonly mapName: string,
    mapFd: number,
    opts: PerfBufferOptions<T> = {},
  ) {
    const pages = opts.pageCount ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0)
      throw new InvalidArgumentError(
        `perf buffer ${mapName}: pageCount must be a power of two, got ${pages}`,
      );
    if (opts.signal?.aborted) return; // closed from the start: nothing is opened
    const { callback, lost, codec } = opts;
    const onData = (data: Buffer, meta: Uint32Array, count: number, lostPairs: Float64Array | null): void => {
      for (let i = 0; i < count; i++) {
        const off = meta[3 * i] as number;
        const len = meta[3 * i + 1] as number;
        const cpu = meta[3 * i + 2] as number;
        const ev = (
          codec && len >= codec.size ? codec.decode(data, off) : data.subarray(off, off + len)
        ) as T;
        this.received++;
        callback?.(ev, cpu);
        if (this.queue.active) this.queue.push({ cpu, data: ev });
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
    try {
      this.nb = new (native().NativePerfBuffer)(mapFd, pages, opts.wakeupEvents ?? 1, onData);
      if (opts.ref === false) this.nb.unref();
      this.nb.start();
    } catch (e) {
      this.nb?.close();
      throw fromNative(e, `open perf buffer ${mapName}`);
    }
    track(this);
    this.forgetSignal = onAbort(opts.signal, () => this.closeSync());
    // libuv adds the fd to its epoll set on the next loop turn; a perf fd's readiness raised
    // before that is not reported again, so drain once after registration.
    setImmediate(() => {
      if (this.nb) this.consume();
    });
  }

  get closed(): boolean {
    return this.nb === undefined;
  }

  get description(): string {
    return `perf buffer reader ${this.mapName}`;
  }

  /** Delivers everything buffered on every CPU now, without waiting (BCC's perf_buffer_consume). */
  consume(): number {
    if (!this.nb) throw new ClosedError(this.description);
    try {
      return this.nb.consume();
    } catch (e) {
      throw fromNative(e, `consume ${this.description}`);
    }
  }

  /** Events as an async iterator of { cpu, data }; ends on close or abort. */
  events(opts: IterateOptions = {}): AsyncIterableIterator<PerfEvent<T>> {
    if (!this.nb) throw new ClosedError(this.description);
    return this.queue.iterate(opts);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<PerfEvent<T>> {
    return this.events();
  }

  unref(): this {
    this.nb?.unref();
    return this;
  }

  ref(): this {
    this.nb?.ref();
    return this;
  }

  /** Stops watching and frees the rings; idempotent. */
  closeSync(): void {
    if (!this.nb) return;
    this.nb.close();
    this.nb = undefined;
    this.forgetSignal();
    this.queue.end();
    untrack(this);
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}

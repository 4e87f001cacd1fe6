/**
 * Ring buffer (BPF_MAP_TYPE_RINGBUF) consumer, watched with uv_poll on libbpf's epoll fd (D6):
 * the JS thread never blocks and no thread spins. Records are decoded with the event layout the
 * compiler captured (or handed over as Buffers) and delivered to a callback and/or async
 * iterators.
 */
import type { NativeRingBuffer } from '../../native/index.js';
import { ClosedError, fromNative } from '../errors.js';
import { native } from '../native.js';
import { track, untrack, type Closeable } from '../resources.js';
import type { Codec } from '../codec/codec.js';
import { EventQueue, onAbort, type IterateOptions } from './event-queue.js';

/** Options of a ring buffer consumer. */
export interface RingBufferOptions<T> {
  /** Called for every record, in order. */
  callback?: (event: T) => void;
  /** Decodes records; default: each record as a Buffer (its own bytes, never reused). */
  codec?: Codec<T>;
  /** Keep the process alive while watching (default true). */
  ref?: boolean;
  /** Closes the consumer when aborted (an already aborted signal gives a closed consumer). */
  signal?: AbortSignal;
}

/**
 * A live consumer of one ring buffer map. Close it (or the BPF object that opened it) to stop;
 * the registry closes it at exit.
 */
export class RingBuffer<T = Buffer> implements Closeable {
  private nb: NativeRingBuffer | undefined;
  private readonly queue = new EventQueue<T>();
  private readonly callback: ((event: T) => void) | undefined;
  private forgetSignal: () => void = () => undefined;
  /** Records delivered so far. */
  received = 0;

  /**
   * Starts consuming the RINGBUF map behind mapFd (the fd is not owned).
   * @throws SyscallError when the reader cannot be set up.
   */
  constructor(
    readonly mapName: string,
    mapFd: number,
    opts: RingBufferOptions<T> = {},
  ) {
    this.callback = opts.callback;
    if (opts.signal?.aborted) return; // closed from the start: nothing is opened
    const codec = opts.codec;
    const deliver = (ev: T): void => {
      this.received++;
      this.callback?.(ev);
      if (this.queue.active) this.queue.push(ev);
    };
    const onData = codec
      ? (data: Buffer, meta: Uint32Array, count: number): void => {
          const size = codec.size;
          for (let i = 0; i < count; i++) {
            const off = meta[2 * i] as number;
            const len = meta[2 * i + 1] as number;
            deliver(len >= size ? codec.decode(data, off) : (data.subarray(off, off + len) as T));
          }
        }
      : (data: Buffer, meta: Uint32Array, count: number): void => {
          for (let i = 0; i < count; i++) {
            const off = meta[2 * i] as number;
            deliver(data.subarray(off, off + (meta[2 * i + 1] as number)) as T);
          }
        };
    try {
      this.nb = new (native().NativeRingBuffer)(mapFd, onData);
      if (opts.ref === false) this.nb.unref();
      this.nb.start();
    } catch (e) {
      this.nb?.close();
      throw fromNative(e, `open ring buffer ${mapName}`);
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
    return `ring buffer reader ${this.mapName}`;
  }

  /** Delivers what is available now, without waiting (BCC's ring_buffer_consume). Returns the count. */
  consume(): number {
    if (!this.nb) throw new ClosedError(this.description);
    try {
      return this.nb.consume();
    } catch (e) {
      throw fromNative(e, `consume ${this.description}`);
    }
  }

  /** Events as an async iterator; ends when the consumer closes or the signal aborts. */
  events(opts: IterateOptions = {}): AsyncIterableIterator<T> {
    if (!this.nb) throw new ClosedError(this.description);
    return this.queue.iterate(opts);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this.events();
  }

  /** Lets the process exit while this consumer is open. */
  unref(): this {
    this.nb?.unref();
    return this;
  }

  ref(): this {
    this.nb?.ref();
    return this;
  }

  /** Stops watching and frees the reader; idempotent. Open iterators end. */
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

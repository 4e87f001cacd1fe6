/**
 * What the ring buffer and perf buffer readers share: a native reader drained by its own thread
 * blocked in epoll_wait, handing chunks of records to JS through libuv (D6), an event queue
 * feeding async iterators, the AbortSignal, ref/unref, registration with the
 * exit registry and an idempotent close. Subclasses decode their batches and call `deliver`.
 */
import { ClosedError, fromNative } from '../errors.js';
import { track, untrack, type Closeable } from '../resources.js';
import { EventQueue, onAbort, type IterateOptions } from './event-queue.js';

/** The native side of a reader (NativeRingBuffer, NativePerfBuffer). */
export interface NativeEventSource {
  start(): void;
  consume(): number;
  ref(): void;
  unref(): void;
  close(): void;
}

/** Options every reader takes. */
export interface EventReaderOptions {
  /** Keep the process alive while watching (default true). */
  ref?: boolean;
  /** Closes the reader when aborted (an already aborted signal gives a closed reader). */
  signal?: AbortSignal;
}

/** A live reader of one event map; `E` is what its iterators yield. */
export abstract class EventReader<E> implements Closeable {
  private source: NativeEventSource | undefined;
  private readonly queue = new EventQueue<E>();
  private forgetSignal: () => void = () => undefined;
  /** Records delivered so far. */
  received = 0;

  protected constructor(
    /** The map's name. */
    readonly mapName: string,
    private readonly kind: string,
  ) {}

  /**
   * Makes and starts the native reader (unless the signal already aborted), then drains once on
   * the next turn (records written before the reader watched its fds).
   * @throws SyscallError when the reader cannot be set up.
   */
  protected open(make: () => NativeEventSource, opts: EventReaderOptions): void {
    if (opts.signal?.aborted) return; // closed from the start: nothing is opened
    let source: NativeEventSource | undefined;
    try {
      source = make();
      if (opts.ref === false) source.unref();
      source.start();
    } catch (e) {
      source?.close();
      throw fromNative(e, `open ${this.kind} ${this.mapName}`);
    }
    this.source = source;
    track(this);
    this.forgetSignal = onAbort(opts.signal, () => this.closeSync());
    setImmediate(() => {
      if (this.source) this.consume();
    });
  }

  /** Whether an iterator is open (readers skip building iterator events otherwise). */
  protected get iterating(): boolean {
    return this.queue.active;
  }

  /** Hands one record to the iterators that are open. */
  protected push(ev: E): void {
    if (this.queue.active) this.queue.push(ev);
  }

  get closed(): boolean {
    return this.source === undefined;
  }

  get description(): string {
    return `${this.kind} reader ${this.mapName}`;
  }

  /** Delivers what is buffered now, without waiting (BCC's *_consume). Returns the count. */
  consume(): number {
    if (!this.source) throw new ClosedError(this.description);
    try {
      return this.source.consume();
    } catch (e) {
      throw fromNative(e, `consume ${this.description}`);
    }
  }

  /** Events as an async iterator; ends when the reader closes or the signal aborts. */
  events(opts: IterateOptions = {}): AsyncIterableIterator<E> {
    if (!this.source) throw new ClosedError(this.description);
    return this.queue.iterate(opts);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<E> {
    return this.events();
  }

  /** Lets the process exit while this reader is open. */
  unref(): this {
    this.source?.unref();
    return this;
  }

  /** Keeps the process alive while this reader is open (the default). */
  ref(): this {
    this.source?.ref();
    return this;
  }

  /** Stops watching and frees the reader; idempotent. Open iterators end. */
  closeSync(): void {
    if (!this.source) return;
    this.source.close();
    this.source = undefined;
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

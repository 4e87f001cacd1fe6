/**
 * The async-iterator side of an event stream: events are queued while an iterator is open and
 * handed out in order; the iterator ends when the stream closes or its AbortSignal fires.
 */

/** Options of an event iterator. */
export interface IterateOptions {
  /** Ends the iteration (cleanly, without an error) when aborted. */
  signal?: AbortSignal;
}

/**
 * @internal Runs `fn` once when `signal` aborts; returns what removes the listener (call it when
 * the owner closes otherwise, so a long-lived signal does not collect listeners).
 */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => undefined;
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/** @internal A queue feeding any number of async iterators (each sees every event). */
export class EventQueue<T> {
  private readonly consumers = new Set<Consumer<T>>();

  get active(): boolean {
    return this.consumers.size > 0;
  }

  push(ev: T): void {
    for (const c of this.consumers) c.push(ev);
  }

  end(): void {
    for (const c of [...this.consumers]) c.end();
  }

  /**
   * A new iterator. `onEnd` runs once when it ends (stream end, abort, break or return()). The
   * abort listener is removed when the iterator ends otherwise, so a long-lived signal does not
   * collect listeners.
   */
  iterate(opts: IterateOptions = {}, onEnd?: () => void): AsyncIterableIterator<T> {
    const { signal } = opts;
    let forget = (): void => undefined;
    const c = new Consumer<T>(() => {
      this.consumers.delete(c);
      forget();
      onEnd?.();
    });
    this.consumers.add(c);
    if (signal?.aborted) c.end();
    else forget = onAbort(signal, () => c.end());
    return c;
  }
}

class Consumer<T> implements AsyncIterableIterator<T> {
  private buf: T[] = [];
  private head = 0;
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private done = false;

  constructor(private readonly detach: () => void) {}

  push(ev: T): void {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: ev, done: false });
    } else this.buf.push(ev);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.buf.length) {
      const value = this.buf[this.head++] as T;
      if (this.head > 4096 && this.head * 2 > this.buf.length) {
        this.buf = this.buf.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.buf = [];
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

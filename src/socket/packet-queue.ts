/**
 * Packets of a non-blocking socket as an async iterator: libuv watches the fd (uv_poll via the
 * addon's NativeFdWatcher); when it is readable the queue drains it with non-blocking reads.
 */
import type { NativeFdWatcher } from '../../native/index.js';
import { native } from '../native.js';

/** Options of the packet iterator. */
export interface PacketIteratorOptions {
  /** Largest packet kept whole (longer ones are truncated); default 65536. */
  maxLength?: number;
  /** Packets kept while nobody reads; newer ones are dropped beyond it. Default 4096. */
  maxQueued?: number;
  /** Ends the iteration. */
  signal?: AbortSignal;
}

interface Waiter {
  owner: object;
  resolve: (r: IteratorResult<Buffer>) => void;
}

/** The queue behind PacketSocket.packets(). @internal */
export class PacketQueue {
  private readonly packets: Buffer[] = [];
  private readonly waiters: Waiter[] = [];
  private watcher: NativeFdWatcher | undefined;
  private ended = false;
  /** Packets dropped because the queue was full. */
  dropped = 0;
  private readonly maxLength: number;
  private readonly maxQueued: number;

  constructor(
    fd: number,
    private readonly read: (max: number) => Buffer | undefined,
    opts: PacketIteratorOptions,
  ) {
    this.maxLength = opts.maxLength ?? 65536;
    this.maxQueued = opts.maxQueued ?? 4096;
    this.watcher = new (native().NativeFdWatcher)(fd, () => this.drain());
    this.watcher.start();
    this.watcher.unref();
    this.drain();
  }

  private drain(): void {
    for (;;) {
      const p = this.read(this.maxLength);
      if (!p) break;
      const w = this.waiters.shift();
      if (w) w.resolve({ value: Buffer.from(p), done: false });
      else if (this.packets.length < this.maxQueued) this.packets.push(Buffer.from(p));
      else this.dropped++;
    }
  }

  private updateRef(): void {
    if (this.waiters.length > 0) this.watcher?.ref();
    else this.watcher?.unref();
  }

  /** An iterator over the queue; several iterators share it. */
  iterate(signal?: AbortSignal): AsyncIterableIterator<Buffer> {
    let done = false;
    const owner = {};
    const finish = (): void => {
      done = true;
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i];
        if (w?.owner === owner) {
          this.waiters.splice(i, 1);
          w.resolve({ value: undefined, done: true });
        }
      }
      this.updateRef();
    };
    const onAbort = (): void => finish();
    signal?.addEventListener('abort', onAbort, { once: true });
    const it: AsyncIterableIterator<Buffer> = {
      next: () => {
        if (done || this.ended || signal?.aborted) return Promise.resolve({ value: undefined, done: true });
        const p = this.packets.shift();
        if (p) return Promise.resolve({ value: p, done: false });
        return new Promise<IteratorResult<Buffer>>((resolve) => {
          this.waiters.push({
            owner,
            resolve: (r) => {
              resolve(r);
              this.updateRef();
            },
          });
          this.updateRef();
        });
      },
      return: () => {
        finish();
        signal?.removeEventListener('abort', onAbort);
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Forgets queued packets. */
  clear(): void {
    this.packets.length = 0;
  }

  /** Stops watching and ends every iterator. */
  close(): void {
    this.ended = true;
    this.watcher?.stop();
    this.watcher?.close();
    this.watcher = undefined;
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }
}

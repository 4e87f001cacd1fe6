/** RINGBUF maps: the table side of a ring buffer (reading happens through a RingBuffer). */
import { RingBuffer, type RingBufferOptions } from '../events/ring-buffer.js';
import type { Codec } from '../codec/codec.js';
import type { RawMap } from '../core/raw-map.js';
import { Table } from './table.js';

/**
 * A ring buffer map. It has no keys or values; open a consumer with {@link RingBufTable.open}.
 * `eventCodec` decodes records with the layout the compiler captured, when it captured one.
 */
export class RingBufTable<E = unknown> extends Table<never, never> {
  /** @internal */
  constructor(
    raw: RawMap,
    keyCodec: Codec<never>,
    valueCodec: Codec<never>,
    readonly eventCodec: Codec<E> | undefined,
  ) {
    super(raw, keyCodec, valueCodec);
  }

  /**
   * Starts consuming (BCC's open_ring_buffer): `callback(event)` per record, in order. The
   * reader is closed with the table's BPF object.
   */
  open(callback?: (event: E) => void, opts: Omit<RingBufferOptions<E>, 'callback'> = {}): RingBuffer<E> {
    const codec = opts.codec ?? this.eventCodec;
    const r = new RingBuffer<E>(this.name, this.fd, {
      ...opts,
      ...(codec ? { codec } : {}),
      ...(callback ? { callback } : {}),
    });
    this.adopt?.(r);
    return r;
  }

  override get size(): number {
    return 0;
  }
  override entries(): IterableIterator<[never, never]> {
    return this.unsupported('iteration (open() a consumer)');
  }
  override clear(): void {
    this.unsupported('clear');
  }
}

/**
 * Ring buffer (BPF_MAP_TYPE_RINGBUF) consumer, drained by a native thread blocked on libbpf's
 * epoll fd (D6): the kernel's ring empties at C speed while JS decodes, the JS thread never
 * blocks and no thread spins. Records are decoded with the event layout the
 * compiler captured (or handed over as Buffers) and delivered to a callback and/or async
 * iterators.
 */
import { batchDecoder, decodesDetached, viewOf, type Codec } from '../codec/codec.js';
import { native } from '../native.js';
import { EventReader, type EventReaderOptions } from './event-reader.js';

/** Options of a ring buffer consumer. */
export interface RingBufferOptions<T> extends EventReaderOptions {
  /** Called for every record, in order. */
  callback?: (event: T) => void;
  /** Decodes records; default: each record as a Buffer (its own bytes, never reused). */
  codec?: Codec<T>;
}

/**
 * A live consumer of one ring buffer map. Close it (or the BPF object that opened it) to stop;
 * the registry closes it at exit.
 */
export class RingBuffer<T = Buffer> extends EventReader<T> {
  /**
   * Starts consuming the RINGBUF map behind mapFd (the fd is not owned).
   * @throws SyscallError when the reader cannot be set up.
   */
  constructor(mapName: string, mapFd: number, opts: RingBufferOptions<T> = {}) {
    super(mapName, 'ring buffer');
    const { callback, codec } = opts;
    const deliver = (ev: T): void => {
      this.received++;
      callback?.(ev);
      if (this.iterating) this.push(ev);
    };
    // One DataView per chunk serves every record's compiled decoder (codec.ts batchDecoder).
    // Without a codec every record is a view of the chunk (Buffer.from on its ArrayBuffer: half
    // the cost of subarray), and each chunk is a fresh Buffer. A codec whose values are
    // detached from the chunk (decodesDetached) lets the native side refill one long-lived
    // Buffer per chunk (drained_reader.h); then a record shorter than the codec's size is copied
    // out, not viewed.
    const decode = codec && batchDecoder(codec);
    const size = codec?.size ?? 0;
    const reuse = codec !== undefined && decodesDetached(codec as Codec<unknown>);
    let lastData: Buffer | undefined;
    let view: DataView | undefined;
    const short = reuse
      ? (data: Buffer, off: number, len: number): T => Buffer.from(data.subarray(off, off + len)) as T
      : (data: Buffer, off: number, len: number): T =>
          Buffer.from(data.buffer, data.byteOffset + off, len) as T;
    const onData = decode
      ? (data: Buffer, meta: Uint32Array, count: number): void => {
          // the long-lived Buffer keeps its view; a fresh one gets a new view
          if (data !== lastData) {
            lastData = reuse ? data : undefined;
            view = viewOf(data);
          }
          const v = view as DataView;
          for (let i = 0; i < count; i++) {
            const off = meta[2 * i] as number;
            const len = meta[2 * i + 1] as number;
            deliver(len >= size ? decode(data, off, v) : short(data, off, len));
          }
        }
      : (data: Buffer, meta: Uint32Array, count: number): void => {
          const ab = data.buffer;
          const base = data.byteOffset;
          for (let i = 0; i < count; i++) {
            deliver(Buffer.from(ab, base + (meta[2 * i] as number), meta[2 * i + 1] as number) as T);
          }
        };
    this.open(() => new (native().NativeRingBuffer)(mapFd, onData, reuse), opts);
  }
}

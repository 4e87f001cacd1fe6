/**
 * The runtime part of the addon's contract (native/bpf/map_batch.cc, event_buffers.cc,
 * attach.cc, native/util/append_linked.cc): whole-map dumps and batch ops, pinning, perf/ring
 * buffer readers watched with uv_poll, tracing attach primitives, and log appends.
 */

/** Keys and values of a whole-map dump, packed back to back. */
export interface NativeDump {
  keys: Buffer;
  values: Buffer;
  count: number;
}

/** Map facts the kernel reports for an fd. */
export interface NativeMapFdInfo {
  id: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

/** perf_event_attr fields tsbcc sets. */
export interface NativePerfAttr {
  type: number;
  config: number | bigint;
  config1?: number | bigint;
  config2?: number | bigint;
  /** Passed to the kernel as a C string pointer in config1 (kprobe function, uprobe path). */
  config1String?: string;
  samplePeriod?: number | bigint;
  sampleFreq?: number | bigint;
  wakeupEvents?: number;
  sampleType?: number | bigint;
  disabled?: boolean;
}

/**
 * Called once per drained batch: records are at meta[2i] (offset) and meta[2i+1] (length), for
 * i < count. meta is one long-lived array refilled per batch (longer than count * 2), and so is
 * data when the reader was made with reuseData: read them during the call, keep nothing of them.
 */
export type RingBatchFn = (data: Buffer, meta: Uint32Array, count: number) => void;
/**
 * Called once per drained batch: meta is (offset, length, cpu) per record (a long-lived array,
 * as for RingBatchFn; data too with reuseData); lost is (cpu, count) pairs.
 */
export type PerfBatchFn = (data: Buffer, meta: Uint32Array, count: number, lost: Float64Array | null) => void;

/**
 * A libbpf ring_buffer over one RINGBUF map, drained by its own thread (blocked in epoll_wait on
 * libbpf's epoll fd); chunks of records reach onData through a uv_async, one per loop turn.
 */
export declare class NativeRingBuffer {
  constructor(mapFd: number, onData: RingBatchFn, reuseData?: boolean);
  /** Starts the drain thread (keeps the loop alive unless unref'd). */
  start(): void;
  stop(): void;
  /** Drains the kernel now and delivers everything pending; returns the records delivered. */
  consume(): number;
  ref(): void;
  unref(): void;
  close(): void;
}

/**
 * A libbpf perf_buffer (one ring per CPU) over a PERF_EVENT_ARRAY map, drained by its own thread
 * (blocked in epoll_wait on the CPUs' perf fds); chunks reach onData through a uv_async.
 */
export declare class NativePerfBuffer {
  constructor(
    mapFd: number,
    pageCount: number,
    wakeupEvents: number,
    onData: PerfBatchFn,
    reuseData?: boolean,
  );
  start(): void;
  stop(): void;
  consume(): number;
  ref(): void;
  unref(): void;
  bufferCount(): number;
  close(): void;
}

/** Watches a pollable fd (not owned) with uv_poll; calls onReadable when it can be read. */
export declare class NativeFdWatcher {
  constructor(fd: number, onReadable: () => void);
  start(): void;
  stop(): void;
  ref(): void;
  unref(): void;
  close(): void;
}

export interface RuntimeNative {
  /**
   * Appends `text` (UTF-8) to the open file `fd` with one write(2), only while the file still
   * has a name: -1 (nothing written) when its link count is 0, else the bytes written (an
   * empty text: only the check, no write).
   * Throws on an fstat/write error, EIO on a short write.
   */
  appendIfLinked(fd: number, text: string): number;
  mapDumpBatch(fd: number, keySize: number, valueSize: number, chunk: number, andDelete: boolean): NativeDump;
  /** Deletes every entry by lookup-and-delete batches, discarding them; the number deleted. */
  mapClearBatch(fd: number, keySize: number, valueSize: number, chunk: number): number;
  mapDumpWalk(fd: number, keySize: number, valueSize: number, max: number): NativeDump;
  mapUpdateBatch(fd: number, keys: Buffer, values: Buffer, count: number, flags: number): number;
  mapDeleteBatch(fd: number, keys: Buffer, count: number): number;
  mapDeleteKeys(fd: number, keys: Buffer, keySize: number, count: number): number;
  mapFillIndexed(fd: number, value: Buffer, count: number): void;
  /** Pops (queue/stack: key null) or removes key, filling value; false when absent or empty. */
  mapLookupAndDelete(fd: number, key: Buffer | null, value: Buffer): boolean;
  objPin(fd: number, path: string): void;
  objGet(path: string): number;
  mapInfoByFd(fd: number): NativeMapFdInfo;
  /** An fd for the map with kernel id `id` (caller owns it). */
  mapFdById(id: number): number;
  /** An fd for the program with kernel id `id` (caller owns it). */
  progFdById(id: number): number;
  numPossibleCpus(): number;
  pageSize(): number;

  NativeRingBuffer: typeof NativeRingBuffer;
  NativePerfBuffer: typeof NativePerfBuffer;
  NativeFdWatcher: typeof NativeFdWatcher;

  perfEventOpen(attr: NativePerfAttr, pid: number, cpu: number, groupFd: number): number;
  /** Link fd, or -1 when bound by ioctl (closing the perf fd detaches). */
  perfEventAttachProg(perfFd: number, progFd: number): number;
  perfEventRead(fd: number): bigint;
  rawTracepointOpen(name: string | null, progFd: number): number;
  linkCreate(progFd: number, targetFd: number, attachType: number, flags: number): number;
  progAttach(progFd: number, targetFd: number, attachType: number, flags: number): void;
  progDetach(progFd: number, targetFd: number, attachType: number): void;
  openPath(path: string, flags: number): number;
}

/**
 * trace_pipe: the kernel's bpf_trace_printk output. By default each reader has its own tracefs
 * instance (trace-instance.ts), so readers do not exclude each other; `{ shared: true }` reads
 * the top-level trace_pipe as BCC does. Read without blocking: the pipe is opened O_NONBLOCK and
 * watched with uv_poll (D6). Lines are offered raw (readLines), parsed into BCC's trace_fields
 * tuple (traceFields), or printed (tracePrint).
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { NativeFdWatcher } from '../../native/index.js';
import { ClosedError, NotSupportedError, SyscallError, TsbccError } from '../errors.js';
import { native } from '../native.js';
import { ensureTracefs } from '../features/mounts.js';
import { logger } from '../logger.js';
import { reapTraceInstances, TraceInstance, traceInstancesUsable } from './trace-instance.js';
import { track, untrack, type Closeable } from '../resources.js';
import { EventQueue, type IterateOptions } from './event-queue.js';
import { formatTraceFields } from './trace-format.js';
import { parseTraceLine, type TraceFields } from './trace-fields.js';

export { parseTraceLine, type TraceFields };

/**
 * How trace_print formats a line: a BCC/Python format string over the trace_fields tuple
 * (`"{1} {5}"`: pid and message; fields 0-5 are task, pid, cpu, flags, ts, msg), or a function.
 */
export type TraceFormat = string | ((f: TraceFields) => string);

/** Options of tracePrint. */
export type TracePrintOptions = IterateOptions & {
  /** Format of each line; raw lines when absent. */
  format?: TraceFormat;
  /** Where lines go (default: stdout). */
  write?: (s: string) => void;
};

/** Applies a TraceFormat. @throws InvalidArgumentError for a bad format string. */
export function applyTraceFormat(format: TraceFormat, f: TraceFields): string {
  return typeof format === 'string' ? formatTraceFields(format, f) : format(f);
}

/** Options of TracePipe.open. */
export interface TracePipeOptions {
  /**
   * Read tracefs's top-level trace_pipe, as BCC does, instead of a private instance: it also
   * carries whatever else writes to the top-level buffer (kernel trace_printk, events enabled
   * there, lines from before the reader opened), but takes one reader at a time and each line
   * goes to one reader. Default false.
   */
  shared?: boolean;
}

/**
 * A reader of bpf_trace_printk output (BCC's trace_pipe). Close it to stop. Each reader has its
 * own tracefs instance, which receives every bpf_trace_printk line of the machine from the
 * moment it opens, and is removed on close (also at exit and on Ctrl-C through the registry);
 * with `shared`, the top-level trace_pipe.
 */
export class TracePipe implements Closeable {
  private fd: number;
  private watcher: NativeFdWatcher | undefined;
  private readonly queue = new EventQueue<string>();
  private partial = '';
  private readonly buf = Buffer.alloc(64 * 1024);
  private readonly listeners = new Set<(line: string) => void>();

  private constructor(
    readonly path: string,
    private readonly instance?: TraceInstance,
  ) {
    try {
      this.fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      instance?.removeSync();
      const err = e as NodeJS.ErrnoException;
      const code = err.code ?? 'EIO';
      throw new SyscallError(
        'open',
        Math.abs(err.errno ?? 5),
        code,
        code === 'EBUSY' ? `${path} is open in another reader (the kernel allows one at a time)` : path,
        { cause: e },
      );
    }
    try {
      this.watcher = new (native().NativeFdWatcher)(this.fd, () => this.drain());
    } catch (e) {
      closeSync(this.fd);
      instance?.removeSync();
      throw e;
    }
    track(this);
  }

  /**
   * Opens a reader (mounting tracefs when missing): a private instance's trace_pipe, or with
   * `shared` the top-level one. Kernels before 5.10 (bpf_trace_printk not yet a trace event)
   * get the top-level trace_pipe.
   * @throws NotSupportedError when tracefs is unavailable (CONFIG_TRACING).
   * @throws SyscallError when the instance cannot be made; with `shared`, EBUSY while another
   *   reader has the top-level trace_pipe open (recent kernels allow one).
   */
  static async open(opts: TracePipeOptions = {}): Promise<TracePipe> {
    const root = await ensureTracefs();
    if (!root)
      throw new NotSupportedError('tracefs', 'CONFIG_TRACING', 'mount tracefs at /sys/kernel/tracing');
    return TracePipe.openAt(root, opts);
  }

  /**
   * {@link TracePipe.open} on tracefs mounted at `root`, synchronously (nothing is mounted).
   * @throws SyscallError as for open.
   */
  static openAt(root: string, opts: TracePipeOptions = {}): TracePipe {
    if (opts.shared) return new TracePipe(`${root}/trace_pipe`);
    if (!traceInstancesUsable(root)) {
      logger().debug(
        'bpf_trace_printk is not a trace event here (Linux < 5.10): reading the top-level trace_pipe',
      );
      return new TracePipe(`${root}/trace_pipe`);
    }
    // instances of tsbcc processes that died without closing (SIGKILL) go first
    for (const name of reapTraceInstances(root)) logger().debug(`removed the stale tracefs instance ${name}`);
    const instance = TraceInstance.create(root);
    return new TracePipe(instance.pipePath, instance);
  }

  get closed(): boolean {
    return this.fd < 0;
  }

  get description(): string {
    return `trace_pipe reader (${this.path})`;
  }

  /** The private tracefs instance's directory, or undefined when reading the top-level trace_pipe. */
  get instanceDir(): string | undefined {
    return this.instance?.dir;
  }

  private drain(): void {
    if (this.fd < 0) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw new TsbccError(`reading ${this.path}: ${(e as Error).message}`, 'EIO', { cause: e });
      }
      if (n <= 0) break;
      const text = this.partial + this.buf.toString('utf8', 0, n);
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) {
        for (const f of this.listeners) f(l);
        if (this.queue.active) this.queue.push(l);
      }
    }
    this.updateWatch();
  }

  private updateWatch(): void {
    if (!this.watcher) return;
    if (this.listeners.size > 0 || this.queue.active) this.watcher.start();
    else this.watcher.stop();
  }

  /** Raw lines as an async iterator (BCC's trace_readline, repeated); ends on close or abort. */
  lines(opts: IterateOptions = {}): AsyncIterableIterator<string> {
    if (this.fd < 0) throw new ClosedError(this.description);
    // However the iterator ends (abort, break, close), stop watching when nobody else reads:
    // a watched pipe would keep the process alive and consume lines nobody asked for.
    const it = this.queue.iterate(opts, () => this.updateWatch());
    this.updateWatch();
    return it;
  }

  /** Parsed lines (BCC's trace_fields); lines that do not parse are skipped. */
  traceFields(opts?: IterateOptions): AsyncIterableIterator<TraceFields>;
  /** Parsed lines formatted with `format` (a BCC format string such as `"{1} {5}"`, or a function). */
  traceFields(opts: IterateOptions & { format: TraceFormat }): AsyncIterableIterator<string>;
  async *traceFields(
    opts: IterateOptions & { format?: TraceFormat } = {},
  ): AsyncIterableIterator<TraceFields | string> {
    for await (const l of this.lines(opts)) {
      const f = parseTraceLine(l);
      if (f) yield opts.format !== undefined ? applyTraceFormat(opts.format, f) : f;
    }
  }

  /**
   * Prints every line (or each line formatted: BCC's trace_print(fmt), e.g. `"{1} {5}"`, or a
   * function) until closed or aborted. Resolves when it stops.
   * @throws InvalidArgumentError for a bad format string (before reading anything).
   */
  async tracePrint(opts: TracePrintOptions | TraceFormat = {}): Promise<void> {
    const o: TracePrintOptions = typeof opts === 'object' ? opts : { format: opts };
    const write = o.write ?? ((s: string) => void process.stdout.write(s));
    if (typeof o.format === 'string')
      formatTraceFields(o.format, { task: '', pid: 0, cpu: 0, flags: '', ts: 0, msg: '' });
    for await (const l of this.lines(o)) {
      if (o.format === undefined) {
        write(`${l}\n`);
        continue;
      }
      const f = parseTraceLine(l);
      if (f) write(`${applyTraceFormat(o.format, f)}\n`);
    }
  }

  /** Calls fn for every raw line until the returned function is called. */
  onLine(fn: (line: string) => void): () => void {
    if (this.fd < 0) throw new ClosedError(this.description);
    this.listeners.add(fn);
    this.updateWatch();
    return () => {
      this.listeners.delete(fn);
      this.updateWatch();
    };
  }

  /** Lets the process exit while the reader is open. */
  unref(): this {
    this.watcher?.unref();
    return this;
  }

  /** Stops reading, closes the pipe and removes the private instance; idempotent. Iterators end. */
  closeSync(): void {
    if (this.fd < 0) return;
    this.watcher?.close();
    this.watcher = undefined;
    closeSync(this.fd);
    this.fd = -1;
    this.queue.end();
    this.listeners.clear();
    untrack(this);
    this.instance?.removeSync();
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }
}

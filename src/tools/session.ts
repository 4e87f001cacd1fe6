/**
 * The harness every tool runs in: which hooks to use (BCC's kprobes where the kernel has them,
 * tracepoints where not), loading and attaching the generated program (or printing it for
 * --ebpf), saying what was attached (--verbose), waiting for intervals, durations and Ctrl-C,
 * and writing output lines.
 */
import { BPF } from '../bcc/bpf.js';
import type { UsdtContext } from '../compiler/usdt.js';
import { CompileError, NotSupportedError } from '../errors.js';
import type { PerfBuffer } from '../events/perf-buffer.js';
import type { RingBuffer } from '../events/ring-buffer.js';
import { supportKprobes } from '../tracing/support.js';

/** Which hooks a tool attaches to: `auto` takes kprobes where the kernel has them. */
export type HookChoice = 'auto' | 'kprobe' | 'tracepoint';

/** One attachment of a function of the tool's program. */
export type Attachment =
  | { kind: 'tracepoint' | 'raw_tracepoint' | 'kprobe' | 'kretprobe'; target: string; fn: string }
  | {
      kind: 'uprobe' | 'uretprobe';
      /** Binary path or library name. */
      target: string;
      sym?: string;
      address?: bigint;
      pid?: number;
      fn: string;
    };

/** The attachment of a TRACEPOINT_PROBE(category, event) function. */
export function tracepointProbe(category: string, event: string): Attachment {
  return { kind: 'tracepoint', target: `${category}:${event}`, fn: `tracepoint__${category}__${event}` };
}

/** The attachment of a RAW_TRACEPOINT_PROBE(event) function. */
export function rawTracepointProbe(event: string): Attachment {
  return { kind: 'raw_tracepoint', target: event, fn: `raw_tracepoint__${event}` };
}

/** Options of ToolSession.load. */
export interface LoadOptions {
  /**
   * Go on when an attachment fails (a function matched by a pattern that the kernel will not
   * probe), as BCC's attach by regular expression does; fails only when none could be made.
   */
  skipFailed?: boolean;
  /** USDT probes to enable: their handlers are attached at every site. */
  usdt?: UsdtContext[];
  /** Only this process's USDT sites. */
  usdtPid?: number;
}

/** Options every tool has. */
export interface SessionOptions {
  /** Print the generated program and exit. */
  ebpf?: boolean;
  /** Say on stderr what was attached. */
  verbose?: boolean;
  /** Hook kind (default auto). */
  attach?: HookChoice;
}

/** setTimeout's longest delay; BCC's "forever" (99999999 s) is longer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How a wait ended. */
export type WaitResult = 'timeout' | 'interrupt';

/** What a tool gets to run in; one per command run. */
export class ToolSession {
  private interrupted = false;
  private readonly waiters = new Set<() => void>();
  private readonly onSigint = (): void => {
    if (!this.interrupted) this.interrupted = true;
    for (const w of [...this.waiters]) w();
  };
  private bpf: BPF | undefined;
  private readonly streams: { consume(): number }[] = [];

  constructor(
    /** The tool's name, for messages. */
    readonly tool: string,
    readonly options: SessionOptions,
    private readonly stdout: (s: string) => void = (s) => void process.stdout.write(s),
    private readonly stderr: (s: string) => void = (s) => void process.stderr.write(s),
  ) {
    // Ctrl-C ends the tool through its summary; the resource registry leaves everything open
    // for this handler and closes it when the process exits.
    process.on('SIGINT', this.onSigint);
  }

  /**
   * Whether to use BCC's kprobe form: `--attach kprobe`, or `auto` on a kernel with kprobes.
   * @throws NotSupportedError for `--attach kprobe` on a kernel without kprobes (except with
   *   --ebpf, which only prints the program).
   */
  get kprobes(): boolean {
    const choice = this.options.attach ?? 'auto';
    if (choice === 'tracepoint') return false;
    if (choice === 'kprobe' && this.options.ebpf) return true; // printing needs no kprobes
    const have = supportKprobes();
    if (choice === 'kprobe' && !have)
      throw new NotSupportedError(
        'kprobes',
        'CONFIG_KPROBE_EVENTS',
        'drop --attach kprobe to use tracepoints',
      );
    return have;
  }

  /** Prints one line on stdout. */
  print(line = ''): void {
    this.stdout(`${line}\n`);
  }

  /** Writes text on stdout as is. */
  write(text: string): void {
    this.stdout(text);
  }

  /** Prints one line on stderr. */
  warn(line: string): void {
    this.stderr(`${line}\n`);
  }

  /** Prints a line on stderr with --verbose. */
  note(line: string): void {
    if (this.options.verbose) this.stderr(`${this.tool}: ${line}\n`);
  }

  /**
   * Compiles and loads `text` and makes `attachments`; with --ebpf prints the text instead and
   * resolves undefined (the tool then exits 0). The object is closed when the session ends.
   * @throws CompileError, VerifierError, NotSupportedError, SyscallError; nothing stays attached.
   */
  async load(text: string, attachments: Attachment[], opts: LoadOptions = {}): Promise<BPF | undefined> {
    if (this.options.ebpf) {
      this.write(text.endsWith('\n') ? text : `${text}\n`);
      return undefined;
    }
    const b = await BPF.create({
      text,
      name: this.tool,
      // only USDT handlers are attached by the object itself (the tools' function names ask for
      // nothing else); every other attachment is made below, and said with --verbose
      autoAttach: (opts.usdt?.length ?? 0) > 0,
      ...(opts.usdt?.length ? { usdt: opts.usdt } : {}),
      ...(opts.usdtPid !== undefined ? { usdtPid: opts.usdtPid } : {}),
    });
    this.bpf = b;
    for (const u of opts.usdt ?? [])
      for (const p of u.probes) this.note(`attached USDT ${u.path}:${p.probe} -> ${p.fnName}`);
    try {
      let made = 0;
      let firstError: unknown;
      for (const a of attachments) {
        try {
          this.attach(b, a);
          made++;
        } catch (e) {
          if (!opts.skipFailed) throw e;
          firstError ??= e;
          this.note(`skipped ${a.kind} ${a.target}: ${(e as Error).message}`);
        }
      }
      if (made === 0 && firstError) throw firstError;
    } catch (e) {
      b.close();
      this.bpf = undefined;
      throw e;
    }
    return b;
  }

  /**
   * load() for the first of `texts` that compiles: variants of one program for kernels whose
   * types differ (the kernel header comes from the running kernel's BTF, so a member that
   * kernel lacks is a compile error). --ebpf prints the first.
   * @throws the last variant's CompileError when none compiles; as load() otherwise.
   */
  async loadFirst(
    texts: string[],
    attachments: Attachment[],
    opts: LoadOptions = {},
  ): Promise<BPF | undefined> {
    for (let i = 0; ; i++) {
      const text = texts[i] as string;
      try {
        return await this.load(text, attachments, opts);
      } catch (e) {
        if (!(e instanceof CompileError) || i === texts.length - 1) throw e;
        this.note(`variant ${i + 1} does not compile on this kernel; trying the next`);
      }
    }
  }

  /** Makes one more attachment on a loaded object (and says so with --verbose). */
  attach(b: BPF, a: Attachment): void {
    let what: string;
    switch (a.kind) {
      case 'tracepoint':
        what = b.attachTracepoint({ tp: a.target, fnName: a.fn }).description;
        break;
      case 'raw_tracepoint':
        what = b.attachRawTracepoint({ tp: a.target, fnName: a.fn }).description;
        break;
      case 'kprobe':
      case 'kretprobe':
        what = b.attachKprobe({
          event: a.target,
          fnName: a.fn,
          retprobe: a.kind === 'kretprobe',
        }).description;
        break;
      case 'uprobe':
      case 'uretprobe':
        what = b.attachUprobe({
          name: a.target,
          fnName: a.fn,
          retprobe: a.kind === 'uretprobe',
          ...(a.sym !== undefined ? { sym: a.sym } : {}),
          ...(a.address !== undefined ? { address: a.address } : {}),
          ...(a.pid !== undefined ? { pid: a.pid } : {}),
        }).description;
        break;
    }
    this.note(`attached ${what}`);
  }

  /**
   * Consumes perf buffer `name`; lost records are reported on stderr as BCC does. Open it before
   * the tool's first line: that line says the tool is tracing (a user, or a test, starts the
   * workload on it), and until a CPU's ring is open, perf_submit on that CPU fails (ENOENT) and
   * the event is gone — a ring buffer map, by contrast, keeps events from the moment it loads.
   */
  perfBuffer<E>(b: BPF, name: string, cb: (e: E, cpu: number) => void, pageCount = 64): PerfBuffer<E> {
    const pb = b.openPerfBuffer<E>(name, cb, {
      pageCount,
      lost: (n) => this.warn(`Possibly lost ${n} samples`),
    });
    this.streams.push(pb);
    return pb;
  }

  /** Consumes ring buffer `name`. */
  ringBuffer<E>(b: BPF, name: string, cb: (e: E) => void): RingBuffer<E> {
    const rb = b.openRingBuffer<E>(name, cb);
    this.streams.push(rb);
    return rb;
  }

  /** Whether Ctrl-C was pressed. */
  get wasInterrupted(): boolean {
    return this.interrupted;
  }

  /**
   * Waits `ms` milliseconds (forever when undefined), or until Ctrl-C.
   * Resolves 'interrupt' at once when Ctrl-C came earlier.
   */
  wait(ms?: number): Promise<WaitResult> {
    if (this.interrupted) return Promise.resolve('interrupt');
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (r: WaitResult): void => {
        if (timer) clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(r);
      };
      const wake = (): void => done('interrupt');
      this.waiters.add(wake);
      if (ms !== undefined && ms < MAX_TIMER_MS) timer = setTimeout(() => done('timeout'), ms);
      else timer = setInterval(() => undefined, 1 << 30); // keeps the loop alive until Ctrl-C
    });
  }

  /**
   * BCC's summary loop: waits `interval` seconds, calls `tick`, and again, until `count` ticks,
   * `duration` seconds, or Ctrl-C (which ends the wait early and ticks once more, the last).
   */
  async everyInterval(
    o: { interval: number; count?: number; duration?: number },
    tick: (last: boolean) => void,
  ): Promise<void> {
    let n = 0;
    let seconds = 0;
    for (;;) {
      const r = await this.wait(o.interval * 1000);
      seconds += o.interval;
      n++;
      const last =
        r === 'interrupt' ||
        (o.count !== undefined && n >= o.count) ||
        (o.duration !== undefined && seconds >= o.duration);
      tick(last);
      if (last) return;
    }
  }

  /**
   * Prints what the event streams still hold (events of before Ctrl-C), then detaches and
   * unloads everything; idempotent.
   */
  close(): void {
    process.removeListener('SIGINT', this.onSigint);
    for (const st of this.streams.splice(0)) {
      try {
        st.consume();
      } catch {
        // already closed
      }
    }
    this.bpf?.close();
    this.bpf = undefined;
  }
}

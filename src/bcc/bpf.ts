/**
 * BPF: BCC's workflow one call away. Compile text or a file (or open a prebuilt libbpf CO-RE
 * object), auto-load and auto-attach functions whose names say where they go, load any
 * function as any type later, read tables, stream events, and close without leaving anything
 * behind. This entry point composes the layers above core (maps, events, tracing).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { compile, describeElf, type CompileOptions } from '../compiler/compile.js';
import type { ObjectSpec } from '../compiler/object-spec.js';
import { fixSyscallFnname } from './syscall-prefix.js';
import { mapLayoutsFromBtf } from '../compiler/btf-layout.js';
import { ClosedError, InvalidArgumentError, TsbccError } from '../errors.js';
import { logger } from '../logger.js';
import { objectTable, type TableOptions } from '../maps/open-table.js';
import type { Table } from '../maps/table.js';
import { PerfEventArrayTable } from '../maps/perf-event-array.js';
import { RingBufTable } from '../maps/ring-buf.js';
import type { PerfBuffer, PerfBufferOptions } from '../events/perf-buffer.js';
import type { PerfCounters } from '../events/perf-counters.js';
import type { RingBuffer, RingBufferOptions } from '../events/ring-buffer.js';
import {
  TracePipe,
  type TraceFields,
  type TraceFormat,
  type TracePrintOptions,
} from '../events/trace-pipe.js';
import type { IterateOptions } from '../events/event-queue.js';
import { usesTracePrintk } from '../events/trace-printk-use.js';
import { tracefsRoot } from '../tracing/tracefs.js';
import {
  attachKprobe,
  attachPerfEvent,
  attachRawTracepoint,
  attachTracepoint,
  attachUprobe,
  listTracepoints,
  type PerfEventOptions,
  type UprobeOptions,
} from '../tracing/attach.js';
import type { FdLink } from '../tracing/fd-link.js';
import { attachUsdtSites } from '../tracing/usdt-attach.js';
import { attachKprobes, attachUprobes } from '../tracing/attach-regex.js';
import { kprobeAttachError } from '../tracing/kprobe-alternatives.js';
import { attachPerfEventRaw, type PerfEventAttr, type PerfEventRawOptions } from '../tracing/perf-attr.js';
import { resolveUsdtContexts, type UsdtPidContext } from '../tracing/usdt.js';
import { loadAndAttachBtf, type BtfAttachKind } from '../tracing/btf-attach.js';
import type { UsdtContext } from '../compiler/usdt.js';
import { BpfObject, type LoadFuncOptions } from '../core/bpf-object.js';
import type { Program } from '../core/program.js';
import { AttachType, type ProgramTypeName } from '../uapi/program-type.js';
import { track, untrack, type Closeable } from '../resources.js';
import type { PinOptions } from '../core/pin.js';

/** Options shared by kprobe attaches. */
export interface KprobeAttachOptions {
  fnName: string;
  offset?: number;
  retprobe?: boolean;
  /** kretprobe instances (BCC's maxactive; 0 = the kernel's default). */
  maxactive?: number;
}

/** A uprobe attach by symbol regex (BCC's sym_re). */
export type UprobeRegexOptions = Omit<UprobeOptions, 'sym' | 'address' | 'symOffset' | 'refCtrOffset'> & {
  symRe: RegExp | string;
  fnName: string;
};

/** Where the C comes from. */
export type BpfSource = { text: string; name?: string } | { file: string };

/** Options of BPF.create (BCC's BPF() arguments). */
export type BpfCreateOptions = BpfSource & {
  /** Extra compiler flags, one token per element (BCC's cflags). */
  cflags?: string[];
  /** Load and attach `kprobe__`, `tracepoint__`, `raw_tracepoint__`, ... functions now (default true). */
  autoAttach?: boolean;
  /** Further compiler options. */
  compile?: Omit<CompileOptions, 'cflags'>;
  /**
   * USDT probes to enable (BCC's usdt_contexts): handlers are attached as uprobes at every site.
   * A context may give a `pid` instead of a `path` (BCC's `USDT(pid=N)`): the probe is looked
   * up in the files that process has mapped, and only that process is traced.
   */
  usdt?: (UsdtContext | UsdtPidContext)[];
  /** Limit USDT probes to this process (default: every process running the binary). */
  usdtPid?: number;
};

interface AttachedLink {
  kind: string;
  target: string;
  fnName: string;
  link: FdLink;
}

/**
 * A compiled, loaded BPF program set with BCC's Python API in TypeScript. Close it (or
 * `using`) to detach every link, stop every reader and unload everything; the registry closes it
 * at exit (normal exit, SIGINT, SIGTERM, uncaught exception).
 */
export class BPF implements Closeable {
  private readonly links: AttachedLink[] = [];
  private readonly tables = new Map<string, Table>();
  private pipe: TracePipe | undefined;
  private isClosed = false;

  private constructor(readonly object: BpfObject) {
    track(this);
  }

  /**
   * Compiles C (BCC's dialect) from text or a file and creates its maps; with autoAttach (the
   * default) loads and attaches every function named `kprobe__*`, `kretprobe__*`,
   * `tracepoint__*`, `raw_tracepoint__*`, `kfunc__*`, `kretfunc__*`, `lsm__*`.
   * @throws CompileError, VerifierError, NotSupportedError (e.g. kprobes without
   *   CONFIG_KPROBE_EVENTS), SyscallError; nothing stays loaded when it throws.
   */
  static async create(opts: BpfCreateOptions): Promise<BPF> {
    const usdt = opts.usdt ? resolveUsdtContexts(opts.usdt) : undefined;
    const usdtPid = opts.usdtPid ?? opts.usdt?.find((c): c is UsdtPidContext => 'pid' in c)?.pid;
    const copts: CompileOptions = {
      ...(opts.compile ?? {}),
      ...(opts.cflags ? { cflags: opts.cflags } : {}),
      ...(usdt ? { usdt } : {}),
    };
    const input =
      'file' in opts ? { file: opts.file } : { text: opts.text, ...(opts.name ? { name: opts.name } : {}) };
    const spec = await compile(input, copts);
    return BPF.fromSpec(spec, {
      autoAttach: opts.autoAttach ?? true,
      ...(usdtPid !== undefined ? { usdtPid } : {}),
    });
  }

  /**
   * Opens a prebuilt libbpf CO-RE object file (.o). Programs keep the types their sections
   * give; with autoAttach (default true) `tracepoint/`, `tp/`, `raw_tp/`, `kprobe/` sections
   * and BCC-style names are attached.
   * @throws TsbccError when the file cannot be read; SyscallError/VerifierError as for create.
   */
  static async fromObjectFile(path: string, opts: { autoAttach?: boolean } = {}): Promise<BPF> {
    let elf: Buffer;
    try {
      elf = await readFile(path);
    } catch (e) {
      throw new TsbccError(`cannot read ${path}: ${(e as Error).message}`, 'ENOENT', { cause: e });
    }
    const name = basename(path).replace(/\.[^.]*$/, '');
    const { programs, maps } = describeElf(elf, name);
    mapLayoutsFromBtf(elf, maps, (m, why) => logger().debug(`no BTF layout for map ${m} of ${path}: ${why}`));
    return BPF.fromSpec({ name, elf, programs, maps, diagnostics: [] }, opts);
  }

  /** Creates the maps of a compiled spec and (by default) auto-attaches. */
  static fromSpec(spec: ObjectSpec, opts: { autoAttach?: boolean; usdtPid?: number } = {}): BPF {
    const bpf = new BPF(BpfObject.create(spec));
    bpf.openTracePipeEarly();
    if (opts.autoAttach ?? true) {
      try {
        bpf.autoAttach();
        bpf.attachUsdt(opts.usdtPid);
      } catch (e) {
        bpf.closeSync();
        throw e;
      }
    }
    return bpf;
  }

  /**
   * An object that calls bpf_trace_printk gets its trace reader (a private tracefs instance)
   * before anything attaches, so `tracePrint()` called later still shows every line printed
   * since attach, as BCC's top-level trace_pipe would. When that fails (tracefs not mounted
   * yet), the reader opens on first use instead.
   */
  private openTracePipeEarly(): void {
    const root = tracefsRoot();
    if (!root || !usesTracePrintk(this.object.spec.elf)) return;
    try {
      this.pipe = this.object.own(TracePipe.openAt(root));
    } catch (e) {
      logger().debug(`trace reader of ${this.object.spec.name} not opened early`, { error: String(e) });
    }
  }

  /** Attaches every function whose name (or section) asks for it, as the naming table says. */
  private autoAttach(): void {
    for (const p of this.object.spec.programs) {
      if (!p.autoAttach || p.attachTarget === undefined) continue;
      switch (p.attachKind) {
        case 'kprobe':
        case 'kretprobe': {
          // say which function, why, and what to attach instead when the kprobe cannot go on
          const event = fixSyscallFnname(p.attachTarget);
          const retprobe = p.attachKind === 'kretprobe';
          this.loadFunc(p.name, 'KPROBE'); // a verifier error is the program's, not the hook's
          try {
            this.attachKprobe({ event, fnName: p.name, retprobe });
          } catch (e) {
            throw kprobeAttachError(p.name, event, retprobe, e);
          }
          break;
        }
        case 'tracepoint':
          this.attachTracepoint({ tp: p.attachTarget, fnName: p.name });
          break;
        case 'raw_tracepoint':
          this.attachRawTracepoint({ tp: p.attachTarget, fnName: p.name });
          break;
        case 'fentry':
        case 'fexit':
          this.attachKfunc({ fnName: p.name, retfunc: p.attachKind === 'fexit' });
          break;
        case 'lsm':
          this.attachLsm({ fnName: p.name });
          break;
        default:
          break;
      }
    }
  }

  /** Attaches every enabled USDT probe's handler at each of its sites. */
  private attachUsdt(pid?: number): void {
    for (const u of this.object.spec.usdt ?? []) {
      const prog = this.loadFunc(u.fnName, 'KPROBE');
      for (const link of attachUsdtSites(prog, u, pid))
        this.keep('usdt', `${u.path}:${u.provider}:${u.name}`, u.fnName, link);
    }
  }

  private live(): BpfObject {
    if (this.isClosed) throw new ClosedError(this.description);
    return this.object;
  }

  get description(): string {
    return `BPF ${this.object.spec.name}`;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The compiled spec (programs, maps, layouts). */
  get spec(): ObjectSpec {
    return this.object.spec;
  }

  /**
   * Loads function `name` as `type` (BCC's load_func); any function, any time, any order; all
   * share this object's maps. Without a type, the type its section or name implies.
   * @throws InvalidArgumentError, VerifierError.
   */
  loadFunc(name: string, type?: ProgramTypeName | number, opts: LoadFuncOptions = {}): Program {
    const obj = this.live();
    let t = type;
    if (t === undefined) {
      t = obj.spec.programs.find((p) => p.name === name)?.type;
      if (!t)
        throw new InvalidArgumentError(
          `loadFunc("${name}"): give a program type; its name and section do not imply one`,
        );
    }
    return obj.loadFunc(name, t, opts);
  }

  /** Loads every function as `type` (BCC's load_funcs). */
  loadFuncs(type: ProgramTypeName | number = 'KPROBE'): Program[] {
    return this.live().spec.programs.map((p) => this.loadFunc(p.name, type));
  }

  /**
   * The map `name` as a typed table of the class its type calls for (BCC's get_table / b[name]),
   * decoding with the layouts from the program's BTF; owned by this object. Without options the
   * same table is returned every time.
   * @throws InvalidArgumentError when there is no such map or no table class for its type.
   */
  table<K = unknown, V = unknown>(name: string, opts?: TableOptions): Table<K, V> {
    const obj = this.live();
    const cached = opts ? undefined : this.tables.get(name);
    if (cached && !cached.closed) return cached as Table<K, V>;
    const t = objectTable<K, V>(obj, name, opts);
    if (!opts) this.tables.set(name, t as Table);
    return t;
  }

  /** Alias of table(). */
  get<K = unknown, V = unknown>(name: string, opts?: TableOptions): Table<K, V> {
    return this.table<K, V>(name, opts);
  }

  /**
   * Consumes ring buffer map `name` (BCC's open_ring_buffer), decoding with the captured event
   * layout. Closed with this object.
   * @throws InvalidArgumentError when `name` is not a RINGBUF map.
   */
  openRingBuffer<E = unknown>(
    name: string,
    callback?: (event: E) => void,
    opts: Omit<RingBufferOptions<E>, 'callback'> = {},
  ): RingBuffer<E> {
    const t = this.table(name);
    if (!(t instanceof RingBufTable)) throw new InvalidArgumentError(`${t.description} is not a ring buffer`);
    return this.object.own((t as RingBufTable<E>).open(callback, opts));
  }

  /**
   * Consumes perf event array `name` (BCC's open_perf_buffer). Closed with this object.
   * @throws InvalidArgumentError when `name` is not a PERF_EVENT_ARRAY map.
   */
  openPerfBuffer<E = unknown>(
    name: string,
    callback?: (event: E, cpu: number) => void,
    opts: Omit<PerfBufferOptions<E>, 'callback'> = {},
  ): PerfBuffer<E> {
    const t = this.table(name);
    if (!(t instanceof PerfEventArrayTable))
      throw new InvalidArgumentError(`${t.description} is not a perf event array`);
    return this.object.own((t as PerfEventArrayTable<E>).open(callback, opts));
  }

  /**
   * Opens a counting perf event per online CPU into perf array `name` (BCC's open_perf_event).
   * Closed with this object.
   * @throws InvalidArgumentError when `name` is not a PERF_EVENT_ARRAY map; SyscallError.
   */
  openPerfEvent(name: string, type: number, config: number): PerfCounters {
    const t = this.table(name);
    if (!(t instanceof PerfEventArrayTable))
      throw new InvalidArgumentError(`${t.description} is not a perf event array`);
    return this.object.own(t.openPerfEvent(type, config));
  }

  private keep(kind: string, target: string, fnName: string, link: FdLink): FdLink {
    this.object.own(link);
    this.links.push({ kind, target, fnName, link });
    logger().debug(`attached ${link.description}`);
    return link;
  }

  /** Attaches `fnName` (loaded as TRACEPOINT) to `category:event` (BCC's attach_tracepoint). */
  attachTracepoint(o: { tp: string; fnName: string }): FdLink {
    return this.keep(
      'tracepoint',
      o.tp,
      o.fnName,
      attachTracepoint(this.loadFunc(o.fnName, 'TRACEPOINT'), o.tp),
    );
  }

  /**
   * Attaches `fnName` to every tracepoint whose `category:event` matches `tpRe` (BCC's tp_re).
   * @throws InvalidArgumentError when nothing matches.
   */
  attachTracepoints(o: { tpRe: RegExp; fnName: string }): FdLink[] {
    const tps = listTracepoints(o.tpRe);
    if (tps.length === 0) throw new InvalidArgumentError(`no tracepoint matches ${String(o.tpRe)}`);
    return tps.map((tp) => this.attachTracepoint({ tp, fnName: o.fnName }));
  }

  /** Attaches `fnName` (loaded as RAW_TRACEPOINT) to raw tracepoint `tp`. */
  attachRawTracepoint(o: { tp: string; fnName: string }): FdLink {
    return this.keep(
      'raw_tracepoint',
      o.tp,
      o.fnName,
      attachRawTracepoint(this.loadFunc(o.fnName, 'RAW_TRACEPOINT'), o.tp),
    );
  }

  /**
   * Attaches `fnName` (loaded as KPROBE) to kernel function `event` (BCC's attach_kprobe), or
   * to every probeable function whose whole name matches `eventRe` (then an array of links;
   * functions that refuse are skipped, as BCC does). `maxactive` (kretprobes) goes through
   * tracefs kprobe_events as in BCC.
   * @throws NotSupportedError naming CONFIG_KPROBE_EVENTS where the kernel has no kprobes.
   */
  attachKprobe(o: KprobeAttachOptions & { event: string }): FdLink;
  attachKprobe(o: KprobeAttachOptions & { eventRe: RegExp | string }): FdLink[];
  attachKprobe(o: KprobeAttachOptions & { event?: string; eventRe?: RegExp | string }): FdLink | FdLink[] {
    const prog = this.loadFunc(o.fnName, 'KPROBE');
    const kind = o.retprobe ? 'kretprobe' : 'kprobe';
    const more = { retprobe: o.retprobe ?? false, ...(o.maxactive ? { maxactive: o.maxactive } : {}) };
    if (o.eventRe !== undefined)
      return attachKprobes(prog, { eventRe: o.eventRe, ...more }).map((l) =>
        this.keep(kind, l.target, o.fnName, l),
      );
    if (o.event === undefined) throw new InvalidArgumentError('attachKprobe: give event or eventRe');
    const link = attachKprobe(prog, { event: o.event, ...(o.offset ? { offset: o.offset } : {}), ...more });
    return this.keep(kind, o.event, o.fnName, link);
  }

  /** attachKprobe with retprobe (BCC's attach_kretprobe, with maxactive). */
  attachKretprobe(o: Omit<KprobeAttachOptions, 'retprobe' | 'offset'> & { event: string }): FdLink;
  attachKretprobe(
    o: Omit<KprobeAttachOptions, 'retprobe' | 'offset'> & { eventRe: RegExp | string },
  ): FdLink[];
  attachKretprobe(
    o: Omit<KprobeAttachOptions, 'retprobe' | 'offset'> & { event?: string; eventRe?: RegExp | string },
  ): FdLink | FdLink[] {
    return this.attachKprobe({ ...o, retprobe: true } as KprobeAttachOptions & { event: string });
  }

  /**
   * Attaches `fnName` (loaded as KPROBE) as a uprobe (BCC's attach_uprobe), or at every
   * function of the binary whose name matches `symRe` from its start (then an array of links).
   */
  attachUprobe(o: UprobeOptions & { fnName: string }): FdLink;
  attachUprobe(o: UprobeRegexOptions): FdLink[];
  attachUprobe(o: (UprobeOptions & { fnName: string }) | UprobeRegexOptions): FdLink | FdLink[] {
    const prog = this.loadFunc(o.fnName, 'KPROBE');
    const kind = o.retprobe ? 'uretprobe' : 'uprobe';
    if ('symRe' in o) return attachUprobes(prog, o).map((l) => this.keep(kind, l.target, o.fnName, l));
    const link = attachUprobe(prog, o);
    return this.keep(kind, `${o.name}:${o.sym ?? o.address}`, o.fnName, link);
  }

  /** attachUprobe with retprobe. */
  attachUretprobe(o: Omit<UprobeOptions, 'retprobe'> & { fnName: string }): FdLink;
  attachUretprobe(o: Omit<UprobeRegexOptions, 'retprobe'>): FdLink[];
  attachUretprobe(
    o: (Omit<UprobeOptions, 'retprobe'> & { fnName: string }) | Omit<UprobeRegexOptions, 'retprobe'>,
  ): FdLink | FdLink[] {
    return this.attachUprobe({ ...o, retprobe: true } as UprobeOptions & { fnName: string });
  }

  private attachBtf(kind: BtfAttachKind, fnName: string, load: () => Program): FdLink {
    const link = loadAndAttachBtf(kind, load);
    return this.keep(kind, fnName.replace(/^(kfunc|kretfunc)__\w+?__|^lsm__/, ''), fnName, link);
  }

  /**
   * Attaches a `kfunc__`/`kretfunc__` function (fentry/fexit through a BPF trampoline; the target
   * comes from its section, e.g. `fentry/do_sys_openat2`).
   * @throws NotSupportedError naming CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS where the kernel
   *   has no trampolines.
   */
  attachKfunc(o: { fnName: string; retfunc?: boolean }): FdLink {
    const attach = o.retfunc ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY;
    return this.attachBtf(o.retfunc ? 'kretfunc' : 'kfunc', o.fnName, () =>
      this.loadFunc(o.fnName, 'TRACING', { expectedAttachType: attach }),
    );
  }

  /** attachKfunc with retfunc. */
  attachKretfunc(o: { fnName: string }): FdLink {
    return this.attachKfunc({ ...o, retfunc: true });
  }

  /**
   * Attaches an `lsm__` function to its LSM hook.
   * @throws NotSupportedError naming CONFIG_BPF_LSM where the kernel has no BPF LSM.
   */
  attachLsm(o: { fnName: string }): FdLink {
    return this.attachBtf('lsm', o.fnName, () =>
      this.loadFunc(o.fnName, 'LSM', { expectedAttachType: AttachType.LSM_MAC }),
    );
  }

  /** Attaches `fnName` (loaded as PERF_EVENT) to a perf event on every online CPU. */
  attachPerfEvent(o: PerfEventOptions & { fnName: string }): FdLink {
    return this.keep(
      'perf_event',
      `${o.type}:${o.config}`,
      o.fnName,
      attachPerfEvent(this.loadFunc(o.fnName, 'PERF_EVENT'), o),
    );
  }

  /**
   * Attaches `fnName` (loaded as PERF_EVENT) to a perf event described by a whole
   * perf_event_attr (BCC's attach_perf_event_raw), on every online CPU unless `cpu`.
   */
  attachPerfEventRaw(o: PerfEventRawOptions & { attr: PerfEventAttr; fnName: string }): FdLink {
    return this.keep(
      'perf_event',
      `${o.attr.type}:${o.attr.config}`,
      o.fnName,
      attachPerfEventRaw(this.loadFunc(o.fnName, 'PERF_EVENT'), o.attr, o),
    );
  }

  private detach(kind: string, target: string, fnName?: string): number {
    let n = 0;
    for (let i = this.links.length - 1; i >= 0; i--) {
      const l = this.links[i];
      if (!l || l.kind !== kind || l.target !== target || (fnName && l.fnName !== fnName)) continue;
      l.link.closeSync();
      this.links.splice(i, 1);
      n++;
    }
    if (n === 0) throw new InvalidArgumentError(`${this.description}: nothing attached to ${kind} ${target}`);
    return n;
  }

  /** Detaches every program from tracepoint `tp`. @throws InvalidArgumentError when none is attached. */
  detachTracepoint(tp: string): void {
    this.detach('tracepoint', tp);
  }
  detachRawTracepoint(tp: string): void {
    this.detach('raw_tracepoint', tp);
  }
  detachKprobe(event: string, fnName?: string): void {
    this.detach('kprobe', event, fnName);
  }
  detachKretprobe(event: string, fnName?: string): void {
    this.detach('kretprobe', event, fnName);
  }

  private count(kinds: string[]): number {
    return new Set(this.links.filter((l) => kinds.includes(l.kind)).map((l) => `${l.kind}:${l.target}`)).size;
  }
  /** Attached kprobe/kretprobe event names. */
  numOpenKprobes(): number {
    return this.count(['kprobe', 'kretprobe']);
  }
  numOpenUprobes(): number {
    return this.count(['uprobe', 'uretprobe', 'usdt']);
  }
  numOpenTracepoints(): number {
    return this.count(['tracepoint', 'raw_tracepoint']);
  }

  /** Pins map `name` under bpffs (see BpfObject.pinMap). */
  pinMap(name: string, path: string, opts: PinOptions = {}): void {
    this.live().pinMap(name, path, opts);
  }

  /** Pins loaded program `name` under bpffs (see BpfObject.pinProgram). */
  pinProgram(name: string, path: string, opts: PinOptions = {}): void {
    this.live().pinProgram(name, path, opts);
  }

  /** The trace_pipe reader of this object (opened once, closed with it). */
  async tracePipe(): Promise<TracePipe> {
    const obj = this.live();
    if (!this.pipe || this.pipe.closed) this.pipe = obj.own(await TracePipe.open());
    return this.pipe;
  }

  /** Parsed trace_pipe lines (BCC's trace_fields, as an async iterator). */
  traceFields(opts?: IterateOptions): AsyncIterableIterator<TraceFields>;
  /** Parsed lines formatted with a BCC format string (`"{1} {5}"`) or a function. */
  traceFields(opts: IterateOptions & { format: TraceFormat }): AsyncIterableIterator<string>;
  async *traceFields(
    opts: IterateOptions & { format?: TraceFormat } = {},
  ): AsyncIterableIterator<TraceFields | string> {
    const pipe = await this.tracePipe();
    yield* opts.format !== undefined
      ? pipe.traceFields({ ...opts, format: opts.format })
      : pipe.traceFields(opts);
  }

  /**
   * Prints trace_pipe lines until aborted or closed (BCC's trace_print): raw, or formatted with
   * a BCC format string (`b.tracePrint('{1} {5}')`) or a function.
   */
  async tracePrint(opts: TracePrintOptions | TraceFormat = {}): Promise<void> {
    await (await this.tracePipe()).tracePrint(opts);
  }

  /** CLOCK_MONOTONIC in nanoseconds, comparable with bpf_ktime_get_ns (BCC's monotonic_time). */
  static monotonicTime(): bigint {
    return process.hrtime.bigint();
  }

  /** Detaches every link, stops every reader, unloads programs and frees maps; idempotent. */
  closeSync(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.links.length = 0;
    this.tables.clear();
    untrack(this);
    this.object.closeSync();
  }

  close(): void {
    this.closeSync();
  }

  [Symbol.dispose](): void {
    this.closeSync();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.closeSync();
    return Promise.resolve();
  }
}

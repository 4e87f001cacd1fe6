/**
 * Attaching tracing programs: tracepoints, raw tracepoints, kprobes, uprobes and perf events.
 * Each attach returns an FdLink; closing it detaches. Where the kernel lacks the hook a
 * NotSupportedError names the kernel option.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { InvalidArgumentError, NotSupportedError, fromNative } from '../errors.js';
import { native } from '../native.js';
import { onlineCpus } from '../util/cpus.js';
import { childProcess } from '../util/node-builtins.js';
import type { Program } from '../core/program.js';
import { FdLink } from './fd-link.js';
import { symbolOffset } from './elf-symbols.js';
import { checkProbeQuota, holdProbe } from './probe-quota.js';
import { PerfType } from './perf-types.js';
import { tracefsRoot } from './tracefs.js';
import { createKprobeEvent } from './probe-events.js';

export { tracefsRoot };

function tracefs(): string {
  const root = tracefsRoot();
  if (!root) throw new NotSupportedError('tracefs', 'CONFIG_TRACING', 'mount tracefs at /sys/kernel/tracing');
  return root;
}

function splitTp(tp: string): [string, string] {
  const m = /^([^:/]+)[:/]([^:/]+)$/.exec(tp);
  if (!m?.[1] || !m[2]) throw new InvalidArgumentError(`tracepoint "${tp}" must be "category:event"`);
  return [m[1], m[2]];
}

/** Whether tracepoint `category:event` exists (BCC's tracepoint_exists). */
export function tracepointExists(category: string, event: string): boolean {
  const root = tracefsRoot();
  return root !== undefined && existsSync(join(root, 'events', category, event, 'id'));
}

/** Every tracepoint `category:event` matching re (BCC's get_tracepoints). */
export function listTracepoints(re: RegExp = /.*/): string[] {
  const root = tracefs();
  const out: string[] = [];
  for (const cat of readdirSync(join(root, 'events'), { withFileTypes: true })) {
    if (!cat.isDirectory()) continue;
    for (const ev of readdirSync(join(root, 'events', cat.name), { withFileTypes: true })) {
      const name = `${cat.name}:${ev.name}`;
      if (ev.isDirectory() && re.test(name)) out.push(name);
    }
  }
  return out;
}

function tracepointId(tp: string): number {
  const [cat, ev] = splitTp(tp);
  const path = join(tracefs(), 'events', cat, ev, 'id');
  if (!existsSync(path)) throw new InvalidArgumentError(`no tracepoint ${cat}:${ev} (${path} is missing)`);
  return Number.parseInt(readFileSync(path, 'utf8'), 10);
}

function attachPerf(prog: Program, perfFd: number, what: string): number[] {
  try {
    const link = native().perfEventAttachProg(perfFd, prog.fd);
    return link >= 0 ? [link, perfFd] : [perfFd];
  } catch (e) {
    native().closeFd(perfFd);
    throw fromNative(e, `attach ${prog.name} to ${what}`);
  }
}

/**
 * Attaches a TRACEPOINT program to `category:event`.
 * @throws InvalidArgumentError when the tracepoint does not exist; SyscallError on failure.
 */
export function attachTracepoint(prog: Program, tp: string): FdLink {
  const id = tracepointId(tp);
  let fd: number;
  try {
    fd = native().perfEventOpen({ type: PerfType.TRACEPOINT, config: id }, -1, 0, -1);
  } catch (e) {
    throw fromNative(e, `open tracepoint ${tp}`);
  }
  return new FdLink(
    `tracepoint ${tp} -> ${prog.name}`,
    attachPerf(prog, fd, `tracepoint ${tp}`),
    tp,
    prog.name,
  );
}

/**
 * Attaches a RAW_TRACEPOINT program to raw tracepoint `name` (e.g. `sched_switch`).
 * @throws NotSupportedError without raw tracepoints; SyscallError (ENOENT: no such tracepoint).
 */
export function attachRawTracepoint(prog: Program, name: string): FdLink {
  try {
    const fd = native().rawTracepointOpen(name, prog.fd);
    return new FdLink(`raw tracepoint ${name} -> ${prog.name}`, [fd], name, prog.name);
  } catch (e) {
    throw fromNative(e, `attach ${prog.name} to raw tracepoint ${name}`);
  }
}

/**
 * Attaches a TRACING (fentry/fexit) or LSM program loaded with its BTF target, through
 * BPF_RAW_TRACEPOINT_OPEN with no name (the target was fixed at load).
 * @throws SyscallError (EPERM/ENOTSUPP where the kernel has no trampolines or BPF LSM).
 */
export function attachBtfProgram(prog: Program, kind: string): FdLink {
  try {
    const fd = native().rawTracepointOpen(null, prog.fd);
    return new FdLink(`${kind} -> ${prog.name}`, [fd], prog.name, prog.name);
  } catch (e) {
    throw fromNative(e, `attach ${kind} program ${prog.name}`);
  }
}

function pmu(name: 'kprobe' | 'uprobe'): { type: number; retBit: number } | undefined {
  const dir = `/sys/bus/event_source/devices/${name}`;
  if (!existsSync(join(dir, 'type'))) return undefined;
  const type = Number.parseInt(readFileSync(join(dir, 'type'), 'utf8'), 10);
  let retBit = 0;
  try {
    const m = /config:(\d+)/.exec(readFileSync(join(dir, 'format', 'retprobe'), 'utf8'));
    if (m?.[1]) retBit = Number(m[1]);
  } catch {
    // default bit 0
  }
  return { type, retBit };
}

/** Options of a kprobe attach. */
export interface KprobeOptions {
  /** Kernel function. */
  event: string;
  /** Offset into the function. */
  offset?: number;
  /** A return probe (kretprobe). */
  retprobe?: boolean;
  /**
   * kretprobe only: how many instances of the function may be probed at once (BCC's maxactive;
   * 0 = the kernel's default). Made through tracefs kprobe_events, as BCC does: the kprobe PMU
   * takes no such parameter.
   */
  maxactive?: number;
}

/** Whether the kernel has kprobes (the kprobe PMU, or tracefs kprobe_events; CONFIG_KPROBE_EVENTS). */
export function kprobesAvailable(): boolean {
  if (pmu('kprobe') !== undefined) return true;
  const root = tracefsRoot();
  return root !== undefined && existsSync(join(root, 'kprobe_events'));
}

/**
 * Attaches a KPROBE program to a kernel function: through the kprobe PMU, or through a tracefs
 * kprobe event when `maxactive` is given or the kernel has kprobe_events but no PMU (the event
 * is removed when the link closes).
 * @throws NotSupportedError naming CONFIG_KPROBE_EVENTS when the kernel has no kprobes (use
 *   a tracepoint instead); SyscallError when the function cannot be probed.
 */
export function attachKprobe(prog: Program, opts: KprobeOptions): FdLink {
  const p = pmu('kprobe');
  const kind = opts.retprobe ? 'kretprobe' : 'kprobe';
  const what = `${kind} ${opts.event}`;
  const legacy = (opts.retprobe && (opts.maxactive ?? 0) > 0) || !p;
  if (p !== undefined || kprobesAvailable()) checkProbeQuota(1, what);
  if (legacy && kprobesAvailable()) {
    const ev = createKprobeEvent(opts.event, {
      retprobe: opts.retprobe ?? false,
      ...(opts.maxactive ? { maxactive: opts.maxactive } : {}),
      ...(opts.offset ? { offset: opts.offset } : {}),
    });
    let fds: number[];
    try {
      const fd = native().perfEventOpen({ type: PerfType.TRACEPOINT, config: ev.id }, -1, 0, -1);
      fds = attachPerf(prog, fd, what);
    } catch (e) {
      ev.remove();
      throw fromNative(e, `open ${kind} event ${ev.name} on ${opts.event}`);
    }
    const release = holdProbe();
    return new FdLink(`${what} (${ev.name}) -> ${prog.name}`, fds, opts.event, prog.name, () => {
      release();
      ev.remove();
    });
  }
  if (!p)
    throw new NotSupportedError(
      kind,
      'CONFIG_KPROBE_EVENTS',
      'attach to the matching tracepoint instead (e.g. syscalls:sys_enter_<name>, sock:inet_sock_set_state)',
    );
  let fd: number;
  try {
    fd = native().perfEventOpen(
      {
        type: p.type,
        config: opts.retprobe ? 1 << p.retBit : 0,
        config1String: opts.event,
        config2: opts.offset ?? 0,
      },
      -1,
      0,
      -1,
    );
  } catch (e) {
    throw fromNative(e, `open ${kind} on ${opts.event}`);
  }
  return new FdLink(
    `${what} -> ${prog.name}`,
    attachPerf(prog, fd, what),
    opts.event,
    prog.name,
    holdProbe(),
  );
}

/**
 * The path of a binary or library: a path is kept; a library short name (`c`, `ssl`) is looked
 * up in the ld.so cache; anything else in $PATH (BCC's find_library / find_exe).
 * @throws InvalidArgumentError when nothing is found.
 */
export function resolveBinary(name: string): string {
  if (name.includes('/')) {
    if (!existsSync(name)) throw new InvalidArgumentError(`no such binary ${name}`);
    return name;
  }
  try {
    const cache = childProcess().execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
    const re = new RegExp(
      `^\\s+lib${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.so[^ ]* \\(([^)]*)\\) => (.+)$`,
    );
    for (const line of cache.split('\n')) {
      const m = re.exec(line);
      if (m?.[2] && (m[1] ?? '').includes('x86-64')) return m[2];
    }
  } catch {
    // no ldconfig
  }
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new InvalidArgumentError(`cannot find library or executable "${name}"`);
}

/** Options of a uprobe attach. */
export interface UprobeOptions {
  /** Binary path, library short name (`c`) or executable name. */
  name: string;
  /** Function symbol; or give `address` (a file offset). */
  sym?: string;
  address?: number | bigint;
  /** Added to the symbol's offset. */
  symOffset?: number;
  /** Only this process (default: every process). */
  pid?: number;
  retprobe?: boolean;
  /**
   * File offset of a USDT semaphore: the kernel increments it while the probe is attached
   * (the uprobe PMU's ref_ctr_offset, Linux 4.20+).
   */
  refCtrOffset?: bigint;
}

/**
 * Attaches a KPROBE-type program as a uprobe/uretprobe on a user function.
 * @throws NotSupportedError without CONFIG_UPROBE_EVENTS; InvalidArgumentError for an unknown
 *   binary or symbol.
 */
export function attachUprobe(prog: Program, opts: UprobeOptions): FdLink {
  const p = pmu('uprobe');
  const kind = opts.retprobe ? 'uretprobe' : 'uprobe';
  if (!p) throw new NotSupportedError(kind, 'CONFIG_UPROBE_EVENTS');
  const path = resolveBinary(opts.name);
  let offset: bigint;
  if (opts.sym) offset = symbolOffset(path, opts.sym) + BigInt(opts.symOffset ?? 0);
  else if (opts.address !== undefined) offset = BigInt(opts.address);
  else throw new InvalidArgumentError(`${kind} on ${path}: give sym or address`);
  checkProbeQuota(1, `${kind} ${path}:${opts.sym ?? offset}`);
  const pid = opts.pid ?? -1;
  let fd: number;
  try {
    fd = native().perfEventOpen(
      {
        type: p.type,
        config: (opts.retprobe ? 1n << BigInt(p.retBit) : 0n) | ((opts.refCtrOffset ?? 0n) << 32n),
        config1String: path,
        config2: offset,
      },
      pid,
      pid < 0 ? 0 : -1,
      -1,
    );
  } catch (e) {
    throw fromNative(e, `open ${kind} on ${path}:${opts.sym ?? offset}`);
  }
  const what = `${kind} ${path}:${opts.sym ?? `0x${offset.toString(16)}`}`;
  return new FdLink(
    `${what} -> ${prog.name}`,
    attachPerf(prog, fd, what),
    `${path}:${opts.sym ?? offset}`,
    prog.name,
    holdProbe(),
  );
}

/** Options of a perf event attach (BCC's attach_perf_event). */
export interface PerfEventOptions {
  type: number;
  config: number;
  /** Sample every N events, or `sampleFreq` times a second. */
  samplePeriod?: number;
  sampleFreq?: number;
  pid?: number;
  /** One CPU; default: every online CPU. */
  cpu?: number;
}

/**
 * Attaches a PERF_EVENT program to a hardware/software perf event, on every online CPU unless
 * `cpu` is given.
 * @throws SyscallError (ENOENT/EOPNOTSUPP when the event does not exist here).
 */
export function attachPerfEvent(prog: Program, opts: PerfEventOptions): FdLink {
  const cpus = opts.cpu !== undefined ? [opts.cpu] : onlineCpus();
  const fds: number[] = [];
  try {
    for (const cpu of cpus) {
      const attr = {
        type: opts.type,
        config: opts.config,
        samplePeriod: opts.samplePeriod ?? 0,
        sampleFreq: opts.sampleFreq ?? 0,
      };
      let fd: number;
      try {
        fd = native().perfEventOpen(attr, opts.pid ?? -1, cpu, -1);
      } catch (e) {
        throw fromNative(e, `open perf event type ${opts.type} config ${opts.config} on CPU ${cpu}`);
      }
      fds.push(...attachPerf(prog, fd, `perf event on CPU ${cpu}`));
    }
  } catch (e) {
    for (const fd of fds) native().closeFd(fd);
    throw e;
  }
  return new FdLink(
    `perf event ${opts.type}:${opts.config} -> ${prog.name}`,
    fds,
    `${opts.type}:${opts.config}`,
    prog.name,
  );
}

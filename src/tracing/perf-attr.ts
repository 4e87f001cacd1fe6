/**
 * A whole struct perf_event_attr from TypeScript (BCC's `attach_perf_event_raw`, which takes a
 * ctypes Perf.perf_event_attr): every field and flag of include/uapi/linux/perf_event.h
 * (PERF_ATTR_SIZE_VER8, 136 bytes), laid out here and handed to perf_event_open as bytes.
 */
import { InvalidArgumentError, fromNative } from '../errors.js';
import { native } from '../native.js';
import type { Program } from '../core/program.js';
import { onlineCpus } from '../util/cpus.js';
import { FdLink } from './fd-link.js';

/** The one-bit flags of perf_event_attr, by their kernel names (bit order as in the header). */
const FLAG_BITS = [
  'disabled',
  'inherit',
  'pinned',
  'exclusive',
  'excludeUser',
  'excludeKernel',
  'excludeHv',
  'excludeIdle',
  'mmap',
  'comm',
  'freq',
  'inheritStat',
  'enableOnExec',
  'task',
  'watermark',
  'preciseIp', // 2 bits: 15-16
  'mmapData',
  'sampleIdAll',
  'excludeHost',
  'excludeGuest',
  'excludeCallchainKernel',
  'excludeCallchainUser',
  'mmap2',
  'commExec',
  'useClockid',
  'contextSwitch',
  'writeBackward',
  'namespaces',
  'ksymbol',
  'bpfEvent',
  'auxOutput',
  'cgroup',
  'textPoke',
  'buildId',
  'inheritThread',
  'removeOnExec',
  'sigtrap',
] as const;

type FlagName = Exclude<(typeof FLAG_BITS)[number], 'preciseIp'>;

/** struct perf_event_attr; omitted fields are zero. `size` is set for you. */
export type PerfEventAttr = {
  type: number;
  config: number | bigint;
  /** sample_period, or sample_freq when `freq` is set. */
  samplePeriod?: number | bigint;
  sampleFreq?: number | bigint;
  sampleType?: number | bigint;
  readFormat?: number | bigint;
  /** 0-3 (skid constraint). */
  preciseIp?: number;
  /** wakeup_events, or wakeup_watermark when `watermark` is set. */
  wakeupEvents?: number;
  wakeupWatermark?: number;
  bpType?: number;
  /** config1 (also bp_addr, kprobe_func, uprobe_path). */
  config1?: number | bigint;
  /** config2 (also bp_len, probe offset). */
  config2?: number | bigint;
  branchSampleType?: number | bigint;
  sampleRegsUser?: number | bigint;
  sampleStackUser?: number;
  clockid?: number;
  sampleRegsIntr?: number | bigint;
  auxWatermark?: number;
  sampleMaxStack?: number;
  auxSampleSize?: number;
  sigData?: number | bigint;
  config3?: number | bigint;
} & { [K in FlagName]?: boolean };

/** sizeof(struct perf_event_attr) at PERF_ATTR_SIZE_VER8. */
export const PERF_ATTR_SIZE = 136;

/**
 * The bytes of `attr` as the kernel reads them (little-endian x86_64/arm64 layout).
 * @throws InvalidArgumentError for values that do not fit their field.
 */
export function encodePerfEventAttr(attr: PerfEventAttr): Buffer {
  const b = Buffer.alloc(PERF_ATTR_SIZE);
  const u64 = (off: number, v: number | bigint | undefined, name: string): void => {
    const x = BigInt(v ?? 0);
    if (x < 0n || x >= 1n << 64n)
      throw new InvalidArgumentError(`perf_event_attr.${name} ${x} does not fit 64 bits`);
    b.writeBigUInt64LE(x, off);
  };
  b.writeUInt32LE(attr.type, 0);
  b.writeUInt32LE(PERF_ATTR_SIZE, 4);
  u64(8, attr.config, 'config');
  const freq = attr.freq ?? attr.sampleFreq !== undefined;
  u64(16, freq ? attr.sampleFreq : attr.samplePeriod, freq ? 'sampleFreq' : 'samplePeriod');
  u64(24, attr.sampleType, 'sampleType');
  u64(32, attr.readFormat, 'readFormat');
  let flags = 0n;
  let bit = 0n;
  for (const name of FLAG_BITS) {
    if (name === 'preciseIp') {
      const p = attr.preciseIp ?? 0;
      if (!Number.isInteger(p) || p < 0 || p > 3)
        throw new InvalidArgumentError(`perf_event_attr.preciseIp must be 0-3, got ${p}`);
      flags |= BigInt(p) << bit;
      bit += 2n;
      continue;
    }
    const on = name === 'freq' ? freq : attr[name];
    if (on) flags |= 1n << bit;
    bit += 1n;
  }
  b.writeBigUInt64LE(flags, 40);
  b.writeUInt32LE((attr.watermark ? attr.wakeupWatermark : attr.wakeupEvents) ?? 0, 48);
  b.writeUInt32LE(attr.bpType ?? 0, 52);
  u64(56, attr.config1, 'config1');
  u64(64, attr.config2, 'config2');
  u64(72, attr.branchSampleType, 'branchSampleType');
  u64(80, attr.sampleRegsUser, 'sampleRegsUser');
  b.writeUInt32LE(attr.sampleStackUser ?? 0, 88);
  b.writeInt32LE(attr.clockid ?? 0, 92);
  u64(96, attr.sampleRegsIntr, 'sampleRegsIntr');
  b.writeUInt32LE(attr.auxWatermark ?? 0, 104);
  b.writeUInt16LE(attr.sampleMaxStack ?? 0, 108);
  b.writeUInt32LE(attr.auxSampleSize ?? 0, 112);
  u64(120, attr.sigData, 'sigData');
  u64(128, attr.config3, 'config3');
  return b;
}

/** Where a raw perf event is opened. */
export interface PerfEventRawOptions {
  /** Only this process (default -1: every process). */
  pid?: number;
  /** One CPU; default: every online CPU (one event each). */
  cpu?: number;
  /** The group leader's fd (default -1). */
  groupFd?: number;
}

/**
 * Opens the perf event `attr` (on every online CPU unless `cpu`) and attaches PERF_EVENT
 * program `prog` to each (BCC's attach_perf_event_raw).
 * @returns one link holding every CPU's event; closing it detaches.
 * @throws SyscallError (ENOENT/EOPNOTSUPP/EINVAL when the kernel or hardware refuses the event).
 */
export function attachPerfEventRaw(
  prog: Program,
  attr: PerfEventAttr,
  opts: PerfEventRawOptions = {},
): FdLink {
  const bytes = encodePerfEventAttr(attr);
  const cpus = opts.cpu !== undefined && opts.cpu >= 0 ? [opts.cpu] : onlineCpus();
  const fds: number[] = [];
  try {
    for (const cpu of cpus) {
      let fd: number;
      try {
        fd = native().perfEventOpenAttr(bytes, opts.pid ?? -1, cpu, opts.groupFd ?? -1);
      } catch (e) {
        throw fromNative(e, `open raw perf event type ${attr.type} config ${attr.config} on CPU ${cpu}`);
      }
      fds.push(fd);
      try {
        const link = native().perfEventAttachProg(fd, prog.fd);
        if (link >= 0) fds.push(link);
      } catch (e) {
        throw fromNative(e, `attach ${prog.name} to perf event on CPU ${cpu}`);
      }
    }
  } catch (e) {
    for (const fd of fds.reverse()) native().closeFd(fd);
    throw e;
  }
  return new FdLink(
    `raw perf event ${attr.type}:${attr.config} -> ${prog.name}`,
    fds,
    `${attr.type}:${attr.config}`,
    prog.name,
  );
}

/**
 * Kernel feature probes (DESIGN D9): each feature is tried for real, once per process, and
 * reported as present, missing or unknown (the probe itself could not run).
 */
import { access, readFile } from 'node:fs/promises';
import { TsbccError } from '../errors.js';
import { errnoName } from '../errno.js';
import { logger } from '../logger.js';
import { native } from '../native.js';
import { MapType } from '../uapi/map-type.js';
import { AttachType } from '../uapi/program-type.js';
import { FEATURES, type FeatureInfo, type FeatureName } from './catalog.js';
import { probeKinds } from './netlink-probes.js';
import { ensureTracefs } from './mounts.js';

/** The outcome of a probe. */
export type FeatureStatus = 'present' | 'missing' | 'unknown';

/** A probed feature. */
export interface FeatureResult extends FeatureInfo {
  status: FeatureStatus;
  /** How the answer was reached, e.g. `bpf_link_create: EPERM`. */
  detail: string;
}

/** All probe results, by feature. */
export class FeatureSet {
  constructor(readonly results: ReadonlyMap<FeatureName, FeatureResult>) {}

  /** The result for one feature. */
  get(name: FeatureName): FeatureResult {
    const r = this.results.get(name);
    if (!r) throw new TsbccError(`feature ${name} was not probed`);
    return r;
  }

  /** Whether the feature is present. */
  has(name: FeatureName): boolean {
    return this.get(name).status === 'present';
  }

  /** A reason to skip a test or path when the feature is not present, else undefined. */
  missingReason(name: FeatureName): string | undefined {
    const r = this.get(name);
    return r.status === 'present'
      ? undefined
      : `${name} is ${r.status} on this kernel (${r.kernelOption}; ${r.detail})`;
  }

  /** Every result in display order. */
  list(): FeatureResult[] {
    return [...this.results.values()];
  }
}

type Outcome = { status: FeatureStatus; detail: string };

const fromErrno = (call: string, errno: number, missingErrnos: number[]): Outcome =>
  errno === 0
    ? { status: 'present', detail: `${call}: ok` }
    : {
        status: missingErrnos.includes(errno) ? 'missing' : 'unknown',
        detail: `${call}: ${errnoName(errno)}`,
      };

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const EPERM = 1;
const ENOENT = 2;
const EINVAL = 22;
const EOPNOTSUPP = 95;
const ENOTSUPP = 524;
const ENODEV = 19;

async function probeSyscallFeatures(): Promise<Map<FeatureName, Outcome>> {
  const n = native();
  const out = new Map<FeatureName, Outcome>();
  out.set('btf', fromErrno('load vmlinux BTF', n.probeBtf(), [ENOENT, EINVAL]));
  const kprobePmu = '/sys/bus/event_source/devices/kprobe/type';
  out.set(
    'kprobes',
    (await exists(kprobePmu))
      ? { status: 'present', detail: `${kprobePmu} exists` }
      : { status: 'missing', detail: `no kprobe PMU (${kprobePmu})` },
  );
  const uprobePmu = '/sys/bus/event_source/devices/uprobe/type';
  out.set(
    'uprobes',
    (await exists(uprobePmu))
      ? { status: 'present', detail: `${uprobePmu} exists` }
      : { status: 'missing', detail: `no uprobe PMU (${uprobePmu})` },
  );
  out.set(
    'fentry',
    fromErrno('fentry on bpf_fentry_test1', n.probeTracing('bpf_fentry_test1', AttachType.TRACE_FENTRY), [
      EPERM,
      EOPNOTSUPP,
      ENOTSUPP,
      EINVAL,
    ]),
  );
  out.set(
    'raw_tracepoints',
    fromErrno('raw tracepoint sched_switch', n.probeRawTracepoint('sched_switch'), [
      ENOENT,
      EINVAL,
      EOPNOTSUPP,
    ]),
  );
  out.set(
    'perf_events',
    fromErrno('perf_event_open(cpu-clock)', n.probePerfEvent(1, 0), [ENOENT, ENODEV, EOPNOTSUPP, ENOSYS]),
  );
  out.set('ringbuf', fromErrno('create RINGBUF map', n.probeMapType(MapType.RINGBUF), [EINVAL, EOPNOTSUPP]));
  for (const [name, type] of [
    ['devmap', MapType.DEVMAP],
    ['cpumap', MapType.CPUMAP],
    ['xskmap', MapType.XSKMAP],
  ] as const) {
    out.set(name, fromErrno(`create ${name.toUpperCase()} map`, n.probeMapType(type), [EINVAL, EOPNOTSUPP]));
  }
  out.set('batch_ops', fromErrno('BPF_MAP_LOOKUP_BATCH', n.probeBatch(), [EINVAL, EOPNOTSUPP, ENOTSUPP]));
  out.set('tracepoints', await probeTracepoints());
  return out;
}

const ENOSYS = 38;

async function probeTracepoints(): Promise<Outcome> {
  const root = await ensureTracefs();
  if (!root) return { status: 'unknown', detail: 'tracefs is not mounted and could not be mounted' };
  const idFile = `${root}/events/sched/sched_switch/id`;
  let id: number;
  try {
    id = Number((await readFile(idFile, 'utf8')).trim());
  } catch {
    return { status: 'missing', detail: `${idFile} is missing` };
  }
  const PERF_TYPE_TRACEPOINT = 2;
  return fromErrno('perf_event_open(sched:sched_switch)', native().probePerfEvent(PERF_TYPE_TRACEPOINT, id), [
    ENOENT,
    ENODEV,
    EOPNOTSUPP,
  ]);
}

async function probeAll(): Promise<FeatureSet> {
  const outcomes = new Map<FeatureName, Outcome>();
  try {
    for (const [k, v] of await probeSyscallFeatures()) outcomes.set(k, v);
  } catch (e) {
    logger().warn('BPF feature probes failed', { error: (e as Error).message });
  }
  try {
    for (const r of await probeKinds()) {
      outcomes.set(r.feature as FeatureName, {
        status: r.present ? 'present' : 'missing',
        detail:
          r.errno === 0
            ? 'created in a scratch namespace'
            : `${errnoName(r.errno)}${r.extack ? `: ${r.extack}` : ''}`,
      });
    }
  } catch (e) {
    logger().warn('netlink feature probes failed', { error: (e as Error).message });
  }
  const results = new Map<FeatureName, FeatureResult>();
  for (const f of FEATURES) {
    const o = outcomes.get(f.name) ?? { status: 'unknown' as const, detail: 'probe did not run' };
    results.set(f.name, { ...f, ...o });
  }
  return new FeatureSet(results);
}

let cached: Promise<FeatureSet> | undefined;

/**
 * Probes the running kernel once per process (later calls return the cached result).
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_SYS_ADMIN for namespaces); without
 * them probes report `unknown`.
 */
export function features(): Promise<FeatureSet> {
  cached ??= probeAll();
  return cached;
}

/** Forgets the cached probes (for tests). */
export function resetFeatureCache(): void {
  cached = undefined;
}

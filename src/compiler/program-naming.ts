/**
 * BCC's program-function naming conventions: the type, attach target and kernel-visible name a
 * function's name implies (kprobe__, kretprobe__, tracepoint__, raw_tracepoint__, kfunc__,
 * kretfunc__, lsm__, kmod_ret__, bpf_iter__, syscall__).
 */
import { AttachType, ProgramType } from '../core/program-type.js';

/** What a program function's name implies. */
export interface NameConvention {
  type?: number;
  expectedAttachType?: number;
  attachTarget?: string;
  /** Whether BCC attaches it automatically when the object is created. */
  autoAttach: boolean;
  /** The attach kind for the runtime: kprobe, kretprobe, tracepoint, ... */
  attachKind?:
    | 'kprobe'
    | 'kretprobe'
    | 'tracepoint'
    | 'raw_tracepoint'
    | 'fentry'
    | 'fexit'
    | 'lsm'
    | 'fmod_ret'
    | 'iter'
    | 'syscall';
}

/** The name/type/target implied by a function name. */
export function nameConvention(name: string): NameConvention {
  const rest = (p: string) => name.slice(p.length);
  if (name.startsWith('kprobe__'))
    return {
      type: ProgramType.KPROBE,
      attachTarget: rest('kprobe__'),
      autoAttach: true,
      attachKind: 'kprobe',
    };
  if (name.startsWith('kretprobe__'))
    return {
      type: ProgramType.KPROBE,
      attachTarget: rest('kretprobe__'),
      autoAttach: true,
      attachKind: 'kretprobe',
    };
  if (name.startsWith('tracepoint__')) {
    const r = rest('tracepoint__');
    return {
      type: ProgramType.TRACEPOINT,
      attachTarget: r.split('__').join(':'),
      autoAttach: true,
      attachKind: 'tracepoint',
    };
  }
  if (name.startsWith('raw_tracepoint__'))
    return {
      type: ProgramType.RAW_TRACEPOINT,
      attachTarget: rest('raw_tracepoint__'),
      autoAttach: true,
      attachKind: 'raw_tracepoint',
    };
  const mod = /^(kfunc|kretfunc)__([^_]\w*?)__(\w+)$/.exec(name);
  if (mod) {
    const entry = mod[1] === 'kfunc';
    return {
      type: ProgramType.TRACING,
      expectedAttachType: entry ? AttachType.TRACE_FENTRY : AttachType.TRACE_FEXIT,
      attachTarget: mod[2] === 'vmlinux' ? mod[3] : `${mod[2]}:${mod[3]}`,
      autoAttach: true,
      attachKind: entry ? 'fentry' : 'fexit',
    };
  }
  if (name.startsWith('lsm__'))
    return {
      type: ProgramType.LSM,
      expectedAttachType: AttachType.LSM_MAC,
      attachTarget: rest('lsm__'),
      autoAttach: true,
      attachKind: 'lsm',
    };
  if (name.startsWith('kmod_ret__'))
    return {
      type: ProgramType.TRACING,
      expectedAttachType: AttachType.MODIFY_RETURN,
      attachTarget: rest('kmod_ret__'),
      autoAttach: false,
      attachKind: 'fmod_ret',
    };
  if (name.startsWith('bpf_iter__'))
    return {
      type: ProgramType.TRACING,
      expectedAttachType: AttachType.TRACE_ITER,
      attachTarget: rest('bpf_iter__'),
      autoAttach: false,
      attachKind: 'iter',
    };
  if (name.startsWith('syscall__'))
    return {
      type: ProgramType.KPROBE,
      attachTarget: rest('syscall__'),
      autoAttach: false,
      attachKind: 'syscall',
    };
  return { autoAttach: false };
}

const PREFIXES = [
  /^kprobe__/,
  /^kretprobe__/,
  /^tracepoint__/,
  /^raw_tracepoint__/,
  /^kfunc__\w+?__/,
  /^kretfunc__\w+?__/,
  /^kmod_ret__/,
  /^lsm__/,
  /^bpf_iter__/,
];

/** The kernel-visible program name: prefix stripped, truncated to 15 characters (BCC's rule). */
export function kernelProgramName(name: string): string {
  let n = name;
  for (const p of PREFIXES) {
    if (p.test(n)) {
      n = n.replace(p, '');
      break;
    }
  }
  return n.slice(0, 15);
}

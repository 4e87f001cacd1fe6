/**
 * BCC's auto-attach conventions: what a function name (or a libbpf section) says about where it
 * attaches, and the kernel's syscall symbol prefix for `kprobe__sys_*` names.
 */
import { readFileSync } from 'node:fs';
import type { ProgramSpec } from '../compiler/object-spec.js';
import type { ProgramTypeName } from './program-type.js';

/** What an auto-attach name prefix means. */
export interface AutoAttach {
  type: ProgramTypeName;
  kind: 'kprobe' | 'kretprobe' | 'tracepoint' | 'raw_tracepoint' | 'kfunc' | 'kretfunc' | 'lsm';
  target: string;
}

/**
 * What BCC's autoload does with a function name (or libbpf section), or undefined when the
 * name does not ask for auto-attachment.
 */
export function autoAttachOf(p: Pick<ProgramSpec, 'name' | 'section'>): AutoAttach | undefined {
  const n = p.name;
  const after = (prefix: string): string => n.slice(prefix.length);
  if (n.startsWith('kprobe__')) return { type: 'KPROBE', kind: 'kprobe', target: after('kprobe__') };
  if (n.startsWith('kretprobe__')) return { type: 'KPROBE', kind: 'kretprobe', target: after('kretprobe__') };
  if (n.startsWith('tracepoint__'))
    return { type: 'TRACEPOINT', kind: 'tracepoint', target: after('tracepoint__').replace(/__/g, ':') };
  if (n.startsWith('raw_tracepoint__'))
    return { type: 'RAW_TRACEPOINT', kind: 'raw_tracepoint', target: after('raw_tracepoint__') };
  if (n.startsWith('kfunc__')) return { type: 'TRACING', kind: 'kfunc', target: after('kfunc__') };
  if (n.startsWith('kretfunc__')) return { type: 'TRACING', kind: 'kretfunc', target: after('kretfunc__') };
  if (n.startsWith('lsm__')) return { type: 'LSM', kind: 'lsm', target: after('lsm__') };
  // libbpf section conventions of prebuilt objects
  const s = p.section;
  let m = /^(?:tracepoint|tp)\/([^/]+)\/([^/]+)$/.exec(s);
  if (m) return { type: 'TRACEPOINT', kind: 'tracepoint', target: `${m[1]}:${m[2]}` };
  m = /^(?:raw_tracepoint|raw_tp)\/(.+)$/.exec(s);
  if (m?.[1]) return { type: 'RAW_TRACEPOINT', kind: 'raw_tracepoint', target: m[1] };
  m = /^(kprobe|kretprobe)\/(.+)$/.exec(s);
  if (m?.[2]) return { type: 'KPROBE', kind: m[1] as 'kprobe' | 'kretprobe', target: m[2] };
  return undefined;
}

const SYSCALL_PREFIXES = [
  'sys_',
  '__x64_sys_',
  '__x32_compat_sys_',
  '__ia32_compat_sys_',
  '__arm64_sys_',
  '__s390x_sys_',
  '__s390_sys_',
  '__riscv_sys_',
];
let syscallPrefix: string | undefined;

/** The running kernel's syscall symbol prefix (BCC's get_syscall_prefix). */
export function getSyscallPrefix(): string {
  if (syscallPrefix !== undefined) return syscallPrefix;
  let syms = '';
  try {
    syms = readFileSync('/proc/kallsyms', 'utf8');
  } catch {
    // not readable
  }
  syscallPrefix = SYSCALL_PREFIXES.find((p) => syms.includes(` ${p}bpf\n`)) ?? 'sys_';
  return syscallPrefix;
}

/** `sys_X` mapped onto the running kernel's syscall symbol (BCC's fix_syscall_fnname). */
export function fixSyscallFnname(name: string): string {
  for (const p of SYSCALL_PREFIXES) if (name.startsWith(p)) return getSyscallPrefix() + name.slice(p.length);
  return name;
}

/**
 * BCC's program-function naming conventions, written once: what a function's name prefix
 * (kprobe__, kretprobe__, tracepoint__, raw_tracepoint__, kfunc__, kretfunc__, lsm__, kmod_ret__,
 * bpf_iter__, syscall__) or, in a prebuilt libbpf object, its section (tracepoint/, tp/,
 * raw_tracepoint/, raw_tp/, kprobe/, kretprobe/) says about its program type, attach kind,
 * attach target, kernel-visible name and whether BCC attaches it when the object is created.
 * The compiler records the answer in each ProgramSpec (describeElf), the BCC rewriter is handed
 * the section rules, auto-attach reads `attachKind`/`attachTarget`, and loadFunc defaults the
 * program type and expected attach type from the spec.
 */
import { AttachType, ProgramType } from '../uapi/program-type.js';
import type { AttachKind, ProgramSpec } from './object-spec.js';

export type { AttachKind };

/** One BCC function-name prefix and what it means. */
export interface NamingRule {
  /** The prefix, e.g. `kprobe__`. */
  prefix: string;
  kind: AttachKind;
  /** The program type (kernel number). */
  type: number;
  /** The expected attach type (kernel number), for types that need one. */
  expectedAttachType?: number;
  /** Whether BCC attaches it when the object is created. */
  autoAttach: boolean;
  /** The attach target named by the rest of the name (after the prefix). */
  target(rest: string): string;
  /** The kernel-visible name before truncation, from the rest of the name; the whole name when absent. */
  kernelName?(rest: string): string;
  /**
   * The ELF section the BCC rewriter gives such a function when it has none: this text followed
   * by the rest of the name (with `splitLast`, the rest's last `__` becomes `/`). Functions
   * without one go to `.bpf.fn.<name>`.
   */
  section?: { prefix: string; splitLast?: boolean };
  /** Whether its parameters after ctx are read from the wrapped syscall's pt_regs. */
  syscallArgs?: boolean;
}

/** One libbpf section convention of prebuilt objects (`SEC("tp/sched/sched_switch")`). */
export interface SectionRule {
  pattern: RegExp;
  kind: AttachKind;
  type: number;
  autoAttach: boolean;
  /** The attach target from the pattern's match. */
  target(m: RegExpExecArray): string;
}

const asIs = (rest: string): string => rest;
/** kfunc__<module>__<function>: `vmlinux` functions are named alone, others `module:function`. */
const btfModuleFunction = /^([^_]\w*?)__(\w+)$/;
const btfTarget = (rest: string): string => {
  const m = btfModuleFunction.exec(rest);
  if (!m) return rest;
  return m[1] === 'vmlinux' ? (m[2] as string) : `${m[1]}:${m[2]}`;
};
const btfKernelName = (rest: string): string => btfModuleFunction.exec(rest)?.[2] ?? rest;

/** BCC's function-name prefixes, in the order they are tried. */
export const NAMING_RULES: readonly NamingRule[] = [
  {
    prefix: 'kprobe__',
    kind: 'kprobe',
    type: ProgramType.KPROBE,
    autoAttach: true,
    target: asIs,
    kernelName: asIs,
    section: { prefix: 'kprobe/' },
  },
  {
    prefix: 'kretprobe__',
    kind: 'kretprobe',
    type: ProgramType.KPROBE,
    autoAttach: true,
    target: asIs,
    kernelName: asIs,
    section: { prefix: 'kretprobe/' },
  },
  {
    prefix: 'tracepoint__',
    kind: 'tracepoint',
    type: ProgramType.TRACEPOINT,
    autoAttach: true,
    target: (rest) => rest.split('__').join(':'),
    kernelName: asIs,
    section: { prefix: 'tracepoint/', splitLast: true },
  },
  {
    prefix: 'raw_tracepoint__',
    kind: 'raw_tracepoint',
    type: ProgramType.RAW_TRACEPOINT,
    autoAttach: true,
    target: asIs,
    kernelName: asIs,
    section: { prefix: 'raw_tracepoint/' },
  },
  {
    prefix: 'kfunc__',
    kind: 'fentry',
    type: ProgramType.TRACING,
    expectedAttachType: AttachType.TRACE_FENTRY,
    autoAttach: true,
    target: btfTarget,
    kernelName: btfKernelName,
  },
  {
    prefix: 'kretfunc__',
    kind: 'fexit',
    type: ProgramType.TRACING,
    expectedAttachType: AttachType.TRACE_FEXIT,
    autoAttach: true,
    target: btfTarget,
    kernelName: btfKernelName,
  },
  {
    prefix: 'lsm__',
    kind: 'lsm',
    type: ProgramType.LSM,
    expectedAttachType: AttachType.LSM_MAC,
    autoAttach: true,
    target: asIs,
    kernelName: asIs,
  },
  {
    prefix: 'kmod_ret__',
    kind: 'fmod_ret',
    type: ProgramType.TRACING,
    expectedAttachType: AttachType.MODIFY_RETURN,
    autoAttach: false,
    target: asIs,
    kernelName: asIs,
  },
  {
    prefix: 'bpf_iter__',
    kind: 'iter',
    type: ProgramType.TRACING,
    expectedAttachType: AttachType.TRACE_ITER,
    autoAttach: false,
    target: asIs,
    kernelName: asIs,
  },
  // attached by the user (attach_kprobe with the syscall's symbol); the name is kept whole
  {
    prefix: 'syscall__',
    kind: 'syscall',
    type: ProgramType.KPROBE,
    autoAttach: false,
    target: asIs,
    syscallArgs: true,
  },
];

/** libbpf's section conventions that BCC-style auto-attach honours in prebuilt objects. */
export const SECTION_RULES: readonly SectionRule[] = [
  {
    pattern: /^(?:tracepoint|tp)\/([^/]+)\/([^/]+)$/,
    kind: 'tracepoint',
    type: ProgramType.TRACEPOINT,
    autoAttach: true,
    target: (m) => `${m[1]}:${m[2]}`,
  },
  {
    pattern: /^(?:raw_tracepoint|raw_tp)\/(.+)$/,
    kind: 'raw_tracepoint',
    type: ProgramType.RAW_TRACEPOINT,
    autoAttach: true,
    target: (m) => m[1] as string,
  },
  {
    pattern: /^kprobe\/(.+)$/,
    kind: 'kprobe',
    type: ProgramType.KPROBE,
    autoAttach: true,
    target: (m) => m[1] as string,
  },
  {
    pattern: /^kretprobe\/(.+)$/,
    kind: 'kretprobe',
    type: ProgramType.KPROBE,
    autoAttach: true,
    target: (m) => m[1] as string,
  },
];

/** What a program function's name (or section) implies. */
export interface NameConvention {
  type?: number;
  expectedAttachType?: number;
  attachTarget?: string;
  /** Whether BCC attaches it automatically when the object is created. */
  autoAttach: boolean;
  /** How it attaches (kprobe, kretprobe, tracepoint, raw_tracepoint, fentry, ...). */
  attachKind?: AttachKind;
}

/** The naming rule a function name falls under, with the rest of the name, if any. */
export function namingRuleOf(name: string): { rule: NamingRule; rest: string } | undefined {
  for (const rule of NAMING_RULES)
    if (name.startsWith(rule.prefix)) return { rule, rest: name.slice(rule.prefix.length) };
  return undefined;
}

/** The type, attach kind and target a function name implies (BCC's prefixes only). */
export function nameConvention(name: string): NameConvention {
  const hit = namingRuleOf(name);
  if (!hit) return { autoAttach: false };
  const { rule, rest } = hit;
  const c: NameConvention = {
    type: rule.type,
    attachTarget: rule.target(rest),
    autoAttach: rule.autoAttach,
    attachKind: rule.kind,
  };
  if (rule.expectedAttachType !== undefined) c.expectedAttachType = rule.expectedAttachType;
  return c;
}

/**
 * What a program implies by its name (BCC's prefixes, tried first) or else by its libbpf
 * section (prebuilt objects).
 */
export function programConvention(p: { name: string; section: string }): NameConvention {
  const byName = nameConvention(p.name);
  if (byName.attachKind) return byName;
  for (const rule of SECTION_RULES) {
    const m = rule.pattern.exec(p.section);
    if (m)
      return {
        type: rule.type,
        attachTarget: rule.target(m),
        autoAttach: rule.autoAttach,
        attachKind: rule.kind,
      };
  }
  return byName;
}

/** The kernel-visible program name: BCC's prefix stripped, truncated to 15 characters (BCC's rule). */
export function kernelProgramName(name: string): string {
  const hit = namingRuleOf(name);
  const n = hit?.rule.kernelName ? hit.rule.kernelName(hit.rest) : name;
  return n.slice(0, 15);
}

/** A kprobe__ on x86-64's syscall wrapper (`kprobe____x64_sys_openat`) also reads the syscall's own arguments. */
const SYSCALL_WRAPPER_KPROBE = 'kprobe____x64_sys_';

/** What the BCC rewriter needs of the table: section rules and the syscall-argument prefixes. */
export function rewriterNamingRules(): {
  sectionRules: { prefix: string; section: string; splitLast: boolean }[];
  syscallArgPrefixes: string[];
} {
  return {
    sectionRules: NAMING_RULES.flatMap((r) =>
      r.section
        ? [{ prefix: r.prefix, section: r.section.prefix, splitLast: r.section.splitLast ?? false }]
        : [],
    ),
    syscallArgPrefixes: [
      ...NAMING_RULES.filter((r) => r.syscallArgs).map((r) => r.prefix),
      SYSCALL_WRAPPER_KPROBE,
    ],
  };
}

/** A program as libbpf describes it when it opens an ELF (type 0: its section implies none). */
export interface ElfProgram {
  name: string;
  section: string;
  insnCount: number;
  type: number;
  expectedAttachType: number;
}

/**
 * The ProgramSpec of one program of an ELF: libbpf's view, overlaid with what its name or
 * section means by the table above. The one place a ProgramSpec is made (describeElf).
 * @param bcc whether the object is BCC-C (its programs also get BCC's kernel-visible name).
 */
export function describeProgram(p: ElfProgram, bcc: boolean): ProgramSpec {
  const conv = programConvention(p);
  const spec: ProgramSpec = { name: p.name, section: p.section, insnCount: p.insnCount };
  const type = conv.type ?? (p.type !== 0 ? p.type : undefined);
  if (type !== undefined) spec.type = type;
  const expected = conv.expectedAttachType ?? (p.expectedAttachType !== 0 ? p.expectedAttachType : undefined);
  if (expected !== undefined) spec.expectedAttachType = expected;
  if (conv.attachTarget !== undefined) spec.attachTarget = conv.attachTarget;
  if (bcc) spec.kernelName = kernelProgramName(p.name);
  if (bcc || conv.attachKind) spec.autoAttach = conv.autoAttach;
  if (conv.attachKind !== undefined) spec.attachKind = conv.attachKind;
  return spec;
}

/** The inert result of compiling: ELF bytes plus a description of its programs and maps. */
import type { Diagnostic } from '../errors.js';
import type { BccTypeDesc } from './bcc-type-desc.js';
import type { TypeLayout } from './type-layout.js';
import type { UsdtSpec } from './usdt.js';

/**
 * How a program attaches, as its name or section says (src/compiler/program-naming.ts holds the
 * table): BCC's kprobe__, kretprobe__, tracepoint__, raw_tracepoint__, kfunc__ (fentry),
 * kretfunc__ (fexit), lsm__, kmod_ret__ (fmod_ret), bpf_iter__ (iter), syscall__.
 */
export type AttachKind =
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

/** One program function of a compiled object. */
export interface ProgramSpec {
  /** The C function name. */
  name: string;
  /** The ELF section it was placed in. */
  section: string;
  /** The program type its section or name implies, when it implies one (kernel number). */
  type?: number;
  /** The expected attach type its section implies (kernel number), when any. */
  expectedAttachType?: number;
  /** Where its name says it attaches (e.g. `sched:sched_switch`, `tcp_v4_connect`), when it does. */
  attachTarget?: string;
  /** Instruction count before relocation. */
  insnCount: number;
  /** The name the kernel sees: BCC's prefix stripped, at most 15 characters (BCC-C only). */
  kernelName?: string;
  /** Whether BCC attaches it when the object is created (kprobe__, tracepoint__, ...). */
  autoAttach?: boolean;
  /** How its name (or libbpf section) says it attaches; auto-attach reads it with attachTarget. */
  attachKind?: AttachKind;
  /** 1-based line of its definition in the user's source (BCC-C only). */
  line?: number;
}

/** One map of a compiled object. */
export interface MapSpec {
  name: string;
  /** Kernel map type number (see MapType). */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** bpffs path the map is pinned at, when the program asks for pinning. */
  pinPath?: string;
  /** BTF type ids of key and value in the object's BTF, 0 when absent. */
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** Key and value layouts from BTF, when the object carries them. */
  key?: TypeLayout;
  value?: TypeLayout;
  /** BCC's JSON descriptions of key and value (what BCC's Python builds ctypes from), BCC-C only. */
  keyDesc?: BccTypeDesc;
  valueDesc?: BccTypeDesc;
  /** BCC's kind string (`hash`, `histogram`, `perf_output`, ...), BCC-C only. */
  kind?: string;
  /** For maps of maps: the name of the template (inner) map. */
  innerMap?: string;
  /** `BPF_TABLE("extern", ...)`: refers to a map another object created (resolve by name). */
  extern?: boolean;
  /** Declared with *_PUBLIC / *_SHARED: meant to be visible to later objects by name. */
  shared?: boolean;
  /** 1-based line of its declaration in the user's source (BCC-C only). */
  line?: number;
}

/** What compile() returns: inert, cacheable, printable. */
export interface ObjectSpec {
  /** A name for the object (the file's base name, or `source`). */
  name: string;
  /** The BPF ELF object. */
  elf: Buffer;
  programs: ProgramSpec[];
  /** User-visible maps (libbpf's internal .data/.bss/.rodata maps are not listed). */
  maps: MapSpec[];
  /** Warnings and notes the compiler produced. */
  diagnostics: Diagnostic[];
  /** Event layouts captured per output map (perf_submit / ringbuf_output / ringbuf_submit), by map name. */
  events?: Record<string, TypeLayout>;
  /** BCC's `name#type` field lists of the event structs, by map name (BCC-C only). */
  eventFields?: Record<string, string[]>;
  /** Which front door produced it. */
  dialect?: 'bcc' | 'libbpf';
  /** The rewritten C the BCC dialect produced (what `--emit c` prints). */
  rewrittenSource?: string;
  /** True when the object came from the on-disk cache. */
  fromCache?: boolean;
  /**
   * The user's own source (BCC-C): the rewrite keeps every line where it was, so line numbers
   * in the object's line info (and in verifier logs) index into this text. `path` is the name
   * the compiler saw (the line info's file), when it differs from `file`.
   */
  userSource?: { file: string; text: string; path?: string };
  /** Enabled USDT probes: attach each handler as a uprobe at every location (BCC-C only). */
  usdt?: UsdtSpec[];
  /** The LLVM IR, when compile() was asked for it (`emitLlvm`). */
  llvmIr?: string;
}

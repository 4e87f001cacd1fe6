/** The inert result of compiling: ELF bytes plus a description of its programs and maps. */
import type { Diagnostic } from '../errors.js';
import type { TypeLayout } from './type-layout.js';

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
}

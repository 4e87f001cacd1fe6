/** The compiler part of the addon's contract (native/compiler). */

/** A diagnostic as clang reported it, in presumed (#line-mapped) coordinates. */
export interface NativeDiagnostic {
  severity: 'error' | 'fatal' | 'warning' | 'note' | 'remark' | 'ignored';
  message: string;
  file: string;
  line: number;
  column: number;
  option: string;
  /** The macros the location was expanded from, innermost first, as `NAME@definition file`. */
  macros?: string[];
}

/** One clang invocation: cc1 arguments, the main file and extra in-memory files. */
export interface NativeCompileRequest {
  /** cc1 arguments (without the input file). */
  args: string[];
  /** Path the main source is known by (it need not exist on disk). */
  mainPath: string;
  mainSource: string;
  /** Files visible to #include at these paths, overlaying the real file system. */
  files?: { path: string; contents: string }[];
  /** Directories under which every `*.h` exists and is empty (kernel includes answered by BTF). */
  stubDirs?: string[];
  /** What to produce; default `obj`. `pch` writes a precompiled header to `outputPath`. */
  emit?: 'obj' | 'llvm' | 'syntax' | 'pch';
  /** Output file for `pch`. */
  outputPath?: string;
  /**
   * The module may have CO-RE relocations: compiled in-process one at a time among such
   * compiles, with the state LLVM's BPF CO-RE pass keeps between modules emptied before and
   * after (native/compiler/clang_compile.cc).
   */
  core?: boolean;
}

/** A map declaration the BCC rewriter found (section `maps/<kind>`). */
export interface NativeBccMap {
  name: string;
  kind: string;
  /** Template map of a map-of-maps, else empty. */
  inner: string;
  /** Pin path from `BPF_TABLE_PINNED`, else empty. */
  pinPath: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  keyType: string;
  valueType: string;
  isExtern: boolean;
  isShared: boolean;
  line: number;
}

/** A program function the BCC rewriter found. */
export interface NativeBccProgram {
  name: string;
  section: string;
  line: number;
}

/** An event struct recorded for an output map. */
export interface NativeBccEvent {
  map: string;
  /** C spelling of the struct, e.g. `struct data_t`. */
  type: string;
  /** BCC's `name#type` field list. */
  fields: string[];
}

/** A BCC rewrite request: the session plus machine facts the dialect needs. */
export interface NativeBccRewriteRequest extends NativeCompileRequest {
  possibleCpus: number;
  onlineCpus: number;
  pageSize: number;
  /** Sections for program functions without one, by name prefix (src/compiler/program-naming.ts). */
  sectionRules: { prefix: string; section: string; splitLast: boolean }[];
  /** Name prefixes whose parameters are read from the wrapped syscall's pt_regs. */
  syscallArgPrefixes: string[];
}

export interface NativeBccRewriteResult {
  ok: boolean;
  /** The rewritten main file (same lines as the input). */
  output: string;
  maps: NativeBccMap[];
  programs: NativeBccProgram[];
  events: NativeBccEvent[];
  /** Implicit reads emitted with CO-RE relocations (their codegen is a `core` compile). */
  coreReads: number;
  diagnostics: NativeDiagnostic[];
}

export interface NativeCompileResult<T> {
  ok: boolean;
  /** ELF bytes for `obj`, IR text for `llvm`, empty for `syntax`. */
  output: T;
  diagnostics: NativeDiagnostic[];
}

export interface CompilerNative {
  clangCompile(
    req: NativeCompileRequest & { emit?: 'obj' | 'syntax' | 'pch' },
  ): Promise<NativeCompileResult<Buffer>>;
  clangCompile(req: NativeCompileRequest & { emit: 'llvm' }): Promise<NativeCompileResult<string>>;
  clangCompileSync(
    req: NativeCompileRequest & { emit?: 'obj' | 'syntax' | 'pch' },
  ): NativeCompileResult<Buffer>;
  clangCompileSync(req: NativeCompileRequest & { emit: 'llvm' }): NativeCompileResult<string>;
  /** Runs the BCC dialect rewriter over the main source (off the JS thread). */
  bccRewrite(req: NativeBccRewriteRequest): Promise<NativeBccRewriteResult>;
  bccRewriteSync(req: NativeBccRewriteRequest): NativeBccRewriteResult;
  /**
   * The C text of every type in a BTF file (e.g. /sys/kernel/btf/vmlinux), as bpftool's
   * `format c` writes it, and for each fact asked whether the BTF has it: `"sock:__sk_common.skc_daddr"`
   * (a member path of a struct or union, through anonymous members) or `"enum:__REQ_SYNC"` (an
   * enumerator). With `roots`, only the closure of the types they name: each struct, union, enum
   * or typedef of that name (an enumerator brings its enum), what those hold by value, and the
   * definition of a record reached through a pointer member whose name is a root; pointees are
   * otherwise forward-declared. `types` counts the type ids dumped. The parsed BTF is kept for
   * the next call until btfRelease(). Throws an errno error when the file cannot be parsed.
   */
  btfHeader(
    path: string,
    facts?: string[],
    roots?: string[],
  ): { text: string; facts: boolean[]; types: number };
  /** Frees the parsed BTF btfHeader keeps between calls (it is parsed again when needed). */
  btfRelease(): void;
  /**
   * Gives back what finished compiles leave in the process: freed heap, and the resident pages
   * of the addon's code and read-only data (mostly clang's and LLVM's; they stay in the page
   * cache and fault back in at the next compile). Returns the bytes of the ranges released.
   * Call only when no compile runs.
   */
  compilerRelease(): number;
  /** The linked clang's version, e.g. "19.1.7". */
  readonly clangVersion: string;
}

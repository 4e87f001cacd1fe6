/** The compiler part of the addon's contract (native/compiler). */

/** A diagnostic as clang reported it, in presumed (#line-mapped) coordinates. */
export interface NativeDiagnostic {
  severity: 'error' | 'fatal' | 'warning' | 'note' | 'remark' | 'ignored';
  message: string;
  file: string;
  line: number;
  column: number;
  option: string;
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
  /** What to produce; default `obj`. */
  emit?: 'obj' | 'llvm' | 'syntax';
}

export interface NativeCompileResult<T> {
  ok: boolean;
  /** ELF bytes for `obj`, IR text for `llvm`, empty for `syntax`. */
  output: T;
  diagnostics: NativeDiagnostic[];
}

export interface CompilerNative {
  clangCompile(req: NativeCompileRequest & { emit?: 'obj' | 'syntax' }): Promise<NativeCompileResult<Buffer>>;
  clangCompile(req: NativeCompileRequest & { emit: 'llvm' }): Promise<NativeCompileResult<string>>;
  clangCompileSync(req: NativeCompileRequest & { emit?: 'obj' | 'syntax' }): NativeCompileResult<Buffer>;
  clangCompileSync(req: NativeCompileRequest & { emit: 'llvm' }): NativeCompileResult<string>;
  /** The linked clang's version, e.g. "19.1.7". */
  readonly clangVersion: string;
}

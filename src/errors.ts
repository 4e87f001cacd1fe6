/**
 * The error classes of tsbcc (DESIGN D10). Every error the library throws is a TsbccError;
 * callers can branch on the subclass or on `code`.
 */
import { errnoName } from './errno.js';

/** Base class of every error tsbcc throws. */
export class TsbccError extends Error {
  /** A short machine-readable code, e.g. `ENOENT` or `COMPILE`. */
  readonly code: string;
  constructor(message: string, code = 'TSBCC', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One compiler diagnostic, in the user's own source coordinates. */
export interface Diagnostic {
  /** `error`, `warning`, `note`, ... */
  severity: 'error' | 'fatal' | 'warning' | 'note' | 'remark' | 'ignored';
  message: string;
  /** The user's file name (or `<source>` for inline text); empty when the diagnostic has no place. */
  file: string;
  /** 1-based line, 0 when unknown. */
  line: number;
  /** 1-based column, 0 when unknown. */
  column: number;
  /** The offending source line, when known. */
  sourceLine?: string;
  /** The warning flag that controls it, when any (e.g. `-Wunused-variable`). */
  option?: string;
}

/** Formats one diagnostic the way compilers do: `file:line:col: error: msg`, the line and a caret. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}:${d.line}:${d.column}: ` : '';
  let out = `${where}${d.severity}: ${d.message}`;
  if (d.sourceLine !== undefined && d.line > 0) {
    out += `\n${d.sourceLine}\n${' '.repeat(Math.max(0, d.column - 1))}^`;
  }
  return out;
}

/** Compilation failed; `diagnostics` holds every message, errors first in source order. */
export class CompileError extends TsbccError {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[], summary?: string) {
    const errors = diagnostics.filter((d) => d.severity === 'error' || d.severity === 'fatal');
    const shown = (errors.length > 0 ? errors : diagnostics).map(formatDiagnostic).join('\n');
    super(summary ? `${summary}\n${shown}` : shown || 'compilation failed', 'COMPILE');
    this.diagnostics = diagnostics;
  }
}

/** The kernel verifier rejected a program. */
export class VerifierError extends TsbccError {
  /** The program (function) name. */
  readonly program: string;
  /** The full verifier log. */
  readonly log: string;
  /** The errno the load failed with. */
  readonly errno: number;
  /** The last line of the log that states the reason. */
  readonly summary: string;
  /** The C source line of the failing instruction, when the log carries line info. */
  readonly sourceLine?: { file: string; line: number; text: string };
  /** Likely causes, in plain words. */
  readonly hints: string[];
  constructor(init: {
    program: string;
    log: string;
    errno: number;
    summary: string;
    sourceLine?: { file: string; line: number; text: string };
    hints?: string[];
  }) {
    const where = init.sourceLine
      ? `\n  at ${init.sourceLine.file}:${init.sourceLine.line}: ${init.sourceLine.text.trim()}`
      : '';
    const hints = (init.hints ?? []).map((h) => `\n  hint: ${h}`).join('');
    super(`verifier rejected program "${init.program}": ${init.summary}${where}${hints}`, 'VERIFIER');
    this.program = init.program;
    this.log = init.log;
    this.errno = init.errno;
    this.summary = init.summary;
    if (init.sourceLine) this.sourceLine = init.sourceLine;
    this.hints = init.hints ?? [];
  }
}

/** A system call failed. */
export class SyscallError extends TsbccError {
  /** The call that failed, e.g. `bpf_map_update_elem`. */
  readonly call: string;
  /** The errno value. */
  readonly errno: number;
  constructor(call: string, errno: number, code: string, detail?: string, options?: { cause?: unknown }) {
    super(`${call} failed: ${code} (errno ${errno})${detail ? `: ${detail}` : ''}`, code, options);
    this.call = call;
    this.errno = errno;
  }
}

/** A netlink request was refused by the kernel. */
export class NetlinkError extends TsbccError {
  /** The positive errno the kernel answered with. */
  readonly errno: number;
  /** The kernel's extended-ack message, when it sent one. */
  readonly extack?: string;
  /** What was being done, e.g. `add qdisc clsact on veth0`. */
  readonly operation: string;
  constructor(operation: string, errno: number, code: string, extack?: string) {
    super(`${operation}: ${code} (errno ${errno})${extack ? `: ${extack}` : ''}`, code);
    this.operation = operation;
    this.errno = errno;
    if (extack) this.extack = extack;
  }
}

/** The running kernel lacks a feature and no equivalent path exists. */
export class NotSupportedError extends TsbccError {
  /** The feature, as src/features names it. */
  readonly feature: string;
  /** The kernel config option that enables it, when known. */
  readonly kernelOption?: string;
  /** What the user can do instead. */
  readonly hint?: string;
  constructor(feature: string, kernelOption?: string, hint?: string) {
    super(
      `${feature} is not supported by the running kernel${kernelOption ? ` (needs ${kernelOption})` : ''}${
        hint ? `; ${hint}` : ''
      }`,
      'ENOTSUP',
    );
    this.feature = feature;
    if (kernelOption) this.kernelOption = kernelOption;
    if (hint) this.hint = hint;
  }
}

/** A topology is invalid or could not be realised; `path` names the offending element. */
export class TopologyError extends TsbccError {
  /** Where the problem is, e.g. `links[3].a` or `hosts.h1`. */
  readonly path?: string;
  constructor(message: string, path?: string, options?: { cause?: unknown }) {
    super(path ? `${path}: ${message}` : message, 'TOPOLOGY', options);
    if (path) this.path = path;
  }
}

/** Invalid argument given to a tsbcc API (a bad CIDR, rate, handle, name, ...). */
export class InvalidArgumentError extends TsbccError {
  constructor(message: string) {
    super(message, 'EINVAL');
  }
}

/**
 * A file that should be a little-endian ELF64 file (a BPF object, a binary to probe) is not one,
 * or is truncated or damaged; `file` names it and the message says what is wrong.
 */
export class ElfFormatError extends InvalidArgumentError {
  /** The file's path, or a description of where its bytes came from. */
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file} ${problem}`);
    this.file = file;
  }
}

/** An operation on a resource that was already closed. */
export class ClosedError extends TsbccError {
  constructor(what: string) {
    super(`${what} is closed`, 'ECLOSED');
  }
}

/** Shape of the errors the native addon throws. */
interface NativeErrnoError {
  message: string;
  errno: number;
  code: string;
  syscall: string;
}

function isNativeErrno(e: unknown): e is NativeErrnoError {
  return typeof e === 'object' && e !== null && typeof (e as { errno?: unknown }).errno === 'number';
}

/** Converts an error thrown by the native addon into a SyscallError (others pass through). */
export function fromNative(e: unknown, detail?: string): Error {
  if (e instanceof TsbccError) return e;
  if (isNativeErrno(e)) {
    // The addon names the common errnos; any other gets its name here (ENOTSOCK, ...).
    const code = e.code === 'EUNKNOWN' ? errnoName(e.errno) : e.code;
    return new SyscallError(e.syscall, e.errno, code, detail, { cause: e });
  }
  if (e instanceof Error)
    return new TsbccError(detail ? `${detail}: ${e.message}` : e.message, 'NATIVE', { cause: e });
  return new TsbccError(String(e));
}

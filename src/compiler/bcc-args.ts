/** cc1 arguments for the BCC dialect: BPF target, no system headers, kernel types from BTF. */
import { release } from 'node:os';
import { join } from 'node:path';
import { toolchain } from './toolchain.js';

/** The directory whose every `*.h` is an empty file: kernel includes are answered by BTF. */
export const KERNEL_STUB_DIR = '/virtual/tsbcc/kernel';
/** Where the generated tracepoint structs are visible. */
export const TRACEPOINT_HEADER = '/virtual/tsbcc/generated/tracepoints.h';
/** Where the #undef lines of compat macros a program redefines are visible. */
export const UNDEFS_HEADER = '/virtual/tsbcc/generated/undefs.h';
/** Where the UAPI constants a program names are visible (uapi-defs.ts). */
export const UAPI_HEADER = '/virtual/tsbcc/generated/uapi.h';
/** Where the generated USDT argument readers are visible. */
export const USDT_HEADER = '/virtual/tsbcc/generated/usdt.h';

/**
 * A cc1 flag the clang driver adds to every compile (`clang -###`) that only lowers memory: the
 * AST is freed before the backend runs, where a compile's peak RSS is. Objects are unchanged.
 * (The driver's -discard-value-names, ~0.1 MB, is left out: DEBUG_LLVM_IR's IR keeps its names.)
 */
export const MEMORY_ARGS: readonly string[] = ['-clear-ast-before-backend'];

/** LINUX_VERSION_CODE of the running kernel (patch level capped at 255 as the kernel does). */
export function linuxVersionCode(rel = release()): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(rel);
  if (!m) return 0;
  return (Number(m[1]) << 16) + (Number(m[2]) << 8) + Math.min(255, Number(m[3] ?? 0));
}

/**
 * Arguments shared by the kernel PCH and every BCC-C compile (they must match for the PCH to
 * be accepted).
 */
export function bccBaseArgs(opts: { debugInfo?: boolean } = {}): string[] {
  const tc = toolchain();
  const args = [
    '-triple',
    'bpf',
    '-nostdsysteminc',
    '-mrelocation-model',
    'static',
    '-resource-dir',
    tc.resourceDir,
    '-O2',
    // as the clang driver passes it: the AST is freed before the backend runs (a compile's
    // peak RSS is at the end of code generation; -0.6 MB); the same objects
    ...MEMORY_ARGS,
    '-ferror-limit',
    '20',
    '-fgnuc-version=4.2.1',
    '-fno-signed-char',
    '-fms-extensions',
    '-Wno-microsoft-anon-tag',
    '-D__BPF_TRACING__',
    '-D__TARGET_ARCH_x86',
    '-D__TSBCC__',
    `-DLINUX_VERSION_CODE=${linuxVersionCode()}`,
    '-Wno-deprecated-declarations',
    '-Wno-unused-value',
    '-Wno-pointer-sign',
    '-Wno-compare-distinct-pointer-types',
    '-Wno-gnu-variable-sized-type-not-at-end',
    '-Wno-address-of-packed-member',
    '-Wno-unknown-warning-option',
    '-Wno-pragma-once-outside-header',
    '-Wno-duplicate-decl-specifier',
    '-Wno-incompatible-pointer-types-discards-qualifiers',
    '-Wno-deprecated-non-prototype',
    // a pointer used as an integer is a warning in the clang BCC 0.26 ships with (an error by
    // default since clang 15); BCC's programs rely on it (test_clang's `return *(&p->ptr)`)
    '-Wno-error=int-conversion',
  ];
  if (opts.debugInfo !== false) args.push('-debug-info-kind=constructor', '-dwarf-version=5');
  return args;
}

/**
 * Include-path arguments (after the base ones and the user's flags).
 * @param kernel the kernel header: its PCH (`-include-pch`), or a header to include as text.
 */
export function bccIncludeArgs(
  kernel: { pch: string } | { include: string },
  userDir: string | undefined,
  tracepoints: boolean,
  usdt = false,
  undefs = false,
  uapi = false,
): string[] {
  const tc = toolchain();
  const args = 'pch' in kernel ? ['-include-pch', kernel.pch] : ['-include', kernel.include];
  if (uapi) args.push('-include', UAPI_HEADER);
  args.push('-include', join(tc.tsbccInclude, 'bcc', 'helpers.h'));
  if (tracepoints) args.push('-include', TRACEPOINT_HEADER);
  if (usdt) args.push('-include', USDT_HEADER);
  if (undefs) args.push('-include', UNDEFS_HEADER);
  if (userDir) args.push('-I', userDir);
  args.push('-I', tc.tsbccInclude, '-internal-isystem', `${tc.resourceDir}/include`);
  args.push('-internal-isystem', KERNEL_STUB_DIR, '-x', 'c');
  return args;
}

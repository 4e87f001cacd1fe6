/** Builds the cc1 argument list for compiling C to BPF. */
import { MEMORY_ARGS } from './bcc-args.js';
import { toolchain } from './toolchain.js';

/** Options that shape the clang invocation. */
export interface ClangArgsOptions {
  /** User flags: -I, -D, -U, -include, -W... (driver spelling). */
  cflags?: string[];
  /** Emit DWARF/BTF line info (needed for source lines in verifier errors); default true. */
  debugInfo?: boolean;
  /** Optimisation level; default 2. */
  optLevel?: 0 | 1 | 2 | 3;
}

/** cc1 arguments for a BPF object from C, without the input file. */
export function clangArgs(opts: ClangArgsOptions = {}): string[] {
  const tc = toolchain();
  const args = [
    '-triple',
    'bpf',
    '-mrelocation-model',
    'static',
    '-resource-dir',
    tc.resourceDir,
    `-O${opts.optLevel ?? 2}`,
    ...MEMORY_ARGS,
    '-ferror-limit',
    '20',
    '-fgnuc-version=4.2.1',
    '-Wno-unused-value',
    '-Wno-pointer-sign',
    '-Wno-compare-distinct-pointer-types',
    '-Wno-gnu-variable-sized-type-not-at-end',
    '-Wno-address-of-packed-member',
    '-Wno-unknown-warning-option',
  ];
  if (opts.debugInfo !== false) args.push('-debug-info-kind=constructor', '-dwarf-version=5');
  args.push(...(opts.cflags ?? []));
  args.push('-I', tc.tsbccInclude, '-internal-isystem', `${tc.resourceDir}/include`);
  for (const d of tc.systemIncludes) args.push('-internal-externc-isystem', d);
  args.push('-x', 'c');
  return args;
}

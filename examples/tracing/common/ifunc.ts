/**
 * Where an indirect function (STT_GNU_IFUNC, e.g. glibc's strlen) really runs. Its symbol is
 * the resolver, which the dynamic linker calls once to pick an implementation for this CPU; a
 * uprobe on the symbol (what BCC's `attach_uprobe(name="c", sym="strlen")` does) fires only
 * then. The implementation is found the way the program's own calls find it: dlsym in a
 * process on this machine (python's ctypes), its address turned into a file offset.
 */
import { execFileSync } from 'node:child_process';
import { TsbccError } from '../../../src/index.js';

/** The file and file offset of the implementation the dynamic linker picks for `sym` of `lib`. */
export interface ResolvedIfunc {
  path: string;
  offset: bigint;
}

/**
 * Resolves `sym` of shared library `lib` (a soname such as `libc.so.6`) to the implementation
 * dlsym returns here.
 * @throws TsbccError when python3 cannot load the library or the symbol.
 */
export function resolveIfunc(lib: string, sym: string): ResolvedIfunc {
  const py = [
    'import ctypes, sys',
    `addr = ctypes.cast(getattr(ctypes.CDLL(${JSON.stringify(lib)}), ${JSON.stringify(sym)}), ctypes.c_void_p).value`,
    "for line in open('/proc/self/maps'):",
    '    f = line.split()',
    "    lo, hi = (int(x, 16) for x in f[0].split('-'))",
    '    if lo <= addr < hi and len(f) > 5:',
    '        print(f[5], addr - lo + int(f[2], 16))',
    '        sys.exit(0)',
    'sys.exit(1)',
  ].join('\n');
  let out: string;
  try {
    out = execFileSync('python3', ['-c', py], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new TsbccError(
      `cannot resolve ${sym} of ${lib} with python3's dlsym: ${(e as Error).message}`,
      'ENOENT',
      {
        cause: e,
      },
    );
  }
  const [path, offset] = out.trim().split(' ');
  if (!path || !offset) throw new TsbccError(`cannot resolve ${sym} of ${lib}: no mapping`, 'ENOENT');
  return { path, offset: BigInt(offset) };
}

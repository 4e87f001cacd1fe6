/** Where the compiler finds clang's resource directory and the system's include directories. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TsbccError } from '../errors.js';
import { packageRoot } from '../native.js';

/** Paths the in-process clang needs. */
export interface Toolchain {
  /** clang's resource directory (holds its own headers such as stddef.h). */
  resourceDir: string;
  /** System include directories searched after the user's, in order. */
  systemIncludes: string[];
  /** tsbcc's own include directory (include/bcc lives under it). */
  tsbccInclude: string;
}

let cached: Toolchain | undefined;

/**
 * Finds the toolchain for the linked clang 19.
 * @throws TsbccError when clang's resource directory is missing (install clang-19).
 */
export function toolchain(): Toolchain {
  if (cached) return cached;
  const resourceDir = '/usr/lib/llvm-19/lib/clang/19';
  if (!existsSync(join(resourceDir, 'include', 'stddef.h'))) {
    throw new TsbccError(
      `clang's resource directory ${resourceDir} is missing; install Debian's clang-19 (npm run bootstrap does)`,
      'ENOENT',
    );
  }
  const multiarch = '/usr/include/x86_64-linux-gnu';
  cached = {
    resourceDir,
    systemIncludes: [multiarch, '/usr/include'].filter((d) => existsSync(d)),
    tsbccInclude: join(packageRoot(), 'include'),
  };
  return cached;
}

/**
 * Where an example's files are, whether it runs from its TypeScript source (vitest, vite-node)
 * or compiled under dist/, from a checkout or an installed package, from any working directory
 * and through symlinks (Node resolves a module's URL to its real path).
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsbccError } from '../../src/index.js';

/** The package root: the nearest ancestor of `metaUrl`'s file with package.json and examples/. */
export function packageRootOf(metaUrl: string): string {
  let dir = dirname(fileURLToPath(metaUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples'))) return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new TsbccError(`cannot find the tsbcc package root above ${fileURLToPath(metaUrl)}`);
    dir = up;
  }
}

/**
 * The source directory of the module `metaUrl` (its .c, .yaml and web files live there): the
 * module's own directory when it runs from source, the matching directory under the package
 * root when it runs from dist/.
 */
export function sourceDirOf(metaUrl: string): string {
  const root = packageRootOf(metaUrl);
  const here = dirname(fileURLToPath(metaUrl));
  const rel = relative(root, here);
  return rel === 'dist' || rel.startsWith(`dist${sep}`) ? join(root, rel.slice('dist'.length + 1)) : here;
}

/**
 * A file next to the module's source, e.g. `assetPath(import.meta.url, 'simple_tc.c')`.
 * @throws TsbccError when it is missing (an incomplete installation), naming the path.
 */
export function assetPath(metaUrl: string, ...parts: string[]): string {
  const p = join(sourceDirOf(metaUrl), ...parts);
  if (!existsSync(p)) throw new TsbccError(`example file missing: ${p} (is the package complete?)`, 'ENOENT');
  return p;
}

/**
 * Whether the module `metaUrl` is the program node was started with (`node x.js`), also when
 * it was reached through a symlink.
 */
export function isMainModule(metaUrl: string): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(metaUrl));
  } catch {
    return false;
  }
}

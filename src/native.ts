/**
 * The only module that loads the native addon. Loading is lazy: nothing happens at import time.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../native/index.js';
import { TsbccError } from './errors.js';

let addon: NativeAddon | undefined;

/** The package root (where binding.gyp and build/ live), from src/ or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  throw new TsbccError('cannot find the tsbcc package root', 'ENOENT');
}

/**
 * The loaded addon.
 * @throws TsbccError (code ENATIVE) when the addon is not built; the message says how to build it.
 */
export function native(): NativeAddon {
  if (addon) return addon;
  const path = join(packageRoot(), 'build', 'Release', 'tsbcc.node');
  if (!existsSync(path)) {
    throw new TsbccError(
      `the tsbcc native addon is not built (${path} is missing); run \`npm run bootstrap\` or \`npm run build:native\``,
      'ENATIVE',
    );
  }
  const require = createRequire(import.meta.url);
  try {
    addon = require(path) as NativeAddon;
  } catch (e) {
    throw new TsbccError(`cannot load the tsbcc native addon ${path}: ${(e as Error).message}`, 'ENATIVE', {
      cause: e,
    });
  }
  return addon;
}

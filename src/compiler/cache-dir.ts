/** Where the compiler keeps what it builds once: the kernel header (and its PCH) and objects. */
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The cache directory: `$TSBCC_CACHE_DIR`, else `$XDG_CACHE_HOME/tsbcc`, else `~/.cache/tsbcc`.
 * Nothing is created here.
 */
export function cacheDir(): string {
  const env = process.env.TSBCC_CACHE_DIR;
  if (env) return env;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'tsbcc');
}

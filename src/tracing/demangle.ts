/** Demangling symbol names (C++ Itanium, Rust, ...) with LLVM's demangler in the addon. */
import { native } from '../native.js';

const cache = new Map<string, string>();

/** Whether a name looks mangled (Itanium `_Z`, Rust v0 `_R`, or legacy Rust `_ZN...E`). */
function mangled(name: string): boolean {
  return name.startsWith('_Z') || name.startsWith('__Z') || name.startsWith('_R');
}

/**
 * The human-readable form of a symbol name (`_ZN3foo3barEv` -> `foo::bar()`); names that are
 * not mangled, or that the demangler does not understand, come back unchanged. Cached.
 */
export function demangle(name: string): string {
  if (!mangled(name)) return name;
  let d = cache.get(name);
  if (d === undefined) {
    d = native().demangle([name])[0] ?? name;
    cache.set(name, d);
  }
  return d;
}

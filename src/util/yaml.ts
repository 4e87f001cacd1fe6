/**
 * The `yaml` package, loaded on first use: importing it costs a Node process ~9 MB of RSS and
 * ~200 ms (bench/RESULTS.md, "Session 6: memory"), which `import 'tsbcc'` should not pay for
 * YAML files it may never read. Synchronous (the package's CommonJS build, the one Node's
 * import would load too), so parsers stay synchronous.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

/** The yaml package's exports (parseDocument, LineCounter, isMap, ...), loaded on the first call. */
export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}

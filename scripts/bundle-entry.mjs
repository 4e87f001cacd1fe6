// Bundles the package entry (dist/src/index.js and the ~185 modules it imports) into one ES
// module, dist/src/index.bundle.mjs: what `import ... from 'tsbcc'` loads (package.json
// "exports"). Node resolving and instantiating the modules one by one cost a process ~12 MB of
// RSS at import (59.6 MB against 47.7 MB for the bundle; bench/RESULTS.md, "Session 7:
// memory"): per-module loader objects, and TurboFan code for Node's path helpers made hot by
// resolving that many URLs. Types stay dist/src/index.d.ts (tsc's). Run by scripts/bootstrap.sh
// after tsc and by `npm run build:ts`; test/unit/package-entry.test.ts checks that the bundle
// exports what src/index.ts does and that importing it starts nothing.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/index.js'],
  outfile: 'dist/src/index.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // the dependencies (yaml, prom-client, ...) stay package imports, each loaded where it is
  // used (both are loaded on first use)
  packages: 'external',
  // bundling turns `class X { ... X.y ... }` into `var X = class _X`, so X.name would be "_X",
  // and renames colliding functions (parseRate2): keep the names errors and inspect print
  keepNames: true,
  // the source text is held in memory by V8: 545 -> 316 KB, 0.7 MB less RSS at import; stack
  // traces map back to dist/src/*.js and the TypeScript (node --enable-source-maps)
  minifyWhitespace: true,
  sourcemap: true,
  logLevel: 'warning',
});

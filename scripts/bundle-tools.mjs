// Bundles `tsbcc tool` (dist/src/cli/tool.js, the tools and the library code they use) into one
// ES module, dist/src/cli/tool.bundle.mjs: Node resolving and evaluating the ~85 modules a tool
// imports was a third of a tool's start-up CPU time (bench/RESULTS.md, "tools"). main.js uses
// the bundle when it is at least as new as the last tsc emit (dist/.tsbuildinfo), else the
// modules. Run by scripts/bootstrap.sh after tsc, and by `npm run build:ts`.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/tool.js'],
  outfile: 'dist/src/cli/tool.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // commander stays a package import (CommonJS; bundling it would need a require shim)
  external: ['commander'],
  logLevel: 'warning',
});

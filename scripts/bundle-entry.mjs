// Bundles the package entry (dist/src/index.js and the ~185 modules it imports) into one ES
// module, dist/src/index.bundle.mjs: what `import ... from 'tsbcc'` loads (package.json
// "exports"). Node resolving and instantiating the modules one by one cost a process ~16 MB of
// RSS at import (58.3 MB against 46.0 MB for the bundle, bare Node 42.0; bench/RESULTS.md,
// "Session 7: memory"): per-module loader objects, and TurboFan code for Node's path helpers
// made hot by resolving that many URLs. Types stay dist/src/index.d.ts (tsc's). Run by
// scripts/bootstrap.sh after tsc and by `npm run build:ts`; test/unit/package-entry.test.ts
// checks that the bundle exports what src/index.ts does, under the same names, and that
// importing it starts nothing.
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import ts from 'typescript';

const outfile = 'dist/src/index.bundle.mjs';
const result = await build({
  entryPoints: ['dist/src/index.js'],
  outfile,
  write: false,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // the dependencies (yaml, prom-client, ...) stay package imports, each loaded where it is
  // used (both are loaded on first use)
  packages: 'external',
  // the source text is held in memory by V8: 545 -> 316 KB, 0.7 MB less RSS at import; stack
  // traces map back to dist/src/*.js and the TypeScript (node --enable-source-maps)
  minifyWhitespace: true,
  sourcemap: true,
  logLevel: 'warning',
});

/**
 * Bundling turns a class that names itself (`class X { static f() { return new X(); } }`) into
 * `var X = class _X { ... }`, so X.name would be "_X". esbuild's keepNames would fix it with a
 * call per function and class at import (820 of them, +0.6 MB of RSS); only these need it, so
 * each top-level one gets its name back in one statement before the export clause.
 */
function restoreClassNames(text) {
  const file = ts.createSourceFile(outfile, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const fixes = [];
  let exportAt = -1;
  for (const st of file.statements) {
    if (ts.isExportDeclaration(st) && exportAt < 0) exportAt = st.getStart(file);
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      const init = d.initializer;
      if (!ts.isIdentifier(d.name) || !init || !ts.isClassExpression(init) || !init.name) continue;
      if (init.name.text !== d.name.text) fixes.push(d.name.text);
    }
  }
  if (exportAt < 0) throw new Error(`${outfile}: no export clause`);
  const names = fixes
    .map((n) => `Object.defineProperty(${n},"name",{value:"${n}",configurable:true});`)
    .join('');
  return `${text.slice(0, exportAt)}${names}\n${text.slice(exportAt)}`;
}

for (const out of result.outputFiles) {
  writeFileSync(out.path, out.path.endsWith('.mjs') ? restoreClassNames(out.text) : out.contents);
}

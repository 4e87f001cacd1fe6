// Writes the dialect headers' kernel-header roots into build/ (src/compiler/kernel-subset.ts,
// packagedDialectRootsDir): they depend only on the package's headers and libbpf's helper
// prototypes, so a first compile with an empty cache reads them instead of computing them
// (~10-15 ms of CPU). Run after each TypeScript emit (bootstrap, build:ts); older copies are removed.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { packagedDialectRootsDir, programRoots } = await import(
  join(root, 'dist/src/compiler/kernel-subset.js')
);
const dir = packagedDialectRootsDir();
for (const f of readdirSync(dir)) if (/^dialect-roots-\w+\.json$/.test(f)) rmSync(join(dir, f));
programRoots([], [], dir);

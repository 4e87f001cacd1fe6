// Bundles the pages examples serve (d3 from node_modules, no CDN) into dist/web/. Run by
// scripts/bootstrap.sh when a page source changed, and by `npm run build:web`.
import { build } from 'esbuild';

const pages = [
  {
    entry: 'examples/networking/tunnel_monitor/web/dashboard.js',
    out: 'dist/web/tunnel_monitor/dashboard.js',
  },
];
for (const p of pages) {
  await build({
    entryPoints: [p.entry],
    outfile: p.out,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}

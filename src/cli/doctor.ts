/** `tsbcc doctor`: what this kernel has, and what tsbcc does where something is missing. */
import type { Command } from 'commander';
import { features, type FeatureResult } from '../features/index.js';

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Renders the probe results as a text table. */
export function renderFeatureTable(results: FeatureResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.status,
    r.kernelOption,
    r.status === 'present' ? '' : r.fallback,
  ]);
  const head = ['FEATURE', 'STATUS', 'KERNEL OPTION', 'WHERE MISSING, TSBCC USES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cols: string[]): string =>
    cols
      .map((c, i) => (i === cols.length - 1 ? c : pad(c, widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** Adds `doctor` to the CLI. */
export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('probe the running kernel for the features tsbcc uses')
    .option('--json', 'print the results as JSON')
    .option('-v, --verbose', 'show how each answer was reached')
    .action(async (opts: { json?: boolean; verbose?: boolean }) => {
      const set = await features();
      const results = set.list();
      if (opts.json) {
        console.log(JSON.stringify(results, null, 2));
        return;
      }
      console.log(renderFeatureTable(results));
      if (opts.verbose) {
        console.log('');
        for (const r of results) console.log(`${r.name}: ${r.detail}`);
      }
      const missing = results.filter((r) => r.status !== 'present').length;
      if (!opts.verbose && missing > 0) console.log('\n(`tsbcc doctor -v` shows what each probe saw)');
      console.log(`\n${results.length - missing} present, ${missing} missing or unknown`);
    });
}

/**
 * `tsbcc example NAME [options]` and `tsbcc example --list`: the examples shipped with the
 * package, run from wherever it is installed. The list lives in examples/registry.ts; this
 * command loads it (and the chosen example) on demand, relative to this module, so neither the
 * working directory nor the path tsbcc was reached through matters.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../errors.js';

interface RegistryEntry {
  name: string;
  group: string;
  summary: string;
  load(): Promise<{ main(argv: readonly string[]): Promise<number> }>;
}
interface Registry {
  examples: readonly RegistryEntry[];
  findExample(name: string): RegistryEntry | undefined;
}

function loadRegistry(): Promise<Registry> {
  // dist/src/cli/example.js -> dist/examples/registry.js (src/cli/example.ts -> examples/registry.ts)
  return import(new URL('../../examples/registry.js', import.meta.url).href) as Promise<Registry>;
}

/** The examples as text lines, grouped. */
export function formatExampleList(entries: readonly RegistryEntry[]): string {
  const width = Math.max(...entries.map((e) => e.name.length));
  const groups = [...new Set(entries.map((e) => e.group))];
  return groups
    .map((g) =>
      [
        `${g}:`,
        ...entries.filter((e) => e.group === g).map((e) => `  ${e.name.padEnd(width)}  ${e.summary}`),
      ].join('\n'),
    )
    .join('\n\n');
}

/** Adds `example` to the CLI. */
export function registerExampleCommand(program: Command): void {
  program
    .command('example')
    .description('run an example shipped with tsbcc (tsbcc example --list; tsbcc example NAME --help)')
    .argument('[name]', 'the example to run')
    .argument('[args...]', "the example's own options (see tsbcc example NAME --help)")
    .option('-l, --list', 'list the examples')
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (name: string | undefined, args: string[], opts: { list?: boolean }) => {
      const registry = await loadRegistry();
      if (opts.list || name === undefined || name === '--help' || name === '-h') {
        console.log(formatExampleList(registry.examples));
        if (!opts.list)
          console.log('\nRun one: tsbcc example NAME [options]; its options: tsbcc example NAME --help');
        return;
      }
      const entry = registry.findExample(name);
      if (!entry) {
        throw new InvalidArgumentError(
          `no example "${name}"; there are: ${registry.examples.map((e) => e.name).join(', ')}`,
        );
      }
      const mod = await entry.load();
      process.exitCode = await mod.main(args);
    });
}

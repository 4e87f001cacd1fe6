/**
 * Argument parsers and option sets the tools share (BCC's command-line habits): integers,
 * comma-separated lists, and the options every tool has (--ebpf, --verbose, --attach).
 */
import { InvalidArgumentError as CommanderArgumentError, Option, type Command } from 'commander';

/** Parses a decimal integer (commander argParser). */
export function intArg(value: string): number {
  if (!/^[-+]?\d+$/.test(value.trim())) throw new CommanderArgumentError('must be an integer');
  return Number.parseInt(value, 10);
}

/** Parses an integer >= 0. */
export function nonNegativeInt(value: string): number {
  const n = intArg(value);
  if (n < 0) throw new CommanderArgumentError('must be positive');
  return n;
}

/** Parses an integer > 0. */
export function positiveInt(value: string): number {
  const n = nonNegativeInt(value);
  if (n === 0) throw new CommanderArgumentError('must be nonzero');
  return n;
}

/** Parses `1,2,3` into integers >= 0. */
export function intList(value: string): number[] {
  return value.split(',').map((v) => nonNegativeInt(v));
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Declares BCC's positional `interval [count]` (integers > 0, both optional). */
export function addIntervalArguments(cmd: Command, what = 'output interval, in seconds'): void {
  cmd.argument('[interval]', what, positiveInt).argument('[count]', 'number of outputs', positiveInt);
}

/** Adds the options every tool has: --ebpf, --verbose (unless the tool has its own), --attach. */
export function addCommonOptions(cmd: Command): void {
  cmd.option('--ebpf', 'print the generated BPF program and exit');
  if (!cmd.options.some((o) => o.long === '--verbose'))
    cmd.option('--verbose', 'say on stderr what the tool attached to');
  cmd.addOption(
    new Option(
      '--attach <kind>',
      "hooks: kprobe (BCC's), tracepoint, or auto (kprobes where the kernel has them)",
    )
      .choices(['auto', 'kprobe', 'tracepoint'])
      .default('auto'),
  );
}

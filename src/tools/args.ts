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

/**
 * The positional `interval [count]` of BCC's summary tools: both optional, integers > 0.
 * Returns [intervalSeconds, count] with BCC's defaults (99999999 for both).
 * @throws commander's InvalidArgumentError for a non-integer.
 */
export function intervalAndCount(args: (string | undefined)[], first = 0): [number, number] {
  const interval = args[first] === undefined ? 99999999 : positiveInt(args[first] as string);
  const count = args[first + 1] === undefined ? 99999999 : positiveInt(args[first + 1] as string);
  return [interval, count];
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

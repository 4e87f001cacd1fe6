/**
 * The command line every example shares: a commander program with `--help`, validated
 * options, and the two ways to run:
 *
 * - interactive (default): the testbed stays up, the example prints commands to try from
 *   another shell, and everything is removed on Ctrl-C (as BCC's examples did on Enter);
 * - `--duration S`: the example drives its own traffic, prints what it measured and exits 0
 *   only when every check held, 1 otherwise.
 */
import { Command, InvalidArgumentError as OptionError } from 'commander';
import { TsbccError } from '../../src/index.js';
import { formatChecks, reportOk, type ExampleReport } from './report.js';
import { isMainModule } from './paths.js';

/** How an example runs. */
export type RunMode =
  | { kind: 'duration'; seconds: number }
  | {
      kind: 'interactive';
      /** Resolves with the signal's name once the user pressed Ctrl-C (or the process got SIGTERM/SIGHUP). */
      waitForStop(): Promise<string>;
    };

/** Where examples write their progress (the console by default; tests collect it). */
export type LogFn = (line: string) => void;

/** Options every example's run function takes. */
export interface CommonRunOptions {
  mode?: RunMode;
  log?: LogFn;
}

/** The interactive mode: waitForStop() resolves on SIGINT, SIGTERM or SIGHUP. */
export function interactiveMode(): RunMode {
  return {
    kind: 'interactive',
    waitForStop: () =>
      new Promise<string>((resolve) => {
        const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
        // While these handlers are installed, tsbcc's exit registry leaves the testbed to the
        // example's own clean-up; a second Ctrl-C during clean-up reaches the registry again.
        const handler = (sig: NodeJS.Signals): void => {
          for (const s of signals) process.removeListener(s, handler);
          resolve(sig);
        };
        for (const s of signals) process.on(s, handler);
      }),
  };
}

/** Parses a number option: `numberOption('duration', { min: 1 })` for commander. */
export function numberOption(
  name: string,
  limits: { min?: number; max?: number; integer?: boolean } = {},
): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    const { min = -Infinity, max = Infinity, integer = false } = limits;
    if (
      value.trim() === '' ||
      !Number.isFinite(n) ||
      (integer && !Number.isInteger(n)) ||
      n < min ||
      n > max
    ) {
      const range =
        min > -Infinity && max < Infinity
          ? ` from ${min} to ${max}`
          : min > -Infinity
            ? ` of at least ${min}`
            : '';
      throw new OptionError(`--${name} takes ${integer ? 'an integer' : 'a number'}${range}, not "${value}"`);
    }
    return n;
  };
}

/** Parses a rate option such as 128kbit, 1mbit or 2.5gbit (kept as text for tc). */
export function rateOption(name: string): (value: string) => string {
  return (value: string): string => {
    if (!/^\d+(\.\d+)?[kmg]?bit$/i.test(value) || parseFloat(value) <= 0)
      throw new OptionError(`--${name} takes a rate such as 128kbit or 1mbit, not "${value}"`);
    return value;
  };
}

/** Parses an option that takes one of a few words. */
export function choiceOption<T extends string>(name: string, choices: readonly T[]): (value: string) => T {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new OptionError(`--${name} takes one of ${choices.join(', ')}, not "${value}"`);
    return value as T;
  };
}

/**
 * A commander program for `tsbcc example NAME` with `--duration` added; the example adds its
 * own options and an epilog (shown by --help).
 */
export function exampleCommand(name: string, summary: string): Command {
  return new Command(`tsbcc example ${name}`)
    .description(summary)
    .option(
      '--duration <seconds>',
      'run the traffic for this many seconds, print the results and exit (0 only if the behaviour held); ' +
        'without it the testbed stays up until Ctrl-C',
      numberOption('duration', { min: 1, max: 3600 }),
    )
    .showHelpAfterError('(tsbcc example NAME --help lists the options)');
}

/**
 * Parses argv with `cmd`, runs the example, prints its checks, and returns the exit code:
 * in --duration mode 0 only if every check passed; interactive runs end with 0 after Ctrl-C.
 * Errors of tsbcc (bad options, missing features) are printed as one line and give 1.
 */
export async function runExampleMain<O extends object>(
  cmd: Command,
  argv: readonly string[],
  run: (opts: O, common: Required<CommonRunOptions>) => Promise<ExampleReport>,
): Promise<number> {
  cmd.parse([...argv], { from: 'user' });
  const opts = cmd.opts<O & { duration?: number }>();
  const mode: RunMode =
    opts.duration !== undefined ? { kind: 'duration', seconds: opts.duration } : interactiveMode();
  const log: LogFn = (line) => console.log(line);
  try {
    const report = await run(opts, { mode, log });
    log(`\n${formatChecks(report.checks)}`);
    if (mode.kind === 'interactive') return 0;
    const ok = reportOk(report);
    log(ok ? `\n${report.example}: the behaviour held` : `\n${report.example}: the behaviour did NOT hold`);
    return ok ? 0 : 1;
  } catch (e) {
    if (e instanceof TsbccError) {
      console.error(`${cmd.name()}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/**
 * Runs `main` when the module `metaUrl` is the script node started (`node dist/examples/...js`),
 * setting the exit code from it.
 */
export function runIfMain(metaUrl: string, main: (argv: string[]) => Promise<number>): void {
  if (!isMainModule(metaUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exitCode = 1;
    },
  );
}

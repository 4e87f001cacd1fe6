/**
 * The interactive half of an example: print what to try from another shell, keep the testbed
 * up (optionally printing something every few seconds) until Ctrl-C.
 */
import { shellWord, type Simulation } from '../../simulation/index.js';
import type { LogFn, RunMode } from './cli.js';

/** A command worth trying while the testbed is up. */
export interface TryCommand {
  /** What it shows, e.g. "a neighbour: held to 128 kbit/s". */
  note: string;
  /** The host it runs in (or give `netns`, e.g. the fabric namespace, which is not a host). */
  host?: string;
  /** A namespace to run it in with `ip netns exec`. */
  netns?: string;
  argv: string[];
}

/** The "try this" block: each note, then its `tsbcc topology exec` line. */
export function tryCommandLines(sim: Simulation, commands: readonly TryCommand[]): string[] {
  const lines = [`testbed ${sim.prefix} is up. From another shell, try:`];
  for (const c of commands) {
    const line =
      c.host !== undefined
        ? sim.tryCommand(c.host, ...c.argv)
        : ['ip', 'netns', 'exec', c.netns ?? '', ...c.argv.map(shellWord)].join(' ');
    lines.push(`  # ${c.note}`, `  ${line}`);
  }
  lines.push(
    `(tsbcc topology exec -t ${sim.prefix} HOST -- CMD is ip netns exec ${sim.prefix}-HOST CMD; tsbcc topology ls lists the testbed)`,
  );
  return lines;
}

/**
 * In interactive mode: prints the commands, then waits for Ctrl-C, calling `tick` every
 * `tickMs` (e.g. to print counters that changed). Returns at once in --duration mode.
 */
export async function holdUntilStopped(
  mode: RunMode,
  sim: Simulation,
  log: LogFn,
  commands: readonly TryCommand[],
  opts: { tick?: () => Promise<void> | void; tickMs?: number } = {},
): Promise<void> {
  if (mode.kind !== 'interactive') return;
  for (const l of tryCommandLines(sim, commands)) log(l);
  log('Ctrl-C here stops the example and removes everything it made.');
  const stopped = mode.waitForStop();
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  if (opts.tick) {
    const tick = opts.tick;
    timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void Promise.resolve()
        .then(tick)
        .catch((e: unknown) => log(`(${e instanceof Error ? e.message : String(e)})`))
        .finally(() => (busy = false));
    }, opts.tickMs ?? 5000);
  }
  const sig = await stopped;
  if (timer) clearInterval(timer);
  log(`\n${sig}: stopping; removing the testbed`);
}

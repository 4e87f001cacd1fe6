/** Testbeds brought up by a child process (test/kernel/topology-up-child.ts), for exit tests. */
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Runs topology-up-child.ts for `prefix` with state under `stateDir` (it stays up for
 * `seconds`) and resolves once its output matches `ready`, with the child (its own process
 * group, so a signal to -pid reaches npx and vite-node too).
 */
export async function upInChild(
  prefix: string,
  stateDir: string,
  seconds: number,
  ready: RegExp,
): Promise<ChildProcess> {
  const child = spawn(
    'npx',
    ['vite-node', 'test/kernel/topology-up-child.ts', prefix, stateDir, String(seconds)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (ready.test(out)) resolve();
    });
    child.once('exit', () => reject(new Error(`child exited early: ${out}`)));
  });
  return child;
}

/** Sends `signal` to the child's whole process group and waits for the child to exit. */
export async function signalGroup(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(-(child.pid as number), signal);
  await gone;
}

/**
 * Starts a testbed in a child and SIGKILLs it while it is making links (or once up), so
 * nothing finishes the job or cleans up.
 */
export async function killMidUp(prefix: string, stateDir: string): Promise<void> {
  await signalGroup(await upInChild(prefix, stateDir, 60, /^(links |up$)/m), 'SIGKILL');
}

/** Starts a testbed in a child process and SIGKILLs it mid-`up` (test/kernel/topology-up-child.ts). */
import { spawn } from 'node:child_process';

/**
 * Runs topology-up-child.ts for `prefix` with state under `stateDir`, waits until it reports
 * that it is making links (or is up), then kills its whole process group (npx, vite-node) with
 * SIGKILL, so nothing finishes the job or cleans up, and waits for it to be gone.
 */
export async function killMidUp(prefix: string, stateDir: string): Promise<void> {
  const child = spawn('npx', ['vite-node', 'test/kernel/topology-up-child.ts', prefix, stateDir, '60'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/^links /m.test(out) || /^up$/m.test(out)) resolve();
    });
    child.once('exit', () => reject(new Error(`child exited early: ${out}`)));
  });
  const gone = new Promise((r) => child.once('exit', r));
  process.kill(-(child.pid as number), 'SIGKILL');
  await gone;
}

/** Mounting tracefs and bpffs where they are missing. */
import { access, mkdir, readFile } from 'node:fs/promises';
import { logger } from '../logger.js';

/**
 * Runs mount(8). node:child_process is imported here, when a mount is missing, not with the
 * compiler that imports this module (it costs a process ~0.5 MB of RSS; bench/RESULTS.md,
 * "Session 6: memory").
 */
async function run(cmd: string, args: string[]): Promise<void> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  await promisify(execFile)(cmd, args);
}

async function mountedFs(): Promise<{ type: string; target: string }[]> {
  const text = await readFile('/proc/self/mounts', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [, target = '', type = ''] = l.split(' ');
      return { type, target };
    });
}

async function ensureMount(type: string, target: string): Promise<string | undefined> {
  const mounts = await mountedFs();
  const found = mounts.find((m) => m.type === type && (m.target === target || type === 'tracefs'));
  if (found) return found.target;
  try {
    await mkdir(target, { recursive: true });
    await run('mount', ['-t', type, type, target]);
    logger().info(`mounted ${type} at ${target}`);
    return target;
  } catch (e) {
    logger().warn(`cannot mount ${type} at ${target}`, { error: (e as Error).message });
    return undefined;
  }
}

/** The tracefs root (mounting it at /sys/kernel/tracing when needed), or undefined. */
export async function ensureTracefs(): Promise<string | undefined> {
  const preferred = await ensureMount('tracefs', '/sys/kernel/tracing');
  if (!preferred) return undefined;
  try {
    await access(`${preferred}/events`);
    return preferred;
  } catch {
    return undefined;
  }
}

/** The bpffs root (mounting it at /sys/fs/bpf when needed), or undefined. */
export function ensureBpffs(): Promise<string | undefined> {
  return ensureMount('bpf', '/sys/fs/bpf');
}

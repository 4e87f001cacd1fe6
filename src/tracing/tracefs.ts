/** Where tracefs is mounted (BCC's TRACEFS). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const TRACEFS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

/** The tracefs root in use (BCC's TRACEFS), or undefined when not mounted. */
export function tracefsRoot(): string | undefined {
  return TRACEFS.find((p) => existsSync(join(p, 'events')));
}

/**
 * tsbcc's runtime directory and process identity: where tsbcc records what it made in the
 * kernel (testbed state files, tc owner records), and how a record's owner is told alive from
 * dead (pid plus start time, so a reused pid is not mistaken for the owner).
 */
import { readFileSync } from 'node:fs';

/**
 * tsbcc's runtime directory: `$TSBCC_RUN_DIR`, else `/run/tsbcc`. Everything tsbcc records about
 * what it left in the kernel (testbed state files, tc owner records, kept installs) lives under it.
 */
export function runDir(): string {
  return process.env.TSBCC_RUN_DIR || '/run/tsbcc';
}

/** The start time of a process (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // exited, not yet reaped
    return fields[19];
  } catch {
    return undefined;
  }
}

/** CPU lists as sysfs writes them (`0-3,8`): online CPUs for per-CPU events, possible CPUs for per-CPU values. */
import { readFileSync } from 'node:fs';
import { native } from '../native.js';

/** The CPU numbers of a sysfs CPU list such as `0-3,8`. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** CPUs that are online (from /sys/devices/system/cpu/online). */
export function onlineCpus(): number[] {
  return parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
}

let possible: number | undefined;
/** The number of possible CPUs (the per-CPU value count). */
export function possibleCpus(): number {
  possible ??= native().numPossibleCpus();
  return possible;
}

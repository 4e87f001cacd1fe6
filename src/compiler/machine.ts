/** Machine facts the BCC dialect bakes into objects: CPU counts and the page size. */
import { readFileSync } from 'node:fs';

function countCpus(path: string): number {
  try {
    const text = readFileSync(path, 'utf8').trim();
    let n = 0;
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || Number.isNaN(a)) continue;
      n += b === undefined ? 1 : b - a + 1;
    }
    return n || 1;
  } catch {
    return 1;
  }
}

/** Possible and online CPUs (sysfs) and the page size. */
export function machineFacts(): { possibleCpus: number; onlineCpus: number; pageSize: number } {
  return {
    possibleCpus: countCpus('/sys/devices/system/cpu/possible'),
    onlineCpus: countCpus('/sys/devices/system/cpu/online'),
    pageSize: 4096,
  };
}

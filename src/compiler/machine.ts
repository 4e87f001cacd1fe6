/** Machine facts the BCC dialect bakes into objects: CPU counts and the page size. */
import { readFileSync } from 'node:fs';
import { parseCpuList } from '../util/cpus.js';

function countCpus(path: string): number {
  try {
    return parseCpuList(readFileSync(path, 'utf8')).length || 1;
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

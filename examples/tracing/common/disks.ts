/** Block devices for the block I/O examples: a disk's dev_t as tracepoints show it. */
import { readFileSync } from 'node:fs';
import { getKprobeFunctions, InvalidArgumentError } from '../../../src/index.js';

/**
 * The kernel dev_t of block device `name` (`loop3`, `vda`) as block tracepoints and
 * `struct gendisk` give it: major << 20 | minor.
 * @throws InvalidArgumentError when /sys/block has no such device.
 */
export function diskDev(name: string): number {
  const bare = name.replace(/^\/dev\//, '');
  let text: string;
  try {
    text = readFileSync(`/sys/block/${bare}/dev`, 'utf8');
  } catch {
    throw new InvalidArgumentError(`no block device "${bare}" (/sys/block/${bare}/dev is missing)`);
  }
  const [major = 0, minor = 0] = text.trim().split(':').map(Number);
  return (major << 20) | minor;
}

/**
 * Where BCC's block examples put their completion kprobe, in BCC's order, first that can be
 * probed: __blk_account_io_done (before 6.4, where it is not inlined), blk_account_io_done
 * (before 5.16), else blk_mq_end_request (Debian's 6.1 takes this one).
 */
export const DONE_FUNCTIONS: readonly string[] = [
  '__blk_account_io_done',
  'blk_account_io_done',
  'blk_mq_end_request',
];

/** The completion function BCC would probe here (its else-branch when none of the others can be). */
export function doneFunction(): string {
  return DONE_FUNCTIONS.find((f) => getKprobeFunctions(f).length > 0) ?? 'blk_mq_end_request';
}

/** PROG_ARRAY maps: tail-call targets. */
import type { Program } from '../core/program.js';
import { Table } from './table.js';

/**
 * A program array. set() takes a Program or a program fd; get() returns the id of the program
 * in the slot (what the kernel reports to user space).
 */
export class ProgArrayTable extends Table<number, number> {
  override set(i: number, prog: Program | number | unknown, flags?: number): this {
    const fd = typeof prog === 'object' && prog !== null && 'fd' in prog ? (prog as Program).fd : prog;
    return super.set(i, fd, flags);
  }
}

/** STACK_TRACE maps: stack ids to instruction pointers. */
import { Table } from './table.js';

/** A stack-trace map (BPF_STACK_TRACE): values are arrays of addresses, ending at the first 0. */
export class StackTraceTable extends Table<number, bigint[]> {
  /**
   * The addresses of stack `id`, innermost first, up to the first zero; empty when absent or
   * when `id` is negative (bpf_get_stackid's error codes, e.g. -EFAULT for no stack, -EEXIST on
   * a hash collision), so a failed capture walks as nothing instead of throwing.
   */
  walk(id: number): bigint[];
  /** The addresses of stack `id` mapped through `resolve` (e.g. `ksym`, or `UserSymbols.sym`). */
  walk<T>(id: number, resolve: (addr: bigint) => T): T[];
  walk<T>(id: number, resolve?: (addr: bigint) => T): (bigint | T)[] {
    if (!Number.isInteger(id) || id < 0) return [];
    const v = this.get(id);
    if (!v) return [];
    const end = v.indexOf(0n);
    const ips = end < 0 ? v : v.slice(0, end);
    return resolve ? ips.map(resolve) : ips;
  }
}

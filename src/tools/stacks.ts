/**
 * Printing stack traces the way BCC's stack tools do: kernel frames through kallsyms, user
 * frames through the process's mappings (one resolver per process per summary), folded lines
 * for flame graphs, and the get_stackid error convention (-EFAULT: no stack of that kind).
 */
import type { StackTraceTable } from '../maps/stack-trace.js';
import { ksym } from '../tracing/ksyms.js';
import { UserSymbols } from '../tracing/usyms.js';

const EFAULT = 14;
const ENOMEM = 12;

/** A stack id get_stackid failed to give for a reason other than "no such stack" (-EFAULT). */
export function stackIdError(id: number): boolean {
  return id < 0 && id !== -EFAULT;
}

/** Whether the id is the "out of stack storage" error (-ENOMEM). */
export function stackIdNoMemory(id: number): boolean {
  return id === -ENOMEM;
}

/** Symbolizers for one summary: user symbols per process, read once. */
export class StackPrinter {
  private readonly users = new Map<number, UserSymbols | null>();

  constructor(private readonly traces: StackTraceTable) {}

  /** The addresses of stack `id`, innermost first (none for a negative id). */
  addresses(id: number): bigint[] {
    return id < 0 ? [] : this.traces.walk(id);
  }

  /** A kernel frame as BCC prints it (`offset`: `+0x<off>`). */
  kernel(addr: bigint, offset = false): string {
    return ksym(addr, { showOffset: offset });
  }

  /** A user frame of process `pid`; `[unknown]` once the process is gone. */
  user(addr: bigint, pid: number, offset = false): string {
    let u = this.users.get(pid);
    if (u === undefined) {
      try {
        u = new UserSymbols(pid);
      } catch {
        u = null;
      }
      this.users.set(pid, u);
    }
    return u ? u.sym(addr, { showOffset: offset }) : '[unknown]';
  }
}

const PLUMBING = /^(bpf_prog_|bpf_trace_run\d|__bpf_trace_|__traceiter_|bpf_get_stackid)/;

/**
 * A kernel stack taken in a raw tracepoint program without its leading frames of tracing
 * plumbing (the program itself, bpf_trace_runN, __traceiter_*), so it starts where a kprobe's
 * would: at the function that hit the tracepoint.
 */
export function trimTracingFrames(addrs: bigint[], st: StackPrinter): bigint[] {
  let i = 0;
  while (i < addrs.length && PLUMBING.test(st.kernel(addrs[i] as bigint))) i++;
  return addrs.slice(i);
}

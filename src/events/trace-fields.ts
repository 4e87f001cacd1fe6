/** BCC's trace_fields: one trace_pipe line parsed into (task, pid, cpu, flags, ts, msg). */

/** One parsed trace_pipe line (BCC's trace_fields: task, pid, cpu, flags, ts, msg). */
export interface TraceFields {
  task: string;
  pid: number;
  cpu: number;
  flags: string;
  /** Seconds since boot, as the kernel prints it. */
  ts: number;
  msg: string;
}

/**
 * Parses one trace_pipe line the way BCC's trace_fields does; undefined for lines that are not
 * events (e.g. `CPU:` overrun notices) or do not parse.
 */
export function parseTraceLine(line: string): TraceFields | undefined {
  if (line.startsWith('CPU:')) return undefined;
  const task = line.slice(0, 16).trimStart();
  const rest = line.slice(17);
  const tsEnd = rest.indexOf(':');
  if (tsEnd < 0) return undefined;
  const parts = rest.slice(0, tsEnd).split(/\s+/).filter(Boolean);
  if (parts.length !== 4) return undefined;
  const [pid, cpu, flags, ts] = parts as [string, string, string, string];
  const after = rest.slice(tsEnd + 1);
  const symEnd = after.indexOf(':');
  const msg = after.slice(symEnd + 2);
  const fields: TraceFields = {
    task,
    pid: Number.parseInt(pid, 10),
    cpu: Number.parseInt(cpu.slice(1, -1), 10),
    flags,
    ts: Number.parseFloat(ts),
    msg,
  };
  return Number.isNaN(fields.pid) || Number.isNaN(fields.cpu) ? undefined : fields;
}

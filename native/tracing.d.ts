/** The tracing part of the addon's contract (native/tracing): raw perf_event_attr, demangling. */

export interface TracingNative {
  /**
   * perf_event_open with a struct perf_event_attr laid out by the caller (its `size` field set);
   * returns the fd (close-on-exec). Throws an errno error.
   */
  perfEventOpenAttr(attr: Buffer, pid: number, cpu: number, groupFd: number, flags?: number): number;
  /** 0 when a BPF LSM program loads and attaches (then detached at once), else the errno. */
  probeLsm(): number;
  /** Demangles each name (C++ Itanium, Rust, ...); names that are not mangled come back as they are. */
  demangle(names: string[]): string[];
}

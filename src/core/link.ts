/** A Link owns one attachment of a program; closing it detaches. */

/** One attachment (socket filter, tc filter, tracepoint, ...). Close it to detach. */
export interface Link {
  /** What is attached where, e.g. `socket filter count on veth0`. */
  readonly description: string;
  /** Whether close() has run. */
  readonly closed: boolean;
  /** Detaches; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

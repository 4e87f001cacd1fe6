/** The netlink part of the addon's contract (native/netlink): sockets and raw transactions. */
export interface NetlinkNative {
  /** A netlink socket created inside the namespace at nsPath ("" = current) on a native thread. */
  netlinkOpen(nsPath: string, protocol: number): Promise<number>;
  /**
   * Sends each message; resolves with the reply datagrams of each, up to its ack/done. With
   * stopOnError, messages after the first refused one are not sent (their entries are missing).
   */
  netlinkTransact(fd: number, messages: Buffer[], stopOnError?: boolean): Promise<Buffer[][]>;
  /** As netlinkTransact on a one-shot socket in nsPath ("@fresh" = a new, empty namespace). */
  netlinkTransactIn(nsPath: string, protocol: number, messages: Buffer[]): Promise<Buffer[][]>;
  /**
   * As netlinkTransactIn, but synchronous (the JS thread waits for a native thread that enters
   * nsPath): for cleanup at process exit. Every message must ask for an ack.
   */
  netlinkTransactInSync(nsPath: string, protocol: number, messages: Buffer[]): Buffer[][];
  /** A program's id, name, type and tag by id (native/netlink/tc_prog.cc); null when gone. */
  progInfoById(id: number): { id: number; name: string; type: number; tag: string } | null;
}

/**
 * When a message is sent, judged on the reply to the message before it: `{}` — that message
 * was sent and not refused; `{ match }` — that, and one of its reply messages of nlmsg_type
 * `type` holds the u32 `value` at the nested attribute `path` after `headerLen` bytes.
 */
export interface NetlinkCondition {
  match?: { type: number; headerLen: number; path: number[]; value: number };
}

/** The netlink part of the addon's contract (native/netlink): sockets and raw transactions. */
export interface NetlinkNative {
  /** A netlink socket created inside the namespace at nsPath ("" = current) on a native thread. */
  netlinkOpen(nsPath: string, protocol: number): Promise<number>;
  /**
   * Sends each message whose condition (aligned with messages; null = always) holds; resolves
   * with the reply datagrams of each, up to its ack/done, null for a message not sent. With
   * stopOnError, messages after the first refused one are not sent.
   */
  netlinkTransact(
    fd: number,
    messages: Buffer[],
    stopOnError?: boolean,
    conditions?: (NetlinkCondition | null)[],
  ): Promise<(Buffer[] | null)[]>;
  /** As netlinkTransact on a one-shot socket in nsPath ("@fresh" = a new, empty namespace). */
  netlinkTransactIn(
    nsPath: string,
    protocol: number,
    messages: Buffer[],
    conditions?: (NetlinkCondition | null)[],
  ): Promise<(Buffer[] | null)[]>;
  /**
   * As netlinkTransactIn, but synchronous (the JS thread waits for a native thread that enters
   * nsPath): for cleanup at process exit. Every message must ask for an ack.
   */
  netlinkTransactInSync(
    nsPath: string,
    protocol: number,
    messages: Buffer[],
    conditions?: (NetlinkCondition | null)[],
  ): (Buffer[] | null)[];
  /**
   * As netlinkTransact, on the calling thread (the JS thread waits for the kernel's answers;
   * no thread hop).
   */
  netlinkTransactSync(
    fd: number,
    messages: Buffer[],
    stopOnError?: boolean,
    conditions?: (NetlinkCondition | null)[],
  ): (Buffer[] | null)[];
  /** A program's id, name, type and tag by id (native/netlink/tc_prog.cc); null when gone. */
  progInfoById(id: number): { id: number; name: string; type: number; tag: string } | null;
}

/** The named-namespace part of the addon's contract (native/netlink/netns.cc). */
export interface NetnsNative {
  /**
   * Creates dir/name bound to a new network namespace (dir is made a shared mount first, as
   * iproute2 does). Resolves with a NETLINK_ROUTE socket fd inside it when openSocket, else -1.
   * Rejects with errno (EEXIST when the name is taken); nothing is left behind on failure.
   */
  netnsCreate(dir: string, name: string, openSocket: boolean): Promise<number>;
  /** Unmounts (lazily) and unlinks a named namespace; a missing one is not an error. */
  netnsDelete(path: string): void;
  /**
   * Creates dir/NAME for each name, in order, on one native thread; each gets a NETLINK_ROUTE
   * socket and an nsfs fd: `fds` is [socket, nsfd] per namespace made. The first failure stops
   * the rest and is reported in `error` (the call and path) and `errno`; that one left nothing.
   * Rejects (nothing made) when dir cannot be made a shared mount.
   */
  netnsCreateMany(dir: string, names: string[]): Promise<{ fds: number[]; error?: string; errno?: number }>;
  /**
   * netnsDelete of every path, on up to 8 threads at once (they share the unmounts' RCU grace
   * periods), synchronously. Returns the failures as [index in paths, call, errno].
   */
  netnsDeleteMany(paths: string[]): [number, string, number][];
  /** Writes /proc/sys/<key> = value for each entry, from a thread inside the namespace. */
  netnsSysctl(nsPath: string, entries: [string, string][]): Promise<void>;
}

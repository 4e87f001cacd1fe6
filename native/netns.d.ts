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
  /** Writes /proc/sys/<key> = value for each entry, from a thread inside the namespace. */
  netnsSysctl(nsPath: string, entries: [string, string][]): Promise<void>;
}

/** The BPF part of the addon's contract (native/bpf): libbpf objects, map ops, sockets, probes. */

export interface NativeProgramInfo {
  name: string;
  section: string;
  type: number;
  expectedAttachType: number;
  insnCount: number;
}

export interface NativeMapInfo {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  internal: boolean;
  btfKeyTypeId: number;
  btfValueTypeId: number;
}

/** A libbpf bpf_object opened from ELF bytes. Methods throw native errno errors. */
export declare class NativeObject {
  /** `btfCustomPath`: the BTF libbpf relocates CO-RE accesses against instead of the kernel's. */
  constructor(elf: Buffer, name: string, btfCustomPath?: string);
  programs(): NativeProgramInfo[];
  maps(): NativeMapInfo[];
  setProgramType(program: string, type: number, expectedAttachType?: number): void;
  setAutoload(program: string, autoload: boolean): void;
  /** Gives the program its own verifier-log buffer of `size` bytes at `level`. */
  setLogSize(program: string, size: number, level?: number): void;
  reuseMapFd(map: string, fd: number): void;
  /** Loads; on failure throws an error with errno, `libbpfLog` and `verifierLogs` by program. */
  load(): void;
  programFd(program: string): number;
  mapFd(map: string): number;
  close(): void;
}

/** Fields the native load error carries besides errno. */
export interface NativeLoadError {
  message: string;
  errno: number;
  code: string;
  syscall: string;
  libbpfLog: string;
  verifierLogs: Record<string, string>;
}

export interface BpfNative {
  NativeObject: typeof NativeObject;
  /** Returns false when the key is absent. */
  mapLookup(fd: number, key: Buffer | null, value: Buffer, flags?: number): boolean;
  mapUpdate(fd: number, key: Buffer | null, value: Buffer, flags: number): void;
  /**
   * mapUpdate made from a thread inside the namespace at nsPath ("" = current): the kernel
   * resolves DEVMAP ifindexes in the writer's namespace. The fd is duplicated first.
   */
  mapUpdateInNetns(
    nsPath: string,
    fd: number,
    key: Buffer | null,
    value: Buffer,
    flags: number,
  ): Promise<void>;
  mapDelete(fd: number, key: Buffer): boolean;
  mapNextKey(fd: number, key: Buffer | null, next: Buffer): boolean;
  mapCreate(
    type: number,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    flags: number,
    name?: string,
  ): number;
  progInfo(fd: number): { id: number; name: string; type: number };
  /**
   * The target BTF for CO-RE relocation cut from the BTF file at `path` (native/bpf/core_btf.cc):
   * every type whose essential name (before a `___flavor`) is a root's, with what it holds by
   * value. `roots` are "KIND:NAME" of the relocations' local root types; `missing` those with no
   * candidate of their kind (libbpf would search the modules' BTF for them). Throws an errno
   * error when the file cannot be parsed.
   */
  coreTargetBtf(path: string, roots: string[]): { btf: Buffer; missing: string[]; types: number };
  closeFd(fd: number): void;
  dupFd(fd: number): number;

  /** A non-blocking AF_PACKET socket made inside the namespace at nsPath ("" = current). */
  openPacketSocket(nsPath: string, ifname: string, protocol: number): Promise<number>;
  attachSocketFilter(sockFd: number, progFd: number): void;
  detachSocketFilter(sockFd: number): void;
  /** Length of the packet read into buffer, or -1 when none is queued. */
  recvPacket(sockFd: number, buffer: Buffer): number;

  /** Probes answer 0 when the feature works, else the errno that says why not. */
  probeProgType(type: number): number;
  probeMapType(type: number): number;
  probeTracing(func: string, attachType: number): number;
  probeRawTracepoint(name: string): number;
  probeBatch(): number;
  probePerfEvent(type: number, config: number): number;
  probeBtf(): number;
}

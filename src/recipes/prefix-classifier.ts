/**
 * A tc classifier that puts packets into htb classes by the longest IPv4 or IPv6 prefix their
 * source or destination address matches, with the tables in maps that can be pinned on bpffs
 * and changed by any later process (what `tsbcc ratelimit` installs and `set`/`unset` change).
 *
 * - `rl_v4`, `rl_v6`: LPM tries, key {prefix length, address bytes in network order}, value
 *   {class minor, packets, bytes}: the packets and bytes of every packet that matched the
 *   entry, added atomically (one counter per entry, shared by all CPUs).
 * - `rl_config` (array of one): the class minor of IP packets that match no entry (0: not
 *   limited), flags (bit 0: the destination address is looked up, else the source; bit 1: police
 *   mode, see below), and the packets and bytes of the IP packets that matched no entry.
 *
 * `rl_classify` (direct action) sets skb->tc_classid and skb->cb[0] to the minor (cb[0] is 0
 * when nothing is limited). On the htb qdisc 1: it returns TC_ACT_OK, or TC_ACT_UNSPEC for a
 * minor of 0 or a frame that is not IPv4/IPv6 (the htb's default: sent unshaped). In police mode
 * (on a clsact hook, before the per-class police filters of class-police.ts) it always returns
 * TC_ACT_UNSPEC, so the class filters that follow run and pick their class from cb[0] (cls_bpf
 * resets tc_classid before each filter; cb[] stays). Frames are read as Ethernet (no VLAN tag),
 * which is what an Ethernet interface's egress and ingress hooks and an ifb fed by mirred carry.
 */
import { compile } from '../compiler/compile.js';
import { BpfObject } from '../core/bpf-object.js';
import { openPinned } from '../core/pin.js';
import type { Program } from '../core/program.js';
import { mapInfoOf, RawMap } from '../core/raw-map.js';
import { InvalidArgumentError } from '../errors.js';
import { native } from '../native.js';

/** Names of the classifier's maps (also the file names of their pins). */
export const PREFIX_CLASSIFIER_MAPS = ['rl_v4', 'rl_v6', 'rl_config'] as const;

/** One of {@link PREFIX_CLASSIFIER_MAPS}. */
export type PrefixClassifierMap = (typeof PREFIX_CLASSIFIER_MAPS)[number];

/** The C text of the classifier; each trie holds up to `maxEntries` prefixes. */
export function prefixClassifierSource(maxEntries: number): string {
  return `
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct rl_key4 { __u32 prefixlen; __u8 addr[4]; };
struct rl_key6 { __u32 prefixlen; __u8 addr[16]; };
struct rl_entry { __u32 minor; __u32 flags; __u64 packets; __u64 bytes; };

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __type(key, struct rl_key4);
  __type(value, struct rl_entry);
  __uint(max_entries, ${maxEntries});
  __uint(map_flags, BPF_F_NO_PREALLOC);
} rl_v4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __type(key, struct rl_key6);
  __type(value, struct rl_entry);
  __uint(max_entries, ${maxEntries});
  __uint(map_flags, BPF_F_NO_PREALLOC);
} rl_v6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, struct rl_entry);
  __uint(max_entries, 1);
} rl_config SEC(".maps");

SEC("tc")
int rl_classify(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;
  __u32 zero = 0;
  skb->cb[0] = 0;
  struct rl_entry *cfg = bpf_map_lookup_elem(&rl_config, &zero);
  if (!cfg || data + ETH_HLEN > end)
    return TC_ACT_UNSPEC;
  int dst = cfg->flags & 1;
  __u16 proto = *(__u16 *)(data + 12);
  struct rl_entry *e;
  if (proto == bpf_htons(ETH_P_IP)) {
    if (data + ETH_HLEN + 20 > end)
      return TC_ACT_UNSPEC;
    struct rl_key4 k = { .prefixlen = 32 };
    __builtin_memcpy(k.addr, data + (dst ? 30 : 26), 4);
    e = bpf_map_lookup_elem(&rl_v4, &k);
  } else if (proto == bpf_htons(ETH_P_IPV6)) {
    if (data + ETH_HLEN + 40 > end)
      return TC_ACT_UNSPEC;
    struct rl_key6 k = { .prefixlen = 128 };
    __builtin_memcpy(k.addr, data + (dst ? 38 : 22), 16);
    e = bpf_map_lookup_elem(&rl_v6, &k);
  } else {
    return TC_ACT_UNSPEC;
  }
  if (!e)
    e = cfg;
  __sync_fetch_and_add(&e->packets, 1);
  __sync_fetch_and_add(&e->bytes, skb->len);
  if (e->minor == 0)
    return TC_ACT_UNSPEC;
  skb->tc_classid = e->minor;
  skb->cb[0] = e->minor;
  return (cfg->flags & 2) ? TC_ACT_UNSPEC : TC_ACT_OK;
}
char LICENSE[] SEC("license") = "GPL";
`;
}

/** A prefix as the tries key it: family, network-order bytes, length. */
export interface TriePrefix {
  family: 4 | 6;
  /** Network-order address bytes (4 or 16), host bits clear. */
  address: Buffer;
  length: number;
}

/** One trie entry with its counters. */
export interface TrieEntry extends TriePrefix {
  /** The htb class minor (1..0xffff). */
  minor: number;
  packets: bigint;
  bytes: bigint;
}

/** What `rl_config` holds. */
export interface ClassifierConfig {
  /** Minor of IP packets that match no prefix (0: not limited). */
  defaultMinor: number;
  /** Whether the destination address is looked up (else the source). */
  matchDestination: boolean;
  /** Police mode: every packet goes on to the per-class police filters (else TC_ACT_OK for htb). */
  police: boolean;
  /** Packets and bytes of IP packets that matched no prefix. */
  packets: bigint;
  bytes: bigint;
}

const ENTRY_SIZE = 24;

/** The trie key of a prefix (4-byte length, then the address bytes). */
export function trieKey(p: TriePrefix): Buffer {
  const size = p.family === 4 ? 4 : 16;
  if (p.address.length !== size)
    throw new InvalidArgumentError(`an IPv${p.family} address has ${size} bytes`);
  const k = Buffer.alloc(4 + size);
  k.writeUInt32LE(p.length, 0);
  p.address.copy(k, 4);
  return k;
}

/** The prefix a trie key holds. */
export function fromTrieKey(k: Buffer): TriePrefix {
  return { family: k.length === 8 ? 4 : 6, length: k.readUInt32LE(0), address: Buffer.from(k.subarray(4)) };
}

function entryValue(minor: number, flags: number, packets: bigint, bytes: bigint): Buffer {
  const v = Buffer.alloc(ENTRY_SIZE);
  v.writeUInt32LE(minor, 0);
  v.writeUInt32LE(flags, 4);
  v.writeBigUInt64LE(packets, 8);
  v.writeBigUInt64LE(bytes, 16);
  return v;
}

/**
 * The classifier's three maps, from a loaded object or from their pins: entries and the
 * default are changed in place (the program and its filter stay as they are).
 */
export class PrefixClassifierMaps {
  private constructor(private readonly maps: Record<PrefixClassifierMap, RawMap>) {}

  /** The maps of a loaded classifier object (shared fds; closing these leaves the object's). */
  static of(object: BpfObject): PrefixClassifierMaps {
    const m = {} as Record<PrefixClassifierMap, RawMap>;
    for (const name of PREFIX_CLASSIFIER_MAPS) {
      const raw = object.map(name);
      m[name] = new RawMap(raw.info, native().dupFd(raw.fd));
    }
    return new PrefixClassifierMaps(m);
  }

  /**
   * Opens the maps pinned under dir (`dir/rl_v4`, ...).
   * @throws SyscallError (ENOENT) when a pin is missing.
   */
  static openPinned(dir: string): PrefixClassifierMaps {
    const m = {} as Record<PrefixClassifierMap, RawMap>;
    try {
      for (const name of PREFIX_CLASSIFIER_MAPS) {
        const fd = openPinned(`${dir}/${name}`);
        m[name] = new RawMap(mapInfoOf(native().mapInfoByFd(fd)), fd);
      }
    } catch (e) {
      for (const r of Object.values(m)) r.close();
      throw e;
    }
    return new PrefixClassifierMaps(m);
  }

  private trie(family: 4 | 6): RawMap {
    return family === 4 ? this.maps.rl_v4 : this.maps.rl_v6;
  }

  /** Puts a prefix into a class, keeping its counters when it was there already. */
  set(p: TriePrefix, minor: number): void {
    const key = trieKey(p);
    const t = this.trie(p.family);
    const old = t.lookup(key);
    t.update(key, entryValue(minor, 0, old?.readBigUInt64LE(8) ?? 0n, old?.readBigUInt64LE(16) ?? 0n));
  }

  /** Removes a prefix (exactly this one); false when it was not there. */
  delete(p: TriePrefix): boolean {
    return this.trie(p.family).delete(trieKey(p));
  }

  /** Every entry of both tries, with counters. */
  entries(): TrieEntry[] {
    const out: TrieEntry[] = [];
    for (const family of [4, 6] as const) {
      const t = this.trie(family);
      for (const k of t.keys()) {
        const v = t.lookup(k);
        if (!v) continue; // deleted meanwhile
        out.push({
          ...fromTrieKey(k),
          minor: v.readUInt32LE(0),
          packets: v.readBigUInt64LE(8),
          bytes: v.readBigUInt64LE(16),
        });
      }
    }
    return out;
  }

  /** The default class and match side, with the unmatched counters. */
  config(): ClassifierConfig {
    const v = this.maps.rl_config.lookup(Buffer.alloc(4)) ?? Buffer.alloc(ENTRY_SIZE);
    return {
      defaultMinor: v.readUInt32LE(0),
      matchDestination: (v.readUInt32LE(4) & 1) === 1,
      police: (v.readUInt32LE(4) & 2) === 2,
      packets: v.readBigUInt64LE(8),
      bytes: v.readBigUInt64LE(16),
    };
  }

  /** Sets the default class, the match side and police mode (counters kept). */
  configure(defaultMinor: number, matchDestination: boolean, police = false): void {
    const old = this.config();
    this.maps.rl_config.update(
      Buffer.alloc(4),
      entryValue(defaultMinor, (matchDestination ? 1 : 0) | (police ? 2 : 0), old.packets, old.bytes),
    );
  }

  /** Releases the fds (the maps stay while pinned or used by the program). */
  close(): void {
    for (const r of Object.values(this.maps)) r.close();
  }
}

/** A compiled and loaded classifier: its object, its program and its maps. */
export interface LoadedPrefixClassifier {
  object: BpfObject;
  program: Program;
  maps: PrefixClassifierMaps;
}

/**
 * Compiles and loads the classifier. Kernel: LPM tries (4.11+), cls_bpf direct action.
 * @throws CompileError / VerifierError when it cannot be built or loaded.
 */
export async function loadPrefixClassifier(maxEntries = 4096): Promise<LoadedPrefixClassifier> {
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 1 << 20) {
    throw new InvalidArgumentError(`prefix classifier maxEntries ${maxEntries}: 1 to 1048576`);
  }
  const object = BpfObject.create(await compile(prefixClassifierSource(maxEntries), { name: 'tsbcc_rl' }));
  try {
    const program = object.loadFunc('rl_classify', 'SCHED_CLS');
    return { object, program, maps: PrefixClassifierMaps.of(object) };
  } catch (e) {
    object.close();
    throw e;
  }
}

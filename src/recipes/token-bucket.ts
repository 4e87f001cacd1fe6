/**
 * A token bucket kept in a BPF map, as a direct-action tc classifier: the rate-limiting
 * equivalent that needs neither act_police nor htb/ifb (only clsact and cls_bpf). Packets that
 * find too few tokens are dropped (policing, like act_police), so TCP settles below the rate
 * while paced or UDP traffic passes at the rate.
 */
import { compile } from '../compiler/compile.js';
import { BpfObject } from '../core/bpf-object.js';
import type { Program } from '../core/program.js';

const SOURCE = `
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct bucket {
  struct bpf_spin_lock lock;
  __u64 tokens;      /* bytes available */
  __u64 last_ns;     /* when tokens were last added */
  __u64 rate;        /* bytes per second */
  __u64 burst;       /* bucket size in bytes */
  __u64 dropped;     /* packets dropped */
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, struct bucket);
  __uint(max_entries, 1);
} tsbcc_bucket SEC(".maps");

SEC("tc")
int tsbcc_token_bucket(struct __sk_buff *skb) {
  __u32 k = 0;
  struct bucket *b = bpf_map_lookup_elem(&tsbcc_bucket, &k);
  if (!b) return TC_ACT_OK;
  __u64 now = bpf_ktime_get_ns();
  int verdict = TC_ACT_OK;
  bpf_spin_lock(&b->lock);
  __u64 elapsed = now - b->last_ns;
  if (elapsed > 1000000000ULL) elapsed = 1000000000ULL;
  b->last_ns = now;
  __u64 tokens = b->tokens + elapsed * b->rate / 1000000000ULL;
  if (tokens > b->burst) tokens = b->burst;
  if (tokens >= skb->len) {
    tokens -= skb->len;
  } else {
    verdict = TC_ACT_SHOT;
    b->dropped++;
  }
  b->tokens = tokens;
  bpf_spin_unlock(&b->lock);
  return verdict;
}
char LICENSE[] SEC("license") = "GPL";
`;

/** A loaded token-bucket classifier and its map. Close it after detaching. */
export interface TokenBucket {
  object: BpfObject;
  program: Program;
  /** Packets dropped so far. */
  dropped(): bigint;
}

/**
 * Compiles and loads the token-bucket classifier with a full bucket of `burst` bytes refilled
 * at `bytesPerSecond`. Kernel: BPF spin locks (5.1+) and cls_bpf.
 * @throws CompileError / VerifierError if the program cannot be built or loaded.
 */
export async function loadTokenBucket(bytesPerSecond: number, burst: number): Promise<TokenBucket> {
  const object = BpfObject.create(await compile(SOURCE, { name: 'tsbcc_token_bucket' }));
  try {
    const program = object.loadFunc('tsbcc_token_bucket', 'SCHED_CLS');
    const v = Buffer.alloc(48);
    v.writeBigUInt64LE(BigInt(burst), 8);
    v.writeBigUInt64LE(0n, 16);
    v.writeBigUInt64LE(BigInt(Math.round(bytesPerSecond)), 24);
    v.writeBigUInt64LE(BigInt(burst), 32);
    const map = object.map('tsbcc_bucket');
    map.update(Buffer.alloc(4), v);
    return {
      object,
      program,
      dropped: () => map.lookup(Buffer.alloc(4))?.readBigUInt64LE(40) ?? 0n,
    };
  } catch (e) {
    object.close();
    throw e;
  }
}

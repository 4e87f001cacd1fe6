import { getPriority } from 'node:os';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArrayTable,
  BPF,
  ClosedError,
  codecFor,
  compile,
  CpuMapTable,
  DevMapTable,
  HashTable,
  InvalidArgumentError,
  LpmTrieTable,
  LruHashTable,
  MapInMapTable,
  PerCpuArrayTable,
  PerCpuHashTable,
  ProgArrayTable,
  QueueStackTable,
  StackTraceTable,
  CgroupArrayTable,
  possibleCpus,
  UpdateFlags,
  type Table,
  type TypeLayout,
} from '../../src/index.js';

// One tracepoint program that reads what TypeScript wrote into each map family and writes
// answers back; it only acts for this test process (pid in cfg[0]).
const PROG = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct kv { __u32 a; __u64 b; char name[8]; };
struct lpm_key { __u32 prefixlen; __u8 data[4]; };

#define MAP(T, K, V, N, NAME) struct { __uint(type, T); __type(key, K); __type(value, V); __uint(max_entries, N); } NAME SEC(".maps")
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u32, 1, cfg);
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u64, 16, results);
MAP(BPF_MAP_TYPE_HASH, __u32, struct kv, 1024, hash);
MAP(BPF_MAP_TYPE_LRU_HASH, __u32, __u64, 64, lru);
MAP(BPF_MAP_TYPE_ARRAY, __u32, __u64, 8, arr);
MAP(BPF_MAP_TYPE_PERCPU_HASH, __u32, __u64, 64, pchash);
MAP(BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64, 4, pcarr);
MAP(BPF_MAP_TYPE_DEVMAP, __u32, __u32, 4, devs);
MAP(BPF_MAP_TYPE_CPUMAP, __u32, __u32, 2, cpus);
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __type(key, struct lpm_key); __type(value, __u32);
         __uint(max_entries, 16); __uint(map_flags, BPF_F_NO_PREALLOC); } lpm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __type(value, __u32); __uint(max_entries, 8); } q SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __type(value, __u32); __uint(max_entries, 8); } stk SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK_TRACE); __uint(key_size, 4); __uint(value_size, 127 * 8);
         __uint(max_entries, 128); } stacks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 4); } jmp SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 1); } cg SEC(".maps");
struct inner_t { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 1); } inner SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __type(key, __u32); __uint(max_entries, 2);
         __array(values, struct inner_t); } outer SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS); __type(key, __u32); __uint(max_entries, 4);
         __array(values, struct inner_t); } hom SEC(".maps");
MAP(BPF_MAP_TYPE_LRU_PERCPU_HASH, __u32, __u64, 16, lrupc);

static __always_inline void put(__u32 slot, __u64 v) { bpf_map_update_elem(&results, &slot, &v, BPF_ANY); }

SEC("tracepoint/syscalls/sys_enter_getpriority")
int on_call(void *ctx) {
  __u32 zero = 0, one = 1, two = 2;
  __u32 *pid = bpf_map_lookup_elem(&cfg, &zero);
  if (!pid || (bpf_get_current_pid_tgid() >> 32) != *pid) return 0;
  struct kv *v = bpf_map_lookup_elem(&hash, &one);
  if (v) {
    struct kv n = {};
    n.a = v->a + 1; n.b = v->b * 2;
    __builtin_memcpy(n.name, "kernel", 7);
    bpf_map_update_elem(&hash, &two, &n, BPF_ANY);
  }
  __u64 *l = bpf_map_lookup_elem(&lru, &one);
  if (l) { __u64 x = *l + 1; bpf_map_update_elem(&lru, &two, &x, BPF_ANY); }
  __u64 *a1 = bpf_map_lookup_elem(&arr, &one);
  if (a1) { __u64 x = *a1 + 100; __u32 three = 3; bpf_map_update_elem(&arr, &three, &x, BPF_ANY); }
  __u32 seven = 7;
  __u64 *pc = bpf_map_lookup_elem(&pchash, &seven);
  if (pc) *pc += 1; else { __u64 init = 1; bpf_map_update_elem(&pchash, &seven, &init, BPF_NOEXIST); }
  __u64 *pa = bpf_map_lookup_elem(&pcarr, &zero);
  if (pa) *pa += 1;
  struct lpm_key k = { .prefixlen = 32, .data = {10, 1, 2, 3} };
  __u32 *lv = bpf_map_lookup_elem(&lpm, &k);
  put(5, lv ? *lv : 0xdead);
  __u32 qv;
  if (bpf_map_pop_elem(&q, &qv) == 0) { qv *= 10; bpf_map_push_elem(&stk, &qv, 0); }
  put(6, (__u64)bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK));
  void *in = bpf_map_lookup_elem(&outer, &zero);
  if (in) { __u64 *iv = bpf_map_lookup_elem(in, &zero); put(7, iv ? *iv : 0xbeef); }
  put(9, bpf_current_task_under_cgroup(&cg, 0));
  __u32 five = 5;
  void *hin = bpf_map_lookup_elem(&hom, &five);
  if (hin) { __u64 *hv = bpf_map_lookup_elem(hin, &zero); put(10, hv ? *hv : 0xbeef); }
  __u64 *lp = bpf_map_lookup_elem(&lrupc, &one);
  if (lp) *lp += 1; else { __u64 init = 1; bpf_map_update_elem(&lrupc, &one, &init, BPF_NOEXIST); }
  bpf_tail_call(ctx, &jmp, 0);
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpriority")
int tail_target(void *ctx) { put(8, 42); return 0; }

char LICENSE[] SEC("license") = "GPL";
`;

const u32: TypeLayout = { kind: 'int', name: 'unsigned int', size: 4, signed: false };
const u64: TypeLayout = { kind: 'int', name: 'unsigned long long', size: 8, signed: false };
const char: TypeLayout = { kind: 'int', name: 'char', size: 1, signed: true, char: true };
const kv: TypeLayout = {
  kind: 'struct',
  name: 'kv',
  size: 24,
  fields: [
    { name: 'a', offset: 0, type: u32 },
    { name: 'b', offset: 8, type: u64 },
    { name: 'name', offset: 16, type: { kind: 'array', name: 'char[8]', size: 8, length: 8, element: char } },
  ],
};
const lpmKey: TypeLayout = {
  kind: 'struct',
  name: 'lpm_key',
  size: 8,
  fields: [
    { name: 'prefixlen', offset: 0, type: u32 },
    {
      name: 'data',
      offset: 4,
      type: {
        kind: 'array',
        name: 'u8[4]',
        size: 4,
        length: 4,
        element: { ...u32, name: 'unsigned char', size: 1 },
      },
    },
  ],
};

function trigger(): void {
  getPriority();
}

describe('tables round-trip through a program on the real kernel', () => {
  let b: BPF;
  beforeAll(async () => {
    b = BPF.fromSpec(await compile(PROG, { name: 'tables' }), { autoAttach: false });
  });
  afterAll(() => b?.close());

  it('every family: the program sees what TypeScript wrote and TypeScript sees what it wrote', () => {
    const cfg = b.table('cfg');
    expect(cfg).toBeInstanceOf(ArrayTable);
    cfg.set(0, process.pid);
    const hash = b.table<number, unknown>('hash', { value: codecFor(kv, { strings: true }) });
    expect(hash).toBeInstanceOf(HashTable);
    hash.set(1, { a: 5, b: 7n, name: 'ts' });
    const lru = b.table<number, bigint>('lru');
    expect(lru).toBeInstanceOf(LruHashTable);
    lru.set(1, 10n);
    const arr = b.table<number, bigint>('arr');
    arr.set(1, 11n);
    const lpm = b.table('lpm', { key: codecFor(lpmKey) });
    expect(lpm).toBeInstanceOf(LpmTrieTable);
    lpm.set({ prefixlen: 24, data: [10, 1, 2, 0] }, 77);
    lpm.set({ prefixlen: 8, data: [10, 0, 0, 0] }, 8);
    const q = b.table('q') as QueueStackTable<number>;
    const stk = b.table('stk') as QueueStackTable<number>;
    q.push(3);
    const outer = b.table('outer') as MapInMapTable<number>;
    const inner = b.table<number, bigint>('inner');
    inner.set(0, 99n);
    outer.set(0, inner);
    const hom = b.table('hom') as MapInMapTable<number>;
    hom.set(5, inner);
    const jmp = b.table('jmp') as ProgArrayTable;
    const tail = b.loadFunc('tail_target', 'TRACEPOINT');
    jmp.set(0, tail);
    expect(jmp.get(0)).toBe(tail.id);
    const cgroupRoot = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((p) =>
      existsSync(`${p}/cgroup.procs`),
    );
    const cg = b.table('cg') as CgroupArrayTable;
    if (cgroupRoot) cg.set(0, cgroupRoot);
    b.attachTracepoint({ tp: 'syscalls:sys_enter_getpriority', fnName: 'on_call' });

    trigger();

    expect(hash.get(2)).toEqual({ a: 6, b: 14n, name: 'kernel' });
    expect(lru.get(2)).toBe(11n);
    expect(arr.get(3)).toBe(111n);
    const results = b.table<number, bigint>('results');
    expect(results.get(5)).toBe(77n); // longest prefix: /24 beats /8
    expect(stk.pop()).toBe(30);
    expect(q.pop()).toBeUndefined();
    const stackId = Number(BigInt.asIntN(64, results.get(6) ?? -1n));
    expect(stackId).toBeGreaterThanOrEqual(0);
    const stacks = b.table('stacks') as StackTraceTable;
    expect(stacks.walk(stackId).length).toBeGreaterThan(0);
    expect(results.get(7)).toBe(99n);
    expect(outer.get(0)).toBeGreaterThan(0); // inner map id
    const innerView = outer.innerTable<number, bigint>(0, { value: codecFor(u64) });
    expect(innerView?.get(0)).toBe(99n);
    innerView?.raw.close();
    expect(outer.innerTable(1)).toBeUndefined();
    expect(results.get(8)).toBe(42n); // tail call reached the program TypeScript put in the prog array
    if (cgroupRoot) expect(results.get(9)).toBe(1n);
    expect(results.get(10)).toBe(99n); // through the hash of maps
    expect(hom.innerTable<number, bigint>(5, { value: codecFor(u64) })?.get(0)).toBe(99n);

    trigger();
    const pchash = b.table('pchash') as PerCpuHashTable<number, bigint>;
    expect(pchash.get(7)).toHaveLength(possibleCpus());
    expect(pchash.sum(7)).toBe(2n);
    expect(pchash.reduced((v) => v.reduce((x, y) => x + y, 0n)).get(7)).toBe(2n);
    const lrupc = b.table('lrupc') as PerCpuHashTable<number, bigint>;
    expect(lrupc.sum(1)).toBe(2n);
    lrupc.set(1, 0n);
    expect(lrupc.sum(1)).toBe(0n);
    const pcarr = b.table('pcarr') as PerCpuArrayTable<bigint>;
    expect(pcarr.sum(0)).toBe(2n);
    pcarr.set(0, 5n); // one value for every CPU
    expect(pcarr.get(0)).toEqual(new Array(possibleCpus()).fill(5n));
  });

  it('devmap and cpumap keep what is written', () => {
    const devs = b.table('devs');
    expect(devs).toBeInstanceOf(DevMapTable);
    devs.set(0, 1); // lo
    expect(devs.get(0)).toBe(1);
    const cpus = b.table('cpus');
    expect(cpus).toBeInstanceOf(CpuMapTable);
    cpus.set(0, 64);
    expect(cpus.get(0)).toBe(64);
    cpus.delete(0);
  });

  it('hash: iteration, size, batch ops, insert, clear, zero', () => {
    const t = b.table<number, bigint>('lru');
    t.clear();
    expect(t.size).toBe(0);
    const h = b.table('hash', { value: codecFor(kv, { strings: true }) }) as Table<
      number,
      Record<string, unknown>
    >;
    h.clear();
    expect(
      h.updateBatch(
        Array.from({ length: 500 }, (_, i) => [i, { a: i, b: BigInt(i) * 3n, name: `n${i}` }] as const),
      ),
    ).toBe(500);
    expect(h.size).toBe(500);
    const all = new Map(h.lookupBatch());
    expect(all.size).toBe(500);
    expect(all.get(123)).toEqual({ a: 123, b: 369n, name: 'n123' });
    expect([...h.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(h.insert(1, { a: 0 })).toBe(false);
    expect(h.insert(1000, { a: 1 })).toBe(true);
    expect(h.has(1000)).toBe(true);
    expect(h.delete(1000)).toBe(true);
    expect(h.delete(1000)).toBe(false);
    expect(h.deleteBatch([0, 1, 2])).toBe(3);
    expect(h.size).toBe(497);
    h.zero();
    expect(h.get(10)).toEqual({ a: 0, b: 0n, name: '' });
    expect(h.lookupAndDeleteBatch()).toHaveLength(497);
    expect(h.size).toBe(0);
    expect(() => h.set(1, { a: 1, nope: 2 })).toThrow(/hash value\.nope: struct kv has no field "nope"/);
  });

  it('array: bounds, negative index, delete zeroes, clear, size', () => {
    const a = b.table<number, bigint>('arr') as ArrayTable<bigint>;
    a.set(-1, 5n);
    expect(a.get(7)).toBe(5n);
    expect(() => a.get(8)).toThrow(InvalidArgumentError);
    expect(() => a.get(8)).toThrow(/index 8 is out of range 0..7/);
    expect(a.size).toBe(8);
    a.delete(7);
    expect(a.get(7)).toBe(0n);
    a.set(2, 9n);
    expect([...a.entries()]).toHaveLength(8);
    a.clear();
    expect([...a.values()].every((v) => v === 0n)).toBe(true);
  });

  it('queue is FIFO, stack is LIFO; a full queue refuses or, with EXIST, drops the oldest', () => {
    const q = b.table('q') as QueueStackTable<number>;
    const stk = b.table('stk') as QueueStackTable<number>;
    q.clear();
    stk.clear();
    for (let i = 1; i <= 8; i++) q.push(i);
    expect(() => q.push(9)).toThrow(/E2BIG/);
    q.push(9, UpdateFlags.EXIST);
    expect(q.peek()).toBe(2);
    expect([...q.values()]).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.pop()).toBeUndefined();
    for (const v of [1, 2, 3]) stk.push(v);
    expect(stk.pop()).toBe(3);
    expect(stk.peek()).toBe(2);
    expect(() => stk.get()).toThrow(/does not support get \(use peek\)/);
  });

  it('lpm trie walks without batch ops', () => {
    const t = b.table('lpm', { key: codecFor(lpmKey) });
    expect(t.size).toBe(2);
    t.clear();
    expect(t.size).toBe(0);
  });

  it('use after close raises ClosedError', async () => {
    const b2 = BPF.fromSpec(await compile(PROG, { name: 'tables2' }), { autoAttach: false });
    const t = b2.table('arr');
    b2.close();
    b2.close(); // idempotent
    expect(() => t.get(0)).toThrow(ClosedError);
    expect(() => t.get(0)).toThrow('map arr is closed');
    expect(() => b2.table('arr')).toThrow(ClosedError);
    expect(() => b2.loadFunc('on_call', 'TRACEPOINT')).toThrow(ClosedError);
  });
});

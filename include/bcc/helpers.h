/* tsbcc: the BCC-C dialect's implicit header, force-included before every BCC-C program.
 * Names and semantics follow BCC's helpers.h (map macros, table methods, packet helpers,
 * probe macros); the text is tsbcc's own. Kernel types come from the BTF-generated kernel
 * header (included before this one); helper prototypes from libbpf's generated table. */
#ifndef __TSBCC_HELPERS_H
#define __TSBCC_HELPERS_H

/* ---- kernel helper prototypes come with the kernel header (libbpf's generated table, with
 * bpf_trace_printk renamed: in BCC-C it is a builtin) ---- */
static long (*bpf_trace_printk_)(const char *fmt, __u32 fmt_size, ...) = (void *)BPF_FUNC_trace_printk;

/* ---- builtins the rewriter replaces (calls never reach code generation) ---- */
int bpf_trace_printk(const char *fmt, ...);
int bpf_num_cpus(void);
void incr_cksum_l3(); /* (offset, old, new): offset may be an integer or a header pointer */
void incr_cksum_l4(); /* (offset, old, new, pseudo_header) */
int bpf_usdt_readarg(int argc, void *ctx, void *arg);
int bpf_usdt_readarg_p(int argc, void *ctx, void *buf, u64 len);

#define BCC_SEC(NAME) __attribute__((section(NAME), used))
#ifndef CUR_CPU_IDENTIFIER
#define CUR_CPU_IDENTIFIER BPF_F_CURRENT_CPU
#endif
#ifdef PERF_MAX_STACK_DEPTH
#define BPF_MAX_STACK_DEPTH PERF_MAX_STACK_DEPTH
#else
#define BPF_MAX_STACK_DEPTH 127
#endif

/* ---- map declarations ---------------------------------------------------------------- */
/* Each macro declares a struct type carrying the key, the leaf and the table methods (so that
 * `name.method(...)` type-checks) and a variable in section "maps/<kind>". The rewriter turns
 * the variable into a libbpf map and the method calls into helper calls. */
#define BPF_ANNOTATE_KV_PAIR(name, type_key, type_val)
#define BPF_ANNOTATE_KV_PAIR_QUEUESTACK(name, type_val)

#define __TSBCC_TABLE_METHODS(_key_type, _leaf_type)                                            \
  _leaf_type *(*lookup)(_key_type *);                                                           \
  _leaf_type *(*lookup_or_init)(_key_type *, _leaf_type *);                                     \
  _leaf_type *(*lookup_or_try_init)(_key_type *, _leaf_type *);                                 \
  int (*update)(_key_type *, _leaf_type *);                                                     \
  int (*insert)(_key_type *, _leaf_type *);                                                     \
  int (*delete)(_key_type *);                                                                   \
  void (*call)(void *, int index);                                                              \
  void (*increment)(_key_type, ...);                                                            \
  void (*atomic_increment)(_key_type, ...);                                                     \
  int (*get_stackid)(void *, u64);                                                              \
  void *(*sk_storage_get)(void *, void *, int);                                                 \
  int (*sk_storage_delete)(void *);                                                             \
  void *(*inode_storage_get)(void *, void *, int);                                              \
  int (*inode_storage_delete)(void *);                                                          \
  void *(*task_storage_get)(void *, void *, int);                                               \
  int (*task_storage_delete)(void *);                                                           \
  u32 max_entries;                                                                              \
  int flags

#define BPF_F_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries, _flags)            \
  struct _name##_table_t {                                                                      \
    _key_type key;                                                                              \
    _leaf_type leaf;                                                                            \
    __TSBCC_TABLE_METHODS(_key_type, _leaf_type);                                               \
  };                                                                                            \
  __attribute__((section("maps/" _table_type))) struct _name##_table_t _name = {                \
      .max_entries = (_max_entries), .flags = (_flags)}

#define BPF_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries)                      \
  BPF_F_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries, 0)

#define BPF_TABLE_PINNED7(_table_type, _key_type, _leaf_type, _name, _max_entries, _pinned, _flags) \
  BPF_F_TABLE(_table_type ":" _pinned, _key_type, _leaf_type, _name, _max_entries, _flags)
#define BPF_TABLE_PINNED6(_table_type, _key_type, _leaf_type, _name, _max_entries, _pinned)     \
  BPF_F_TABLE(_table_type ":" _pinned, _key_type, _leaf_type, _name, _max_entries, 0)
#define __TSBCC_PINNED_PICK(_1, _2, _3, _4, _5, _6, _7, NAME, ...) NAME
#define BPF_TABLE_PINNED(...)                                                                   \
  __TSBCC_PINNED_PICK(__VA_ARGS__, BPF_TABLE_PINNED7, BPF_TABLE_PINNED6)(__VA_ARGS__)

#define BPF_TABLE_PUBLIC(_table_type, _key_type, _leaf_type, _name, _max_entries)               \
  BPF_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries);                           \
  __attribute__((section("maps/export"))) struct _name##_table_t __##_name

#define BPF_TABLE_SHARED6(_table_type, _key_type, _leaf_type, _name, _max_entries, _flags)      \
  BPF_F_TABLE(_table_type, _key_type, _leaf_type, _name, _max_entries, _flags);                 \
  __attribute__((section("maps/shared"))) struct _name##_table_t __##_name
#define BPF_TABLE_SHARED5(_table_type, _key_type, _leaf_type, _name, _max_entries)              \
  BPF_TABLE_SHARED6(_table_type, _key_type, _leaf_type, _name, _max_entries, 0)
#define __TSBCC_SHARED_PICK(_1, _2, _3, _4, _5, _6, NAME, ...) NAME
#define BPF_TABLE_SHARED(...)                                                                   \
  __TSBCC_SHARED_PICK(__VA_ARGS__, BPF_TABLE_SHARED6, BPF_TABLE_SHARED5)(__VA_ARGS__)

/* argument-count dispatch for the optional-argument macros */
#define __TSBCC_PICK4(_1, _2, _3, _4, NAME, ...) NAME
#define __TSBCC_PICK3(_1, _2, _3, NAME, ...) NAME
#define __TSBCC_PICK2(_1, _2, NAME, ...) NAME

#define BPF_HASH1(_name) BPF_TABLE("hash", u64, u64, _name, 10240)
#define BPF_HASH2(_name, _key_type) BPF_TABLE("hash", _key_type, u64, _name, 10240)
#define BPF_HASH3(_name, _key_type, _leaf_type) BPF_TABLE("hash", _key_type, _leaf_type, _name, 10240)
#define BPF_HASH4(_name, _key_type, _leaf_type, _size) BPF_TABLE("hash", _key_type, _leaf_type, _name, _size)
#define BPF_HASH(...) __TSBCC_PICK4(__VA_ARGS__, BPF_HASH4, BPF_HASH3, BPF_HASH2, BPF_HASH1)(__VA_ARGS__)

#define BPF_PERCPU_HASH1(_name) BPF_TABLE("percpu_hash", u64, u64, _name, 10240)
#define BPF_PERCPU_HASH2(_name, _key_type) BPF_TABLE("percpu_hash", _key_type, u64, _name, 10240)
#define BPF_PERCPU_HASH3(_name, _key_type, _leaf_type)                                          \
  BPF_TABLE("percpu_hash", _key_type, _leaf_type, _name, 10240)
#define BPF_PERCPU_HASH4(_name, _key_type, _leaf_type, _size)                                   \
  BPF_TABLE("percpu_hash", _key_type, _leaf_type, _name, _size)
#define BPF_PERCPU_HASH(...)                                                                    \
  __TSBCC_PICK4(__VA_ARGS__, BPF_PERCPU_HASH4, BPF_PERCPU_HASH3, BPF_PERCPU_HASH2, BPF_PERCPU_HASH1)(__VA_ARGS__)

#define BPF_ARRAY1(_name) BPF_TABLE("array", int, u64, _name, 10240)
#define BPF_ARRAY2(_name, _leaf_type) BPF_TABLE("array", int, _leaf_type, _name, 10240)
#define BPF_ARRAY3(_name, _leaf_type, _size) BPF_TABLE("array", int, _leaf_type, _name, _size)
#define BPF_ARRAY(...) __TSBCC_PICK3(__VA_ARGS__, BPF_ARRAY3, BPF_ARRAY2, BPF_ARRAY1)(__VA_ARGS__)

#define BPF_PERCPU_ARRAY1(_name) BPF_TABLE("percpu_array", int, u64, _name, 10240)
#define BPF_PERCPU_ARRAY2(_name, _leaf_type) BPF_TABLE("percpu_array", int, _leaf_type, _name, 10240)
#define BPF_PERCPU_ARRAY3(_name, _leaf_type, _size) BPF_TABLE("percpu_array", int, _leaf_type, _name, _size)
#define BPF_PERCPU_ARRAY(...)                                                                   \
  __TSBCC_PICK3(__VA_ARGS__, BPF_PERCPU_ARRAY3, BPF_PERCPU_ARRAY2, BPF_PERCPU_ARRAY1)(__VA_ARGS__)

#define BPF_HIST1(_name) BPF_TABLE("histogram", int, u64, _name, 64)
#define BPF_HIST2(_name, _key_type) BPF_TABLE("histogram", _key_type, u64, _name, 64)
#define BPF_HIST3(_name, _key_type, _size) BPF_TABLE("histogram", _key_type, u64, _name, _size)
#define BPF_HISTOGRAM(...) __TSBCC_PICK3(__VA_ARGS__, BPF_HIST3, BPF_HIST2, BPF_HIST1)(__VA_ARGS__)

#define BPF_LPM_TRIE1(_name) BPF_F_TABLE("lpm_trie", u64, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE2(_name, _key_type) BPF_F_TABLE("lpm_trie", _key_type, u64, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE3(_name, _key_type, _leaf_type)                                             \
  BPF_F_TABLE("lpm_trie", _key_type, _leaf_type, _name, 10240, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE4(_name, _key_type, _leaf_type, _size)                                      \
  BPF_F_TABLE("lpm_trie", _key_type, _leaf_type, _name, _size, BPF_F_NO_PREALLOC)
#define BPF_LPM_TRIE(...)                                                                       \
  __TSBCC_PICK4(__VA_ARGS__, BPF_LPM_TRIE4, BPF_LPM_TRIE3, BPF_LPM_TRIE2, BPF_LPM_TRIE1)(__VA_ARGS__)

struct bpf_stacktrace {
  u64 ip[BPF_MAX_STACK_DEPTH];
};
struct bpf_stacktrace_buildid {
  struct bpf_stack_build_id trace[BPF_MAX_STACK_DEPTH];
};
#define BPF_STACK_TRACE(_name, _max_entries) BPF_TABLE("stacktrace", int, struct bpf_stacktrace, _name, _max_entries)
#define BPF_STACK_TRACE_BUILDID(_name, _max_entries)                                            \
  BPF_F_TABLE("stacktrace", int, struct bpf_stacktrace_buildid, _name, _max_entries, BPF_F_STACK_BUILD_ID)

#define BPF_PROG_ARRAY(_name, _max_entries) BPF_TABLE("prog", u32, u32, _name, _max_entries)

#define BPF_PERF_OUTPUT(_name)                                                                  \
  struct _name##_table_t {                                                                      \
    int key;                                                                                    \
    u32 leaf;                                                                                   \
    int (*perf_submit)(void *, void *, u32);                                                    \
    int (*perf_submit_skb)(void *, u32, void *, u32);                                           \
    u32 max_entries;                                                                            \
  };                                                                                            \
  __attribute__((section("maps/perf_output"))) struct _name##_table_t _name = {.max_entries = 0}

#define BPF_PERF_ARRAY(_name, _max_entries)                                                     \
  struct _name##_table_t {                                                                      \
    int key;                                                                                    \
    u32 leaf;                                                                                   \
    u64 (*perf_read)(int);                                                                      \
    int (*perf_counter_value)(int, void *, u32);                                                \
    u32 max_entries;                                                                            \
  };                                                                                            \
  __attribute__((section("maps/perf_array"))) struct _name##_table_t _name = {.max_entries = (_max_entries)}

#define BPF_RINGBUF_OUTPUT(_name, _num_pages)                                                   \
  struct _name##_table_t {                                                                      \
    int key;                                                                                    \
    u32 leaf;                                                                                   \
    int (*ringbuf_output)(void *, u64, u64);                                                    \
    void *(*ringbuf_reserve)(u64);                                                              \
    void (*ringbuf_discard)(void *, u64);                                                       \
    void (*ringbuf_submit)(void *, u64);                                                        \
    u64 (*ringbuf_query)(u64);                                                                  \
    u32 max_entries;                                                                            \
  };                                                                                            \
  __attribute__((section("maps/ringbuf"))) struct _name##_table_t _name = {.max_entries = (_num_pages)}

#define BPF_CGROUP_ARRAY(_name, _max_entries)                                                   \
  struct _name##_table_t {                                                                      \
    int key;                                                                                    \
    u32 leaf;                                                                                   \
    int (*check_current_task)(int);                                                             \
    u32 max_entries;                                                                            \
  };                                                                                            \
  __attribute__((section("maps/cgroup_array"))) struct _name##_table_t _name = {.max_entries = (_max_entries)}

#define BPF_QUEUESTACK(_table_type, _name, _leaf_type, _max_entries, _flags)                    \
  struct _name##_table_t {                                                                      \
    _leaf_type leaf;                                                                            \
    int (*peek)(_leaf_type *);                                                                  \
    int (*pop)(_leaf_type *);                                                                   \
    int (*push)(_leaf_type *, u64);                                                             \
    u32 max_entries;                                                                            \
    int flags;                                                                                  \
  };                                                                                            \
  __attribute__((section("maps/" _table_type))) struct _name##_table_t _name = {               \
      .max_entries = (_max_entries), .flags = (_flags)}
#define BPF_QUEUESTACK_PINNED(_table_type, _name, _leaf_type, _max_entries, _flags, _pinned)    \
  BPF_QUEUESTACK(_table_type ":" _pinned, _name, _leaf_type, _max_entries, _flags)
#define BPF_QUEUESTACK_PUBLIC(_table_type, _name, _leaf_type, _max_entries, _flags)             \
  BPF_QUEUESTACK(_table_type, _name, _leaf_type, _max_entries, _flags);                         \
  __attribute__((section("maps/export"))) struct _name##_table_t __##_name
#define BPF_QUEUESTACK_SHARED(_table_type, _name, _leaf_type, _max_entries, _flags)             \
  BPF_QUEUESTACK(_table_type, _name, _leaf_type, _max_entries, _flags);                         \
  __attribute__((section("maps/shared"))) struct _name##_table_t __##_name
#define BPF_QUEUE4(_name, _leaf_type, _max_entries, _flags) BPF_QUEUESTACK("queue", _name, _leaf_type, _max_entries, _flags)
#define BPF_QUEUE3(_name, _leaf_type, _max_entries) BPF_QUEUESTACK("queue", _name, _leaf_type, _max_entries, 0)
#define BPF_QUEUE(...) __TSBCC_PICK4(__VA_ARGS__, BPF_QUEUE4, BPF_QUEUE3, _unused, _unused)(__VA_ARGS__)
#define BPF_STACK4(_name, _leaf_type, _max_entries, _flags) BPF_QUEUESTACK("stack", _name, _leaf_type, _max_entries, _flags)
#define BPF_STACK3(_name, _leaf_type, _max_entries) BPF_QUEUESTACK("stack", _name, _leaf_type, _max_entries, 0)
#define BPF_STACK(...) __TSBCC_PICK4(__VA_ARGS__, BPF_STACK4, BPF_STACK3, _unused, _unused)(__VA_ARGS__)

#define __TSBCC_REDIRECT_TABLE(_kind, _leaf_type, _name, _max_entries)                          \
  struct _name##_table_t {                                                                      \
    u32 key;                                                                                    \
    _leaf_type leaf;                                                                            \
    _leaf_type *(*lookup)(u32 *);                                                               \
    int (*redirect_map)(int, int);                                                              \
    u32 max_entries;                                                                            \
  };                                                                                            \
  __attribute__((section("maps/" _kind))) struct _name##_table_t _name = {.max_entries = (_max_entries)}
#define BPF_DEVMAP(_name, _max_entries) __TSBCC_REDIRECT_TABLE("devmap", int, _name, _max_entries)
#define BPF_CPUMAP(_name, _max_entries) __TSBCC_REDIRECT_TABLE("cpumap", u32, _name, _max_entries)
#define BPF_XSKMAP2(_name, _max_entries) __TSBCC_REDIRECT_TABLE("xskmap", int, _name, _max_entries)
#define BPF_XSKMAP3(_name, _max_entries, _pinned) __TSBCC_REDIRECT_TABLE("xskmap:" _pinned, int, _name, _max_entries)
#define BPF_XSKMAP(...) __TSBCC_PICK3(__VA_ARGS__, BPF_XSKMAP3, BPF_XSKMAP2, _unused)(__VA_ARGS__)

#define BPF_ARRAY_OF_MAPS(_name, _inner_map_name, _max_entries)                                 \
  BPF_TABLE("array_of_maps$" _inner_map_name, int, int, _name, _max_entries)
#define BPF_HASH_OF_MAPS2(_name, _inner_map_name) BPF_TABLE("hash_of_maps$" _inner_map_name, int, int, _name, 10240)
#define BPF_HASH_OF_MAPS3(_name, _key_type, _inner_map_name)                                    \
  BPF_TABLE("hash_of_maps$" _inner_map_name, _key_type, int, _name, 10240)
#define BPF_HASH_OF_MAPS4(_name, _key_type, _inner_map_name, _max_entries)                      \
  BPF_TABLE("hash_of_maps$" _inner_map_name, _key_type, int, _name, _max_entries)
#define BPF_HASH_OF_MAPS(...)                                                                   \
  __TSBCC_PICK4(__VA_ARGS__, BPF_HASH_OF_MAPS4, BPF_HASH_OF_MAPS3, BPF_HASH_OF_MAPS2, _unused)(__VA_ARGS__)

#define __TSBCC_STORAGE(_kind, _name, _leaf_type) BPF_F_TABLE(_kind, int, _leaf_type, _name, 0, BPF_F_NO_PREALLOC)
#define BPF_SK_STORAGE(_name, _leaf_type) __TSBCC_STORAGE("sk_storage", _name, _leaf_type)
#define BPF_INODE_STORAGE(_name, _leaf_type) __TSBCC_STORAGE("inode_storage", _name, _leaf_type)
#define BPF_TASK_STORAGE(_name, _leaf_type) __TSBCC_STORAGE("task_storage", _name, _leaf_type)

#define __TSBCC_SOCK_TABLE(_kind, _key_type, _name, _max_entries)                               \
  struct _name##_table_t {                                                                      \
    _key_type key;                                                                              \
    int leaf;                                                                                   \
    int (*update)(_key_type *, int *);                                                          \
    int (*delete)(_key_type *);                                                                 \
    int (*sock_map_update)(void *, void *, u64);                                                \
    int (*sock_hash_update)(void *, void *, u64);                                               \
    int (*msg_redirect_hash)(void *, void *, u64);                                              \
    int (*sk_redirect_hash)(void *, void *, u64);                                               \
    int (*msg_redirect_map)(void *, int, u64);                                                  \
    int (*sk_redirect_map)(void *, int, u64);                                                   \
    u32 max_entries;                                                                            \
  };                                                                                            \
  __attribute__((section("maps/" _kind))) struct _name##_table_t _name = {.max_entries = (_max_entries)}
#define BPF_SOCKMAP(_name, _max_entries) __TSBCC_SOCK_TABLE("sockmap", u32, _name, _max_entries)
#define BPF_SOCKHASH1(_name) __TSBCC_SOCK_TABLE("sockhash", u32, _name, 10240)
#define BPF_SOCKHASH2(_name, _key_type) __TSBCC_SOCK_TABLE("sockhash", _key_type, _name, 10240)
#define BPF_SOCKHASH3(_name, _key_type, _max_entries) __TSBCC_SOCK_TABLE("sockhash", _key_type, _name, _max_entries)
#define BPF_SOCKHASH(...) __TSBCC_PICK3(__VA_ARGS__, BPF_SOCKHASH3, BPF_SOCKHASH2, BPF_SOCKHASH1)(__VA_ARGS__)

#define __TSBCC_CGROUP_STORAGE(_kind, _name, _leaf_type)                                        \
  struct _name##_table_t {                                                                      \
    struct bpf_cgroup_storage_key key;                                                          \
    _leaf_type leaf;                                                                            \
    _leaf_type *(*lookup)(struct bpf_cgroup_storage_key *);                                     \
    int (*update)(struct bpf_cgroup_storage_key *, _leaf_type *);                               \
    _leaf_type *(*get_local_storage)(u64);                                                      \
    u32 max_entries;                                                                            \
  };                                                                                            \
  __attribute__((section("maps/" _kind))) struct _name##_table_t _name = {.max_entries = 0}
#define BPF_CGROUP_STORAGE(_name, _leaf_type) __TSBCC_CGROUP_STORAGE("cgroup_storage", _name, _leaf_type)
#define BPF_PERCPU_CGROUP_STORAGE(_name, _leaf_type) __TSBCC_CGROUP_STORAGE("percpu_cgroup_storage", _name, _leaf_type)

/* ---- wrappers the table-method rewrites call ---- */
static inline __attribute__((always_inline)) void bpf_tail_call_(void *map, void *ctx, int index) {
  bpf_tail_call(ctx, map, index);
}
static inline __attribute__((always_inline)) int bcc_get_stackid(void *map, void *ctx, u64 flags) {
  return bpf_get_stackid(ctx, map, flags);
}

/* ---- atomics, logs, byte order ---- */
#define lock_xadd(ptr, val) ((void)__sync_fetch_and_add(ptr, val))

static inline __attribute__((always_inline)) unsigned int bpf_log2(unsigned int v) {
  unsigned int r = (v > 0xFFFF) << 4;
  v >>= r;
  unsigned int s = (v > 0xFF) << 3;
  v >>= s;
  r |= s;
  s = (v > 0xF) << 2;
  v >>= s;
  r |= s;
  s = (v > 0x3) << 1;
  v >>= s;
  r |= s;
  return r | (v >> 1);
}
/* floor(log2(v)) + 1, and 1 for v == 0: the slot numbering of BCC's log2 histograms */
static inline __attribute__((always_inline)) unsigned int bpf_log2l(unsigned long v) {
  unsigned int hi = v >> 32;
  return hi ? bpf_log2(hi) + 33 : bpf_log2((unsigned int)v) + 1;
}

#define bpf_ntohs(x) __builtin_bswap16(x)
#define bpf_htons(x) __builtin_bswap16(x)
#define bpf_ntohl(x) __builtin_bswap32(x)
#define bpf_htonl(x) __builtin_bswap32(x)
#define bpf_ntohll(x) __builtin_bswap64(x)
#define bpf_htonll(x) __builtin_bswap64(x)
static inline __attribute__((always_inline)) unsigned __int128 bpf_ntoh128(unsigned __int128 x) {
  return ((unsigned __int128)__builtin_bswap64((u64)x) << 64) | __builtin_bswap64((u64)(x >> 64));
}
#define bpf_hton128(x) bpf_ntoh128(x)

/* ---- packet access (skb programs): loads of network-order data, stores through helpers ---- */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");
static inline __attribute__((always_inline)) u64 load_dword(void *skb, u64 off) {
  return ((u64)load_word(skb, off) << 32) | load_word(skb, off + 4);
}
#define MASK(_n) ((_n) < 64 ? (1ull << (_n)) - 1 : ((u64)-1LL))
#define MASK128(_n) ((_n) < 128 ? ((unsigned __int128)1 << (_n)) - 1 : ((unsigned __int128)-1))

static inline __attribute__((always_inline)) void bpf_store_byte(void *skb, u64 off, u64 val) {
  u8 v = val;
  bpf_skb_store_bytes(skb, off, &v, 1, 0);
}
static inline __attribute__((always_inline)) void bpf_store_half(void *skb, u64 off, u64 val) {
  u16 v = bpf_htons((u16)val);
  bpf_skb_store_bytes(skb, off, &v, 2, 0);
}
static inline __attribute__((always_inline)) void bpf_store_word(void *skb, u64 off, u64 val) {
  u32 v = bpf_htonl((u32)val);
  bpf_skb_store_bytes(skb, off, &v, 4, 0);
}
static inline __attribute__((always_inline)) void bpf_store_dword(void *skb, u64 off, u64 val) {
  u64 v = bpf_htonll(val);
  bpf_skb_store_bytes(skb, off, &v, 8, 0);
}

/* extract bits [bofs, bofs+bsz) (counted from the MSB of byte off) as a host number */
static inline __attribute__((always_inline)) u64 bpf_dext_pkt(void *pkt, u64 off, u64 bofs, u64 bsz) {
  if (bofs == 0 && bsz == 8) return load_byte(pkt, off);
  if (bofs + bsz <= 8) return (load_byte(pkt, off) >> (8 - (bofs + bsz))) & MASK(bsz);
  if (bofs == 0 && bsz == 16) return load_half(pkt, off);
  if (bofs + bsz <= 16) return (load_half(pkt, off) >> (16 - (bofs + bsz))) & MASK(bsz);
  if (bofs == 0 && bsz == 32) return load_word(pkt, off);
  if (bofs + bsz <= 32) return (load_word(pkt, off) >> (32 - (bofs + bsz))) & MASK(bsz);
  if (bofs == 0 && bsz == 64) return load_dword(pkt, off);
  if (bofs + bsz <= 64) return (load_dword(pkt, off) >> (64 - (bofs + bsz))) & MASK(bsz);
  return 0;
}

/* insert n into bits [bofs, bofs+bsz) of the packet at byte off */
static inline __attribute__((always_inline)) void bpf_dins_pkt(void *pkt, u64 off, u64 bofs, u64 bsz, u64 n) {
  if (bofs == 0 && bsz == 8) {
    bpf_store_byte(pkt, off, n);
  } else if (bofs + bsz <= 8) {
    u64 sh = 8 - (bofs + bsz);
    u64 v = (load_byte(pkt, off) & ~(MASK(bsz) << sh)) | ((n & MASK(bsz)) << sh);
    bpf_store_byte(pkt, off, v);
  } else if (bofs == 0 && bsz == 16) {
    bpf_store_half(pkt, off, n);
  } else if (bofs + bsz <= 16) {
    u64 sh = 16 - (bofs + bsz);
    u64 v = (load_half(pkt, off) & ~(MASK(bsz) << sh)) | ((n & MASK(bsz)) << sh);
    bpf_store_half(pkt, off, v);
  } else if (bofs == 0 && bsz == 32) {
    bpf_store_word(pkt, off, n);
  } else if (bofs + bsz <= 32) {
    u64 sh = 32 - (bofs + bsz);
    u64 v = (load_word(pkt, off) & ~(MASK(bsz) << sh)) | ((n & MASK(bsz)) << sh);
    bpf_store_word(pkt, off, v);
  } else if (bofs == 0 && bsz == 64) {
    bpf_store_dword(pkt, off, n);
  } else if (bofs + bsz <= 64) {
    u64 sh = 64 - (bofs + bsz);
    u64 v = (load_dword(pkt, off) & ~(MASK(bsz) << sh)) | ((n & MASK(bsz)) << sh);
    bpf_store_dword(pkt, off, v);
  }
}

/* cursor_advance: the cursor is a packet offset; yields the old value and moves it on */
#define cursor_advance(_cursor, _len) ({ void *_tmp = _cursor; _cursor += _len; _tmp; })

/* checksum updates with host-order old/new values (size in the low nibble of flags) */
static inline __attribute__((always_inline)) int bpf_l3_csum_replace_(void *ctx, u64 off, u64 from, u64 to, u64 flags) {
  switch (flags & 0xf) {
    case 2: return bpf_l3_csum_replace(ctx, off, bpf_htons((u16)from), bpf_htons((u16)to), flags);
    case 4: return bpf_l3_csum_replace(ctx, off, bpf_htonl((u32)from), bpf_htonl((u32)to), flags);
    case 8: return bpf_l3_csum_replace(ctx, off, bpf_htonll(from), bpf_htonll(to), flags);
    default: return bpf_l3_csum_replace(ctx, off, from, to, flags);
  }
}
static inline __attribute__((always_inline)) int bpf_l4_csum_replace_(void *ctx, u64 off, u64 from, u64 to, u64 flags) {
  switch (flags & 0xf) {
    case 2: return bpf_l4_csum_replace(ctx, off, bpf_htons((u16)from), bpf_htons((u16)to), flags);
    case 4: return bpf_l4_csum_replace(ctx, off, bpf_htonl((u32)from), bpf_htonl((u32)to), flags);
    case 8: return bpf_l4_csum_replace(ctx, off, bpf_htonll(from), bpf_htonll(to), flags);
    default: return bpf_l4_csum_replace(ctx, off, from, to, flags);
  }
}

/* ---- registers (x86_64) ---- */
#define PT_REGS_PARM1(ctx) ((ctx)->di)
#define PT_REGS_PARM2(ctx) ((ctx)->si)
#define PT_REGS_PARM3(ctx) ((ctx)->dx)
#define PT_REGS_PARM4(ctx) ((ctx)->cx)
#define PT_REGS_PARM5(ctx) ((ctx)->r8)
#define PT_REGS_PARM6(ctx) ((ctx)->r9)
#define PT_REGS_RET(ctx) ((ctx)->sp)
#define PT_REGS_FP(ctx) ((ctx)->bp)
#define PT_REGS_RC(ctx) ((ctx)->ax)
#define PT_REGS_SP(ctx) ((ctx)->sp)
#define PT_REGS_IP(ctx) ((ctx)->ip)
#define PT_REGS_SYSCALL_CTX(ctx) ((struct pt_regs *)PT_REGS_PARM1(ctx))
#define __TSBCC_SYSCALL_ARG(ctx, reg)                                                           \
  ({ unsigned long _v = 0; bpf_probe_read_kernel(&_v, sizeof(_v), &PT_REGS_SYSCALL_CTX(ctx)->reg); _v; })
#define PT_REGS_PARM1_SYSCALL(ctx) __TSBCC_SYSCALL_ARG(ctx, di)
#define PT_REGS_PARM2_SYSCALL(ctx) __TSBCC_SYSCALL_ARG(ctx, si)
#define PT_REGS_PARM3_SYSCALL(ctx) __TSBCC_SYSCALL_ARG(ctx, dx)
#define PT_REGS_PARM4_SYSCALL(ctx) __TSBCC_SYSCALL_ARG(ctx, r10)
#define PT_REGS_PARM5_SYSCALL(ctx) __TSBCC_SYSCALL_ARG(ctx, r8)
#define PT_REGS_PARM6_SYSCALL(ctx) __TSBCC_SYSCALL_ARG(ctx, r9)

/* ---- probe declarations ---- */
#define TRACEPOINT_PROBE(category, event)                                                       \
  int tracepoint__##category##__##event(struct tracepoint__##category##__##event *args)
#define RAW_TRACEPOINT_PROBE(event) int raw_tracepoint__##event(struct bpf_raw_tracepoint_args *ctx)

#define TP_DATA_LOC_READ_CONST(_dst, _field, _len)                                              \
  do {                                                                                          \
    unsigned short __offset = args->data_loc_##_field & 0xFFFF;                                 \
    bpf_probe_read_kernel((void *)_dst, _len, (char *)args + __offset);                         \
  } while (0)
#define TP_DATA_LOC_READ(_dst, _field)                                                          \
  do {                                                                                          \
    unsigned short __offset = args->data_loc_##_field & 0xFFFF;                                 \
    unsigned short __length = args->data_loc_##_field >> 16;                                    \
    bpf_probe_read_kernel((void *)_dst, __length, (char *)args + __offset);                     \
  } while (0)
#define TP_DATA_LOC_READ_STR(_dst, _field, _len)                                                \
  do {                                                                                          \
    unsigned short __offset = args->data_loc_##_field & 0xFFFF;                                 \
    bpf_probe_read_kernel_str((void *)_dst, _len, (char *)args + __offset);                     \
  } while (0)

/* BPF_PROG: a program taking the raw u64 argument array, calling an inline body with typed
 * arguments ctx[0..n-1] (TRACING and LSM programs). */
#define __TSBCC_NARG(...) __TSBCC_NARG_(_, ##__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define __TSBCC_NARG_(_, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, N, ...) N
#define __TSBCC_CAT(a, b) __TSBCC_CAT_(a, b)
#define __TSBCC_CAT_(a, b) a##b
#define __TSBCC_ARGS0() ctx
#define __TSBCC_ARGS1(x) __TSBCC_ARGS0(), (void *)ctx[0]
#define __TSBCC_ARGS2(x, args...) __TSBCC_ARGS1(args), (void *)ctx[1]
#define __TSBCC_ARGS3(x, args...) __TSBCC_ARGS2(args), (void *)ctx[2]
#define __TSBCC_ARGS4(x, args...) __TSBCC_ARGS3(args), (void *)ctx[3]
#define __TSBCC_ARGS5(x, args...) __TSBCC_ARGS4(args), (void *)ctx[4]
#define __TSBCC_ARGS6(x, args...) __TSBCC_ARGS5(args), (void *)ctx[5]
#define __TSBCC_ARGS7(x, args...) __TSBCC_ARGS6(args), (void *)ctx[6]
#define __TSBCC_ARGS8(x, args...) __TSBCC_ARGS7(args), (void *)ctx[7]
#define __TSBCC_ARGS9(x, args...) __TSBCC_ARGS8(args), (void *)ctx[8]
#define __TSBCC_ARGS10(x, args...) __TSBCC_ARGS9(args), (void *)ctx[9]
#define __TSBCC_ARGS11(x, args...) __TSBCC_ARGS10(args), (void *)ctx[10]
#define __TSBCC_ARGS12(x, args...) __TSBCC_ARGS11(args), (void *)ctx[11]
#define BPF_PROG(name, args...)                                                                 \
  int name(unsigned long long *ctx);                                                            \
  static __attribute__((always_inline)) int ____##name(unsigned long long *ctx, ##args);        \
  int name(unsigned long long *ctx) {                                                           \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")       \
    return ____##name(__TSBCC_CAT(__TSBCC_ARGS, __TSBCC_NARG(args))(args));                     \
    _Pragma("GCC diagnostic pop")                                                               \
  }                                                                                             \
  static int ____##name(unsigned long long *ctx, ##args)

#define KFUNC_PROBE(event, args...) __attribute__((section("fentry/" #event))) BPF_PROG(kfunc__vmlinux__##event, ##args)
#define KRETFUNC_PROBE(event, args...) __attribute__((section("fexit/" #event))) BPF_PROG(kretfunc__vmlinux__##event, ##args)
#define MODULE_KFUNC_PROBE(module, event, args...)                                              \
  __attribute__((section("fentry/" #event))) BPF_PROG(kfunc__##module##__##event, ##args)
#define MODULE_KRETFUNC_PROBE(module, event, args...)                                           \
  __attribute__((section("fexit/" #event))) BPF_PROG(kretfunc__##module##__##event, ##args)
#define KMOD_RET(event, args...) __attribute__((section("fmod_ret/" #event))) BPF_PROG(kmod_ret__##event, ##args)
#define LSM_PROBE(event, args...) __attribute__((section("lsm/" #event))) BPF_PROG(lsm__##event, ##args)
#define BPF_ITER(target)                                                                        \
  __attribute__((section("iter/" #target))) int bpf_iter__##target(struct bpf_iter__##target *ctx)

#define asm_inline asm

#endif

// strlen_count: the strings passed to strlen(), counted (up to 80 bytes of each). A uprobe on
// libc's strlen; uprobes work on every kernel, so there is one form. Unlike BCC's, the string is
// read up to its NUL (bpf_probe_read_user_str) so the bytes after it do not make every key
// distinct, and the table is larger: system-wide, BCC's 10240 entries filled within seconds here.
// It is an LRU hash: on a busy machine even 32768 distinct strings arrive within a second, and
// a full plain hash would drop every new string from then on; here the least recently counted
// ones make room, so the table keeps the strings that recur.
#include <uapi/linux/ptrace.h>

struct key_t {
    char c[80];
};
BPF_TABLE("lru_hash", struct key_t, u64, counts, 32768);

int count(struct pt_regs *ctx) {
    if (!PT_REGS_PARM1(ctx))
        return 0;

    struct key_t key = {};
    u64 zero = 0, *val;

    bpf_probe_read_user_str(&key.c, sizeof(key.c), (void *)PT_REGS_PARM1(ctx));
    val = counts.lookup_or_try_init(&key, &zero);
    if (val) {
        (*val)++;
    }
    return 0;
}

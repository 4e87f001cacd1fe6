// Programs that declare kernel structs and names themselves (compat class 3): BCC gives a
// program only the headers it includes, so its own `struct sock`, an enumerator the kernel
// also has, a function named like a kernel macro and a field named like a member alias work.
#include <uapi/linux/ptrace.h>

struct sock_common {
  u32 skc_daddr;
  u32 skc_rcv_saddr;
};
struct sock {
  struct sock_common __sk_common;
  u32 *sk_daddr;  // a field named like the kernel's member alias
};
enum { TCP_ESTABLISHED = 1, TCP_SYN_SENT = 2 };

static inline u32 min(u32 a, u32 b) { return a < b ? a : b; }

BPF_HASH(states, u32, u32);

int own_sock(struct pt_regs *ctx, struct sock *sk) {
  u32 key = min(sk->__sk_common.skc_daddr, 7);
  u32 state = TCP_SYN_SENT;
  states.update(&key, &state);
  return *(sk->sk_daddr) == TCP_ESTABLISHED;
}
// load: KPROBE

// Implicit kernel-memory reads through the program's own memory (compat class 5): a kernel
// pointer kept in a field of a local struct (`l.ptr->f`, `lp->ptr->f`), unary operators on
// reads, arrays of structs inside kernel structs, casts of pointer-to-pointer dereferences at
// two and three levels, and pointers to kernel pointers stored in a map.
#include <uapi/linux/ptrace.h>
#include <linux/netdevice.h>
#include <linux/mm_types.h>
#include <net/inet_sock.h>

struct holder { struct sk_buff *ptr; };
BPF_HASH(currsock, u32, struct sock *);
BPF_ARRAY(out, u64, 8);

static inline void put(int k, u64 v) { out.update(&k, &v); }

int local_fields(struct pt_regs *ctx, struct sk_buff *skb) {
  struct holder l = {};
  struct holder *lp = &l;
  lp->ptr = skb;
  put(0, l.ptr->priority + lp->ptr->len);
  put(1, !skb->len + -skb->priority + ~skb->mark);
  return 0;
}

int mm_counters(struct pt_regs *ctx, struct mm_struct *mm) {
  put(2, mm->rss_stat[MM_ANONPAGES].count + mm->rss_stat[MM_FILEPAGES].count);
  return 0;
}

static int third(struct sock ***skp) { return ((struct sock *)(**skp))->sk_daddr; }

int deref_levels(struct pt_regs *ctx, struct sock *sk) {
  struct sock *ptr1;
  struct sock **ptr2 = &ptr1;
  struct sock ***ptr3 = &ptr2;
  *ptr2 = sk;
  *ptr3 = ptr2;
  struct sock **pa, **pb = &sk;
  pa = &sk;
  put(3, ((struct sock *)(*ptr2))->sk_daddr + ((struct sock *)(**ptr3))->sk_daddr);
  put(4, (*pa)->sk_daddr + (*pb)->sk_num + third(ptr3));
  return 0;
}

int stash(struct pt_regs *ctx, struct sock *sk) {
  u32 pid = bpf_get_current_pid_tgid();
  struct sock **skp = &sk;
  currsock.update(&pid, skp);
  return 0;
}

int use_stash(struct pt_regs *ctx) {
  u32 pid = bpf_get_current_pid_tgid();
  struct sock **skpp = currsock.lookup(&pid);
  if (skpp) {
    struct sock *skp = *skpp;
    put(5, skp->__sk_common.skc_dport);
  }
  return 0;
}
// load: KPROBE

// Kernel macros and inline helpers BTF cannot carry (compat class 2): struct sock member
// aliases, byte order, min/max/clamp, 64-bit division, memory builtins, kernel version, block
// request flags, open flags, TCP_SKB_CB, page and task constants, UAPI constants.
#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <linux/blkdev.h>
#include <linux/fs.h>

struct conn_t {
  u32 daddr;
  u16 dport;
  u16 family;
  u32 state;
  char comm[TASK_COMM_LEN];
};
BPF_PERF_OUTPUT(conns);
BPF_ARRAY(consts, u64, 16);

int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk) {
  struct conn_t c = {};
  c.daddr = sk->sk_daddr;
  c.dport = ntohs(sk->sk_dport);
  c.family = sk->sk_family;
  c.state = sk->sk_state;
  bpf_get_current_comm(&c.comm, sizeof(c.comm));
  if (c.family != AF_INET && c.family != AF_INET6)
    return 0;
  conns.perf_submit(ctx, &c, sizeof(c));
  return 0;
}

int count_segs(struct pt_regs *ctx, struct sk_buff *skb) {
  u32 segs = TCP_SKB_CB(skb)->tcp_gso_segs;
  u32 seq = be32_to_cpu(htonl(TCP_SKB_CB(skb)->seq));
  int k = 0;
  u64 v = min_t(u64, segs, 64) + max_t(u32, seq, 1) + clamp(segs, 1U, 8U) + div_u64(seq, 3);
  consts.update(&k, &v);
  return 0;
}

int constants(struct pt_regs *ctx) {
  u64 vals[8];
  memset(vals, 0, sizeof(vals));
  vals[0] = O_CREAT | O_TMPFILE | O_WRONLY | O_TRUNC;
  vals[1] = REQ_OP_WRITE | REQ_SYNC | REQ_FUA | (REQ_OP_MASK & 3);
  vals[2] = PAGE_SIZE + PAGE_SHIFT + (__START_KERNEL_map >> 32);
  vals[3] = TASK_RUNNING + TASK_INTERRUPTIBLE + TASK_UNINTERRUPTIBLE + TASK_DEAD;
  vals[4] = ETH_P_IP + ETH_P_IPV6 + IPPROTO_TCP + IPPROTO_UDP + AF_INET6 + SOCK_DGRAM;
  vals[5] = LINUX_VERSION_CODE >= KERNEL_VERSION(5, 8, 0);
  vals[6] = MAJOR(MKDEV(8, 1)) + MINOR(MKDEV(8, 1)) + DISK_NAME_LEN + NAME_MAX + PATH_MAX;
  memcpy(&vals[7], &vals[0], sizeof(u64));
  for (int i = 0; i < 8; i++) {
    int k = i;
    consts.update(&k, &vals[i]);
  }
  return 0;
}
// load: KPROBE

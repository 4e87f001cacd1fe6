// load: KPROBE
// A bitfield behind a kernel pointer (sk_buff's pkt_type:3), read with CO-RE field info.
#include <linux/skbuff.h>

BPF_HASH(types, u32, u64);

int count_pkt_types(struct pt_regs *ctx, struct sk_buff *skb) {
  u32 t = skb->pkt_type;
  types.increment(t);
  return 0;
}

// error: 5:3: incr_cksum_l3 takes (offset, old, new)
#include <bcc/proto.h>

int f(struct __sk_buff *skb) {
  incr_cksum_l3(24, 0x4000);
  return 0;
}

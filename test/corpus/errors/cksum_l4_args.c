// error: 5:3: incr_cksum_l4 takes (offset, old, new, pseudo_header)
#include <bcc/proto.h>

int f(struct __sk_buff *skb) {
  incr_cksum_l4(40, 80, 8080, 1, 0);
  return 0;
}

// error: 7:18: cannot use "packet" header type inside a macro
#include <bcc/proto.h>
#define TYPE_OF(e) e->type
int f(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  return TYPE_OF(eth);
}

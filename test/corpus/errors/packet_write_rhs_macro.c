// error: 8:13: the right-hand side of a packet header write must not end in a macro: put it in parentheses
#include <bcc/proto.h>
#define DEFAULT_TTL 64

int reset_ttl(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  ip->ttl = DEFAULT_TTL;
  return 0;
}

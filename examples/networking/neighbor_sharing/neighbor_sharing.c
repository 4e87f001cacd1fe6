// Per-IP rate limiting for hosts that share one uplink with their neighbours.
//
// The neighbours' side learns which IPv4 addresses live there (classify_neighbor); traffic
// from the WAN is then put into the rate-limited class when it is addressed to a learned
// neighbour, and into the unlimited class otherwise (classify_wan). `pass` classifies
// everything into class 1 and is used where no decision is needed.
#include <bcc/proto.h>

// classify_wan runs in classid mode: 0 means "no match" (the qdisc's default class takes the
// packet), any other value is the full class handle, major:minor.
#define CLASS_UNLIMITED 0
#define CLASS_LIMITED 0x10001 /* 1:1 */

struct ipkey {
  u32 client_ip;
};

// Learned neighbour addresses -> the class their traffic goes into.
BPF_HASH(learned_ips, struct ipkey, int, 1024);

int classify_wan(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  switch (ethernet->type) {
    case ETH_P_IP: goto ipv4;
    default: goto unlimited;
  }

ipv4: {
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  struct ipkey key = {.client_ip = ip->dst};
  int *cls = learned_ips.lookup(&key);
  if (cls)
    return *cls;
}

unlimited:
  return CLASS_UNLIMITED;
}

int classify_neighbor(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  if (ethernet->type != ETH_P_IP)
    return CLASS_UNLIMITED;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  struct ipkey key = {.client_ip = ip->src};
  int cls = CLASS_LIMITED;
  learned_ips.insert(&key, &cls);
  return CLASS_UNLIMITED;
}

int pass(struct __sk_buff *skb) {
  return 1;
}

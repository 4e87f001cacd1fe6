// neighbor_sharing: classify traffic from the WAN side and from neighbours. Addresses seen
// leaving towards the WAN are learned; a neighbour's packet is put in class 1 (shared, rate
// limited) when its destination was learned, class 2 otherwise.
#include <bcc/proto.h>

struct ipkey {
  u32 client_ip;
};

BPF_HASH(learned_ips, struct ipkey, int, 1024);

// WAN side: remember each source address (the value is unused).
int classify_wan(struct __sk_buff *skb) {
  u8 *cursor = 0;
  ethernet: {
    struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
    switch (ethernet->type) {
      case ETH_P_IP: goto ip;
      default: goto EOP;
    }
  }
  ip: {
    struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
    u32 dip = ip->dst;
    struct ipkey key = {.client_ip = dip};
    int zero = 0;
    learned_ips.insert(&key, &zero);
    goto EOP;
  }
EOP:
  return 1;
}

// Neighbour side: class 1 when the destination is a learned address.
int classify_neighbor(struct __sk_buff *skb) {
  u8 *cursor = 0;
  ethernet: {
    struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
    switch (ethernet->type) {
      case ETH_P_IP: goto ip;
      default: goto EOP;
    }
  }
  ip: {
    struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
    u32 sip = ip->src;
    struct ipkey key = {.client_ip = sip};
    int *val = learned_ips.lookup(&key);
    if (val)
      return *val + 1;
    goto EOP;
  }
EOP:
  return 2;
}

int pass(struct __sk_buff *skb) {
  return 1;
}

// VLAN learning without vlan devices. One physical (trunk) interface carries tagged traffic
// for several local ports. Frames arriving on the trunk are untagged and cloned to the local
// port that owns their source MAC address (learned from the `ports_by_mac` table the
// controller fills); on the way back, frames leaving a local port get the tag the port's
// traffic arrived with pushed again and are cloned out of the trunk.
#include <bcc/proto.h>

struct port_leaf {
  int ifindex;      // where to send: a local port (ports_by_mac) or the trunk (trunk_by_port)
  u16 vlan_tci;     // tag seen on the trunk (trunk_by_port)
  u16 vlan_proto;   // 802.1Q or 802.1ad (trunk_by_port)
  u64 pkts;
  u64 bytes;
};

// source MAC of a host -> the local port it belongs to
BPF_HASH(ports_by_mac, u64, struct port_leaf, 4096);
// local port ifindex -> trunk ifindex and the tag to push
BPF_HASH(trunk_by_port, int, struct port_leaf, 4096);

int trunk_to_port(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  u64 src_mac = ethernet->src;
  struct port_leaf *port = ports_by_mac.lookup(&src_mac);
  if (!port)
    return 1;
  lock_xadd(&port->pkts, 1);
  lock_xadd(&port->bytes, skb->len);

  struct port_leaf fresh = {};
  int local = port->ifindex;
  struct port_leaf *back = trunk_by_port.lookup_or_try_init(&local, &fresh);
  if (back) {
    back->ifindex = skb->ifindex;
    back->vlan_tci = skb->vlan_tci;
    back->vlan_proto = skb->vlan_proto;
  }
  if (skb->vlan_present)
    bpf_skb_vlan_pop(skb);
  bpf_clone_redirect(skb, local, 0);
  return 1;
}

int port_to_trunk(struct __sk_buff *skb) {
  int port = skb->ifindex;
  struct port_leaf *trunk = trunk_by_port.lookup(&port);
  if (!trunk)
    return 1;
  lock_xadd(&trunk->pkts, 1);
  lock_xadd(&trunk->bytes, skb->len);
  bpf_skb_vlan_push(skb, trunk->vlan_proto, trunk->vlan_tci);
  bpf_clone_redirect(skb, trunk->ifindex, 0);
  return 1;
}

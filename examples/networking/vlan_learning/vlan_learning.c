// VLAN learning: one trunk carries tagged frames of many clients; each client's frames are
// handed to the worker that serves it, without vlan devices on this side. The controller says
// which worker port serves which client MAC (`mac_port`); from the client's frames the program
// learns the way back — the trunk and the 802.1Q tag to push (`port_trunk`). Clients may use
// the same addresses (and workers too): only the MAC/VLAN decides.
#include <bcc/proto.h>

// A client (by MAC): the worker port that serves it, and what crossed in each direction.
struct client_leaf {
  int port;       // ifindex of the worker's port (set by the controller)
  int pad;
  u64 rx_pkts;    // frames from the client, delivered to its worker
  u64 rx_bytes;
  u64 tx_pkts;    // frames from the worker, sent back to the client
  u64 tx_bytes;
};

// A worker port: where its client is on the trunk (learned from the client's frames).
struct trunk_leaf {
  int trunk;      // ifindex of the trunk
  u16 vlan_tci;   // the tag to push
  u16 vlan_proto; // 802.1Q or 802.1ad, network byte order (as __sk_buff has it)
  u64 mac;        // the client's MAC, to count what goes back to it
};

BPF_HASH(mac_port, u64, struct client_leaf, 4096);
BPF_HASH(port_trunk, int, struct trunk_leaf, 4096);

// On the trunk's ingress: a tagged frame from a known client goes, untagged, to its worker.
int phys_to_virt(struct __sk_buff *skb) {
  if (!skb->vlan_present)
    return TC_ACT_OK;
  u8 *cursor = 0;
  struct ethernet_t *ethernet = cursor_advance(cursor, sizeof(*ethernet));
  u64 src = ethernet->src;
  struct client_leaf *client = mac_port.lookup(&src);
  if (!client)
    return TC_ACT_OK;
  lock_xadd(&client->rx_pkts, 1);
  lock_xadd(&client->rx_bytes, skb->len);
  int port = client->port;
  struct trunk_leaf back = {};
  back.trunk = skb->ifindex;
  back.vlan_tci = skb->vlan_tci;
  back.vlan_proto = skb->vlan_proto;
  back.mac = src;
  port_trunk.update(&port, &back);
  bpf_skb_vlan_pop(skb);
  return bpf_redirect(port, 0);
}

// On a worker port's ingress: the worker's frames go back out of the trunk, tagged with its
// client's VLAN; a worker whose client has not spoken yet reaches nobody.
int virt_to_phys(struct __sk_buff *skb) {
  int port = skb->ifindex;
  struct trunk_leaf *back = port_trunk.lookup(&port);
  if (!back)
    return TC_ACT_SHOT;
  u64 mac = back->mac;
  struct client_leaf *client = mac_port.lookup(&mac);
  if (client) {
    lock_xadd(&client->tx_pkts, 1);
    lock_xadd(&client->tx_bytes, skb->len);
  }
  bpf_skb_vlan_push(skb, back->vlan_proto, back->vlan_tci);
  return bpf_redirect(back->trunk, 0);
}

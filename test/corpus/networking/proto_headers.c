// load: SCHED_CLS
// The proto.h headers the other programs do not use: 802.1Q, ARP, IPv6 (+ extension header),
// ICMPv6, TCP and VXLAN-GBP. Each is parsed with cursor_advance, read and written in place.
#include <bcc/proto.h>

BPF_HASH(vlan_pkts, u16, u64, 4096);
BPF_HASH(tcp_flags, u8, u64, 256);
BPF_HASH(gbp_groups, u32, u64, 1024);

// 802.1Q: count per VLAN id, then rewrite the priority bits and the VLAN id.
int vlan_remark(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != 0x8100)
    return TC_ACT_OK;
  struct dot1q_t *tag = cursor_advance(cursor, sizeof(*tag));
  u16 vid = tag->vlanid;
  vlan_pkts.increment(vid);
  if (tag->pri < 3 && tag->cfi == 0)
    tag->pri = 5;
  if (vid == 100)
    tag->vlanid = 200;
  if (tag->type == ETH_P_ARP)
    return TC_ACT_PIPE;
  return TC_ACT_OK;
}

// ARP: turn a who-has for 10.0.0.1 into a reply from 02:00:00:00:00:01.
int arp_responder(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != ETH_P_ARP)
    return TC_ACT_OK;
  struct arp_t *arp = cursor_advance(cursor, sizeof(*arp));
  if (arp->htype != 1 || arp->ptype != ETH_P_IP || arp->hlen != 6 || arp->plen != 4)
    return TC_ACT_OK;
  if (arp->oper != 1 || arp->tpa != 0x0a000001)
    return TC_ACT_OK;
  u64 asker_mac = arp->sha;
  u32 asker_ip = arp->spa;
  arp->oper = 2;
  arp->tha = asker_mac;
  arp->tpa = asker_ip;
  arp->sha = 0x020000000001ull;
  arp->spa = 0x0a000001;
  eth->dst = asker_mac;
  eth->src = 0x020000000001ull;
  return TC_ACT_OK;
}

// IPv6: skip one extension header, answer ICMPv6 echo requests in place, decrement hop limit.
int ipv6_echo(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != ETH_P_IPV6)
    return TC_ACT_OK;
  struct ip6_t *ip6 = cursor_advance(cursor, sizeof(*ip6));
  if (ip6->ver != 6 || ip6->hop_limit <= 1)
    return TC_ACT_SHOT;
  u32 flow = ip6->flow_label;
  u8 next = ip6->next_header;
  if (next == 0) {  // hop-by-hop options: one 8-byte extension header
    struct ip6_opt_t *opt = cursor_advance(cursor, sizeof(*opt));
    next = opt->next_header;
    if (opt->ext_len != 0)
      return TC_ACT_OK;
  }
  ip6->hop_limit -= 1;
  ip6->priority = 0;
  ip6->flow_label = flow ^ 1;
  if (next != IPPROTO_ICMPV6 || ip6->payload_len < sizeof(struct icmp6_t))
    return TC_ACT_OK;
  struct icmp6_t *icmp6 = cursor_advance(cursor, sizeof(*icmp6));
  if (icmp6->type != 128 || icmp6->code != 0)
    return TC_ACT_OK;
  u64 src_hi = ip6->src_hi, src_lo = ip6->src_lo;
  ip6->src_hi = ip6->dst_hi;
  ip6->src_lo = ip6->dst_lo;
  ip6->dst_hi = src_hi;
  ip6->dst_lo = src_lo;
  u16 sum = icmp6->checksum;
  icmp6->type = 129;
  icmp6->checksum = sum - 0x100;
  return TC_ACT_OK;
}

// TCP over IPv4: count flag combinations, clamp the window of SYNs, fix the checksum.
int tcp_clamp(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != ETH_P_IP)
    return TC_ACT_OK;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  if (ip->nextp != IPPROTO_TCP || ip->hlen != 5)
    return TC_ACT_OK;
  struct tcp_t *tcp = cursor_advance(cursor, sizeof(*tcp));
  u8 flags = (tcp->flag_cwr << 7) | (tcp->flag_ece << 6) | (tcp->flag_urg << 5) | (tcp->flag_ack << 4) |
             (tcp->flag_psh << 3) | (tcp->flag_rst << 2) | (tcp->flag_syn << 1) | tcp->flag_fin;
  tcp_flags.increment(flags);
  if (tcp->offset < 5 || tcp->reserved != 0)
    return TC_ACT_SHOT;
  if (tcp->flag_syn && !tcp->flag_ack && tcp->rcv_wnd > 1024) {
    u16 old_wnd = tcp->rcv_wnd;
    tcp->rcv_wnd = 1024;
    incr_cksum_l4((u64)tcp + 16, old_wnd, 1024, 0);
  }
  if (tcp->dst_port == 8080) {
    u16 old_port = tcp->dst_port;
    tcp->dst_port = 80;
    incr_cksum_l4((u64)tcp + 16, old_port, 80, 0);
  }
  if (tcp->flag_urg == 0 && tcp->urg_ptr != 0)
    tcp->urg_ptr = 0;
  u32 seq = tcp->seq_num, ack = tcp->ack_num;
  if (tcp->flag_rst && seq == 0 && ack == 0 && tcp->cksum == 0)
    return TC_ACT_SHOT;
  if (tcp->src_port == 0)
    tcp->flag_ece = 1;
  return TC_ACT_OK;
}

// VXLAN-GBP (UDP 4789): count per group policy tag, mark the policy applied.
int vxlan_gbp_policy(struct __sk_buff *skb) {
  u8 *cursor = 0;
  struct ethernet_t *eth = cursor_advance(cursor, sizeof(*eth));
  if (eth->type != ETH_P_IP)
    return TC_ACT_OK;
  struct ip_t *ip = cursor_advance(cursor, sizeof(*ip));
  if (ip->nextp != IPPROTO_UDP)
    return TC_ACT_OK;
  struct udp_t *udp = cursor_advance(cursor, sizeof(*udp));
  if (udp->dport != 4789)
    return TC_ACT_OK;
  struct vxlan_gbp_t *gbp = cursor_advance(cursor, sizeof(*gbp));
  if (!gbp->gflag || !gbp->iflag)
    return TC_ACT_OK;
  u32 group = gbp->tag;
  gbp_groups.increment(group);
  if (gbp->dflag)
    return TC_ACT_SHOT;
  if (group == 0) {
    gbp->tag = 0xffff;
    gbp->aflag = 1;
  }
  if (gbp->key == 42 && gbp->rsv6 == 0)
    gbp->key = 43;
  return TC_ACT_OK;
}

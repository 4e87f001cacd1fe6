/* tsbcc: packet header structs for BCC-C packet access (cursor_advance + `hdr->field`).
 * Fields are listed in wire order; the rewriter turns each field access into a load or
 * store of those bits at the header's packet offset. Layouts follow BCC's proto.h (including
 * vxlan_gbp_t's one-bit-short second byte); the text is tsbcc's own. */
#ifndef __TSBCC_PROTO_H
#define __TSBCC_PROTO_H

#define BPF_PACKET_HEADER __attribute__((packed)) __attribute__((deprecated("packet")))

typedef unsigned long long __tsbcc_bits;

struct ethernet_t {
  __tsbcc_bits dst : 48;
  __tsbcc_bits src : 48;
  __tsbcc_bits type : 16;
} BPF_PACKET_HEADER;

struct dot1q_t {
  __tsbcc_bits pri : 3;
  __tsbcc_bits cfi : 1;
  __tsbcc_bits vlanid : 12;
  __tsbcc_bits type : 16;
} BPF_PACKET_HEADER;

struct arp_t {
  __tsbcc_bits htype : 16;
  __tsbcc_bits ptype : 16;
  __tsbcc_bits hlen : 8;
  __tsbcc_bits plen : 8;
  __tsbcc_bits oper : 16;
  __tsbcc_bits sha : 48;
  __tsbcc_bits spa : 32;
  __tsbcc_bits tha : 48;
  __tsbcc_bits tpa : 32;
} BPF_PACKET_HEADER;

struct ip_t {
  __tsbcc_bits ver : 4;
  __tsbcc_bits hlen : 4;
  __tsbcc_bits tos : 8;
  __tsbcc_bits tlen : 16;
  __tsbcc_bits identification : 16;
  __tsbcc_bits ffo_unused : 1;
  __tsbcc_bits df : 1;
  __tsbcc_bits mf : 1;
  __tsbcc_bits foffset : 13;
  __tsbcc_bits ttl : 8;
  __tsbcc_bits nextp : 8;
  __tsbcc_bits hchecksum : 16;
  __tsbcc_bits src : 32;
  __tsbcc_bits dst : 32;
} BPF_PACKET_HEADER;

struct icmp_t {
  __tsbcc_bits type : 8;
  __tsbcc_bits code : 8;
  __tsbcc_bits checksum : 16;
} BPF_PACKET_HEADER;

struct ip6_t {
  __tsbcc_bits ver : 4;
  __tsbcc_bits priority : 8;
  __tsbcc_bits flow_label : 20;
  __tsbcc_bits payload_len : 16;
  __tsbcc_bits next_header : 8;
  __tsbcc_bits hop_limit : 8;
  __tsbcc_bits src_hi : 64;
  __tsbcc_bits src_lo : 64;
  __tsbcc_bits dst_hi : 64;
  __tsbcc_bits dst_lo : 64;
} BPF_PACKET_HEADER;

struct ip6_opt_t {
  __tsbcc_bits next_header : 8;
  __tsbcc_bits ext_len : 8;
  unsigned char pad[6];
} BPF_PACKET_HEADER;

struct icmp6_t {
  __tsbcc_bits type : 8;
  __tsbcc_bits code : 8;
  __tsbcc_bits checksum : 16;
} BPF_PACKET_HEADER;

struct udp_t {
  __tsbcc_bits sport : 16;
  __tsbcc_bits dport : 16;
  __tsbcc_bits length : 16;
  __tsbcc_bits crc : 16;
} BPF_PACKET_HEADER;

struct tcp_t {
  __tsbcc_bits src_port : 16;
  __tsbcc_bits dst_port : 16;
  __tsbcc_bits seq_num : 32;
  __tsbcc_bits ack_num : 32;
  __tsbcc_bits offset : 4;
  __tsbcc_bits reserved : 4;
  __tsbcc_bits flag_cwr : 1;
  __tsbcc_bits flag_ece : 1;
  __tsbcc_bits flag_urg : 1;
  __tsbcc_bits flag_ack : 1;
  __tsbcc_bits flag_psh : 1;
  __tsbcc_bits flag_rst : 1;
  __tsbcc_bits flag_syn : 1;
  __tsbcc_bits flag_fin : 1;
  __tsbcc_bits rcv_wnd : 16;
  __tsbcc_bits cksum : 16;
  __tsbcc_bits urg_ptr : 16;
} BPF_PACKET_HEADER;

struct vxlan_t {
  __tsbcc_bits rsv1 : 4;
  __tsbcc_bits iflag : 1;
  __tsbcc_bits rsv2 : 3;
  __tsbcc_bits rsv3 : 24;
  __tsbcc_bits key : 24;
  __tsbcc_bits rsv4 : 8;
} BPF_PACKET_HEADER;

struct vxlan_gbp_t {
  __tsbcc_bits gflag : 1;
  __tsbcc_bits rsv1 : 3;
  __tsbcc_bits iflag : 1;
  __tsbcc_bits rsv2 : 3;
  __tsbcc_bits rsv3 : 1;
  __tsbcc_bits dflag : 1;
  __tsbcc_bits rsv4 : 1;
  __tsbcc_bits aflag : 1;
  __tsbcc_bits rsv5 : 3;
  __tsbcc_bits tag : 16;
  __tsbcc_bits key : 24;
  __tsbcc_bits rsv6 : 8;
} BPF_PACKET_HEADER;

#endif

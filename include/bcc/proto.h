/* tsbcc: packet header structs for BCC-C packet access (cursor_advance + `hdr->field`).
 * Fields are listed in wire order; the rewriter turns each field access into a load or
 * store of those bits at the header's packet offset. Byte-aligned fields of 8, 16, 32 or 64 bits
 * have plain types, as in BCC, so `&ip->hchecksum` (an offset, for incr_cksum_l3/l4) works. Layouts follow BCC's proto.h (including
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
  unsigned short type;
} BPF_PACKET_HEADER;

struct arp_t {
  unsigned short htype;
  unsigned short ptype;
  unsigned char hlen;
  unsigned char plen;
  unsigned short oper;
  __tsbcc_bits sha : 48;
  __tsbcc_bits spa : 32;
  __tsbcc_bits tha : 48;
  unsigned int tpa;
} BPF_PACKET_HEADER;

struct ip_t {
  __tsbcc_bits ver : 4;
  __tsbcc_bits hlen : 4;
  unsigned char tos;
  unsigned short tlen;
  unsigned short identification;
  __tsbcc_bits ffo_unused : 1;
  __tsbcc_bits df : 1;
  __tsbcc_bits mf : 1;
  __tsbcc_bits foffset : 13;
  unsigned char ttl;
  unsigned char nextp;
  unsigned short hchecksum;
  unsigned int src;
  unsigned int dst;
} BPF_PACKET_HEADER;

struct icmp_t {
  unsigned char type;
  unsigned char code;
  unsigned short checksum;
} BPF_PACKET_HEADER;

struct ip6_t {
  __tsbcc_bits ver : 4;
  __tsbcc_bits priority : 8;
  __tsbcc_bits flow_label : 20;
  unsigned short payload_len;
  unsigned char next_header;
  unsigned char hop_limit;
  unsigned long long src_hi;
  unsigned long long src_lo;
  unsigned long long dst_hi;
  unsigned long long dst_lo;
} BPF_PACKET_HEADER;

struct ip6_opt_t {
  unsigned char next_header;
  unsigned char ext_len;
  unsigned char pad[6];
} BPF_PACKET_HEADER;

struct icmp6_t {
  unsigned char type;
  unsigned char code;
  unsigned short checksum;
} BPF_PACKET_HEADER;

struct udp_t {
  unsigned short sport;
  unsigned short dport;
  unsigned short length;
  unsigned short crc;
} BPF_PACKET_HEADER;

struct tcp_t {
  unsigned short src_port;
  unsigned short dst_port;
  unsigned int seq_num;
  unsigned int ack_num;
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
  unsigned short rcv_wnd;
  unsigned short cksum;
  unsigned short urg_ptr;
} BPF_PACKET_HEADER;

struct vxlan_t {
  __tsbcc_bits rsv1 : 4;
  __tsbcc_bits iflag : 1;
  __tsbcc_bits rsv2 : 3;
  __tsbcc_bits rsv3 : 24;
  __tsbcc_bits key : 24;
  unsigned char rsv4;
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

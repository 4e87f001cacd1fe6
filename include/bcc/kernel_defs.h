/* tsbcc: kernel macro constants that BTF cannot carry (it holds types and enums, not
 * #defines). Values are the kernel's UAPI numbers. Included after the BTF-generated kernel
 * header, inside its precompiled form. Written for tsbcc. */
#ifndef __TSBCC_KERNEL_DEFS_H
#define __TSBCC_KERNEL_DEFS_H

#ifndef NULL
#define NULL ((void *)0)
#endif
#ifndef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)
#endif
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __inline inline __attribute__((always_inline))
#define __user
#define __kernel
#define __force
#define __rcu
#define __percpu
#define __iomem
#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KBUILD_MODNAME "bcc"

/* Byte order (linux/byteorder/generic.h; kernel headers give every program these; x86_64 and
 * arm64 are little-endian) */
#define __swab16(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define __swab32(x) ((__u32)__builtin_bswap32((__u32)(x)))
#define __swab64(x) ((__u64)__builtin_bswap64((__u64)(x)))
#define be16_to_cpu(x) __swab16(x)
#define be32_to_cpu(x) __swab32(x)
#define be64_to_cpu(x) __swab64(x)
#define cpu_to_be16(x) __swab16(x)
#define cpu_to_be32(x) __swab32(x)
#define cpu_to_be64(x) __swab64(x)
#define __be16_to_cpu(x) __swab16(x)
#define __be32_to_cpu(x) __swab32(x)
#define __cpu_to_be16(x) __swab16(x)
#define __cpu_to_be32(x) __swab32(x)
#define ntohs(x) __swab16(x)
#define htons(x) __swab16(x)
#define ntohl(x) __swab32(x)
#define htonl(x) __swab32(x)

/* Ethernet (uapi/linux/if_ether.h) */
#define ETH_ALEN 6
#define ETH_TLEN 2
#define ETH_HLEN 14
#define ETH_ZLEN 60
#define ETH_DATA_LEN 1500
#define ETH_FRAME_LEN 1514
#define ETH_FCS_LEN 4
#define ETH_P_LOOP 0x0060
#define ETH_P_ALL 0x0003
#define ETH_P_802_3 0x0001
#define ETH_P_802_2 0x0004
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_RARP 0x8035
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_QINQ1 0x9100
#define ETH_P_IPX 0x8137
#define ETH_P_IPV6 0x86DD
#define ETH_P_PAUSE 0x8808
#define ETH_P_SLOW 0x8809
#define ETH_P_MPLS_UC 0x8847
#define ETH_P_MPLS_MC 0x8848
#define ETH_P_PPP_DISC 0x8863
#define ETH_P_PPP_SES 0x8864
#define ETH_P_LLDP 0x88CC
#define ETH_P_TEB 0x6558
#define ETH_P_MACSEC 0x88E5
#define ETH_P_1588 0x88F7
#define ETH_P_NSH 0x894F
#define ETH_P_FCOE 0x8906
#define ETH_P_LOOPBACK 0x9000
#define ETH_P_802_3_MIN 0x0600

/* IP protocols BTF lacks (the rest are enumerators of the kernel's IPPROTO enum) */
#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6 58
#define IPPROTO_NONE 59
#define IPPROTO_DSTOPTS 60
#define IPPROTO_MH 135

/* IP header bits (net/ip.h) */
#define IP_CE 0x8000
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

/* ICMP (uapi/linux/icmp.h, icmpv6.h) */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_TIMESTAMP 13
#define ICMP_TIMESTAMPREPLY 14
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

/* tc actions (uapi/linux/pkt_cls.h) */
#define TC_ACT_UNSPEC (-1)
#define TC_ACT_OK 0
#define TC_ACT_RECLASSIFY 1
#define TC_ACT_SHOT 2
#define TC_ACT_PIPE 3
#define TC_ACT_STOLEN 4
#define TC_ACT_QUEUED 5
#define TC_ACT_REPEAT 6
#define TC_ACT_REDIRECT 7
#define TC_ACT_TRAP 8
#define TC_H_MAJ_MASK 0xFFFF0000U
#define TC_H_MIN_MASK 0x0000FFFFU
#define TC_H_MAJ(h) ((h) & TC_H_MAJ_MASK)
#define TC_H_MIN(h) ((h) & TC_H_MIN_MASK)
#define TC_H_MAKE(maj, min) (((maj) & TC_H_MAJ_MASK) | ((min) & TC_H_MIN_MASK))
#define TC_H_UNSPEC 0U
#define TC_H_ROOT 0xFFFFFFFFU

/* packet types (uapi/linux/if_packet.h) */
#define PACKET_HOST 0
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2
#define PACKET_OTHERHOST 3
#define PACKET_OUTGOING 4
#define PACKET_LOOPBACK 5

/* address families (linux/socket.h) */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3

/* misc sizes */
#define IFNAMSIZ 16
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PERF_MAX_STACK_DEPTH 127
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL
#define USEC_PER_SEC 1000000ULL
#define MAX_ERRNO 4095

/* TCP header flags as in the 13th byte */
#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCPHDR_PSH 0x08
#define TCPHDR_ACK 0x10
#define TCPHDR_URG 0x20
#define TCPHDR_ECE 0x40
#define TCPHDR_CWR 0x80

/* file modes (uapi/linux/stat.h) */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)

/* open flags (uapi/asm-generic/fcntl.h) */
#define O_RDONLY 00000000
#define O_WRONLY 00000001
#define O_RDWR 00000002
#define O_CREAT 00000100
#define O_EXCL 00000200
#define O_TRUNC 00001000
#define O_APPEND 00002000
#define O_NONBLOCK 00004000

#endif

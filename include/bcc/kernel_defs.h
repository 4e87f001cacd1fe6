/* tsbcc: kernel macros and inline helpers that BTF cannot carry (it holds types and enums,
 * not #defines), maintained by hand for what BCC-C programs use from kernel-internal headers.
 * The UAPI headers' integer constants come from uapi_defs.h (generated); this header wins where
 * both name a macro. Included after the BTF-generated kernel header and uapi_defs.h, inside
 * the precompiled kernel header. Written for tsbcc.
 *
 * A line ending in a comment of the form "btf: FACT ..." is kept only when this kernel's BTF
 * has every FACT listed: "STRUCT:member.path" (a member path, through anonymous members) or
 * "enum:NAME" (an enumerator); the kernel header's build (src/compiler/kernel-header.ts)
 * drops the others. Such a macro must fit on its line. */
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


/* ---- kernel version ---- */
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

/* ---- limits (linux/limits.h, linux/kernel.h) ---- */
#define U8_MAX ((u8)~0U)
#define S8_MAX ((s8)(U8_MAX >> 1))
#define S8_MIN ((s8)(-S8_MAX - 1))
#define U16_MAX ((u16)~0U)
#define S16_MAX ((s16)(U16_MAX >> 1))
#define S16_MIN ((s16)(-S16_MAX - 1))
#define U32_MAX ((u32)~0U)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define S32_MIN ((s32)(-S32_MAX - 1))
#define U64_MAX ((u64)~0ULL)
#define S64_MAX ((s64)(U64_MAX >> 1))
#define S64_MIN ((s64)(-S64_MAX - 1))
#define USHRT_MAX ((unsigned short)~0U)
#define SHRT_MAX ((short)(USHRT_MAX >> 1))
#define SHRT_MIN ((short)(-SHRT_MAX - 1))
#define INT_MAX ((int)(~0U >> 1))
#define INT_MIN (-INT_MAX - 1)
#define UINT_MAX (~0U)
#define LONG_MAX ((long)(~0UL >> 1))
#define LONG_MIN (-LONG_MAX - 1)
#define ULONG_MAX (~0UL)
#define LLONG_MAX ((long long)(~0ULL >> 1))
#define LLONG_MIN (-LLONG_MAX - 1)
#define ULLONG_MAX (~0ULL)
#define SIZE_MAX (~(size_t)0)
#define BITS_PER_LONG 64
#define BITS_PER_LONG_LONG 64
#define BITS_PER_BYTE 8
#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))
#define GENMASK(h, l) (((~0UL) - (1UL << (l)) + 1) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l) (((~0ULL) - (1ULL << (l)) + 1) & (~0ULL >> (BITS_PER_LONG_LONG - 1 - (h))))

/* ---- byte order (x86_64 is little-endian; linux/byteorder/little_endian.h) ---- */
#define __swab16(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define __swab32(x) ((__u32)__builtin_bswap32((__u32)(x)))
#define __swab64(x) ((__u64)__builtin_bswap64((__u64)(x)))
#define swab16 __swab16
#define swab32 __swab32
#define swab64 __swab64
#define __cpu_to_be16(x) ((__be16)__swab16((x)))
#define __cpu_to_be32(x) ((__be32)__swab32((x)))
#define __cpu_to_be64(x) ((__be64)__swab64((x)))
#define __be16_to_cpu(x) __swab16((__u16)(__be16)(x))
#define __be32_to_cpu(x) __swab32((__u32)(__be32)(x))
#define __be64_to_cpu(x) __swab64((__u64)(__be64)(x))
#define __cpu_to_le16(x) ((__le16)(__u16)(x))
#define __cpu_to_le32(x) ((__le32)(__u32)(x))
#define __cpu_to_le64(x) ((__le64)(__u64)(x))
#define __le16_to_cpu(x) ((__u16)(__le16)(x))
#define __le32_to_cpu(x) ((__u32)(__le32)(x))
#define __le64_to_cpu(x) ((__u64)(__le64)(x))
#define __constant_htons(x) __cpu_to_be16(x)
#define __constant_ntohs(x) __be16_to_cpu(x)
#define __constant_htonl(x) __cpu_to_be32(x)
#define __constant_ntohl(x) __be32_to_cpu(x)
#define __constant_cpu_to_be16(x) __cpu_to_be16(x)
#define __constant_cpu_to_be32(x) __cpu_to_be32(x)
#define __constant_be16_to_cpu(x) __be16_to_cpu(x)
#define __constant_be32_to_cpu(x) __be32_to_cpu(x)
#define cpu_to_be16 __cpu_to_be16
#define cpu_to_be32 __cpu_to_be32
#define cpu_to_be64 __cpu_to_be64
#define be16_to_cpu __be16_to_cpu
#define be32_to_cpu __be32_to_cpu
#define be64_to_cpu __be64_to_cpu
#define cpu_to_le16 __cpu_to_le16
#define cpu_to_le32 __cpu_to_le32
#define cpu_to_le64 __cpu_to_le64
#define le16_to_cpu __le16_to_cpu
#define le32_to_cpu __le32_to_cpu
#define le64_to_cpu __le64_to_cpu
#define htons(x) __cpu_to_be16(x)
#define ntohs(x) __be16_to_cpu(x)
#define htonl(x) __cpu_to_be32(x)
#define ntohl(x) __be32_to_cpu(x)

/* ---- min/max/clamp (linux/minmax.h, without its type checks) ---- */
#define min(x, y) ({ __auto_type __tsbcc_x = (x); __auto_type __tsbcc_y = (y); __tsbcc_x < __tsbcc_y ? __tsbcc_x : __tsbcc_y; })
#define max(x, y) ({ __auto_type __tsbcc_x = (x); __auto_type __tsbcc_y = (y); __tsbcc_x > __tsbcc_y ? __tsbcc_x : __tsbcc_y; })
#define min3(x, y, z) min((typeof(x))min(x, y), z)
#define max3(x, y, z) max((typeof(x))max(x, y), z)
#define min_t(type, x, y) ({ type __tsbcc_x = (x); type __tsbcc_y = (y); __tsbcc_x < __tsbcc_y ? __tsbcc_x : __tsbcc_y; })
#define max_t(type, x, y) ({ type __tsbcc_x = (x); type __tsbcc_y = (y); __tsbcc_x > __tsbcc_y ? __tsbcc_x : __tsbcc_y; })
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp(val, lo, hi) clamp_t(typeof(val), val, lo, hi)
#define clamp_val(val, lo, hi) clamp_t(typeof(val), val, lo, hi)
#define swap(a, b) do { typeof(a) __tsbcc_tmp = (a); (a) = (b); (b) = __tsbcc_tmp; } while (0)
#define abs(x) ({ __auto_type __tsbcc_x = (x); __tsbcc_x < 0 ? -__tsbcc_x : __tsbcc_x; })
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))
#define ALIGN(x, a) (((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)

/* ---- 64-bit division (linux/math64.h, asm-generic/div64.h) ---- */
#define div_u64(dividend, divisor) ((u64)(dividend) / (u32)(divisor))
#define div_s64(dividend, divisor) ((s64)(dividend) / (s32)(divisor))
#define div64_u64(dividend, divisor) ((u64)(dividend) / (u64)(divisor))
#define div64_s64(dividend, divisor) ((s64)(dividend) / (s64)(divisor))
#define div64_ul(x, y) div64_u64(x, y)
#define do_div(n, base) ({ u32 __tsbcc_base = (base); u32 __tsbcc_rem = ((u64)(n)) % __tsbcc_base; (n) = ((u64)(n)) / __tsbcc_base; __tsbcc_rem; })

/* ---- memory builtins (the BPF backend inlines constant sizes) ---- */
#define memset(dst, c, n) __builtin_memset((dst), (c), (n))
#define memcpy(dst, src, n) __builtin_memcpy((dst), (src), (n))
#define memmove(dst, src, n) __builtin_memmove((dst), (src), (n))
#define memcmp(a, b, n) __builtin_memcmp((a), (b), (n))

/* ---- compiler helpers (linux/compiler.h) ---- */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile typeof(x) *)&(x) = (val); } while (0)
#define barrier() __asm__ __volatile__("" : : : "memory")
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
#define IS_ERR(ptr) IS_ERR_VALUE((unsigned long)(ptr))
#define IS_ERR_OR_NULL(ptr) (unlikely(!(ptr)) || IS_ERR_VALUE((unsigned long)(ptr)))
#define PTR_ERR(ptr) ((long)(ptr))
#define ERR_PTR(err) ((void *)(long)(err))
#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))
#define FIELD_SIZEOF(t, f) (sizeof(((t *)0)->f))

/* ---- memory layout (x86_64: asm/page_64_types.h) ---- */
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define __START_KERNEL_map 0xffffffff80000000UL
#define THREAD_SIZE_ORDER 2
#define THREAD_SIZE (PAGE_SIZE << THREAD_SIZE_ORDER)

/* ---- block devices (linux/blkdev.h) ---- */
#define DISK_NAME_LEN 32

/* ---- devices (linux/kdev_t.h) ---- */
#define MINORBITS 20
#define MINORMASK ((1U << MINORBITS) - 1)
#define MAJOR(dev) ((unsigned int)((dev) >> MINORBITS))
#define MINOR(dev) ((unsigned int)((dev) & MINORMASK))
#define MKDEV(ma, mi) (((ma) << MINORBITS) | (mi))

/* ---- tasks (linux/sched.h) ---- */
#define TASK_RUNNING 0x00000000
#define TASK_INTERRUPTIBLE 0x00000001
#define TASK_UNINTERRUPTIBLE 0x00000002
#define __TASK_STOPPED 0x00000004
#define __TASK_TRACED 0x00000008
#define EXIT_DEAD 0x00000010
#define EXIT_ZOMBIE 0x00000020
#define EXIT_TRACE (EXIT_ZOMBIE | EXIT_DEAD)
#define TASK_PARKED 0x00000040
#define TASK_DEAD 0x00000080
#define TASK_WAKEKILL 0x00000100
#define TASK_WAKING 0x00000200
#define TASK_NOLOAD 0x00000400
#define TASK_NEW 0x00000800
#define TASK_KILLABLE (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_STOPPED (TASK_WAKEKILL | __TASK_STOPPED)
#define TASK_TRACED __TASK_TRACED
#define TASK_IDLE (TASK_UNINTERRUPTIBLE | TASK_NOLOAD)
#define TASK_NORMAL (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define PF_IDLE 0x00000002
#define PF_EXITING 0x00000004
#define PF_WQ_WORKER 0x00000020
#define PF_FORKNOEXEC 0x00000040
#define PF_KTHREAD 0x00200000
#define PF_KSWAPD 0x00020000

/* ---- block layer (linux/blk_types.h): request operations and flags ---- */
#define REQ_OP_BITS 8
#define REQ_OP_MASK ((1 << REQ_OP_BITS) - 1)
#define REQ_FAILFAST_DEV (1ULL << __REQ_FAILFAST_DEV) /* btf: enum:__REQ_FAILFAST_DEV */
#define REQ_FAILFAST_TRANSPORT (1ULL << __REQ_FAILFAST_TRANSPORT) /* btf: enum:__REQ_FAILFAST_TRANSPORT */
#define REQ_FAILFAST_DRIVER (1ULL << __REQ_FAILFAST_DRIVER) /* btf: enum:__REQ_FAILFAST_DRIVER */
#define REQ_SYNC (1ULL << __REQ_SYNC) /* btf: enum:__REQ_SYNC */
#define REQ_META (1ULL << __REQ_META) /* btf: enum:__REQ_META */
#define REQ_PRIO (1ULL << __REQ_PRIO) /* btf: enum:__REQ_PRIO */
#define REQ_NOMERGE (1ULL << __REQ_NOMERGE) /* btf: enum:__REQ_NOMERGE */
#define REQ_IDLE (1ULL << __REQ_IDLE) /* btf: enum:__REQ_IDLE */
#define REQ_INTEGRITY (1ULL << __REQ_INTEGRITY) /* btf: enum:__REQ_INTEGRITY */
#define REQ_FUA (1ULL << __REQ_FUA) /* btf: enum:__REQ_FUA */
#define REQ_PREFLUSH (1ULL << __REQ_PREFLUSH) /* btf: enum:__REQ_PREFLUSH */
#define REQ_RAHEAD (1ULL << __REQ_RAHEAD) /* btf: enum:__REQ_RAHEAD */
#define REQ_BACKGROUND (1ULL << __REQ_BACKGROUND) /* btf: enum:__REQ_BACKGROUND */
#define REQ_NOWAIT (1ULL << __REQ_NOWAIT) /* btf: enum:__REQ_NOWAIT */
#define REQ_POLLED (1ULL << __REQ_POLLED) /* btf: enum:__REQ_POLLED */
#define REQ_SWAP (1ULL << __REQ_SWAP) /* btf: enum:__REQ_SWAP */
#define REQ_DRV (1ULL << __REQ_DRV) /* btf: enum:__REQ_DRV */
#define REQ_NOUNMAP (1ULL << __REQ_NOUNMAP) /* btf: enum:__REQ_NOUNMAP */
#define REQ_FAILFAST_MASK (REQ_FAILFAST_DEV | REQ_FAILFAST_TRANSPORT | REQ_FAILFAST_DRIVER) /* btf: enum:__REQ_FAILFAST_DEV */

/* ---- networking helpers that are casts (net/inet_sock.h, linux/tcp.h, ...) ---- */
#define TCP_SKB_CB(__skb) ((struct tcp_skb_cb *)&((__skb)->cb[0])) /* btf: sk_buff:cb tcp_skb_cb:seq */
#define inet_sk(sk) ((struct inet_sock *)(sk)) /* btf: inet_sock:sk */
#define inet_csk(sk) ((struct inet_connection_sock *)(sk)) /* btf: inet_connection_sock:icsk_inet */
#define tcp_sk(sk) ((struct tcp_sock *)(sk)) /* btf: tcp_sock:inet_conn */
#define inet_twsk(sk) ((struct inet_timewait_sock *)(sk)) /* btf: inet_timewait_sock:__tw_common */
#define inet_rsk(sk) ((struct inet_request_sock *)(sk)) /* btf: inet_request_sock:req */
#define sk_fullsock(sk) ((1 << (sk)->__sk_common.skc_state) & ~(TCPF_TIME_WAIT | TCPF_NEW_SYN_RECV)) /* btf: enum:TCPF_TIME_WAIT */

/* ---- member aliases of struct sock and friends (net/sock.h, net/inet_sock.h, ...) ---- */
#define sk_node __sk_common.skc_node /* btf: sock:__sk_common.skc_node */
#define sk_nulls_node __sk_common.skc_nulls_node /* btf: sock:__sk_common.skc_nulls_node */
#define sk_refcnt __sk_common.skc_refcnt /* btf: sock:__sk_common.skc_refcnt */
#define sk_tx_queue_mapping __sk_common.skc_tx_queue_mapping /* btf: sock:__sk_common.skc_tx_queue_mapping */
#define sk_rx_queue_mapping __sk_common.skc_rx_queue_mapping /* btf: sock:__sk_common.skc_rx_queue_mapping */
#define sk_dontcopy_begin __sk_common.skc_dontcopy_begin /* btf: sock:__sk_common.skc_dontcopy_begin */
#define sk_dontcopy_end __sk_common.skc_dontcopy_end /* btf: sock:__sk_common.skc_dontcopy_end */
#define sk_hash __sk_common.skc_hash /* btf: sock:__sk_common.skc_hash */
#define sk_portpair __sk_common.skc_portpair /* btf: sock:__sk_common.skc_portpair */
#define sk_num __sk_common.skc_num /* btf: sock:__sk_common.skc_num */
#define sk_dport __sk_common.skc_dport /* btf: sock:__sk_common.skc_dport */
#define sk_addrpair __sk_common.skc_addrpair /* btf: sock:__sk_common.skc_addrpair */
#define sk_daddr __sk_common.skc_daddr /* btf: sock:__sk_common.skc_daddr */
#define sk_rcv_saddr __sk_common.skc_rcv_saddr /* btf: sock:__sk_common.skc_rcv_saddr */
#define sk_family __sk_common.skc_family /* btf: sock:__sk_common.skc_family */
#define sk_state __sk_common.skc_state /* btf: sock:__sk_common.skc_state */
#define sk_reuse __sk_common.skc_reuse /* btf: sock:__sk_common.skc_reuse */
#define sk_reuseport __sk_common.skc_reuseport /* btf: sock:__sk_common.skc_reuseport */
#define sk_ipv6only __sk_common.skc_ipv6only /* btf: sock:__sk_common.skc_ipv6only */
#define sk_net_refcnt __sk_common.skc_net_refcnt /* btf: sock:__sk_common.skc_net_refcnt */
#define sk_bound_dev_if __sk_common.skc_bound_dev_if /* btf: sock:__sk_common.skc_bound_dev_if */
#define sk_bind_node __sk_common.skc_bind_node /* btf: sock:__sk_common.skc_bind_node */
#define sk_prot __sk_common.skc_prot /* btf: sock:__sk_common.skc_prot */
#define sk_net __sk_common.skc_net /* btf: sock:__sk_common.skc_net */
#define sk_v6_daddr __sk_common.skc_v6_daddr /* btf: sock:__sk_common.skc_v6_daddr */
#define sk_v6_rcv_saddr __sk_common.skc_v6_rcv_saddr /* btf: sock:__sk_common.skc_v6_rcv_saddr */
#define sk_cookie __sk_common.skc_cookie /* btf: sock:__sk_common.skc_cookie */
#define sk_incoming_cpu __sk_common.skc_incoming_cpu /* btf: sock:__sk_common.skc_incoming_cpu */
#define sk_flags __sk_common.skc_flags /* btf: sock:__sk_common.skc_flags */
#define sk_rxhash __sk_common.skc_rxhash /* btf: sock:__sk_common.skc_rxhash */
#define inet_daddr sk.__sk_common.skc_daddr /* btf: inet_sock:sk.__sk_common.skc_daddr */
#define inet_rcv_saddr sk.__sk_common.skc_rcv_saddr /* btf: inet_sock:sk.__sk_common.skc_rcv_saddr */
#define inet_dport sk.__sk_common.skc_dport /* btf: inet_sock:sk.__sk_common.skc_dport */
#define inet_num sk.__sk_common.skc_num /* btf: inet_sock:sk.__sk_common.skc_num */
#define ir_loc_addr req.__req_common.skc_rcv_saddr /* btf: inet_request_sock:req.__req_common.skc_rcv_saddr */
#define ir_rmt_addr req.__req_common.skc_daddr /* btf: inet_request_sock:req.__req_common.skc_daddr */
#define ir_num req.__req_common.skc_num /* btf: inet_request_sock:req.__req_common.skc_num */
#define ir_rmt_port req.__req_common.skc_dport /* btf: inet_request_sock:req.__req_common.skc_dport */
#define ir_v6_rmt_addr req.__req_common.skc_v6_daddr /* btf: inet_request_sock:req.__req_common.skc_v6_daddr */
#define ir_v6_loc_addr req.__req_common.skc_v6_rcv_saddr /* btf: inet_request_sock:req.__req_common.skc_v6_rcv_saddr */
#define ir_iif req.__req_common.skc_bound_dev_if /* btf: inet_request_sock:req.__req_common.skc_bound_dev_if */
#define ir_cookie req.__req_common.skc_cookie /* btf: inet_request_sock:req.__req_common.skc_cookie */
#define ireq_net req.__req_common.skc_net /* btf: inet_request_sock:req.__req_common.skc_net */
#define ireq_state req.__req_common.skc_state /* btf: inet_request_sock:req.__req_common.skc_state */
#define ireq_family req.__req_common.skc_family /* btf: inet_request_sock:req.__req_common.skc_family */
#define rsk_refcnt __req_common.skc_refcnt /* btf: request_sock:__req_common.skc_refcnt */
#define rsk_hash __req_common.skc_hash /* btf: request_sock:__req_common.skc_hash */
#define tw_family __tw_common.skc_family /* btf: inet_timewait_sock:__tw_common.skc_family */
#define tw_state __tw_common.skc_state /* btf: inet_timewait_sock:__tw_common.skc_state */
#define tw_reuse __tw_common.skc_reuse /* btf: inet_timewait_sock:__tw_common.skc_reuse */
#define tw_reuseport __tw_common.skc_reuseport /* btf: inet_timewait_sock:__tw_common.skc_reuseport */
#define tw_ipv6only __tw_common.skc_ipv6only /* btf: inet_timewait_sock:__tw_common.skc_ipv6only */
#define tw_bound_dev_if __tw_common.skc_bound_dev_if /* btf: inet_timewait_sock:__tw_common.skc_bound_dev_if */
#define tw_node __tw_common.skc_nulls_node /* btf: inet_timewait_sock:__tw_common.skc_nulls_node */
#define tw_bind_node __tw_common.skc_bind_node /* btf: inet_timewait_sock:__tw_common.skc_bind_node */
#define tw_refcnt __tw_common.skc_refcnt /* btf: inet_timewait_sock:__tw_common.skc_refcnt */
#define tw_hash __tw_common.skc_hash /* btf: inet_timewait_sock:__tw_common.skc_hash */
#define tw_prot __tw_common.skc_prot /* btf: inet_timewait_sock:__tw_common.skc_prot */
#define tw_net __tw_common.skc_net /* btf: inet_timewait_sock:__tw_common.skc_net */
#define tw_daddr __tw_common.skc_daddr /* btf: inet_timewait_sock:__tw_common.skc_daddr */
#define tw_v6_daddr __tw_common.skc_v6_daddr /* btf: inet_timewait_sock:__tw_common.skc_v6_daddr */
#define tw_rcv_saddr __tw_common.skc_rcv_saddr /* btf: inet_timewait_sock:__tw_common.skc_rcv_saddr */
#define tw_v6_rcv_saddr __tw_common.skc_v6_rcv_saddr /* btf: inet_timewait_sock:__tw_common.skc_v6_rcv_saddr */
#define tw_dport __tw_common.skc_dport /* btf: inet_timewait_sock:__tw_common.skc_dport */
#define tw_num __tw_common.skc_num /* btf: inet_timewait_sock:__tw_common.skc_num */
#define tw_cookie __tw_common.skc_cookie /* btf: inet_timewait_sock:__tw_common.skc_cookie */
#define s6_addr in6_u.u6_addr8 /* btf: in6_addr:in6_u.u6_addr8 */
#define s6_addr16 in6_u.u6_addr16 /* btf: in6_addr:in6_u.u6_addr16 */
#define s6_addr32 in6_u.u6_addr32 /* btf: in6_addr:in6_u.u6_addr32 */
#define d_lock d_lockref.lock /* btf: dentry:d_lockref.lock */

#endif

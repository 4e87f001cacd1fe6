/**
 * tcpconnect -d's BPF part: DNS responses as the resolver receives them. BCC probes
 * udp_recvmsg and reads the message's iov_iter, whose layout differs between kernels (its
 * ITER_IOVEC test skips the ITER_UBUF iterators recvfrom() builds on newer kernels); this reads
 * at the syscalls instead, on every kernel, with or without kprobes: recvfrom() and recvmsg() on
 * a UDP socket connected to port 53 (glibc's and c-ares' resolvers connect theirs), or an
 * unconnected UDP socket whose datagram came from port 53. The first 512 bytes of the datagram
 * go to user space, where dns-cache.ts parses them.
 */
import { FD_SOCK_C } from './fd-socket.js';
import { tracepointProbe, type Attachment } from './session.js';

/** Bytes of a DNS response kept (a classic UDP DNS message's limit, as BCC's MAX_PKT). */
export const DNS_MAX = 512;

/** One DNS datagram from the program: its length and its bytes as little-endian u32 words. */
export interface DnsEvent {
  len: number;
  words: number[];
}

/** The datagram of a DnsEvent. */
export function dnsPacket(e: DnsEvent): Buffer {
  const b = Buffer.alloc(e.words.length * 4);
  e.words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 * i));
  return b.subarray(0, Math.min(e.len, b.length));
}

/** The syscall tracepoints the DNS program attaches to. */
export function dnsAttachments(): Attachment[] {
  return ['sys_enter_recvfrom', 'sys_exit_recvfrom', 'sys_enter_recvmsg', 'sys_exit_recvmsg'].map((e) =>
    tracepointProbe('syscalls', e),
  );
}

/** BCC-C appended to tcpconnect's program with -d (it needs <net/sock.h>, included there). */
export const DNS_PROGRAM = `
#define DNS_MAX ${DNS_MAX}

struct dns_pending {
    u64 buf;
    u64 addr;
    u32 size;
    u32 from53;
};

struct dns_event {
    u32 len;
    u32 words[DNS_MAX / 4];
};

// struct user_msghdr and struct iovec as user space lays them out (LP64)
struct dns_msghdr {
    u64 name;
    u32 namelen;
    u64 iov;
    u64 iovlen;
};

struct dns_iovec {
    u64 base;
    u64 len;
};

BPF_HASH(dns_pending, u32, struct dns_pending);
BPF_PERCPU_ARRAY(dns_buf, struct dns_event, 1);
BPF_PERF_OUTPUT(dns_events);

${FD_SOCK_C}
// the socket behind fd: 1 UDP connected to port 53, 0 another UDP socket, -1 anything else
static int dns_socket(long fd)
{
    struct sock *sk = fd_sock(fd);
    u16 proto = 0, dport = 0;
    if (sk == 0)
        return -1;
    bpf_probe_read_kernel(&proto, sizeof(proto), &sk->sk_protocol);
    if (proto != IPPROTO_UDP)
        return -1;
    bpf_probe_read_kernel(&dport, sizeof(dport), &sk->__sk_common.skc_dport);
    return dport == htons(53);
}

static int dns_enter(long fd, u64 buf, u64 size, u64 addr)
{
    int s = dns_socket(fd);
    if (s < 0 || (s == 0 && addr == 0))
        return 0;
    u32 tid = bpf_get_current_pid_tgid();
    struct dns_pending p = {.buf = buf, .addr = addr, .size = size > DNS_MAX ? DNS_MAX : size, .from53 = s};
    dns_pending.update(&tid, &p);
    return 0;
}

static int dns_exit(void *ctx, long ret)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct dns_pending *pp = dns_pending.lookup(&tid);
    if (pp == 0)
        return 0;
    struct dns_pending p = *pp;
    dns_pending.delete(&tid);
    if (ret <= 0)
        return 0;
    if (!p.from53) {
        // sockaddr_in and sockaddr_in6 both hold the port at offset 2
        u16 port = 0;
        bpf_probe_read_user(&port, sizeof(port), (void *)(p.addr + 2));
        if (port != htons(53))
            return 0;
    }
    u32 zero = 0;
    struct dns_event *ev = dns_buf.lookup(&zero);
    if (ev == 0)
        return 0;
    u32 len = ret < p.size ? ret : p.size;
    if (len > DNS_MAX)
        len = DNS_MAX;
    ev->len = len;
    bpf_probe_read_user(ev->words, len, (void *)p.buf);
    dns_events.perf_submit(ctx, ev, sizeof(*ev));
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_recvfrom)
{
    return dns_enter(args->fd, (u64)args->ubuf, args->size, (u64)args->addr);
}

TRACEPOINT_PROBE(syscalls, sys_exit_recvfrom) { return dns_exit(args, args->ret); }

TRACEPOINT_PROBE(syscalls, sys_enter_recvmsg)
{
    struct dns_msghdr m = {};
    struct dns_iovec iov = {};
    if (bpf_probe_read_user(&m, sizeof(m), (void *)args->msg) != 0 || m.iovlen == 0)
        return 0;
    if (bpf_probe_read_user(&iov, sizeof(iov), (void *)m.iov) != 0)
        return 0;
    return dns_enter(args->fd, iov.base, iov.len, m.name);
}

TRACEPOINT_PROBE(syscalls, sys_exit_recvmsg) { return dns_exit(args, args->ret); }
`;

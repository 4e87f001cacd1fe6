/**
 * tcpconnect: traces active TCP connections (connect()), one line each, or counts them per
 * address pair (-c). Kprobes on tcp_v4_connect/tcp_v6_connect and their returns where the
 * kernel has kprobes (BCC's form). Without kprobes the sock:inet_sock_set_state tracepoint
 * catches the socket entering SYN_SENT (in connect(), in the caller's context), and
 * syscalls:sys_exit_connect reports it once connect() returns, when the local port is bound.
 * -d adds the DNS answers received on UDP sockets from port 53 (dns-program.ts), so each connect
 * shows the name looked up for its address.
 */
import { InvalidArgumentError } from '../errors.js';
import { formatIPv4, formatIPv6 } from '../maps/net-format.js';
import { intArg, intList } from './args.js';
import { addContainerOptions, containerFilter, type ContainerOptions } from './containers.js';
import { DnsCache } from './dns-cache.js';
import { DNS_PROGRAM, dnsAttachments, dnsPacket, type DnsEvent } from './dns-program.js';
import { sprintf } from './format.js';
import { tracepointProbe, type Attachment } from './session.js';
import { byValue } from './tables.js';
import { defineTool } from './tool.js';

interface Options extends ContainerOptions {
  ebpf?: boolean;
  timestamp?: boolean;
  pid?: number;
  port?: number[];
  ipv4?: boolean;
  ipv6?: boolean;
  lport?: boolean;
  printUid?: boolean;
  uid?: number;
  count?: boolean;
  dns?: boolean;
}

interface ConnectEvent {
  ts_us: bigint;
  pid: number;
  uid: number;
  ip: number;
  lport: number;
  dport: number;
  saddr: number[];
  daddr: number[];
  task: string;
}

interface FlowKey {
  ip: number;
  dport: number;
  saddr: number[];
  daddr: number[];
}

const AF_INET = 2;
const AF_INET6 = 10;
const TCP_SYN_SENT = 2;

/**
 * An address of family `ip` (4 or 6) from a `u32[4]` field holding the address bytes in
 * network order (IPv4 in the first word). u32 words, not u8 bytes: byte arrays decode as text.
 */
export function formatAddress(ip: number, words: number[]): string {
  const b = Buffer.alloc(16);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 * i));
  return ip === 4 ? formatIPv4(b.subarray(0, 4)) : formatIPv6(b);
}

function program(o: Options, kprobes: boolean): string {
  const containers = containerFilter(o, o.ebpf);
  const filters = [
    o.pid !== undefined ? `if (pid != ${o.pid}) return 0;` : '',
    o.uid !== undefined ? `if (uid != ${o.uid}) return 0;` : '',
    containers.check,
  ]
    .filter(Boolean)
    .join('\n    ');
  const afterFilters = [
    o.port?.length ? `if (${o.port.map((p) => `f->dport != ${p}`).join(' && ')}) goto out;` : '',
    o.ipv4 ? 'if (f->ip != 4) goto out;' : '',
    o.ipv6 ? 'if (f->ip != 6) goto out;' : '',
  ]
    .filter(Boolean)
    .join('\n    ');
  const report = o.count
    ? `struct flow_key k;
    __builtin_memset(&k, 0, sizeof(k));
    k.ip = f->ip;
    k.dport = f->dport;
    __builtin_memcpy(&k.saddr, f->saddr, sizeof(k.saddr));
    __builtin_memcpy(&k.daddr, f->daddr, sizeof(k.daddr));
    flows.increment(k);`
    : `struct connect_event ev = {};
    ev.ts_us = bpf_ktime_get_ns() / 1000;
    ev.pid = id >> 32;
    ev.uid = bpf_get_current_uid_gid();
    ev.ip = f->ip;
    ev.lport = lport;
    ev.dport = f->dport;
    __builtin_memcpy(&ev.saddr, f->saddr, sizeof(ev.saddr));
    __builtin_memcpy(&ev.daddr, f->daddr, sizeof(ev.daddr));
    bpf_get_current_comm(&ev.task, sizeof(ev.task));
    events.perf_submit(ctx, &ev, sizeof(ev));`;
  const hooks = kprobes
    ? `
int on_connect(struct pt_regs *ctx, struct sock *sk)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    u32 tid = id;
    u32 uid = bpf_get_current_uid_gid();
    ${filters}
    struct pending p = {.sk = sk};
    pending.update(&tid, &p);
    return 0;
}

static int connect_return(struct pt_regs *ctx, u8 ipver)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct pending *p = pending.lookup(&tid);
    if (p == 0)
        return 0;
    if (PT_REGS_RC(ctx) == 0) {
        // the SYN is on its way: the socket has its addresses and ports
        struct sock *sk = p->sk;
        u16 dport = 0;
        bpf_probe_read_kernel(&dport, sizeof(dport), &sk->__sk_common.skc_dport);
        p->f.ip = ipver;
        p->f.dport = bpf_ntohs(dport);
        if (ipver == 4) {
            bpf_probe_read_kernel(&p->f.saddr, 4, &sk->__sk_common.skc_rcv_saddr);
            bpf_probe_read_kernel(&p->f.daddr, 4, &sk->__sk_common.skc_daddr);
        } else {
            bpf_probe_read_kernel(&p->f.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
            bpf_probe_read_kernel(&p->f.daddr, 16, &sk->__sk_common.skc_v6_daddr);
        }
        report(ctx, p);
    }
    pending.delete(&tid);
    return 0;
}

int on_v4_return(struct pt_regs *ctx) { return connect_return(ctx, 4); }
int on_v6_return(struct pt_regs *ctx) { return connect_return(ctx, 6); }
`
    : `
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != IPPROTO_TCP || args->newstate != ${TCP_SYN_SENT})
        return 0;
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    u32 tid = id;
    u32 uid = bpf_get_current_uid_gid();
    ${filters}
    struct pending p = {.sk = (struct sock *)args->skaddr};
    p.f.dport = args->dport;
    if (args->family == ${AF_INET}) {
        p.f.ip = 4;
        __builtin_memcpy(&p.f.saddr, args->saddr, 4);
        __builtin_memcpy(&p.f.daddr, args->daddr, 4);
    } else if (args->family == ${AF_INET6}) {
        p.f.ip = 6;
        __builtin_memcpy(&p.f.saddr, args->saddr_v6, 16);
        __builtin_memcpy(&p.f.daddr, args->daddr_v6, 16);
    } else {
        return 0;
    }
    pending.update(&tid, &p);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_connect)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct pending *p = pending.lookup(&tid);
    if (p == 0)
        return 0;
    report(args, p);
    pending.delete(&tid);
    return 0;
}
`;
  return `#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <bcc/proto.h>

struct flow {
    u8 ip;
    u16 dport;
    u32 saddr[4];
    u32 daddr[4];
};

struct pending {
    struct sock *sk;
    struct flow f;
};

struct connect_event {
    u64 ts_us;
    u32 pid;
    u32 uid;
    u32 ip;
    u16 lport;
    u16 dport;
    u32 saddr[4];
    u32 daddr[4];
    char task[TASK_COMM_LEN];
};

struct flow_key {
    u32 ip;
    u32 dport;
    u32 saddr[4];
    u32 daddr[4];
};

BPF_HASH(pending, u32, struct pending);
BPF_HASH(flows, struct flow_key);
BPF_PERF_OUTPUT(events);
${containers.decls}
static int report(void *ctx, struct pending *p)
{
    u64 id = bpf_get_current_pid_tgid();
    struct flow *f = &p->f;
    u16 lport = 0;
    bpf_probe_read_kernel(&lport, sizeof(lport), &p->sk->__sk_common.skc_num);
    ${afterFilters}
    ${report}
out:
    return 0;
}
${hooks}${o.dns ? DNS_PROGRAM : ''}`;
}

export default defineTool<Options>({
  name: 'tcpconnect',
  description: 'Trace TCP connects',
  examples: `
    tsbcc tool tcpconnect           # trace all TCP connect()s
    tsbcc tool tcpconnect -t        # include timestamps
    tsbcc tool tcpconnect -d        # include DNS queries associated with connects
    tsbcc tool tcpconnect -p 181    # only trace PID 181
    tsbcc tool tcpconnect -P 80     # only trace port 80
    tsbcc tool tcpconnect -P 80,81  # only trace port 80 and 81
    tsbcc tool tcpconnect -4        # only trace IPv4 family
    tsbcc tool tcpconnect -6        # only trace IPv6 family
    tsbcc tool tcpconnect -U        # include UID
    tsbcc tool tcpconnect -u 1000   # only trace UID 1000
    tsbcc tool tcpconnect -c        # count connects per src ip and dest ip/port
    tsbcc tool tcpconnect -L        # include LPORT while printing outputs
    tsbcc tool tcpconnect --cgroupmap mappath  # only trace cgroups in this BPF map
    tsbcc tool tcpconnect --mntnsmap mappath   # only trace mount namespaces in the map`,
  configure(cmd) {
    cmd
      .option('-t, --timestamp', 'include timestamp on output')
      .option('-p, --pid <pid>', 'trace this PID only', intArg)
      .option('-P, --port <ports>', 'comma-separated list of destination ports to trace.', intList)
      .option('-4, --ipv4', 'trace IPv4 family only')
      .option('-6, --ipv6', 'trace IPv6 family only')
      .option('-L, --lport', 'include LPORT on output')
      .option('-U, --print-uid', 'include UID on output')
      .option('-u, --uid <uid>', 'trace this UID only', intArg)
      .option('-c, --count', 'count connects per src ip and dest ip/port');
    addContainerOptions(cmd);
    cmd.option('-d, --dns', 'include likely DNS query associated with each connect');
  },
  async run(o, _args, s) {
    if (o.ipv4 && o.ipv6) throw new InvalidArgumentError('-4 and -6 are mutually exclusive');
    if (o.count && o.dns) throw new InvalidArgumentError('you may not specify -d/--dns with -c/--count');
    const kprobes = s.kprobes;
    const hooks: Attachment[] = kprobes
      ? [
          { kind: 'kprobe', target: 'tcp_v4_connect', fn: 'on_connect' },
          { kind: 'kprobe', target: 'tcp_v6_connect', fn: 'on_connect' },
          { kind: 'kretprobe', target: 'tcp_v4_connect', fn: 'on_v4_return' },
          { kind: 'kretprobe', target: 'tcp_v6_connect', fn: 'on_v6_return' },
        ]
      : [tracepointProbe('sock', 'inet_sock_set_state'), tracepointProbe('syscalls', 'sys_exit_connect')];
    const attachments = o.dns ? [...hooks, ...dnsAttachments()] : hooks;
    const b = await s.load(program(o, kprobes), attachments);
    if (!b) return 0;
    if (o.count) {
      s.print('Tracing connect ... Hit Ctrl-C to end');
      await s.wait();
      s.print();
      s.print(sprintf('%-25s %-25s %-20s %-10s', 'LADDR', 'RADDR', 'RPORT', 'CONNECTS'));
      const flows = b.table<FlowKey, bigint>('flows');
      const all = byValue(flows.lookupBatch(), true);
      for (const ip of [4, 6])
        for (const [k, v] of all.filter(([k]) => k.ip === ip))
          s.print(
            sprintf(
              '%-25s %-25s %-20s %-10d',
              formatAddress(ip, k.saddr),
              formatAddress(ip, k.daddr),
              k.dport,
              v,
            ),
          );
      return 0;
    }
    const dns = o.dns ? new DnsCache() : undefined;
    const answers = dns
      ? s.perfBuffer<DnsEvent>(b, 'dns_events', (e) => dns.addPacket(dnsPacket(e)))
      : undefined;
    let first: bigint | undefined;
    s.perfBuffer<ConnectEvent>(b, 'events', (e) => {
      // the answer was received before this connect was made: read it first
      answers?.consume();
      let line = '';
      if (o.timestamp) {
        first ??= e.ts_us;
        line += sprintf('%-9.3f', Number(e.ts_us - first) / 1e6);
      }
      if (o.printUid) line += sprintf('%-6d', e.uid);
      const saddr = formatAddress(e.ip, e.saddr);
      const daddr = formatAddress(e.ip, e.daddr);
      const query = dns ? dns.query(daddr) : '';
      line += o.lport
        ? sprintf(
            '%-7d %-12.12s %-2d %-16s %-6d %-16s %-6d %s',
            e.pid,
            e.task,
            e.ip,
            saddr,
            e.lport,
            daddr,
            e.dport,
            query,
          )
        : sprintf(
            '%-7d %-12.12s %-2d %-16s %-16s %-6d %s',
            e.pid,
            e.task,
            e.ip,
            saddr,
            daddr,
            e.dport,
            query,
          );
      s.print(line);
    });
    // the first lines say the tool is tracing: the perf rings are open by then
    s.print('Tracing connect ... Hit Ctrl-C to end');
    let header = '';
    if (o.timestamp) header += sprintf('%-9s', 'TIME(s)');
    if (o.printUid) header += sprintf('%-6s', 'UID');
    header += o.lport
      ? sprintf(
          '%-7s %-12s %-2s %-16s %-6s %-16s %-6s',
          'PID',
          'COMM',
          'IP',
          'SADDR',
          'LPORT',
          'DADDR',
          'DPORT',
        )
      : sprintf('%-7s %-12s %-2s %-16s %-16s %-6s', 'PID', 'COMM', 'IP', 'SADDR', 'DADDR', 'DPORT');
    if (o.dns) header += ' QUERY';
    s.print(header);
    await s.wait();
    return 0;
  },
});

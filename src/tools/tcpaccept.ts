/**
 * tcpaccept: traces passive TCP connections (accept()), one line each. A kretprobe on
 * inet_csk_accept where the kernel has kprobes (BCC's form). Without kprobes,
 * syscalls:sys_exit_accept/accept4 in the accepting thread: the new descriptor's sock is found
 * through the task's file table (fd-socket.ts, shared with tcpconnect -d) and read as the
 * kretprobe would.
 */
import { InvalidArgumentError } from '../errors.js';
import { intArg, intList } from './args.js';
import { addContainerOptions, containerFilter, type ContainerOptions } from './containers.js';
import { FD_SOCK_C } from './fd-socket.js';
import { clockTime, sprintf } from './format.js';
import { tracepointProbe, type Attachment } from './session.js';
import { formatAddress } from './tcpconnect.js';
import { defineTool } from './tool.js';

interface Options extends ContainerOptions {
  ebpf?: boolean;
  time?: boolean;
  timestamp?: boolean;
  pid?: number;
  port?: number[];
  ipv4?: boolean;
  ipv6?: boolean;
}

interface AcceptEvent {
  ts_us: bigint;
  pid: number;
  ip: number;
  lport: number;
  dport: number;
  saddr: number[];
  daddr: number[];
  task: string;
}

const AF_INET = 2;
const AF_INET6 = 10;

function program(o: Options, kprobes: boolean): string {
  const containers = containerFilter(o, o.ebpf);
  const pidFilter = [o.pid !== undefined ? `if (pid != ${o.pid}) return 0;` : '', containers.check]
    .filter(Boolean)
    .join('\n    ');
  const filters = [
    o.ipv4 ? `if (family != ${AF_INET}) return 0;` : '',
    o.ipv6 ? `if (family != ${AF_INET6}) return 0;` : '',
    o.port?.length ? `if (${o.port.map((p) => `lport != ${p}`).join(' && ')}) return 0;` : '',
  ]
    .filter(Boolean)
    .join('\n    ');
  const hooks = kprobes
    ? `
int on_accept_return(struct pt_regs *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    ${pidFilter}
    return report(ctx, (struct sock *)PT_REGS_RC(ctx));
}
`
    : `${FD_SOCK_C}
static int accepted(void *ctx, long fd)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    ${pidFilter}
    return report(ctx, fd_sock(fd));
}

TRACEPOINT_PROBE(syscalls, sys_exit_accept) { return accepted(args, args->ret); }
TRACEPOINT_PROBE(syscalls, sys_exit_accept4) { return accepted(args, args->ret); }
`;
  return `#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <bcc/proto.h>

struct accept_event {
    u64 ts_us;
    u32 pid;
    u32 ip;
    u16 lport;
    u16 dport;
    u32 saddr[4];
    u32 daddr[4];
    char task[TASK_COMM_LEN];
};

BPF_PERF_OUTPUT(events);
${containers.decls}
static int report(void *ctx, struct sock *sk)
{
    if (sk == 0)
        return 0;
    u16 protocol = 0, family = 0, lport = 0, dport = 0;
    bpf_probe_read_kernel(&protocol, sizeof(protocol), &sk->sk_protocol);
    if (protocol != IPPROTO_TCP)
        return 0;
    bpf_probe_read_kernel(&family, sizeof(family), &sk->__sk_common.skc_family);
    bpf_probe_read_kernel(&lport, sizeof(lport), &sk->__sk_common.skc_num);
    bpf_probe_read_kernel(&dport, sizeof(dport), &sk->__sk_common.skc_dport);
    dport = bpf_ntohs(dport);
    ${filters}
    struct accept_event ev = {};
    ev.ts_us = bpf_ktime_get_ns() / 1000;
    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.lport = lport;
    ev.dport = dport;
    if (family == ${AF_INET}) {
        ev.ip = 4;
        bpf_probe_read_kernel(&ev.saddr, 4, &sk->__sk_common.skc_rcv_saddr);
        bpf_probe_read_kernel(&ev.daddr, 4, &sk->__sk_common.skc_daddr);
    } else if (family == ${AF_INET6}) {
        ev.ip = 6;
        bpf_probe_read_kernel(&ev.saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
        bpf_probe_read_kernel(&ev.daddr, 16, &sk->__sk_common.skc_v6_daddr);
    } else {
        return 0;
    }
    bpf_get_current_comm(&ev.task, sizeof(ev.task));
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
}
${hooks}`;
}

export default defineTool<Options>({
  name: 'tcpaccept',
  description: 'Trace TCP accepts',
  examples: `
    tsbcc tool tcpaccept           # trace all TCP accept()s
    tsbcc tool tcpaccept -t        # include timestamps
    tsbcc tool tcpaccept -P 80,81  # only trace port 80 and 81
    tsbcc tool tcpaccept -p 181    # only trace PID 181
    tsbcc tool tcpaccept -4        # trace IPv4 family
    tsbcc tool tcpaccept -6        # trace IPv6 family
    tsbcc tool tcpaccept --cgroupmap mappath  # only trace cgroups in this BPF map
    tsbcc tool tcpaccept --mntnsmap mappath   # only trace mount namespaces in the map`,
  configure(cmd) {
    cmd
      .option('-T, --time', 'include time column on output (HH:MM:SS)')
      .option('-t, --timestamp', 'include timestamp on output')
      .option('-p, --pid <pid>', 'trace this PID only', intArg)
      .option('-P, --port <ports>', 'comma-separated list of local ports to trace', intList)
      .option('-4, --ipv4', 'trace IPv4 family only')
      .option('-6, --ipv6', 'trace IPv6 family only');
    addContainerOptions(cmd);
  },
  async run(o, _args, s) {
    if (o.ipv4 && o.ipv6) throw new InvalidArgumentError('-4 and -6 are mutually exclusive');
    const kprobes = s.kprobes;
    const attachments: Attachment[] = kprobes
      ? [{ kind: 'kretprobe', target: 'inet_csk_accept', fn: 'on_accept_return' }]
      : [tracepointProbe('syscalls', 'sys_exit_accept'), tracepointProbe('syscalls', 'sys_exit_accept4')];
    const b = await s.load(program(o, kprobes), attachments);
    if (!b) return 0;
    let first: bigint | undefined;
    s.perfBuffer<AcceptEvent>(b, 'events', (e) => {
      let line = '';
      if (o.time) line += sprintf('%-9s', clockTime());
      if (o.timestamp) {
        first ??= e.ts_us;
        line += sprintf('%-9.3f', Number(e.ts_us - first) / 1e6);
      }
      s.print(
        line +
          sprintf(
            '%-7d %-12.12s %-2d %-16s %-5d %-16s %-5d',
            e.pid,
            e.task,
            e.ip,
            formatAddress(e.ip, e.daddr),
            e.dport,
            formatAddress(e.ip, e.saddr),
            e.lport,
          ),
      );
    });
    // the header says the tool is tracing: the perf rings are open by then
    let header = '';
    if (o.time) header += sprintf('%-9s', 'TIME');
    if (o.timestamp) header += sprintf('%-9s', 'TIME(s)');
    s.print(
      header +
        sprintf(
          '%-7s %-12s %-2s %-16s %-5s %-16s %-5s',
          'PID',
          'COMM',
          'IP',
          'RADDR',
          'RPORT',
          'LADDR',
          'LPORT',
        ),
    );
    await s.wait();
    return 0;
  },
});

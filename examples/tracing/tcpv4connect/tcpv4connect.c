// tcpv4connect: every IPv4 TCP connect(), with its process, addresses and port.
#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <bcc/proto.h>

BPF_HASH(currsock, u32, struct sock *);

// The task name as the connecting thread had it, keyed by its pid: trace_pipe takes COMM from
// the kernel's saved-cmdlines cache, which can answer "<...>" (a departure from BCC's output,
// which prints whatever trace_pipe says).
struct comm_t {
	char comm[TASK_COMM_LEN];
};
BPF_HASH(comms, u32, struct comm_t);

static inline void remember_comm(void)
{
	u32 pid = bpf_get_current_pid_tgid();
	struct comm_t c = {};
	bpf_get_current_comm(&c.comm, sizeof(c.comm));
	comms.update(&pid, &c);
}

// BCC's form: a kprobe on tcp_v4_connect keeps the socket, its kretprobe reads the addresses
// once the connect has gone out.
int kprobe__tcp_v4_connect(struct pt_regs *ctx, struct sock *sk)
{
	u32 pid = bpf_get_current_pid_tgid();

	// stash the sock ptr for lookup on return
	currsock.update(&pid, &sk);

	return 0;
};

int kretprobe__tcp_v4_connect(struct pt_regs *ctx)
{
	int ret = PT_REGS_RC(ctx);
	u32 pid = bpf_get_current_pid_tgid();

	struct sock **skpp;
	skpp = currsock.lookup(&pid);
	if (skpp == 0) {
		return 0;	// missed entry
	}

	if (ret != 0) {
		// failed to send SYNC packet, may not have populated
		// socket __sk_common.{skc_rcv_saddr, ...}
		currsock.delete(&pid);
		return 0;
	}

	// pull in details
	struct sock *skp = *skpp;
	u32 saddr = skp->__sk_common.skc_rcv_saddr;
	u32 daddr = skp->__sk_common.skc_daddr;
	u16 dport = skp->__sk_common.skc_dport;

	// output
	remember_comm();
	bpf_trace_printk("trace_tcp4connect %x %x %d\n", saddr, daddr, ntohs(dport));

	currsock.delete(&pid);

	return 0;
}

// Where the kernel has no kprobes: tcp_v4_connect moves the socket from CLOSE to SYN_SENT
// (sock:inet_sock_set_state) in the connecting process, addresses and port already set.
TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
	if (args->protocol != 6 /* IPPROTO_TCP */ || args->family != 2 /* AF_INET */)
		return 0;
	if (args->oldstate != 7 /* TCP_CLOSE */ || args->newstate != 2 /* TCP_SYN_SENT */)
		return 0;
	u32 saddr = 0, daddr = 0;
	__builtin_memcpy(&saddr, args->saddr, 4);
	__builtin_memcpy(&daddr, args->daddr, 4);
	remember_comm();
	bpf_trace_printk("trace_tcp4connect %x %x %d\n", saddr, daddr, args->dport);
	return 0;
}

// load: XDP
// Redirect by ingress ifindex through a devmap; count per CPU.
#include <uapi/linux/bpf.h>

BPF_DEVMAP(ports, 16);
BPF_PERCPU_ARRAY(pkts, u64, 1);

int xdp_fwd(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end)
    return XDP_DROP;
  pkts.increment(0);
  if (eth->h_proto == bpf_htons(ETH_P_ARP))
    return XDP_PASS;
  return ports.redirect_map(ctx->ingress_ifindex, 0);
}

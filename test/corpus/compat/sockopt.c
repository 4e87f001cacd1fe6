// A CGROUP_SOCKOPT program (compat class 8): the kernel loads it for one hook, named by its
// expected attach type.
int sockopt(struct bpf_sockopt *ctx) {
  if (ctx->level == SOL_SOCKET && ctx->optname == SO_PRIORITY)
    return 1;
  return 1;
}
// load: sockopt=CGROUP_SOCKOPT:CGROUP_SETSOCKOPT

// Kernel feature probes: each reports 0 (works) or the errno that says why not. The decision
// (present / missing / unknown) is made in TypeScript.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "registry.h"

namespace tsbcc {
namespace {

const bpf_insn kRet0[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},  // r0 = 0
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},           // exit
};

Napi::Value ProbeProgType(const Napi::CallbackInfo& info) {
  int rc = libbpf_probe_bpf_prog_type((bpf_prog_type)info[0].As<Napi::Number>().Int32Value(), nullptr);
  return Napi::Number::New(info.Env(), rc == 1 ? 0 : rc == 0 ? EINVAL : -rc);
}

Napi::Value ProbeMapType(const Napi::CallbackInfo& info) {
  int rc = libbpf_probe_bpf_map_type((bpf_map_type)info[0].As<Napi::Number>().Int32Value(), nullptr);
  return Napi::Number::New(info.Env(), rc == 1 ? 0 : rc == 0 ? EINVAL : -rc);
}

// Loads a TRACING program of the given attach type on a vmlinux function and attaches it.
Napi::Value ProbeTracing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string fn = info[0].As<Napi::String>().Utf8Value();
  int attach = info[1].As<Napi::Number>().Int32Value();
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return Napi::Number::New(env, errno);
  int id = btf__find_by_name_kind(vmlinux, fn.c_str(), BTF_KIND_FUNC);
  btf__free(vmlinux);
  if (id < 0) return Napi::Number::New(env, ENOENT);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = (bpf_attach_type)attach, .attach_btf_id = (__u32)id);
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "tsbcc_probe", "GPL", kRet0, 2, &opts);
  if (fd < 0) return Napi::Number::New(env, errno);
  int link = bpf_link_create(fd, 0, (bpf_attach_type)attach, nullptr);
  int err = link < 0 ? errno : 0;
  if (link >= 0) close(link);
  close(fd);
  return Napi::Number::New(env, err);
}

Napi::Value ProbeRawTracepoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string tp = info[0].As<Napi::String>().Utf8Value();
  int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "tsbcc_probe", "GPL", kRet0, 2, nullptr);
  if (fd < 0) return Napi::Number::New(env, errno);
  int link = bpf_raw_tracepoint_open(tp.c_str(), fd);
  int err = link < 0 ? errno : 0;
  if (link >= 0) close(link);
  close(fd);
  return Napi::Number::New(env, err);
}

Napi::Value ProbeBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = bpf_map_create(BPF_MAP_TYPE_HASH, nullptr, 4, 4, 4, nullptr);
  if (fd < 0) return Napi::Number::New(env, errno);
  uint32_t keys[4], vals[4], count = 4;
  uint32_t out;
  int rc = bpf_map_lookup_batch(fd, nullptr, &out, keys, vals, &count, nullptr);
  int err = rc == 0 || errno == ENOENT ? 0 : errno;
  close(fd);
  return Napi::Number::New(env, err);
}

// perf_event_open of a software event (PERF_TYPE_SOFTWARE or the given type/config).
Napi::Value ProbePerfEvent(const Napi::CallbackInfo& info) {
  perf_event_attr attr = {};
  attr.size = sizeof attr;
  attr.type = info[0].As<Napi::Number>().Uint32Value();
  attr.config = info[1].As<Napi::Number>().Uint32Value();
  attr.disabled = 1;
  int fd = (int)syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) return Napi::Number::New(info.Env(), errno);
  close(fd);
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value ProbeBtf(const Napi::CallbackInfo& info) {
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return Napi::Number::New(info.Env(), errno ? errno : ENOENT);
  btf__free(vmlinux);
  return Napi::Number::New(info.Env(), 0);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("probeProgType", Napi::Function::New(env, ProbeProgType));
  exports.Set("probeMapType", Napi::Function::New(env, ProbeMapType));
  exports.Set("probeTracing", Napi::Function::New(env, ProbeTracing));
  exports.Set("probeRawTracepoint", Napi::Function::New(env, ProbeRawTracepoint));
  exports.Set("probeBatch", Napi::Function::New(env, ProbeBatch));
  exports.Set("probePerfEvent", Napi::Function::New(env, ProbePerfEvent));
  exports.Set("probeBtf", Napi::Function::New(env, ProbeBtf));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(probe, tsbcc::init);

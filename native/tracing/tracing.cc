// Tracing helpers that need C++: perf_event_open with a caller-built perf_event_attr (the
// bytes are laid out in TypeScript, src/tracing/perf-attr.ts) and C++ symbol demangling with
// LLVM's demangler (Itanium, Microsoft, Rust, D), which the addon links anyway.
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <llvm/Demangle/Demangle.h>

#include "registry.h"

namespace tsbcc {
namespace {

// perfEventOpenAttr(attr: Buffer, pid, cpu, groupFd, flags) -> fd. The buffer is a
// struct perf_event_attr whose `size` field the caller set; it is copied as is.
Napi::Value PerfEventOpenAttr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> buf = info[0].As<Napi::Buffer<uint8_t>>();
  // The caller's layout may be newer than this system's header: copy into a zeroed buffer of
  // generous size; the kernel reads `size` bytes (and refuses non-zero bytes it does not know).
  alignas(8) uint8_t attr[512] = {};
  if (buf.Length() < PERF_ATTR_SIZE_VER0 || buf.Length() > sizeof attr) throwErrno(env, "perf_event_open", EINVAL, "attr size");
  memcpy(attr, buf.Data(), buf.Length());
  int pid = info[1].As<Napi::Number>().Int32Value();
  int cpu = info[2].As<Napi::Number>().Int32Value();
  int group = info[3].As<Napi::Number>().Int32Value();
  unsigned long flags = info[4].IsNumber() ? info[4].As<Napi::Number>().Uint32Value() : 0;
  int fd = (int)syscall(__NR_perf_event_open, attr, pid, cpu, group, flags | PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) throwErrno(env, "perf_event_open", errno);
  return Napi::Number::New(env, fd);
}

// demangle(names: string[]) -> string[]; a name that is not mangled comes back unchanged.
Napi::Value Demangle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array in = info[0].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, in.Length());
  for (uint32_t i = 0; i < in.Length(); i++) {
    std::string name = in.Get(i).As<Napi::String>().Utf8Value();
    out.Set(i, Napi::String::New(env, llvm::demangle(name)));
  }
  return out;
}

// probeLsm() -> 0 when a BPF LSM program loads on the bpf_lsm_bpf hook and attaches, else the
// errno that says why not (kernels refuse with EPERM/EINVAL/ENOTSUPP without CONFIG_BPF_LSM or
// without "bpf" in the lsm= list). The link is closed at once.
Napi::Value ProbeLsm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return Napi::Number::New(env, errno ? errno : ENOENT);
  int id = btf__find_by_name_kind(vmlinux, "bpf_lsm_bpf", BTF_KIND_FUNC);
  btf__free(vmlinux);
  if (id < 0) return Napi::Number::New(env, ENOENT);
  const bpf_insn ret0[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},  // r0 = 0
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},           // exit
  };
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC, .attach_btf_id = (__u32)id);
  int fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "tsbcc_probe", "GPL", ret0, 2, &opts);
  if (fd < 0) return Napi::Number::New(env, errno);
  int link = bpf_link_create(fd, 0, BPF_LSM_MAC, nullptr);
  int err = link < 0 ? errno : 0;
  if (link >= 0) close(link);
  close(fd);
  return Napi::Number::New(env, err);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("probeLsm", Napi::Function::New(env, ProbeLsm));
  exports.Set("perfEventOpenAttr", Napi::Function::New(env, PerfEventOpenAttr));
  exports.Set("demangle", Napi::Function::New(env, Demangle));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(tracing, tsbcc::init);

// The kernel's type header from its BTF (DESIGN D1): every type of a BTF file dumped as C
// through libbpf's btf_dump, in the same form as `bpftool btf dump file ... format c`.
#include <bpf/btf.h>
#include <errno.h>

#include <cstdarg>
#include <cstdio>
#include <string>

#include "registry.h"

namespace tsbcc {
namespace {

void appendPrintf(void* ctx, const char* fmt, va_list args) {
  auto* out = static_cast<std::string*>(ctx);
  char small[512];
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(small, sizeof(small), fmt, copy);
  va_end(copy);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(small)) {
    out->append(small, n);
    return;
  }
  std::string big(n + 1, '\0');
  vsnprintf(big.data(), big.size(), fmt, args);
  out->append(big.data(), n);
}

// btfHeader(path): the C text of every type in the BTF file at `path`.
Napi::Value BtfHeader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct btf* btf = btf__parse(path.c_str(), nullptr);
  if (!btf) throwErrno(env, "btf__parse", errno ? errno : EINVAL, path);
  std::string out;
  out.reserve(4 << 20);
  struct btf_dump* d = btf_dump__new(btf, appendPrintf, &out, nullptr);
  if (!d) {
    int err = errno;
    btf__free(btf);
    throwErrno(env, "btf_dump__new", err ? err : EINVAL, path);
  }
  out += "#ifndef __TSBCC_VMLINUX_H__\n#define __TSBCC_VMLINUX_H__\n\n";
  out += "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n";
  out += "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n";
  unsigned n = btf__type_cnt(btf);
  for (unsigned id = 1; id < n; id++) {
    int err = btf_dump__dump_type(d, id);
    if (err) {
      btf_dump__free(d);
      btf__free(btf);
      throwErrno(env, "btf_dump__dump_type", -err, path);
    }
  }
  out += "\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif\n";
  btf_dump__free(d);
  btf__free(btf);
  return Napi::String::New(env, out);
}

void init(Napi::Env env, Napi::Object exports) { exports.Set("btfHeader", Napi::Function::New(env, BtfHeader)); }

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(btfHeader, tsbcc::init);

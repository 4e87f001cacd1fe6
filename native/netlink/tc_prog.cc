// Program facts by id, for listing tc filters and XDP attachments (the kernel reports program
// ids there): bpf_prog_get_fd_by_id + bpf_prog_get_info_by_fd, fd closed again.
#include <bpf/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "registry.h"

namespace tsbcc {
namespace {

// progInfoById(id) -> { id, name, type, tag } or null when no such program.
Napi::Value ProgInfoById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) {
    if (errno == ENOENT) return env.Null();
    throwErrno(env, "bpf_prog_get_fd_by_id", errno);
  }
  bpf_prog_info pi;
  memset(&pi, 0, sizeof pi);
  uint32_t len = sizeof pi;
  int rc = bpf_obj_get_info_by_fd(fd, &pi, &len);
  int e = errno;
  close(fd);
  if (rc != 0) throwErrno(env, "bpf_obj_get_info_by_fd", e);
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", Napi::Number::New(env, pi.id));
  o.Set("name", Napi::String::New(env, pi.name));
  o.Set("type", Napi::Number::New(env, pi.type));
  char tag[17];
  for (int i = 0; i < 8; i++) snprintf(tag + 2 * i, 3, "%02x", pi.tag[i]);
  o.Set("tag", Napi::String::New(env, tag));
  return o;
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("progInfoById", Napi::Function::New(env, ProgInfoById));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(tc_prog, tsbcc::init);

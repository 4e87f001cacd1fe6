// Synchronous map element operations over the bpf() syscall (cheap, D5).
#include <bpf/bpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "async.h"
#include "registry.h"

namespace tsbcc {
namespace {

void* data(const Napi::Value& v) { return v.IsBuffer() ? v.As<Napi::Buffer<char>>().Data() : nullptr; }

// mapLookup(fd, key, value, flags) -> boolean (false when the key is absent)
Napi::Value MapLookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t flags = info.Length() > 3 ? (uint64_t)info[3].As<Napi::Number>().Int64Value() : 0;
  int rc = bpf_map_lookup_elem_flags(fd, data(info[1]), data(info[2]), flags);
  if (rc == 0) return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  throwErrno(env, "bpf_map_lookup_elem", errno);
}

Napi::Value MapUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t flags = (uint64_t)info[3].As<Napi::Number>().Int64Value();
  if (bpf_map_update_elem(fd, data(info[1]), data(info[2]), flags) != 0) throwErrno(env, "bpf_map_update_elem", errno);
  return env.Undefined();
}

// mapUpdateInNetns(nsPath, fd, key, value, flags) -> Promise<void>: the update made from a
// thread inside the namespace, for maps whose values the kernel resolves in the writer's
// namespace (DEVMAP ifindexes). The fd is duplicated now, so closing it meanwhile is harmless.
Napi::Value MapUpdateInNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  int fd = fcntl(info[1].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) throwErrno(env, "fcntl(F_DUPFD_CLOEXEC)", errno);
  auto bytes = [](const Napi::Value& v) {
    std::vector<char> out;
    if (v.IsBuffer()) {
      auto b = v.As<Napi::Buffer<char>>();
      out.assign(b.Data(), b.Data() + b.Length());
    }
    return out;
  };
  auto key = std::make_shared<std::vector<char>>(bytes(info[2]));
  auto value = std::make_shared<std::vector<char>>(bytes(info[3]));
  uint64_t flags = (uint64_t)info[4].As<Napi::Number>().Int64Value();
  bool hasKey = info[2].IsBuffer();
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = 0;
        int rc = runInNetns(ns, [&]() {
          if (bpf_map_update_elem(fd, hasKey ? key->data() : nullptr, value->data(), flags) != 0) e = errno;
        });
        close(fd);
        if (rc) {
          error = "setns";
          err = rc;
        } else if (e) {
          error = "bpf_map_update_elem";
          err = e;
        }
      },
      [](Napi::Env e) { return e.Undefined(); });
}

// mapDelete(fd, key) -> boolean (false when absent)
Napi::Value MapDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (bpf_map_delete_elem(fd, data(info[1])) == 0) return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  throwErrno(env, "bpf_map_delete_elem", errno);
}

// mapNextKey(fd, key|null, next) -> boolean (false at the end)
Napi::Value MapNextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  if (bpf_map_get_next_key(fd, info[1].IsBuffer() ? data(info[1]) : nullptr, data(info[2])) == 0)
    return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  throwErrno(env, "bpf_map_get_next_key", errno);
}

// mapCreate(type, keySize, valueSize, maxEntries, flags, name) -> fd
Napi::Value MapCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = info[4].As<Napi::Number>().Uint32Value());
  std::string name = info.Length() > 5 ? info[5].As<Napi::String>().Utf8Value() : "";
  int fd = bpf_map_create((bpf_map_type)info[0].As<Napi::Number>().Int32Value(), name.empty() ? nullptr : name.c_str(),
                          info[1].As<Napi::Number>().Uint32Value(), info[2].As<Napi::Number>().Uint32Value(),
                          info[3].As<Napi::Number>().Uint32Value(), &opts);
  if (fd < 0) throwErrno(env, "bpf_map_create", errno);
  return Napi::Number::New(env, fd);
}

// progInfo(fd) -> { id, name, type }
Napi::Value ProgInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_prog_info pi = {};
  uint32_t len = sizeof pi;
  if (bpf_obj_get_info_by_fd(info[0].As<Napi::Number>().Int32Value(), &pi, &len) != 0)
    throwErrno(env, "bpf_obj_get_info_by_fd", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", pi.id);
  o.Set("name", std::string(pi.name));
  o.Set("type", pi.type);
  return o;
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (close(info[0].As<Napi::Number>().Int32Value()) != 0) throwErrno(env, "close", errno);
  return env.Undefined();
}

Napi::Value DupFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fcntl(info[0].As<Napi::Number>().Int32Value(), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) throwErrno(env, "fcntl(F_DUPFD_CLOEXEC)", errno);
  return Napi::Number::New(env, fd);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("mapLookup", Napi::Function::New(env, MapLookup));
  exports.Set("mapUpdate", Napi::Function::New(env, MapUpdate));
  exports.Set("mapUpdateInNetns", Napi::Function::New(env, MapUpdateInNetns));
  exports.Set("mapDelete", Napi::Function::New(env, MapDelete));
  exports.Set("mapNextKey", Napi::Function::New(env, MapNextKey));
  exports.Set("mapCreate", Napi::Function::New(env, MapCreate));
  exports.Set("progInfo", Napi::Function::New(env, ProgInfo));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("dupFd", Napi::Function::New(env, DupFd));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(map_ops, tsbcc::init);

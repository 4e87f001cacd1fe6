// Addon entry point: calls every registered module's init.
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "registry.h"

namespace tsbcc {

static std::vector<std::pair<const char*, InitFn>>& modules() {
  static std::vector<std::pair<const char*, InitFn>> list;
  return list;
}

void registerModule(const char* name, InitFn fn) { modules().emplace_back(name, fn); }

static const char* errnoName(int err) {
  switch (err) {
#define E(x) \
  case x:    \
    return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF) E(EAGAIN)
    E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY) E(EEXIST) E(ENODEV) E(ENOTDIR) E(EINVAL) E(ENFILE)
    E(EMFILE) E(ENOSPC) E(ERANGE) E(ENOSYS) E(EOPNOTSUPP) E(ENOTCONN) E(ETIMEDOUT)
    E(ENOBUFS) E(EAFNOSUPPORT) E(EPROTONOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN)
    E(ELOOP) E(ENAMETOOLONG) E(ENOTEMPTY) E(ENOLINK) E(EPROTO) E(EBADMSG) E(EOVERFLOW)
    E(ENOMSG) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM) E(ENOTTY) E(ETXTBSY) E(EFBIG)
#undef E
    case 524:
      return "ENOTSUPP";
    default:
      return "EUNKNOWN";
  }
}

Napi::Error errnoError(Napi::Env env, const char* call, int err, const std::string& detail) {
  std::string msg = std::string(call) + ": " + strerror(err);
  if (!detail.empty()) msg += " (" + detail + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, errnoName(err)));
  e.Set("syscall", Napi::String::New(env, call));
  return e;
}

void throwErrno(Napi::Env env, const char* call, int err, const std::string& detail) {
  throw errnoError(env, call, err, detail);
}

}  // namespace tsbcc

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  for (auto& [name, fn] : tsbcc::modules()) fn(env, exports);
  return exports;
}

NODE_API_MODULE(tsbcc, Init)

// appendIfLinked: one line appended to a log file the process keeps open, only while the file
// still has a name (the tc owner record, src/tc/owner-log.ts). fstat and write in one call: no
// JS Stats object or Buffer per line, which on a attach+detach cycle cost more than the two
// syscalls themselves.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "registry.h"

namespace tsbcc {
namespace {

// appendIfLinked(fd, text) -> bytes written (all of text as UTF-8), or -1 without writing when
// the file's link count is 0 (removed under us); an empty text is only the check (no write). Throws on an fstat/write error, and EIO on a
// short write (disk full).
Napi::Value AppendIfLinked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string text = info[1].As<Napi::String>().Utf8Value();
  struct stat st;
  if (fstat(fd, &st) != 0) throwErrno(env, "fstat", errno);
  if (st.st_nlink == 0) return Napi::Number::New(env, -1);
  if (text.empty()) return Napi::Number::New(env, 0);  // only the check
  ssize_t n;
  do {
    n = write(fd, text.data(), text.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throwErrno(env, "write", errno);
  if ((size_t)n != text.size()) throwErrno(env, "write", EIO, "short write (disk full?)");
  return Napi::Number::New(env, (double)n);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("appendIfLinked", Napi::Function::New(env, AppendIfLinked));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(append_linked, tsbcc::init);

#include "async.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "registry.h"

namespace tsbcc {

void LambdaWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  if (!error_.empty()) {
    Napi::Error e = err_ ? errnoError(env, error_.c_str(), err_) : Napi::Error::New(env, error_);
    deferred_.Reject(e.Value());
    return;
  }
  try {
    deferred_.Resolve(done_(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

Napi::Promise runAsync(Napi::Env env, LambdaWorker::Work work, LambdaWorker::Done done) {
  auto* w = new LambdaWorker(env, std::move(work), std::move(done));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

int runInNetns(const std::string& nsPath, const std::function<void()>& fn) {
  int result = 0;
  std::thread t([&]() {
    if (nsPath == "@fresh") {
      if (unshare(CLONE_NEWNET) != 0) {
        result = errno;
        return;
      }
    } else if (!nsPath.empty()) {
      int fd = open(nsPath.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        result = errno;
        return;
      }
      int rc = setns(fd, CLONE_NEWNET);
      int e = errno;
      close(fd);
      if (rc != 0) {
        result = e;
        return;
      }
    }
    fn();
  });
  t.join();
  return result;
}

}  // namespace tsbcc

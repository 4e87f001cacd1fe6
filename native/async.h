// Small helpers: run work off the JS thread and resolve a promise, and run work on a fresh
// native thread that has entered a network namespace (setns never runs on the JS thread or on
// a libuv pool thread).
#pragma once
#include <napi.h>

#include <functional>
#include <string>

namespace tsbcc {

// Runs `work` on the libuv pool; `done` builds the resolved value on the JS thread. If `work`
// returns a non-empty string, the promise rejects with it (and errno fields when err != 0).
class LambdaWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void(std::string& error, int& err)>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  LambdaWorker(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        done_(std::move(done)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { work_(error_, err_); }
  void OnOK() override;
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::string error_;
  int err_ = 0;
};

// Queues a LambdaWorker and returns its promise.
Napi::Promise runAsync(Napi::Env env, LambdaWorker::Work work, LambdaWorker::Done done);

// Runs fn on a new std::thread that first enters the network namespace at nsPath (empty:
// stay in the caller's namespace; "@fresh": unshare into a new, empty namespace that vanishes
// when the thread ends). Returns 0 or the errno of entering the namespace.
int runInNetns(const std::string& nsPath, const std::function<void()>& fn);

}  // namespace tsbcc

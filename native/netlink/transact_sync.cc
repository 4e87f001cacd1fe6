// A synchronous netlink transaction in a namespace, for cleanup at process exit (when no event
// loop turn is left to resolve a promise). The socket is made and used on a short-lived native
// thread that enters the namespace; the JS thread only waits for it to finish. The socket and
// transaction code is shared with the asynchronous path (nlsock.cc).
#include <string>
#include <vector>

#include "async.h"
#include "nlsock.h"
#include "registry.h"

namespace tsbcc {
namespace {

// netlinkTransactInSync(nsPath, protocol, messages[], conditions?) -> (Buffer[] | null)[]
// (blocks the caller).
Napi::Value NetlinkTransactInSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  int proto = info[1].As<Napi::Number>().Int32Value();
  std::vector<nl::Bytes> msgs = nl::readMessages(info[2].As<Napi::Array>());
  std::vector<nl::Condition> conds = nl::readConditions(info[3]);
  nl::Replies replies;
  int e = 0;
  const char* call = "";
  int rc = runInNetns(ns, [&]() { e = nl::transactOnce(proto, msgs, replies, call, conds); });
  if (rc) throwErrno(env, "setns", rc);
  if (e) throwErrno(env, call, e);
  return nl::repliesToJs(env, replies);
}

// netlinkTransactSync(fd, messages[], stopOnError?, conditions?) -> (Buffer[] | null)[]: on a
// socket already in its namespace, on the calling (JS) thread: no thread hop, and the JS thread
// waits for the kernel's answers (rtnetlink handles a request inside the send).
Napi::Value NetlinkTransactSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::vector<nl::Bytes> msgs = nl::readMessages(info[1].As<Napi::Array>());
  bool stop = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  std::vector<nl::Condition> conds = nl::readConditions(info[3]);
  nl::Replies replies;
  int e = nl::transact(fd, msgs, replies, stop, conds);
  if (e) throwErrno(env, "netlink transact", e);
  return nl::repliesToJs(env, replies);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkTransactInSync", Napi::Function::New(env, NetlinkTransactInSync));
  exports.Set("netlinkTransactSync", Napi::Function::New(env, NetlinkTransactSync));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(netlink_sync, tsbcc::init);

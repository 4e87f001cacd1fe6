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

// netlinkTransactInSync(nsPath, protocol, messages[]) -> Buffer[][] (blocks the caller).
Napi::Value NetlinkTransactInSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  int proto = info[1].As<Napi::Number>().Int32Value();
  std::vector<nl::Bytes> msgs = nl::readMessages(info[2].As<Napi::Array>());
  nl::Replies replies;
  int e = 0;
  const char* call = "";
  int rc = runInNetns(ns, [&]() { e = nl::transactOnce(proto, msgs, replies, call); });
  if (rc) throwErrno(env, "setns", rc);
  if (e) throwErrno(env, call, e);
  return nl::repliesToJs(env, replies);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkTransactInSync", Napi::Function::New(env, NetlinkTransactInSync));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(netlink_sync, tsbcc::init);

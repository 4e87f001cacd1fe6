// Raw netlink request/response. Messages are encoded and replies decoded in TypeScript; this
// file only owns sockets (made inside a namespace on a native thread) and moves bytes. The
// socket and transaction code is in nlsock.cc.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "async.h"
#include "nlsock.h"
#include "registry.h"

namespace tsbcc {
namespace {

using nl::Bytes;
using nl::Replies;

// netlinkOpen(nsPath, protocol) -> Promise<fd>: a socket that lives in the namespace at nsPath.
Napi::Value NetlinkOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  int proto = info[1].As<Napi::Number>().Int32Value();
  auto fd = std::make_shared<int>(-1);
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = 0;
        int rc = runInNetns(ns, [&]() { *fd = nl::openSocket(proto, e); });
        if (rc || e) {
          error = rc ? "setns" : "socket(AF_NETLINK)";
          err = rc ? rc : e;
        }
      },
      [fd](Napi::Env e) { return Napi::Number::New(e, *fd); });
}

// netlinkTransact(fd, messages[], stopOnError?, conditions?) -> Promise<(Buffer[] | null)[]>: the
// reply datagrams of each message (null: not sent).
Napi::Value NetlinkTransact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto msgs = std::make_shared<std::vector<Bytes>>(nl::readMessages(info[1].As<Napi::Array>()));
  bool stop = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  auto conds = std::make_shared<std::vector<nl::Condition>>(nl::readConditions(info[3]));
  auto replies = std::make_shared<Replies>();
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = nl::transact(fd, *msgs, *replies, stop, *conds);
        if (e) {
          error = "netlink transact";
          err = e;
        }
      },
      [replies](Napi::Env e) { return nl::repliesToJs(e, *replies); });
}

// netlinkTransactIn(nsPath, protocol, messages[], conditions?) -> Promise<(Buffer[] | null)[]>: a one-shot socket in
// the namespace ("@fresh": a new empty namespace that is gone when the call returns).
Napi::Value NetlinkTransactIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  int proto = info[1].As<Napi::Number>().Int32Value();
  auto msgs = std::make_shared<std::vector<Bytes>>(nl::readMessages(info[2].As<Napi::Array>()));
  auto conds = std::make_shared<std::vector<nl::Condition>>(nl::readConditions(info[3]));
  auto replies = std::make_shared<Replies>();
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = 0;
        const char* call = "";
        int rc = runInNetns(ns, [&]() { e = nl::transactOnce(proto, *msgs, *replies, call, *conds); });
        if (rc || e) {
          error = rc ? "setns" : call;
          err = rc ? rc : e;
        }
      },
      [replies](Napi::Env e) { return nl::repliesToJs(e, *replies); });
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkOpen", Napi::Function::New(env, NetlinkOpen));
  exports.Set("netlinkTransact", Napi::Function::New(env, NetlinkTransact));
  exports.Set("netlinkTransactIn", Napi::Function::New(env, NetlinkTransactIn));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(netlink, tsbcc::init);

// Raw netlink request/response. Messages are encoded and replies decoded in TypeScript; this
// file only owns sockets (made inside a namespace on a native thread) and moves bytes.
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "async.h"
#include "registry.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace tsbcc {
namespace {

using Bytes = std::vector<char>;

int openNetlink(int proto, int& err) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  int rcv = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  sockaddr_nl sa = {};
  sa.nl_family = AF_NETLINK;
  if (bind(fd, (sockaddr*)&sa, sizeof sa) != 0) {
    err = errno;
    close(fd);
    return -1;
  }
  return fd;
}

// Sends each message and collects every reply datagram until the final ack/error/done of the
// message's sequence number. Returns 0 or the errno of a socket failure.
int transact(int fd, const std::vector<Bytes>& msgs, std::vector<std::vector<Bytes>>& replies,
             bool stopOnError = false) {
  bool failed = false;
  std::vector<char> buf(1 << 16);
  for (const Bytes& m : msgs) {
    if (failed) break;
    replies.emplace_back();
    if (m.size() < sizeof(nlmsghdr)) return EINVAL;
    const nlmsghdr* req = reinterpret_cast<const nlmsghdr*>(m.data());
    uint32_t seq = req->nlmsg_seq;
    bool wantsAck = (req->nlmsg_flags & NLM_F_ACK) || (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    sockaddr_nl to = {};
    to.nl_family = AF_NETLINK;
    if (sendto(fd, m.data(), m.size(), 0, (sockaddr*)&to, sizeof to) < 0) return errno;
    bool done = false;
    while (!done) {
      ssize_t n = recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      if ((size_t)n > buf.size()) buf.resize(n);
      n = recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) return errno;
      size_t total = (size_t)n;
      bool mine = false;
      int left = (int)n;
      for (nlmsghdr* h = (nlmsghdr*)buf.data(); NLMSG_OK(h, (unsigned)left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_seq != seq) continue;
        mine = true;
        if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) done = true;
        if (h->nlmsg_type == NLMSG_ERROR && stopOnError &&
            reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error != 0)
          failed = true;
        else if (!wantsAck && !(h->nlmsg_flags & NLM_F_MULTI)) done = true;
      }
      if (mine) replies.back().emplace_back(buf.data(), buf.data() + total);
    }
  }
  return 0;
}

std::vector<Bytes> readMessages(const Napi::Array& arr) {
  std::vector<Bytes> out;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Buffer<char> b = arr.Get(i).As<Napi::Buffer<char>>();
    out.emplace_back(b.Data(), b.Data() + b.Length());
  }
  return out;
}

Napi::Value repliesToJs(Napi::Env env, const std::vector<std::vector<Bytes>>& replies) {
  Napi::Array out = Napi::Array::New(env, replies.size());
  for (size_t i = 0; i < replies.size(); i++) {
    Napi::Array r = Napi::Array::New(env, replies[i].size());
    for (size_t j = 0; j < replies[i].size(); j++)
      r.Set(j, Napi::Buffer<char>::Copy(env, replies[i][j].data(), replies[i][j].size()));
    out.Set(i, r);
  }
  return out;
}

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
        int rc = runInNetns(ns, [&]() { *fd = openNetlink(proto, e); });
        if (rc || e) {
          error = rc ? "setns" : "socket(AF_NETLINK)";
          err = rc ? rc : e;
        }
      },
      [fd](Napi::Env e) { return Napi::Number::New(e, *fd); });
}

// netlinkTransact(fd, messages[]) -> Promise<Buffer[][]>: the reply datagrams of each message.
Napi::Value NetlinkTransact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  auto msgs = std::make_shared<std::vector<Bytes>>(readMessages(info[1].As<Napi::Array>()));
  bool stop = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  auto replies = std::make_shared<std::vector<std::vector<Bytes>>>();
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = transact(fd, *msgs, *replies, stop);
        if (e) {
          error = "netlink transact";
          err = e;
        }
      },
      [replies](Napi::Env e) { return repliesToJs(e, *replies); });
}

// netlinkTransactIn(nsPath, protocol, messages[]) -> Promise<Buffer[][]>: a one-shot socket in
// the namespace ("@fresh": a new empty namespace that is gone when the call returns).
Napi::Value NetlinkTransactIn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  int proto = info[1].As<Napi::Number>().Int32Value();
  auto msgs = std::make_shared<std::vector<Bytes>>(readMessages(info[2].As<Napi::Array>()));
  auto replies = std::make_shared<std::vector<std::vector<Bytes>>>();
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = 0;
        const char* call = "socket(AF_NETLINK)";
        int rc = runInNetns(ns, [&]() {
          int fd = openNetlink(proto, e);
          if (fd < 0) return;
          e = transact(fd, *msgs, *replies);
          if (e) call = "netlink transact";
          close(fd);
        });
        if (rc || e) {
          error = rc ? "setns" : call;
          err = rc ? rc : e;
        }
      },
      [replies](Napi::Env e) { return repliesToJs(e, *replies); });
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkOpen", Napi::Function::New(env, NetlinkOpen));
  exports.Set("netlinkTransact", Napi::Function::New(env, NetlinkTransact));
  exports.Set("netlinkTransactIn", Napi::Function::New(env, NetlinkTransactIn));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(netlink, tsbcc::init);

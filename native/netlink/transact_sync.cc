// A synchronous netlink transaction in a namespace, for cleanup at process exit (when no event
// loop turn is left to resolve a promise). The socket is made and used on a short-lived native
// thread that enters the namespace; the JS thread only waits for it to finish.
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "async.h"
#include "registry.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

namespace tsbcc {
namespace {

using Bytes = std::vector<char>;

// Sends each message in turn and keeps every reply datagram carrying its sequence number,
// up to its ack (every message must ask for an ack). Returns 0 or a socket errno.
int sendAll(int fd, const std::vector<Bytes>& msgs, std::vector<std::vector<Bytes>>& replies) {
  std::vector<char> buf(1 << 16);
  for (const Bytes& m : msgs) {
    replies.emplace_back();
    if (m.size() < sizeof(nlmsghdr)) return EINVAL;
    uint32_t seq = reinterpret_cast<const nlmsghdr*>(m.data())->nlmsg_seq;
    sockaddr_nl to = {};
    to.nl_family = AF_NETLINK;
    if (sendto(fd, m.data(), m.size(), 0, (sockaddr*)&to, sizeof to) < 0) return errno;
    bool done = false;
    while (!done) {
      ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      int left = (int)n;
      bool mine = false;
      for (nlmsghdr* h = (nlmsghdr*)buf.data(); NLMSG_OK(h, (unsigned)left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_seq != seq) continue;
        mine = true;
        if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) done = true;
      }
      if (mine) replies.back().emplace_back(buf.data(), buf.data() + n);
    }
  }
  return 0;
}

// netlinkTransactInSync(nsPath, protocol, messages[]) -> Buffer[][] (blocks the caller).
Napi::Value NetlinkTransactInSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  int proto = info[1].As<Napi::Number>().Int32Value();
  Napi::Array arr = info[2].As<Napi::Array>();
  std::vector<Bytes> msgs;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Buffer<char> b = arr.Get(i).As<Napi::Buffer<char>>();
    msgs.emplace_back(b.Data(), b.Data() + b.Length());
  }
  std::vector<std::vector<Bytes>> replies;
  int e = 0;
  const char* call = "socket(AF_NETLINK)";
  int rc = runInNetns(ns, [&]() {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
    if (fd < 0) {
      e = errno;
      return;
    }
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    sockaddr_nl sa = {};
    sa.nl_family = AF_NETLINK;
    if (bind(fd, (sockaddr*)&sa, sizeof sa) != 0) {
      e = errno;
      close(fd);
      return;
    }
    e = sendAll(fd, msgs, replies);
    if (e) call = "netlink transact";
    close(fd);
  });
  if (rc) throwErrno(env, "setns", rc);
  if (e) throwErrno(env, call, e);
  Napi::Array out = Napi::Array::New(env, replies.size());
  for (size_t i = 0; i < replies.size(); i++) {
    Napi::Array r = Napi::Array::New(env, replies[i].size());
    for (size_t j = 0; j < replies[i].size(); j++)
      r.Set(j, Napi::Buffer<char>::Copy(env, replies[i][j].data(), replies[i][j].size()));
    out.Set(i, r);
  }
  return out;
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("netlinkTransactInSync", Napi::Function::New(env, NetlinkTransactInSync));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(netlink_sync, tsbcc::init);

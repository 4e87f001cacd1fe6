// Netlink sockets and raw transactions shared by native/netlink (see nlsock.h).
#include "nlsock.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace tsbcc {
namespace nl {

int openSocket(int proto, int& err) {
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

int transact(int fd, const std::vector<Bytes>& msgs, Replies& replies, bool stopOnError) {
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

int transactOnce(int proto, const std::vector<Bytes>& msgs, Replies& replies, const char*& call) {
  int e = 0;
  call = "socket(AF_NETLINK)";
  int fd = openSocket(proto, e);
  if (fd < 0) return e;
  e = transact(fd, msgs, replies);
  if (e) call = "netlink transact";
  close(fd);
  return e;
}

std::vector<Bytes> readMessages(const Napi::Array& arr) {
  std::vector<Bytes> out;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Buffer<char> b = arr.Get(i).As<Napi::Buffer<char>>();
    out.emplace_back(b.Data(), b.Data() + b.Length());
  }
  return out;
}

Napi::Value repliesToJs(Napi::Env env, const Replies& replies) {
  Napi::Array out = Napi::Array::New(env, replies.size());
  for (size_t i = 0; i < replies.size(); i++) {
    Napi::Array r = Napi::Array::New(env, replies[i].size());
    for (size_t j = 0; j < replies[i].size(); j++)
      r.Set(j, Napi::Buffer<char>::Copy(env, replies[i][j].data(), replies[i][j].size()));
    out.Set(i, r);
  }
  return out;
}

}  // namespace nl
}  // namespace tsbcc

// Netlink sockets and raw transactions shared by native/netlink (see nlsock.h).
#include "nlsock.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

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

namespace {

// Whether the nested attribute at path (in the attributes at [p, end)) is the u32 value.
bool attrIs(const char* p, const char* end, const uint16_t* path, size_t depth, uint32_t value) {
  while (p + sizeof(nlattr) <= end) {
    const nlattr* a = reinterpret_cast<const nlattr*>(p);
    if (a->nla_len < sizeof(nlattr) || p + a->nla_len > end) return false;
    const char* data = p + NLA_HDRLEN;
    const char* stop = p + a->nla_len;
    if ((a->nla_type & NLA_TYPE_MASK) == path[0]) {
      if (depth == 1) {
        uint32_t v;
        if (stop - data != (long)sizeof v) return false;
        std::memcpy(&v, data, sizeof v);
        return v == value;
      }
      return attrIs(data, stop, path + 1, depth - 1, value);
    }
    p += NLA_ALIGN(a->nla_len);
  }
  return false;
}

// Whether a message of c.type with seq among the datagrams carries c.value at c.path.
bool matches(const Condition& c, const std::vector<Bytes>& datagrams, uint32_t seq) {
  if (c.path.empty()) return false;
  for (const Bytes& d : datagrams) {
    int left = (int)d.size();
    for (const nlmsghdr* h = (const nlmsghdr*)d.data(); NLMSG_OK(h, (unsigned)left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != c.type) continue;
      const char* body = (const char*)NLMSG_DATA(h);
      const char* end = (const char*)h + h->nlmsg_len;
      const char* attrs = body + NLMSG_ALIGN(c.headerLen);
      if (attrs <= end && attrIs(attrs, end, c.path.data(), c.path.size(), c.value)) return true;
    }
  }
  return false;
}

}  // namespace

int transact(int fd, const std::vector<Bytes>& msgs, Replies& replies, bool stopOnError,
             const std::vector<Condition>& conds) {
  bool stopped = false;
  bool prevSent = false, prevOk = false;
  uint32_t prevSeq = 0;
  // The datagrams queued for the socket, up to kBatch per recvmmsg (a request answered with
  // more than one, such as an echo and its ack, costs one receive), each into its own 1 MiB
  // slot of a buffer the thread keeps: the kernel caps a dump's datagram at 32 KiB and
  // rtnetlink's single replies are far smaller than 1 MiB; a datagram that did not fit
  // (MSG_TRUNC) is lost and reported as EMSGSIZE rather than parsed in part.
  constexpr size_t kRecvBuf = 1 << 20;
  constexpr unsigned kBatch = 4;
  thread_local std::unique_ptr<char[]> recvBuf;
  if (!recvBuf) recvBuf.reset(new char[kRecvBuf * kBatch]);
  char* buf = recvBuf.get();
  iovec iov[kBatch];
  mmsghdr mm[kBatch];
  for (size_t i = 0; i < msgs.size(); i++) {
    const Bytes& m = msgs[i];
    replies.datagrams.emplace_back();
    replies.sent.push_back(false);
    if (m.size() < sizeof(nlmsghdr)) return EINVAL;
    const Condition& c = i < conds.size() ? conds[i] : Condition();
    bool go = !stopped;
    if (go && c.kind != Condition::Always)
      go = i > 0 && prevSent && prevOk &&
           (c.kind == Condition::Ok || matches(c, replies.datagrams[i - 1], prevSeq));
    const nlmsghdr* req = reinterpret_cast<const nlmsghdr*>(m.data());
    uint32_t seq = req->nlmsg_seq;
    prevSent = go;
    prevOk = false;
    prevSeq = seq;
    if (!go) continue;
    bool wantsAck = (req->nlmsg_flags & NLM_F_ACK) || (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    sockaddr_nl to = {};
    to.nl_family = AF_NETLINK;
    if (sendto(fd, m.data(), m.size(), 0, (sockaddr*)&to, sizeof to) < 0) return errno;
    replies.sent.back() = true;
    bool done = false, refused = false;
    while (!done) {
      for (unsigned k = 0; k < kBatch; k++) {
        iov[k] = {buf + k * kRecvBuf, kRecvBuf};
        mm[k] = {};
        mm[k].msg_hdr.msg_iov = &iov[k];
        mm[k].msg_hdr.msg_iovlen = 1;
      }
      // waits for the first datagram, then takes what else is queued without waiting
      int got = recvmmsg(fd, mm, kBatch, MSG_WAITFORONE, nullptr);
      if (got < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      for (int k = 0; k < got; k++) {
        if (mm[k].msg_hdr.msg_flags & MSG_TRUNC) return EMSGSIZE;
        char* d = buf + k * kRecvBuf;
        size_t total = mm[k].msg_len;
        bool mine = false;
        int left = (int)total;
        for (nlmsghdr* h = (nlmsghdr*)d; NLMSG_OK(h, (unsigned)left); h = NLMSG_NEXT(h, left)) {
          if (h->nlmsg_seq != seq) continue;
          mine = true;
          if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) done = true;
          if (h->nlmsg_type == NLMSG_ERROR && reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error != 0)
            refused = true;
          else if (!wantsAck && !(h->nlmsg_flags & NLM_F_MULTI))
            done = true;
        }
        if (mine) replies.datagrams.back().emplace_back(d, d + total);
      }
    }
    prevOk = !refused;
    if (refused && stopOnError) stopped = true;
  }
  return 0;
}

int transactOnce(int proto, const std::vector<Bytes>& msgs, Replies& replies, const char*& call,
                 const std::vector<Condition>& conds) {
  int e = 0;
  call = "socket(AF_NETLINK)";
  int fd = openSocket(proto, e);
  if (fd < 0) return e;
  e = transact(fd, msgs, replies, false, conds);
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

std::vector<Condition> readConditions(const Napi::Value& v) {
  std::vector<Condition> out;
  if (!v.IsArray()) return out;
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Condition c;
    Napi::Value e = arr.Get(i);
    if (e.IsObject()) {
      c.kind = Condition::Ok;
      Napi::Value m = e.As<Napi::Object>().Get("match");
      if (m.IsObject()) {
        Napi::Object o = m.As<Napi::Object>();
        c.kind = Condition::Match;
        c.type = (uint16_t)o.Get("type").As<Napi::Number>().Uint32Value();
        c.headerLen = o.Get("headerLen").As<Napi::Number>().Uint32Value();
        c.value = o.Get("value").As<Napi::Number>().Uint32Value();
        Napi::Array path = o.Get("path").As<Napi::Array>();
        for (uint32_t j = 0; j < path.Length(); j++)
          c.path.push_back((uint16_t)path.Get(j).As<Napi::Number>().Uint32Value());
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

Napi::Value repliesToJs(Napi::Env env, const Replies& replies) {
  const auto& d = replies.datagrams;
  Napi::Array out = Napi::Array::New(env, d.size());
  for (size_t i = 0; i < d.size(); i++) {
    if (!replies.sent[i]) {
      out.Set(i, env.Null());
      continue;
    }
    Napi::Array r = Napi::Array::New(env, d[i].size());
    for (size_t j = 0; j < d[i].size(); j++) r.Set(j, Napi::Buffer<char>::Copy(env, d[i][j].data(), d[i][j].size()));
    out.Set(i, r);
  }
  return out;
}

}  // namespace nl
}  // namespace tsbcc

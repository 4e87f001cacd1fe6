// Netlink sockets and raw transactions shared by the netlink entry points (transact.cc,
// transact_sync.cc, netns.cc): opening a socket in the calling thread's namespace, sending a
// batch and collecting the reply datagrams, and moving messages between JS and C++.
#pragma once
#include <napi.h>

#include <vector>

namespace tsbcc {
namespace nl {

using Bytes = std::vector<char>;
// Per message: its reply datagrams; a message that was not sent has sent[i] == false.
struct Replies {
  std::vector<std::vector<Bytes>> datagrams;
  std::vector<bool> sent;
};

// When a message is sent, judged on the reply to the message before it (none: always sent).
// kind Ok: the previous message was sent and not refused. kind Match: that, and one of its
// reply messages of nlmsg_type `type` carries the u32 `value` at the nested attribute `path`
// (attribute types, outermost first) after `headerLen` bytes of family header. The judgement
// is mechanical; what to require is the TypeScript caller's decision.
struct Condition {
  enum Kind { Always, Ok, Match } kind = Always;
  uint16_t type = 0;
  uint32_t headerLen = 0;
  std::vector<uint16_t> path;
  uint32_t value = 0;
};

// A bound netlink socket of `proto` in the calling thread's namespace, with extended acks and
// strict checking on and a 4 MiB receive buffer. Returns the fd, or -1 with err set.
int openSocket(int proto, int& err);

// Sends each message whose condition holds (conds may be shorter than msgs: Always) and collects
// every reply datagram until the final ack/error/done of the message's sequence number. With
// stopOnError, nothing after the first refused message is sent. Returns 0 or the errno of a
// socket failure.
int transact(int fd, const std::vector<Bytes>& msgs, Replies& replies, bool stopOnError = false,
             const std::vector<Condition>& conds = {});

// openSocket + transact + close, in the calling thread's namespace. Returns 0 or an errno;
// `call` names what failed.
int transactOnce(int proto, const std::vector<Bytes>& msgs, Replies& replies, const char*& call,
                 const std::vector<Condition>& conds = {});

// The Buffers of a JS array as byte vectors.
std::vector<Bytes> readMessages(const Napi::Array& arr);

// Conditions from a JS array aligned with the messages (null/undefined: Always; else
// { match?: { type, headerLen, path, value } }: Ok, or Match when `match` is given). A missing
// argument gives none.
std::vector<Condition> readConditions(const Napi::Value& v);

// Replies as a JS array (per message an array of Buffers, or null when it was not sent).
Napi::Value repliesToJs(Napi::Env env, const Replies& replies);

}  // namespace nl
}  // namespace tsbcc

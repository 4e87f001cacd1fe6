// Netlink sockets and raw transactions shared by the netlink entry points (transact.cc,
// transact_sync.cc, netns.cc): opening a socket in the calling thread's namespace, sending a
// batch and collecting the reply datagrams, and moving messages between JS and C++.
#pragma once
#include <napi.h>

#include <vector>

namespace tsbcc {
namespace nl {

using Bytes = std::vector<char>;
using Replies = std::vector<std::vector<Bytes>>;

// A bound netlink socket of `proto` in the calling thread's namespace, with extended acks and
// strict checking on and a 4 MiB receive buffer. Returns the fd, or -1 with err set.
int openSocket(int proto, int& err);

// Sends each message and collects every reply datagram until the final ack/error/done of the
// message's sequence number. With stopOnError, stops after the first refused message.
// Returns 0 or the errno of a socket failure.
int transact(int fd, const std::vector<Bytes>& msgs, Replies& replies, bool stopOnError = false);

// openSocket + transact + close, in the calling thread's namespace. Returns 0 or an errno;
// `call` names what failed.
int transactOnce(int proto, const std::vector<Bytes>& msgs, Replies& replies, const char*& call);

// The Buffers of a JS array as byte vectors.
std::vector<Bytes> readMessages(const Napi::Array& arr);

// Replies as a JS array (one array of Buffers per message).
Napi::Value repliesToJs(Napi::Env env, const Replies& replies);

}  // namespace nl
}  // namespace tsbcc

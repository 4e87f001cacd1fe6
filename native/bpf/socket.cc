// Packet sockets made inside a network namespace (on a native thread), and SO_ATTACH_BPF.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "async.h"
#include "registry.h"

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

namespace tsbcc {
namespace {

// openPacketSocket(nsPath, ifname, protocol) -> Promise<fd>. ifname "" binds to all devices.
Napi::Value OpenPacketSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  std::string ifname = info[1].As<Napi::String>().Utf8Value();
  int proto = info[2].As<Napi::Number>().Int32Value();
  auto fd = std::make_shared<int>(-1);
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        const char* call = "setns";
        int e = 0;
        int rc = runInNetns(ns, [&]() {
          int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));
          if (s < 0) {
            call = "socket(AF_PACKET)";
            e = errno;
            return;
          }
          sockaddr_ll sll = {};
          sll.sll_family = AF_PACKET;
          sll.sll_protocol = htons(proto);
          if (!ifname.empty()) {
            sll.sll_ifindex = (int)if_nametoindex(ifname.c_str());
            if (sll.sll_ifindex == 0) {
              call = "if_nametoindex";
              e = errno;
              close(s);
              return;
            }
          }
          if (bind(s, (sockaddr*)&sll, sizeof sll) != 0) {
            call = "bind(AF_PACKET)";
            e = errno;
            close(s);
            return;
          }
          *fd = s;
        });
        if (rc) e = rc;
        if (e) {
          error = call;
          err = e;
        }
      },
      [fd](Napi::Env e) { return Napi::Number::New(e, *fd); });
}

Napi::Value AttachSocketFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  int prog = info[1].As<Napi::Number>().Int32Value();
  if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof prog) != 0)
    throwErrno(env, "setsockopt(SO_ATTACH_BPF)", errno);
  return env.Undefined();
}

Napi::Value DetachSocketFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  int dummy = 0;
  if (setsockopt(sock, SOL_SOCKET, SO_DETACH_BPF, &dummy, sizeof dummy) != 0)
    throwErrno(env, "setsockopt(SO_DETACH_BPF)", errno);
  return env.Undefined();
}

// recvPacket(fd, buffer) -> length, or -1 when nothing is queued (non-blocking).
Napi::Value RecvPacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<char> buf = info[1].As<Napi::Buffer<char>>();
  ssize_t n = recv(sock, buf.Data(), buf.Length(), MSG_DONTWAIT | MSG_TRUNC);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
    throwErrno(env, "recv", errno);
  }
  return Napi::Number::New(env, (double)n);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("openPacketSocket", Napi::Function::New(env, OpenPacketSocket));
  exports.Set("attachSocketFilter", Napi::Function::New(env, AttachSocketFilter));
  exports.Set("detachSocketFilter", Napi::Function::New(env, DetachSocketFilter));
  exports.Set("recvPacket", Napi::Function::New(env, RecvPacket));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(socket, tsbcc::init);

// Named network namespaces (the `ip netns` convention): a namespace made on a fresh native
// thread by unshare(CLONE_NEWNET) and kept alive by a bind mount of the thread's nsfs file onto
// /run/netns/NAME; removal unmounts and unlinks. Also sysctl writes inside a namespace
// (/proc/sys/net resolves the namespace of the calling thread). Policy lives in TypeScript.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "async.h"
#include "nlsock.h"
#include "registry.h"

namespace tsbcc {
namespace {

// Makes dir a shared mount point, as iproute2 does, so mounts under it propagate to other
// mount namespaces (and `ip netns exec` sees them). Returns 0 or errno.
int ensureSharedDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return errno;
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) == 0) return 0;
  if (errno != EINVAL) return errno;
  if (mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0) return errno;
  if (mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) return errno;
  return 0;
}

// netnsCreate(dir, name, openSocket) -> Promise<number>: creates dir/name bound to a new
// network namespace; resolves with a NETLINK_ROUTE socket inside it when openSocket, else -1.
Napi::Value NetnsCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  bool wantSocket = info.Length() > 2 && info[2].ToBoolean().Value();
  auto fd = std::make_shared<int>(-1);
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        std::string path = dir + "/" + name;
        int e = ensureSharedDir(dir);
        if (e) {
          error = "mount --make-shared " + dir;
          err = e;
          return;
        }
        int f = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (f < 0) {
          error = "create " + path;
          err = errno;
          return;
        }
        close(f);
        const char* call = nullptr;
        std::thread t([&]() {
          if (unshare(CLONE_NEWNET) != 0) {
            call = "unshare(CLONE_NEWNET)";
            e = errno;
            return;
          }
          if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
            call = "bind mount of the namespace";
            e = errno;
            return;
          }
          if (wantSocket) {
            *fd = nl::openSocket(NETLINK_ROUTE, e);
            if (*fd < 0) call = "socket(AF_NETLINK)";
          }
        });
        t.join();
        if (call) {
          if (*fd < 0) {
            umount2(path.c_str(), MNT_DETACH);
            unlink(path.c_str());
          }
          error = std::string(call) + " for " + path;
          err = e;
        }
      },
      [fd](Napi::Env e) { return Napi::Number::New(e, *fd); });
}

// Makes path (a new file) the name of a new network namespace, on the calling thread, which
// moves into it and must be a disposable thread. Opens a NETLINK_ROUTE socket and an nsfs fd
// of the namespace there. Returns 0, or the errno with `call` naming the step that failed;
// on failure nothing is left (the name is unmounted and removed, fds closed).
int createOnThisThread(const std::string& path, int& sock, int& nsfd, const char*& call) {
  sock = nsfd = -1;
  int f = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (f < 0) {
    call = "create";
    return errno;
  }
  close(f);
  int e = 0;
  if (unshare(CLONE_NEWNET) != 0) {
    call = "unshare(CLONE_NEWNET)";
    e = errno;
  } else if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
    call = "bind mount of the namespace";
    e = errno;
  } else if ((sock = nl::openSocket(NETLINK_ROUTE, e)) < 0) {
    call = "socket(AF_NETLINK)";
  } else if ((nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
    call = "open of the namespace";
    e = errno;
    close(sock);
    sock = -1;
  }
  if (e) {
    umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
  }
  return e;
}

// netnsCreateMany(dir, names[]) -> Promise<{ fds: number[], error?, errno? }>: creates the
// named namespaces in order on one native thread (no thread hop per namespace), each with a
// NETLINK_ROUTE socket and an nsfs fd inside it: fds holds [socket, nsfd] per namespace made.
// The first failure stops the rest and is reported beside what was made (error names the call
// and path); a failure to share dir rejects (nothing made).
Napi::Value NetnsCreateMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Napi::Array arr = info[1].As<Napi::Array>();
  auto names = std::make_shared<std::vector<std::string>>();
  for (uint32_t i = 0; i < arr.Length(); i++) names->push_back(arr.Get(i).As<Napi::String>().Utf8Value());
  struct Result {
    std::vector<int> fds;
    std::string error;
    int err = 0;
  };
  auto res = std::make_shared<Result>();
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = ensureSharedDir(dir);
        if (e) {
          error = "mount --make-shared " + dir;
          err = e;
          return;
        }
        std::thread t([&]() {
          for (const auto& name : *names) {
            std::string path = dir + "/" + name;
            int sock, nsfd;
            const char* call = "";
            int rc = createOnThisThread(path, sock, nsfd, call);
            if (rc) {
              res->error = std::string(call) + " for " + path;
              res->err = rc;
              return;
            }
            res->fds.push_back(sock);
            res->fds.push_back(nsfd);
          }
        });
        t.join();
      },
      [res](Napi::Env e) {
        Napi::Object o = Napi::Object::New(e);
        Napi::Array fds = Napi::Array::New(e, res->fds.size());
        for (size_t i = 0; i < res->fds.size(); i++) fds.Set(static_cast<uint32_t>(i), res->fds[i]);
        o.Set("fds", fds);
        if (res->err) {
          o.Set("error", res->error);
          o.Set("errno", res->err);
        }
        return o;
      });
}

// netnsDeleteMany(paths[]) -> [index, call, errno][]: netnsDelete of every path, spread over up
// to 8 native threads, synchronously. Each unmount waits for an RCU grace period; concurrent
// unmounts share them, so N deletions take about N/8 grace periods instead of N.
Napi::Value NetnsDeleteMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < arr.Length(); i++) paths.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
  struct Failure {
    size_t index;
    const char* call;
    int err;
  };
  std::vector<std::vector<Failure>> failures(std::min<size_t>(8, paths.size()));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < failures.size(); t++) {
    threads.emplace_back([&, t]() {
      for (size_t i = t; i < paths.size(); i += failures.size()) {
        const char* p = paths[i].c_str();
        if (umount2(p, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
          failures[t].push_back({i, "umount2", errno});
        else if (unlink(p) != 0 && errno != ENOENT)
          failures[t].push_back({i, "unlink", errno});
      }
    });
  }
  for (auto& th : threads) th.join();
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  for (const auto& list : failures) {
    for (const auto& f : list) {
      Napi::Array a = Napi::Array::New(env, 3);
      a.Set(0u, static_cast<double>(f.index));
      a.Set(1u, f.call);
      a.Set(2u, f.err);
      out.Set(k++, a);
    }
  }
  return out;
}

// netnsDelete(path): unmounts (lazily) and unlinks a named namespace. The namespace itself
// ends when nothing else holds it (processes, sockets, open nsfs files).
Napi::Value NetnsDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    throwErrno(env, "umount2", errno, path);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) throwErrno(env, "unlink", errno, path);
  return env.Undefined();
}

// netnsSysctl(nsPath, entries[[relPath, value]]) -> Promise<void>: writes /proc/sys/<relPath>
// from a thread inside the namespace. Stops at the first failure, naming the key.
Napi::Value NetnsSysctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string ns = info[0].As<Napi::String>().Utf8Value();
  Napi::Array arr = info[1].As<Napi::Array>();
  auto entries = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Array kv = arr.Get(i).As<Napi::Array>();
    entries->emplace_back(kv.Get(0u).As<Napi::String>().Utf8Value(), kv.Get(1u).As<Napi::String>().Utf8Value());
  }
  return runAsync(
      env,
      [=](std::string& error, int& err) {
        int e = 0;
        std::string failed;
        int rc = runInNetns(ns, [&]() {
          for (const auto& kv : *entries) {
            std::string p = "/proc/sys/" + kv.first;
            int f = open(p.c_str(), O_WRONLY | O_CLOEXEC);
            if (f < 0 || write(f, kv.second.data(), kv.second.size()) < 0) {
              e = errno;
              failed = p;
              if (f >= 0) close(f);
              return;
            }
            close(f);
          }
        });
        if (rc) {
          error = "setns " + ns;
          err = rc;
        } else if (e) {
          error = "write " + failed;
          err = e;
        }
      },
      [](Napi::Env e) { return e.Undefined(); });
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("netnsCreate", Napi::Function::New(env, NetnsCreate));
  exports.Set("netnsDelete", Napi::Function::New(env, NetnsDelete));
  exports.Set("netnsCreateMany", Napi::Function::New(env, NetnsCreateMany));
  exports.Set("netnsDeleteMany", Napi::Function::New(env, NetnsDeleteMany));
  exports.Set("netnsSysctl", Napi::Function::New(env, NetnsSysctl));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(netns, tsbcc::init);

// Attach primitives for tracing programs: perf_event_open (tracepoint, kprobe/uprobe PMU,
// hardware/software events), binding a program to a perf event (bpf_link, or the ioctl on
// kernels without perf links), raw tracepoints and generic bpf_link_create. Which event, which
// PMU type and what to do when something is missing is decided in TypeScript.
#include <bpf/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "registry.h"

namespace tsbcc {
namespace {

uint64_t u64(const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  if (v.IsNumber()) return (uint64_t)v.As<Napi::Number>().Int64Value();
  return 0;
}

// perfEventOpen(attr, pid, cpu, groupFd) -> fd
// attr: { type, config, config1?, config2?, config1String?, samplePeriod?, sampleFreq?,
//         wakeupEvents?, sampleType?, disabled? }. config1String passes a C string pointer as
// config1 (kprobe function name / uprobe path).
Napi::Value PerfEventOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object a = info[0].As<Napi::Object>();
  perf_event_attr attr = {};
  attr.size = sizeof attr;
  attr.type = a.Get("type").As<Napi::Number>().Uint32Value();
  attr.config = u64(a.Get("config"));
  std::string str;
  if (a.Has("config1String") && a.Get("config1String").IsString()) {
    str = a.Get("config1String").As<Napi::String>().Utf8Value();
    attr.config1 = (uint64_t)(uintptr_t)str.c_str();
  } else {
    attr.config1 = u64(a.Get("config1"));
  }
  attr.config2 = u64(a.Get("config2"));
  uint64_t freq = u64(a.Get("sampleFreq"));
  if (freq) {
    attr.freq = 1;
    attr.sample_freq = freq;
  } else {
    attr.sample_period = u64(a.Get("samplePeriod"));
  }
  attr.wakeup_events = (uint32_t)u64(a.Get("wakeupEvents"));
  attr.sample_type = u64(a.Get("sampleType"));
  attr.disabled = a.Get("disabled").ToBoolean().Value() ? 1 : 0;
  int pid = info[1].As<Napi::Number>().Int32Value();
  int cpu = info[2].As<Napi::Number>().Int32Value();
  int group = info[3].As<Napi::Number>().Int32Value();
  int fd = (int)syscall(__NR_perf_event_open, &attr, pid, cpu, group, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) throwErrno(env, "perf_event_open", errno, str);
  return Napi::Number::New(env, fd);
}

// perfEventAttachProg(perfFd, progFd) -> link fd, or -1 when the kernel has no perf links and
// the program was bound with PERF_EVENT_IOC_SET_BPF (then closing the perf fd detaches).
Napi::Value PerfEventAttachProg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int perfFd = info[0].As<Napi::Number>().Int32Value();
  int progFd = info[1].As<Napi::Number>().Int32Value();
  int link = bpf_link_create(progFd, perfFd, BPF_PERF_EVENT, nullptr);
  if (link < 0) {
    int err = errno;
    if (err != EINVAL && err != EOPNOTSUPP && err != 524 /* ENOTSUPP */) throwErrno(env, "bpf_link_create", err);
    if (ioctl(perfFd, PERF_EVENT_IOC_SET_BPF, progFd) != 0) throwErrno(env, "ioctl(PERF_EVENT_IOC_SET_BPF)", errno);
    link = -1;
  }
  if (ioctl(perfFd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
    int err = errno;
    if (link >= 0) close(link);
    throwErrno(env, "ioctl(PERF_EVENT_IOC_ENABLE)", err);
  }
  return Napi::Number::New(env, link);
}

// perfEventRead(fd) -> bigint counter value
Napi::Value PerfEventRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t v = 0;
  if (read(info[0].As<Napi::Number>().Int32Value(), &v, sizeof v) != (ssize_t)sizeof v) throwErrno(env, "read", errno);
  return Napi::BigInt::New(env, v);
}

// rawTracepointOpen(name, progFd) -> fd (closing it detaches)
Napi::Value RawTracepointOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  int fd = bpf_raw_tracepoint_open(name.empty() ? nullptr : name.c_str(), info[1].As<Napi::Number>().Int32Value());
  if (fd < 0) throwErrno(env, "bpf_raw_tracepoint_open", errno, name);
  return Napi::Number::New(env, fd);
}

// linkCreate(progFd, targetFd, attachType, flags) -> link fd
Napi::Value LinkCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = info[3].As<Napi::Number>().Uint32Value());
  int fd = bpf_link_create(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                           (bpf_attach_type)info[2].As<Napi::Number>().Int32Value(), &opts);
  if (fd < 0) throwErrno(env, "bpf_link_create", errno);
  return Napi::Number::New(env, fd);
}

// progAttach(progFd, targetFd, attachType, flags) / progDetach(progFd, targetFd, attachType)
Napi::Value ProgAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (bpf_prog_attach(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                      (bpf_attach_type)info[2].As<Napi::Number>().Int32Value(),
                      info[3].As<Napi::Number>().Uint32Value()) != 0)
    throwErrno(env, "bpf_prog_attach", errno);
  return env.Undefined();
}

Napi::Value ProgDetach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (bpf_prog_detach2(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                       (bpf_attach_type)info[2].As<Napi::Number>().Int32Value()) != 0)
    throwErrno(env, "bpf_prog_detach", errno);
  return env.Undefined();
}

// openPath(path, flags) -> fd (cgroup directories for CGROUP_ARRAY and cgroup attach)
Napi::Value OpenPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), info[1].As<Napi::Number>().Int32Value() | O_CLOEXEC);
  if (fd < 0) throwErrno(env, "open", errno, path);
  return Napi::Number::New(env, fd);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("perfEventOpen", Napi::Function::New(env, PerfEventOpen));
  exports.Set("perfEventAttachProg", Napi::Function::New(env, PerfEventAttachProg));
  exports.Set("perfEventRead", Napi::Function::New(env, PerfEventRead));
  exports.Set("rawTracepointOpen", Napi::Function::New(env, RawTracepointOpen));
  exports.Set("linkCreate", Napi::Function::New(env, LinkCreate));
  exports.Set("progAttach", Napi::Function::New(env, ProgAttach));
  exports.Set("progDetach", Napi::Function::New(env, ProgDetach));
  exports.Set("openPath", Napi::Function::New(env, OpenPath));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(attach, tsbcc::init);

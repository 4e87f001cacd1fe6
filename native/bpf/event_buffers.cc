// Ring buffer and perf buffer readers, and a watcher of pollable fds (trace_pipe): never a
// blocking poll on the JS thread, never a busy thread (DESIGN D6). The ring and perf readers
// are drained by a thread blocked in epoll_wait (drained_reader.h), so the kernel's buffers
// empty at C speed while JS decodes; JS is called once per chunk of records with
// (data, meta, count[, lost]); meta holds (offset, length[, cpu]) per record; with reuseData
// the data Buffer is one long-lived Buffer refilled per chunk (JS must copy values out). Decoding and
// policy live in TypeScript. The fd watcher uses uv_poll on the JS thread's loop.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <node_api.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "drained_reader.h"
#include "registry.h"

namespace tsbcc {
namespace {

uv_loop_t* loopOf(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) throw Napi::Error::New(env, "no libuv loop");
  return loop;
}

// Shared poll plumbing: owns the uv_poll_t handles (freed in their close callbacks), keeps the
// JS object alive while watching, reports callback exceptions as uncaught. One handle per fd;
// drain(env, index) says which fd turned readable.
template <typename Self>
class Watched : public Napi::ObjectWrap<Self> {
 public:
  explicit Watched(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Self>(info) {}
  ~Watched() override {
    stopWatching(false);
    delete async_;
  }

 protected:
  struct Poll {
    uv_poll_t handle;
    Watched* self;
    size_t index;
  };
  std::vector<Poll*> polls_;
  bool refd_ = true;
  Napi::FunctionReference onData_;
  Napi::AsyncContext* async_ = nullptr;

  virtual void drain(Napi::Env env, size_t index) = 0;

  void startWatching(Napi::Env env, const std::vector<int>& fds) {
    if (!polls_.empty()) return;
    for (size_t i = 0; i < fds.size(); i++) {
      auto* p = new Poll{{}, this, i};
      int rc = uv_poll_init(loopOf(env), &p->handle, fds[i]);
      if (rc != 0) {
        delete p;
        stopWatching(false);
        throwErrno(env, "uv_poll_init", -rc);
      }
      p->handle.data = p;
      polls_.push_back(p);
      rc = uv_poll_start(&p->handle, UV_READABLE, &Watched::onReadable);
      if (rc != 0) {
        stopWatching(false);
        throwErrno(env, "uv_poll_start", -rc);
      }
      if (!refd_) uv_unref(reinterpret_cast<uv_handle_t*>(&p->handle));
    }
    this->Ref();
  }

  void stopWatching(bool unref = true) {
    if (polls_.empty()) return;
    for (Poll* p : polls_) {
      uv_poll_stop(&p->handle);
      p->self = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
               [](uv_handle_t* h) { delete static_cast<Poll*>(h->data); });
    }
    polls_.clear();
    if (unref) this->Unref();
  }

  void setRef(bool on) {
    refd_ = on;
    for (Poll* p : polls_) {
      if (on)
        uv_ref(reinterpret_cast<uv_handle_t*>(&p->handle));
      else
        uv_unref(reinterpret_cast<uv_handle_t*>(&p->handle));
    }
  }

  void emit(Napi::Env env, const std::vector<napi_value>& args) {
    if (!async_) async_ = new Napi::AsyncContext(env, "tsbcc:events");
    try {
      onData_.MakeCallback(this->Value(), args, *async_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

 private:
  static void onReadable(uv_poll_t* h, int status, int events) {
    auto* p = static_cast<Poll*>(h->data);
    if (!p || !p->self) return;
    Napi::Env env = p->self->Env();
    Napi::HandleScope scope(env);
    p->self->drain(env, p->index);
  }
};

// Ring buffer reader: its drain thread (DrainedReader) waits on libbpf's epoll fd and drains
// with ring_buffer__consume.
class NativeRingBuffer : public DrainedReader<NativeRingBuffer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeRingBuffer",
                       {InstanceMethod("start", &NativeRingBuffer::Start), InstanceMethod("stop", &NativeRingBuffer::Stop),
                        InstanceMethod("consume", &NativeRingBuffer::Consume),
                        InstanceMethod("ref", &NativeRingBuffer::RefM), InstanceMethod("unref", &NativeRingBuffer::UnrefM),
                        InstanceMethod("close", &NativeRingBuffer::Close)});
  }

  // new NativeRingBuffer(mapFd, onData(data, meta, count), reuseData?)
  explicit NativeRingBuffer(const Napi::CallbackInfo& info) : DrainedReader<NativeRingBuffer>(info, 2, false) {
    Napi::Env env = info.Env();
    onData_ = Napi::Persistent(info[1].As<Napi::Function>());
    reuseData_ = info.Length() > 2 && info[2].ToBoolean().Value();
    int mapFd = info[0].As<Napi::Number>().Int32Value();
    rb_ = ring_buffer__new(mapFd, &NativeRingBuffer::onSample, this, nullptr);
    if (!rb_) throwErrno(env, "ring_buffer__new", errno);
    bpf_map_info mi = {};
    uint32_t len = sizeof mi;
    if (bpf_obj_get_info_by_fd(mapFd, &mi, &len) == 0) setPaceFor(mi.max_entries);  // bytes of ring
  }
  ~NativeRingBuffer() override {
    stopAll();
    if (rb_) ring_buffer__free(rb_);
  }

 protected:
  int drainKernel() override { return rb_ ? ring_buffer__consume(rb_) : 0; }
  bool open() const override { return rb_ != nullptr; }

 private:
  ring_buffer* rb_ = nullptr;

  static int onSample(void* ctx, void* data, size_t size) {
    static_cast<NativeRingBuffer*>(ctx)->append(data, (uint32_t)size);
    return 0;
  }

  ring_buffer* live(Napi::Env env) {
    if (!rb_) throw Napi::Error::New(env, "ring buffer reader is closed");
    return rb_;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    startThread(info.Env(), {ring_buffer__epoll_fd(live(info.Env()))});
    return info.Env().Undefined();
  }
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    stopAll();
    return info.Env().Undefined();
  }
  Napi::Value Consume(const Napi::CallbackInfo& info) {
    live(info.Env());
    return Napi::Number::New(info.Env(), consumeNow(info.Env(), "ring_buffer__consume"));
  }
  Napi::Value RefM(const Napi::CallbackInfo& info) {
    setRef(true);
    return info.Env().Undefined();
  }
  Napi::Value UnrefM(const Napi::CallbackInfo& info) {
    setRef(false);
    return info.Env().Undefined();
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    stopAll();
    dropPending();
    dropJsArrays();
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
    onData_.Reset();
    return info.Env().Undefined();
  }
};

struct PerfSample {
  perf_event_header header;
  uint32_t size;
  char data[];
};

struct PerfLost {
  perf_event_header header;
  uint64_t id;
  uint64_t lost;
};

// Perf buffer reader: its drain thread watches every CPU's perf fd directly (a perf fd's
// readiness is cleared by the first poll of it, so a nested epoll set would swallow wakeups) and
// drains every CPU's ring with perf_buffer__consume when any turns readable.
class NativePerfBuffer : public DrainedReader<NativePerfBuffer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativePerfBuffer",
                       {InstanceMethod("start", &NativePerfBuffer::Start), InstanceMethod("stop", &NativePerfBuffer::Stop),
                        InstanceMethod("consume", &NativePerfBuffer::Consume),
                        InstanceMethod("ref", &NativePerfBuffer::RefM), InstanceMethod("unref", &NativePerfBuffer::UnrefM),
                        InstanceMethod("bufferCount", &NativePerfBuffer::BufferCount),
                        InstanceMethod("close", &NativePerfBuffer::Close)});
  }

  // new NativePerfBuffer(mapFd, pageCount, wakeupEvents, onData(data, meta, count, lost), reuseData?)
  // meta: (offset, length, cpu) per record; lost: Float64Array of (cpu, count) pairs, or null.
  explicit NativePerfBuffer(const Napi::CallbackInfo& info) : DrainedReader<NativePerfBuffer>(info, 3, true) {
    Napi::Env env = info.Env();
    int mapFd = info[0].As<Napi::Number>().Int32Value();
    size_t pages = info[1].As<Napi::Number>().Uint32Value();
    uint32_t wakeup = info[2].As<Napi::Number>().Uint32Value();
    onData_ = Napi::Persistent(info[3].As<Napi::Function>());
    reuseData_ = info.Length() > 4 && info[4].ToBoolean().Value();
    perf_event_attr attr = {};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    attr.wakeup_events = wakeup ? wakeup : 1;
    LIBBPF_OPTS(perf_buffer_raw_opts, opts);
    pb_ = perf_buffer__new_raw(mapFd, pages, &attr, &NativePerfBuffer::onEvent, this, &opts);
    if (!pb_) throwErrno(env, "perf_buffer__new_raw", errno);
    setPaceFor(pages * (size_t)sysconf(_SC_PAGESIZE));
  }
  ~NativePerfBuffer() override {
    stopAll();
    if (pb_) perf_buffer__free(pb_);
  }

 protected:
  int drainKernel() override { return pb_ ? perf_buffer__consume(pb_) : 0; }
  bool open() const override { return pb_ != nullptr; }

 private:
  perf_buffer* pb_ = nullptr;

  static enum bpf_perf_event_ret onEvent(void* ctx, int cpu, perf_event_header* ev) {
    auto* self = static_cast<NativePerfBuffer*>(ctx);
    if (ev->type == PERF_RECORD_SAMPLE) {
      auto* s = reinterpret_cast<PerfSample*>(ev);
      uint32_t c = (uint32_t)cpu;
      self->append(s->data, s->size, &c);
    } else if (ev->type == PERF_RECORD_LOST) {
      auto* l = reinterpret_cast<PerfLost*>(ev);
      self->appendLost((uint32_t)cpu, (double)l->lost);
    }
    return LIBBPF_PERF_EVENT_CONT;
  }

  perf_buffer* live(Napi::Env env) {
    if (!pb_) throw Napi::Error::New(env, "perf buffer reader is closed");
    return pb_;
  }

  Napi::Value Start(const Napi::CallbackInfo& info) {
    perf_buffer* pb = live(info.Env());
    std::vector<int> fds;
    for (size_t i = 0; i < perf_buffer__buffer_cnt(pb); i++) fds.push_back(perf_buffer__buffer_fd(pb, i));
    startThread(info.Env(), fds);
    return info.Env().Undefined();
  }
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    stopAll();
    return info.Env().Undefined();
  }
  Napi::Value Consume(const Napi::CallbackInfo& info) {
    live(info.Env());
    return Napi::Number::New(info.Env(), consumeNow(info.Env(), "perf_buffer__consume"));
  }
  Napi::Value RefM(const Napi::CallbackInfo& info) {
    setRef(true);
    return info.Env().Undefined();
  }
  Napi::Value UnrefM(const Napi::CallbackInfo& info) {
    setRef(false);
    return info.Env().Undefined();
  }
  Napi::Value BufferCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)perf_buffer__buffer_cnt(live(info.Env())));
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    stopAll();
    dropPending();
    dropJsArrays();
    if (pb_) perf_buffer__free(pb_);
    pb_ = nullptr;
    onData_.Reset();
    return info.Env().Undefined();
  }
};

// Watches any pollable fd (trace_pipe opened O_NONBLOCK): calls onReadable() with no
// arguments whenever it is readable; JS reads it without blocking.
class NativeFdWatcher : public Watched<NativeFdWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeFdWatcher",
                       {InstanceMethod("start", &NativeFdWatcher::Start), InstanceMethod("stop", &NativeFdWatcher::Stop),
                        InstanceMethod("ref", &NativeFdWatcher::RefM), InstanceMethod("unref", &NativeFdWatcher::UnrefM),
                        InstanceMethod("close", &NativeFdWatcher::Close)});
  }
  // new NativeFdWatcher(fd, onReadable)
  explicit NativeFdWatcher(const Napi::CallbackInfo& info) : Watched<NativeFdWatcher>(info) {
    fd_ = info[0].As<Napi::Number>().Int32Value();
    onData_ = Napi::Persistent(info[1].As<Napi::Function>());
  }
  ~NativeFdWatcher() override { stopWatching(false); }

 private:
  int fd_;
  void drain(Napi::Env env, size_t) override { emit(env, {}); }
  Napi::Value Start(const Napi::CallbackInfo& info) {
    startWatching(info.Env(), {fd_});
    return info.Env().Undefined();
  }
  Napi::Value Stop(const Napi::CallbackInfo& info) {
    stopWatching();
    return info.Env().Undefined();
  }
  Napi::Value RefM(const Napi::CallbackInfo& info) {
    setRef(true);
    return info.Env().Undefined();
  }
  Napi::Value UnrefM(const Napi::CallbackInfo& info) {
    setRef(false);
    return info.Env().Undefined();
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    stopWatching();
    onData_.Reset();
    return info.Env().Undefined();
  }
};

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeFdWatcher", NativeFdWatcher::Define(env));
  exports.Set("NativeRingBuffer", NativeRingBuffer::Define(env));
  exports.Set("NativePerfBuffer", NativePerfBuffer::Define(env));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(event_buffers, tsbcc::init);

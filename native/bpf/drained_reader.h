// Base of the ring buffer and perf buffer readers: a drain thread per reader, blocked in
// epoll_wait on the reader's fds (never spinning, never polling on a timer: DESIGN D6), moves
// records out of the kernel's buffers as soon as the kernel signals them, into pending chunks
// of at most kChunkBytes; a uv_async hands the chunks to JS one per loop turn. So the kernel's
// buffers empty at C speed while the JS thread decodes, and the JS thread never blocks.
//
// Hand-off and pacing: JS is woken at most once per kNotifyGapNs (records drained sooner are held
// until the gap has passed or a chunk's worth is pending), and while a stream is busy the thread
// naps briefly after each drain (bounded by how fast its kernel buffer could fill) before it
// waits again, so a saturated stream costs fewer context switches per record. A sparse stream
// is neither held nor napped on.
//
// Back-pressure: past kPendingCap bytes pending the thread stops draining until JS takes a
// chunk, and the kernel's buffer fills (the program sees its submits refused; a perf buffer
// reports LOST records), as with any slow consumer. The kernel is only ever drained with mu_
// held (by the thread, or by consume() on the JS thread), so records stay in order.
//
// Memory is reused, not allocated per chunk: a chunk's record bytes are allocated once at the
// chunk's full size (not grown by doubling, never zero-filled), a handed-over chunk goes back
// to a short list of spares with its capacity, and JS gets the records in one long-lived Buffer (and one meta
// array) that is refilled for every chunk, so a saturated stream touches no fresh pages (fresh
// chunk vectors and a new Buffer per chunk cost a page fault every ~4 KiB, which was most of a
// chunk's hand-off). Only readers whose JS side copies every value out of the chunk (reuseData)
// get the long-lived data Buffer; the others get a fresh copy per chunk, whose records they
// hand out as views. The meta array is never kept by JS and is always reused.
#pragma once
#include <node_api.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "registry.h"

namespace tsbcc {

template <typename Self>
class DrainedReader : public Napi::ObjectWrap<Self> {
 public:
  /// Bytes of record data per chunk handed to JS in one call (bounds one JS turn's work).
  static constexpr size_t kChunkBytes = 1u << 20;
  /// Bytes pending (drained from the kernel, not yet taken by JS) past which draining pauses.
  static constexpr size_t kPendingCap = 64u << 20;
  /// The drain thread's nice value (when permitted).
  static constexpr int kDrainNice = -10;
  /// Emptied chunks kept for reuse.
  static constexpr size_t kSpareChunks = 4;
  /// Largest chunk data a reused JS Buffer grows to (a larger chunk gets a one-off copy).
  static constexpr size_t kMaxReusedBytes = 4 * kChunkBytes;
  /// A drain of at least this many bytes makes the thread nap before it waits again.
  static constexpr size_t kPaceAfterBytes = 4096;
  /// Records drained this soon after the previous drain mark a busy stream.
  static constexpr int64_t kBusyNs = 1000000;
  /// The longest nap after a busy drain.
  static constexpr int64_t kMaxPaceNs = 250000;
  /// The fastest rate (bytes per second) the kernel is assumed to fill one buffer at.
  static constexpr int64_t kMaxFillBytesPerSec = 1000000000;
  /// Least time between two wake-ups of JS by the drain thread (records drained in between wait).
  static constexpr int64_t kNotifyGapNs = 1000000;

  DrainedReader(const Napi::CallbackInfo& info, uint32_t metaStride, bool withLost)
      : Napi::ObjectWrap<Self>(info), stride_(metaStride), withLost_(withLost) {}
  ~DrainedReader() override {
    stopThread();
    closeAsync();
    delete asyncCtx_;
  }

 protected:
  /// Record bytes of a chunk: allocated once at a chunk's full size (pages are touched, and
  /// fault, only as records fill them) and never zero-filled; grows only for a record that
  /// does not fit.
  class Bytes {
   public:
    size_t size() const { return size_; }
    size_t capacity() const { return cap_; }
    bool empty() const { return size_ == 0; }
    const char* data() const { return p_.get(); }
    void clear() { size_ = 0; }
    /// Appends n uninitialised bytes; their address.
    char* grow(size_t n) {
      if (size_ + n > cap_) {
        size_t cap = std::max(size_ + n, std::max(cap_ * 2, kChunkBytes));
        std::unique_ptr<char[]> q(new char[cap]);
        if (size_) std::memcpy(q.get(), p_.get(), size_);
        p_ = std::move(q);
        cap_ = cap;
      }
      char* at = p_.get() + size_;
      size_ += n;
      return at;
    }

   private:
    std::unique_ptr<char[]> p_;
    size_t size_ = 0;
    size_t cap_ = 0;
  };
  struct Chunk {
    Bytes data;
    std::vector<uint32_t> meta;  // stride_ values per record: offset, length[, cpu]
    std::vector<double> lost;    // (cpu, count) pairs (perf buffers)
  };
  Napi::FunctionReference onData_;
  /// The nap after a busy drain (0: none), from the smallest kernel buffer's size.
  int64_t paceNs_ = 0;
  void setPaceFor(size_t bufferBytes) {
    int64_t ns = (int64_t)bufferBytes * 1000000000 / kMaxFillBytesPerSec;
    paceNs_ = std::min(ns, kMaxPaceNs);
  }
  /// Whether JS copies every value out of the data Buffer during the callback, so one Buffer
  /// can be refilled for every chunk (set by the subclass's constructor).
  bool reuseData_ = false;

  /// Moves everything the kernel holds now into the pending chunks (mu_ held). <0: -errno.
  virtual int drainKernel() = 0;
  /// Whether the reader's kernel side is still open.
  virtual bool open() const = 0;

  /// The chunk records are appended to (mu_ held: called from drainKernel's callbacks).
  Chunk& tail() {
    if (pending_.empty() || pending_.back().data.size() >= kChunkBytes) {
      if (spare_.empty()) {
        pending_.emplace_back();
        pending_.back().meta.reserve(kChunkBytes / 64 * stride_);
      } else {
        pending_.push_back(std::move(spare_.back()));
        spare_.pop_back();
      }
    }
    return pending_.back();
  }
  /// Appends one record (mu_ held); extra is the cpu for a perf record.
  void append(const void* data, uint32_t size, const uint32_t* extra = nullptr) {
    Chunk& c = tail();
    c.meta.push_back((uint32_t)c.data.size());
    c.meta.push_back(size);
    for (uint32_t i = 2; i < stride_; i++) c.meta.push_back(extra ? extra[i - 2] : 0);
    const char* p = static_cast<const char*>(data);
    // keep records 8-byte aligned so DataView reads of u64 stay cheap
    size_t padded = (size + 7) & ~size_t(7);
    char* at = c.data.grow(padded);
    std::memcpy(at, p, size);
    if (padded > size) std::memset(at + size, 0, padded - size);
    pendingBytes_ += padded;
    appended_++;
  }
  void appendLost(uint32_t cpu, double count) {
    Chunk& c = tail();
    c.lost.push_back(cpu);
    c.lost.push_back(count);
    appended_++;
  }

  /// Starts the drain thread watching fds (level-triggered readiness).
  void startThread(Napi::Env env, const std::vector<int>& fds) {
    if (thread_.joinable()) return;
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    stopFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int err = errno;
    epoll_event ev{};
    ev.events = EPOLLIN;
    if (epfd_ >= 0 && stopFd_ >= 0) {
      ev.data.u32 = UINT32_MAX;
      if (epoll_ctl(epfd_, EPOLL_CTL_ADD, stopFd_, &ev) != 0) err = errno, closeFds();
      for (size_t i = 0; epfd_ >= 0 && i < fds.size(); i++) {
        ev.data.u32 = (uint32_t)i;
        if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fds[i], &ev) != 0) err = errno, closeFds();
      }
    } else {
      closeFds();
    }
    if (epfd_ < 0) throwErrno(env, "epoll_ctl", err);
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
      closeFds();
      throw Napi::Error::New(env, "no libuv loop");
    }
    async_ = new Async{{}, this};
    int rc = uv_async_init(loop, &async_->handle, &DrainedReader::onAsync);
    if (rc != 0) {
      delete async_;
      async_ = nullptr;
      closeFds();
      throwErrno(env, "uv_async_init", -rc);
    }
    async_->handle.data = async_;
    if (!refd_) uv_unref(reinterpret_cast<uv_handle_t*>(&async_->handle));
    stop_ = false;
    thread_ = std::thread([this] { run(); });
    this->Ref();
  }

  /// Stops the thread and the async handle; the kernel side stays open. Idempotent.
  void stopAll() {
    bool had = thread_.joinable();
    stopThread();
    closeAsync();
    if (had) this->Unref();
  }

  void setRef(bool on) {
    refd_ = on;
    if (!async_) return;
    if (on)
      uv_ref(reinterpret_cast<uv_handle_t*>(&async_->handle));
    else
      uv_unref(reinterpret_cast<uv_handle_t*>(&async_->handle));
  }

  /// consume(): drains the kernel now (JS thread) and hands JS the chunks pending then (not
  /// those the thread adds meanwhile: a steady stream would keep the call from returning).
  int consumeNow(Napi::Env env, const char* call) {
    size_t chunks;
    {
      std::lock_guard<std::mutex> lk(mu_);
      int rc = drainKernel();
      if (rc < 0 && rc != -EINTR) throwErrno(env, call, -rc);
      chunks = pending_.size();
    }
    int total = 0;
    for (int n; chunks > 0 && (n = deliverOne(env)) >= 0; chunks--) total += n;
    return total;
  }

  /// Drops whatever is pending (on close).
  void dropPending() {
    std::lock_guard<std::mutex> lk(mu_);
    pending_.clear();
    spare_.clear();
    pendingBytes_ = 0;
  }

  /// Drops the long-lived JS arrays (on close; JS thread).
  void dropJsArrays() {
    jsData_.Reset();
    jsMeta_.Reset();
    jsDataCap_ = jsMetaCap_ = 0;
  }

 private:
  struct Async {
    uv_async_t handle;
    DrainedReader* self;
  };
  const uint32_t stride_;
  const bool withLost_;
  std::mutex mu_;
  std::condition_variable room_;
  std::deque<Chunk> pending_;  // under mu_
  std::vector<Chunk> spare_;   // under mu_: emptied chunks, capacity kept
  // the long-lived JS data Buffer and meta array (JS thread only), and whether a callback that
  // uses them is running (a consume() from inside it gets fresh ones)
  Napi::Reference<Napi::Buffer<char>> jsData_;
  Napi::Reference<Napi::Uint32Array> jsMeta_;
  size_t jsDataCap_ = 0;
  size_t jsMetaCap_ = 0;
  bool delivering_ = false;
  size_t pendingBytes_ = 0;    // under mu_
  uint64_t appended_ = 0;      // records and lost notices appended so far (under mu_)
  bool stop_ = false;          // under mu_ (also read after epoll_wait wakes)
  std::thread thread_;
  int epfd_ = -1;
  int stopFd_ = -1;
  Async* async_ = nullptr;
  bool refd_ = true;
  Napi::AsyncContext* asyncCtx_ = nullptr;

  void closeFds() {
    if (epfd_ >= 0) close(epfd_);
    if (stopFd_ >= 0) close(stopFd_);
    epfd_ = stopFd_ = -1;
  }

  void run() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);  // signals are the JS thread's business
    pthread_setname_np(pthread_self(), "tsbcc-drain");
    // The thread's work per wakeup is short and the kernel drops records when it comes late:
    // on a loaded machine it should not wait behind the process's other threads (JIT, GC, the
    // JS thread decoding). A higher priority needs CAP_SYS_NICE; without it nothing changes.
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), kDrainNice);
    epoll_event evs[16];
    // JS is woken at most once per kNotifyGapNs: records drained sooner after the last wake-up
    // are held (the kernel's buffers are still emptied on every kernel wake-up) and handed over
    // when the gap has passed or a chunk's worth is pending. A sparse stream is handed over at
    // once; a saturated one in batches, so the JS thread is not woken per kernel wake-up.
    int64_t lastNotify = 0;
    int64_t lastDrain = 0;
    bool held = false;
    for (;;) {
      timespec wait{};
      if (held) {
        int64_t left = lastNotify + kNotifyGapNs - nowNs();
        if (left < 0) left = 0;
        wait.tv_sec = left / 1000000000;
        wait.tv_nsec = left % 1000000000;
      }
      int n = epoll_pwait2(epfd_, evs, 16, held ? &wait : nullptr, nullptr);
      if (n < 0 && errno == ENOSYS)  // kernels before 5.11: millisecond timeouts, rounded up
        n = epoll_wait(epfd_, evs, 16, held ? (int)((wait.tv_sec * 1000000000 + wait.tv_nsec + 999999) / 1000000) : -1);
      if (n < 0 && errno != EINTR) break;
      bool full = false;
      size_t drained = 0;
      {
        std::unique_lock<std::mutex> lk(mu_);
        if (stop_) break;
        if (n > 0) {
          room_.wait(lk, [this] { return stop_ || pendingBytes_ < kPendingCap; });
          if (stop_) break;
          uint64_t before = appended_;
          size_t bytesBefore = pendingBytes_;
          drainKernel();
          if (appended_ != before) held = true;
          drained = pendingBytes_ - bytesBefore;
        }
        full = pendingBytes_ >= kChunkBytes;
      }
      int64_t now = nowNs();
      if (held && (full || now - lastNotify >= kNotifyGapNs)) {
        held = false;
        lastNotify = now;
        uv_async_send(&async_->handle);
      }
      // A busy stream (a large drain, or records again within kBusyNs of the last drain): let
      // records gather in the kernel's buffer for a moment instead of waking for every few
      // (each wake-up costs a context switch), for no longer than the buffer could fill at
      // kMaxFillBytesPerSec. A sparse stream is never delayed.
      bool busy = drained >= kPaceAfterBytes || (drained > 0 && now - lastDrain < kBusyNs);
      if (drained > 0) lastDrain = now;
      if (paceNs_ > 0 && busy) {
        timespec nap{0, (long)paceNs_};
        nanosleep(&nap, nullptr);
      }
    }
  }

  static int64_t nowNs() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
  }

  void stopThread() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    room_.notify_all();
    uint64_t one = 1;
    ssize_t w = write(stopFd_, &one, sizeof one);
    (void)w;
    thread_.join();
    closeFds();
  }

  void closeAsync() {
    if (!async_) return;
    async_->self = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&async_->handle), [](uv_handle_t* h) { delete static_cast<Async*>(h->data); });
    async_ = nullptr;
  }

  static void onAsync(uv_async_t* h) {
    auto* a = static_cast<Async*>(h->data);
    if (!a || !a->self || !a->self->open()) return;
    DrainedReader* self = a->self;
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    try {
      self->deliverOne(env);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
      return;
    }
    // more chunks pending: the next one on a later loop turn, so timers and I/O get theirs
    bool more;
    {
      std::lock_guard<std::mutex> lk(self->mu_);
      more = !self->pending_.empty();
    }
    if (more && self->async_) uv_async_send(&self->async_->handle);
  }

  /// Hands the oldest pending chunk to JS; its record count, or -1 when nothing was pending.
  int deliverOne(Napi::Env env) {
    if (onData_.IsEmpty()) return -1;
    Chunk c;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (pending_.empty()) return -1;
      c = std::move(pending_.front());
      pending_.pop_front();
      pendingBytes_ -= c.data.size();
    }
    room_.notify_all();
    if (c.meta.empty() && c.lost.empty()) {
      recycle(std::move(c));
      return 0;
    }
    uint32_t count = (uint32_t)(c.meta.size() / stride_);
    // a consume() from inside the callback must not refill the arrays the callback is reading
    bool reuse = !delivering_;
    Napi::Buffer<char> buf = dataArray(env, c.data, reuse && reuseData_);
    Napi::Uint32Array meta = metaArray(env, c.meta, reuse);
    std::vector<napi_value> args{buf, meta, Napi::Number::New(env, count)};
    if (withLost_) {
      Napi::Value lost = env.Null();
      if (!c.lost.empty()) {
        Napi::Float64Array l = Napi::Float64Array::New(env, c.lost.size());
        std::memcpy(l.Data(), c.lost.data(), c.lost.size() * sizeof(double));
        lost = l;
      }
      args.push_back(lost);
    }
    recycle(std::move(c));
    if (!asyncCtx_) asyncCtx_ = new Napi::AsyncContext(env, "tsbcc:events");
    bool outer = !delivering_;
    delivering_ = true;
    try {
      onData_.MakeCallback(this->Value(), args, *asyncCtx_);
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
    if (outer) delivering_ = false;
    return (int)count;
  }

  /// Gives an emptied chunk back to the spares (its capacity kept, up to a bound).
  void recycle(Chunk&& c) {
    if (c.data.capacity() > kMaxReusedBytes) return;
    c.data.clear();
    c.meta.clear();
    c.lost.clear();
    std::lock_guard<std::mutex> lk(mu_);
    if (spare_.size() < kSpareChunks) spare_.push_back(std::move(c));
  }

  /// The chunk's data as a Buffer: the long-lived one refilled (reuse), or a fresh copy.
  Napi::Buffer<char> dataArray(Napi::Env env, const Bytes& d, bool reuse) {
    if (!reuse || d.size() > kMaxReusedBytes) return Napi::Buffer<char>::Copy(env, d.data(), d.size());
    if (jsData_.IsEmpty() || jsDataCap_ < d.size()) {
      size_t cap = std::max(d.size(), std::max(jsDataCap_ * 2, size_t(64) << 10));
      if (cap > kMaxReusedBytes) cap = kMaxReusedBytes;
      jsData_ = Napi::Persistent(Napi::Buffer<char>::New(env, cap));
      jsDataCap_ = cap;
    }
    Napi::Buffer<char> b = jsData_.Value();
    if (!d.empty()) std::memcpy(b.Data(), d.data(), d.size());
    return b;
  }

  /// The chunk's meta values: the long-lived array refilled (reuse; JS reads only the first
  /// count * stride values), or a fresh one.
  Napi::Uint32Array metaArray(Napi::Env env, const std::vector<uint32_t>& m, bool reuse) {
    Napi::Uint32Array a;
    if (reuse && m.size() <= kMaxReusedBytes / sizeof(uint32_t)) {
      if (jsMeta_.IsEmpty() || jsMetaCap_ < m.size()) {
        size_t cap = std::max(m.size(), std::max(jsMetaCap_ * 2, size_t(4096)));
        jsMeta_ = Napi::Persistent(Napi::Uint32Array::New(env, cap));
        jsMetaCap_ = cap;
      }
      a = jsMeta_.Value();
    } else {
      a = Napi::Uint32Array::New(env, m.size());
    }
    if (!m.empty()) std::memcpy(a.Data(), m.data(), m.size() * sizeof(uint32_t));
    return a;
  }
};

}  // namespace tsbcc

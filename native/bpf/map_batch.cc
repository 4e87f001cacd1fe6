// Whole-map dumps (batch syscalls, or a get_next_key walk where the kernel has no batch op for
// the map type), batch update/delete, pinning under bpffs, and map facts by fd. Thin: the
// TypeScript side chooses value sizes (per-CPU rounding), fallbacks and messages.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "registry.h"

namespace tsbcc {
namespace {

int i32(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
uint32_t u32(const Napi::Value& v) { return v.As<Napi::Number>().Uint32Value(); }

Napi::Object dumpResult(Napi::Env env, const std::vector<char>& keys, const std::vector<char>& values, uint32_t n,
                        uint32_t keySize, uint32_t valueSize) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("keys", Napi::Buffer<char>::Copy(env, keys.data(), (size_t)n * keySize));
  o.Set("values", Napi::Buffer<char>::Copy(env, values.data(), (size_t)n * valueSize));
  o.Set("count", n);
  return o;
}

// mapDumpBatch(fd, keySize, valueSize, chunk, andDelete) -> { keys, values, count }
// Walks the whole map with BPF_MAP_LOOKUP(_AND_DELETE)_BATCH. Throws the errno when the kernel
// has no batch op for the map (EINVAL / ENOTSUPP) so the caller can fall back.
Napi::Value MapDumpBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = i32(info[0]);
  uint32_t keySize = u32(info[1]), valueSize = u32(info[2]);
  uint32_t chunk = std::max<uint32_t>(u32(info[3]), 1);
  bool del = info[4].As<Napi::Boolean>().Value();
  std::vector<char> keys((size_t)chunk * keySize), values((size_t)chunk * valueSize);
  size_t tokenSize = std::max<size_t>(keySize, 8);
  std::vector<char> inTok(tokenSize), outTok(tokenSize);
  uint32_t total = 0;
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (;;) {
    if (keys.size() < (size_t)(total + chunk) * keySize) {
      keys.resize((size_t)(total + chunk) * keySize);
      values.resize((size_t)(total + chunk) * valueSize);
    }
    uint32_t count = chunk;
    int rc = del ? bpf_map_lookup_and_delete_batch(fd, first ? nullptr : inTok.data(), outTok.data(),
                                                   keys.data() + (size_t)total * keySize,
                                                   values.data() + (size_t)total * valueSize, &count, &opts)
                 : bpf_map_lookup_batch(fd, first ? nullptr : inTok.data(), outTok.data(),
                                        keys.data() + (size_t)total * keySize,
                                        values.data() + (size_t)total * valueSize, &count, &opts);
    int err = rc ? errno : 0;
    if (err && err != ENOENT) {
      if (err == ENOSPC && count == 0 && chunk < (1u << 24)) {
        chunk *= 2;  // a hash bucket holds more entries than one chunk
        continue;
      }
      throwErrno(env, del ? "bpf_map_lookup_and_delete_batch" : "bpf_map_lookup_batch", err);
    }
    total += count;
    if (err == ENOENT) break;
    first = false;
    std::memcpy(inTok.data(), outTok.data(), tokenSize);
  }
  return dumpResult(env, keys, values, total, keySize, valueSize);
}

// mapClearBatch(fd, keySize, valueSize, chunk) -> count
// Deletes every entry with BPF_MAP_LOOKUP_AND_DELETE_BATCH, discarding what it reads: nothing
// goes to JS (no Buffers, no external memory that would make V8 collect garbage mid-clear), and
// the scratch space is one chunk the thread keeps (no fresh pages to fault in per call).
// Throws the errno like mapDumpBatch when the kernel has no batch op for the map.
Napi::Value MapClearBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = i32(info[0]);
  uint32_t keySize = u32(info[1]), valueSize = u32(info[2]);
  uint32_t chunk = std::max<uint32_t>(u32(info[3]), 1);
  thread_local std::vector<char> scratch;
  size_t tokenSize = std::max<size_t>(keySize, 8);
  std::vector<char> inTok(tokenSize), outTok(tokenSize);
  double total = 0;
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (;;) {
    size_t need = (size_t)chunk * (keySize + valueSize);
    if (scratch.size() < need) scratch.resize(need);
    uint32_t count = chunk;
    int rc = bpf_map_lookup_and_delete_batch(fd, first ? nullptr : inTok.data(), outTok.data(), scratch.data(),
                                             scratch.data() + (size_t)chunk * keySize, &count, &opts);
    int err = rc ? errno : 0;
    if (err && err != ENOENT) {
      if (err == ENOSPC && count == 0 && chunk < (1u << 24)) {
        chunk *= 2;  // a hash bucket holds more entries than one chunk
        continue;
      }
      throwErrno(env, "bpf_map_lookup_and_delete_batch", err);
    }
    total += count;
    if (err == ENOENT) break;
    first = false;
    std::memcpy(inTok.data(), outTok.data(), tokenSize);
  }
  // keep at most 8 MiB of scratch for the next clear
  if (scratch.size() > (8u << 20)) std::vector<char>().swap(scratch);
  return Napi::Number::New(env, total);
}

// mapDumpWalk(fd, keySize, valueSize, max) -> { keys, values, count }
// The fallback: get_next_key + lookup per key, in one native call. Keys deleted mid-walk are
// skipped.
Napi::Value MapDumpWalk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = i32(info[0]);
  uint32_t keySize = u32(info[1]), valueSize = u32(info[2]);
  uint32_t max = u32(info[3]);
  std::vector<char> keys, values;
  std::vector<char> prev(std::max<uint32_t>(keySize, 1)), next(std::max<uint32_t>(keySize, 1));
  uint32_t n = 0;
  bool first = true;
  for (;;) {
    if (bpf_map_get_next_key(fd, first ? nullptr : prev.data(), next.data()) != 0) {
      if (errno == ENOENT) break;
      throwErrno(env, "bpf_map_get_next_key", errno);
    }
    first = false;
    std::memcpy(prev.data(), next.data(), keySize);
    keys.resize((size_t)(n + 1) * keySize);
    values.resize((size_t)(n + 1) * valueSize);
    if (bpf_map_lookup_elem(fd, next.data(), values.data() + (size_t)n * valueSize) != 0) {
      if (errno == ENOENT) continue;  // deleted since get_next_key
      throwErrno(env, "bpf_map_lookup_elem", errno);
    }
    std::memcpy(keys.data() + (size_t)n * keySize, next.data(), keySize);
    if (++n >= max && max > 0) break;
  }
  return dumpResult(env, keys, values, n, keySize, valueSize);
}

// mapUpdateBatch(fd, keys, values, count, flags) -> count updated
Napi::Value MapUpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t count = u32(info[3]);
  LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = (uint64_t)info[4].As<Napi::Number>().Int64Value());
  if (bpf_map_update_batch(i32(info[0]), info[1].As<Napi::Buffer<char>>().Data(),
                           info[2].As<Napi::Buffer<char>>().Data(), &count, &opts) != 0)
    throwErrno(env, "bpf_map_update_batch", errno, std::to_string(count) + " updated before the error");
  return Napi::Number::New(env, count);
}

// mapDeleteBatch(fd, keys, count) -> count deleted
Napi::Value MapDeleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t count = u32(info[2]);
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  if (bpf_map_delete_batch(i32(info[0]), info[1].As<Napi::Buffer<char>>().Data(), &count, &opts) != 0)
    throwErrno(env, "bpf_map_delete_batch", errno, std::to_string(count) + " deleted before the error");
  return Napi::Number::New(env, count);
}

// mapDeleteKeys(fd, keys, keySize, count) -> count deleted (absent keys are skipped)
Napi::Value MapDeleteKeys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = i32(info[0]);
  char* keys = info[1].As<Napi::Buffer<char>>().Data();
  uint32_t keySize = u32(info[2]), count = u32(info[3]), done = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (bpf_map_delete_elem(fd, keys + (size_t)i * keySize) == 0)
      done++;
    else if (errno != ENOENT)
      throwErrno(env, "bpf_map_delete_elem", errno);
  }
  return Napi::Number::New(env, done);
}

// mapFill(fd, keySize, value, count) -> sets keys 0..count-1 (u32 keys) to value (array zeroing)
Napi::Value MapFillIndexed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = i32(info[0]);
  char* value = info[1].As<Napi::Buffer<char>>().Data();
  uint32_t count = u32(info[2]);
  for (uint32_t i = 0; i < count; i++)
    if (bpf_map_update_elem(fd, &i, value, BPF_ANY) != 0) throwErrno(env, "bpf_map_update_elem", errno);
  return env.Undefined();
}

// mapLookupAndDelete(fd, key|null, value) -> boolean (false when absent / queue empty)
Napi::Value MapLookupAndDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* key = info[1].IsBuffer() ? info[1].As<Napi::Buffer<char>>().Data() : nullptr;
  if (bpf_map_lookup_and_delete_elem(i32(info[0]), key, info[2].As<Napi::Buffer<char>>().Data()) == 0)
    return Napi::Boolean::New(env, true);
  if (errno == ENOENT) return Napi::Boolean::New(env, false);
  throwErrno(env, "bpf_map_lookup_and_delete_elem", errno);
}

Napi::Value ObjPin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  if (bpf_obj_pin(i32(info[0]), path.c_str()) != 0) throwErrno(env, "bpf_obj_pin", errno, path);
  return env.Undefined();
}

Napi::Value ObjGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) throwErrno(env, "bpf_obj_get", errno, path);
  return Napi::Number::New(env, fd);
}

// mapInfoByFd(fd) -> { id, type, keySize, valueSize, maxEntries, flags, name }
Napi::Value MapInfoByFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bpf_map_info mi = {};
  uint32_t len = sizeof mi;
  if (bpf_obj_get_info_by_fd(i32(info[0]), &mi, &len) != 0) throwErrno(env, "bpf_obj_get_info_by_fd", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", mi.id);
  o.Set("type", mi.type);
  o.Set("keySize", mi.key_size);
  o.Set("valueSize", mi.value_size);
  o.Set("maxEntries", mi.max_entries);
  o.Set("flags", (double)mi.map_flags);
  o.Set("name", std::string(mi.name));
  return o;
}

// mapFdById(id) -> fd (the caller owns it)
Napi::Value MapFdById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = bpf_map_get_fd_by_id(u32(info[0]));
  if (fd < 0) throwErrno(env, "bpf_map_get_fd_by_id", errno);
  return Napi::Number::New(env, fd);
}

// progFdById(id) -> fd (the caller owns it)
Napi::Value ProgFdById(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = bpf_prog_get_fd_by_id(u32(info[0]));
  if (fd < 0) throwErrno(env, "bpf_prog_get_fd_by_id", errno);
  return Napi::Number::New(env, fd);
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) throwErrno(info.Env(), "libbpf_num_possible_cpus", -n);
  return Napi::Number::New(info.Env(), n);
}

Napi::Value PageSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)sysconf(_SC_PAGESIZE));
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("mapDumpBatch", Napi::Function::New(env, MapDumpBatch));
  exports.Set("mapDumpWalk", Napi::Function::New(env, MapDumpWalk));
  exports.Set("mapClearBatch", Napi::Function::New(env, MapClearBatch));
  exports.Set("mapUpdateBatch", Napi::Function::New(env, MapUpdateBatch));
  exports.Set("mapDeleteBatch", Napi::Function::New(env, MapDeleteBatch));
  exports.Set("mapDeleteKeys", Napi::Function::New(env, MapDeleteKeys));
  exports.Set("mapFillIndexed", Napi::Function::New(env, MapFillIndexed));
  exports.Set("mapLookupAndDelete", Napi::Function::New(env, MapLookupAndDelete));
  exports.Set("objPin", Napi::Function::New(env, ObjPin));
  exports.Set("objGet", Napi::Function::New(env, ObjGet));
  exports.Set("mapInfoByFd", Napi::Function::New(env, MapInfoByFd));
  exports.Set("mapFdById", Napi::Function::New(env, MapFdById));
  exports.Set("progFdById", Napi::Function::New(env, ProgFdById));
  exports.Set("numPossibleCpus", Napi::Function::New(env, NumPossibleCpus));
  exports.Set("pageSize", Napi::Function::New(env, PageSize));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(map_batch, tsbcc::init);

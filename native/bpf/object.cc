// A libbpf bpf_object opened from ELF bytes in memory. Thin: TypeScript decides program types,
// which programs load, which map fds are reused, and the log sizes.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/libbpf_log.h"
#include "bpf/signals_held.h"
#include "registry.h"

namespace tsbcc {
namespace {

class NativeObject : public Napi::ObjectWrap<NativeObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeObject",
                       {
                           InstanceMethod("programs", &NativeObject::Programs),
                           InstanceMethod("maps", &NativeObject::Maps),
                           InstanceMethod("setProgramType", &NativeObject::SetProgramType),
                           InstanceMethod("setAutoload", &NativeObject::SetAutoload),
                           InstanceMethod("setLogSize", &NativeObject::SetLogSize),
                           InstanceMethod("reuseMapFd", &NativeObject::ReuseMapFd),
                           InstanceMethod("load", &NativeObject::Load),
                           InstanceMethod("programFd", &NativeObject::ProgramFd),
                           InstanceMethod("mapFd", &NativeObject::MapFd),
                           InstanceMethod("close", &NativeObject::Close),
                       });
  }

  NativeObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeObject>(info) {
    Napi::Env env = info.Env();
    Napi::Buffer<char> elf = info[0].As<Napi::Buffer<char>>();
    std::string name = info[1].As<Napi::String>().Utf8Value();
    // optional: the BTF libbpf relocates CO-RE accesses against instead of the kernel's
    std::string btfPath = info.Length() > 2 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
    elf_.assign(elf.Data(), elf.Length());
    installLibbpfPrint();
    LibbpfLogCapture cap;
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str(),
                .btf_custom_path = btfPath.empty() ? nullptr : btfPath.c_str());
    obj_ = bpf_object__open_mem(elf_.data(), elf_.size(), &opts);
    if (!obj_) {
      int err = errno;
      throwErrno(env, "bpf_object__open_mem", err, cap.text());
    }
  }
  ~NativeObject() override { destroy(); }

 private:
  bpf_object* obj_ = nullptr;
  std::string elf_;
  std::unordered_map<std::string, std::vector<char>> logs_;

  void destroy() {
    if (obj_) bpf_object__close(obj_);
    obj_ = nullptr;
  }

  bpf_object* live(Napi::Env env) {
    if (!obj_) throw Napi::Error::New(env, "native object is closed");
    return obj_;
  }

  bpf_program* prog(Napi::Env env, const std::string& name) {
    bpf_program* p = bpf_object__find_program_by_name(live(env), name.c_str());
    if (!p) throw Napi::Error::New(env, "no program named " + name);
    return p;
  }

  bpf_map* map(Napi::Env env, const std::string& name) {
    bpf_map* m = bpf_object__find_map_by_name(live(env), name.c_str());
    if (!m) throw Napi::Error::New(env, "no map named " + name);
    return m;
  }

  Napi::Value Programs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    bpf_program* p;
    uint32_t i = 0;
    bpf_object__for_each_program(p, live(env)) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_program__name(p));
      o.Set("section", bpf_program__section_name(p));
      o.Set("type", (int)bpf_program__type(p));
      o.Set("expectedAttachType", (int)bpf_program__expected_attach_type(p));
      o.Set("insnCount", (double)bpf_program__insn_cnt(p));
      out.Set(i++, o);
    }
    return out;
  }

  Napi::Value Maps(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    bpf_map* m;
    uint32_t i = 0;
    bpf_object__for_each_map(m, live(env)) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", bpf_map__name(m));
      o.Set("type", (int)bpf_map__type(m));
      o.Set("keySize", bpf_map__key_size(m));
      o.Set("valueSize", bpf_map__value_size(m));
      o.Set("maxEntries", bpf_map__max_entries(m));
      o.Set("flags", (double)bpf_map__map_flags(m));
      o.Set("internal", bpf_map__is_internal(m));
      o.Set("btfKeyTypeId", bpf_map__btf_key_type_id(m));
      o.Set("btfValueTypeId", bpf_map__btf_value_type_id(m));
      out.Set(i++, o);
    }
    return out;
  }

  Napi::Value SetProgramType(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bpf_program* p = prog(env, info[0].As<Napi::String>().Utf8Value());
    int err = bpf_program__set_type(p, (bpf_prog_type)info[1].As<Napi::Number>().Int32Value());
    if (!err && info.Length() > 2 && info[2].IsNumber())
      err = bpf_program__set_expected_attach_type(p, (bpf_attach_type)info[2].As<Napi::Number>().Int32Value());
    if (err) throwErrno(env, "bpf_program__set_type", -err);
    return env.Undefined();
  }

  Napi::Value SetAutoload(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bpf_program* p = prog(env, info[0].As<Napi::String>().Utf8Value());
    int err = bpf_program__set_autoload(p, info[1].As<Napi::Boolean>().Value());
    if (err) throwErrno(env, "bpf_program__set_autoload", -err);
    return env.Undefined();
  }

  Napi::Value SetLogSize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    bpf_program* p = prog(env, name);
    uint32_t size = info[1].As<Napi::Number>().Uint32Value();
    uint32_t level = info.Length() > 2 ? info[2].As<Napi::Number>().Uint32Value() : 0;
    auto& buf = logs_[name];
    buf.assign(size, 0);
    bpf_program__set_log_buf(p, buf.data(), buf.size());
    bpf_program__set_log_level(p, level);
    return env.Undefined();
  }

  Napi::Value ReuseMapFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bpf_map* m = map(env, info[0].As<Napi::String>().Utf8Value());
    int err = bpf_map__reuse_fd(m, info[1].As<Napi::Number>().Int32Value());
    if (err) throwErrno(env, "bpf_map__reuse_fd", -err);
    return env.Undefined();
  }

  // load() -> undefined; throws an Error with errno, libbpfLog and per-program verifier logs.
  Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    bpf_object* o = live(env);
    LibbpfLogCapture cap;
    int err;
    {
      SignalsHeld held;  // the verifier's EAGAIN on a pending signal (signals_held.h)
      err = bpf_object__load(o);
    }
    if (err) {
      Napi::Error e = errnoError(env, "bpf_object__load", -err);
      e.Set("libbpfLog", cap.text());
      Napi::Object logs = Napi::Object::New(env);
      for (auto& [name, buf] : logs_) logs.Set(name, std::string(buf.data(), strnlen(buf.data(), buf.size())));
      e.Set("verifierLogs", logs);
      throw e;
    }
    return env.Undefined();
  }

  Napi::Value ProgramFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Napi::Number::New(env, bpf_program__fd(prog(env, info[0].As<Napi::String>().Utf8Value())));
  }

  Napi::Value MapFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return Napi::Number::New(env, bpf_map__fd(map(env, info[0].As<Napi::String>().Utf8Value())));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    destroy();
    logs_.clear();
    return info.Env().Undefined();
  }
};

void init(Napi::Env env, Napi::Object exports) { exports.Set("NativeObject", NativeObject::Define(env)); }

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(bpf_object, tsbcc::init);

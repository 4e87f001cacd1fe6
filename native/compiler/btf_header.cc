// The kernel's type header from its BTF (DESIGN D1): every type of a BTF file dumped as C
// through libbpf's btf_dump, in the same form as `bpftool btf dump file ... format c`; and,
// from the same parse, which of a list of kernel facts the BTF has (a member path of a struct,
// an enumerator), for the compat macros that depend on them.
#include <bpf/btf.h>
#include <errno.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "registry.h"

namespace tsbcc {
namespace {

void appendPrintf(void* ctx, const char* fmt, va_list args) {
  auto* out = static_cast<std::string*>(ctx);
  char small[512];
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(small, sizeof(small), fmt, copy);
  va_end(copy);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(small)) {
    out->append(small, n);
    return;
  }
  std::string big(n + 1, '\0');
  vsnprintf(big.data(), big.size(), fmt, args);
  out->append(big.data(), n);
}

// The member `name` of struct/union `id`, looked up through anonymous members as C does;
// its type id, or 0.
unsigned findMember(const struct btf* btf, unsigned id, const std::string& name, int depth = 0) {
  const struct btf_type* t = btf__type_by_id(btf, id);
  if (!t || !(btf_is_struct(t) || btf_is_union(t)) || depth > 8) return 0;
  const struct btf_member* m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
    const char* n = btf__name_by_offset(btf, m->name_off);
    if (n && *n) {
      if (name == n) return m->type;
    } else if (unsigned inner = findMember(btf, btf__resolve_type(btf, m->type), name, depth + 1)) {
      return inner;
    }
  }
  return 0;
}

// "struct:a.b.c": struct (or union) `struct` has the member path a.b.c.
bool hasMemberPath(const struct btf* btf, const std::string& q) {
  size_t colon = q.find(':');
  if (colon == std::string::npos) return false;
  std::string rec = q.substr(0, colon);
  int id = btf__find_by_name_kind(btf, rec.c_str(), BTF_KIND_STRUCT);
  if (id <= 0) id = btf__find_by_name_kind(btf, rec.c_str(), BTF_KIND_UNION);
  if (id <= 0) return false;
  unsigned cur = static_cast<unsigned>(id);
  size_t at = colon + 1;
  while (at <= q.size()) {
    size_t dot = q.find('.', at);
    std::string part = q.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
    int resolved = btf__resolve_type(btf, cur);
    if (resolved <= 0) return false;
    cur = findMember(btf, static_cast<unsigned>(resolved), part);
    if (!cur) return false;
    if (dot == std::string::npos) break;
    at = dot + 1;
  }
  return true;
}

// The names of every enumerator in the BTF.
std::unordered_set<std::string> enumerators(const struct btf* btf) {
  std::unordered_set<std::string> out;
  unsigned n = btf__type_cnt(btf);
  for (unsigned id = 1; id < n; id++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (btf_is_enum(t)) {
      const struct btf_enum* e = btf_enum(t);
      for (unsigned i = 0; i < btf_vlen(t); i++) out.insert(btf__name_by_offset(btf, e[i].name_off));
    } else if (btf_is_enum64(t)) {
      const struct btf_enum64* e = btf_enum64(t);
      for (unsigned i = 0; i < btf_vlen(t); i++) out.insert(btf__name_by_offset(btf, e[i].name_off));
    }
  }
  return out;
}

// btfHeader(path, facts?): {text, facts} -- the C text of every type in the BTF file at
// `path`, and for each fact asked ("struct:member.path" or "enum:NAME") whether the BTF has it.
Napi::Value BtfHeader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> facts;
  if (info.Length() > 1 && info[1].IsArray()) {
    Napi::Array a = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) facts.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  struct btf* btf = btf__parse(path.c_str(), nullptr);
  if (!btf) throwErrno(env, "btf__parse", errno ? errno : EINVAL, path);
  std::string out;
  out.reserve(4 << 20);
  struct btf_dump* d = btf_dump__new(btf, appendPrintf, &out, nullptr);
  if (!d) {
    int err = errno;
    btf__free(btf);
    throwErrno(env, "btf_dump__new", err ? err : EINVAL, path);
  }
  out += "#ifndef __TSBCC_VMLINUX_H__\n#define __TSBCC_VMLINUX_H__\n\n";
  out += "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n";
  out += "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n";
  unsigned n = btf__type_cnt(btf);
  for (unsigned id = 1; id < n; id++) {
    int err = btf_dump__dump_type(d, id);
    if (err) {
      btf_dump__free(d);
      btf__free(btf);
      throwErrno(env, "btf_dump__dump_type", -err, path);
    }
  }
  out += "\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif\n";
  btf_dump__free(d);
  Napi::Array found = Napi::Array::New(env, facts.size());
  std::unordered_set<std::string> enums;
  bool enumsRead = false;
  for (size_t i = 0; i < facts.size(); i++) {
    const std::string& f = facts[i];
    bool has = false;
    if (f.rfind("enum:", 0) == 0) {
      if (!enumsRead) enums = enumerators(btf), enumsRead = true;
      has = enums.count(f.substr(5)) > 0;
    } else {
      has = hasMemberPath(btf, f);
    }
    found.Set(static_cast<uint32_t>(i), has);
  }
  btf__free(btf);
  Napi::Object res = Napi::Object::New(env);
  res.Set("text", Napi::String::New(env, out));
  res.Set("facts", found);
  return res;
}

void init(Napi::Env env, Napi::Object exports) { exports.Set("btfHeader", Napi::Function::New(env, BtfHeader)); }

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(btfHeader, tsbcc::init);

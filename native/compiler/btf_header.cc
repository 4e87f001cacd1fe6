// The kernel's type header from its BTF (DESIGN D1): every type of a BTF file, or the closure
// of the types a program names, dumped as C through libbpf's btf_dump, in the same form as
// `bpftool btf dump file ... format c`; and,
// from the same parse, which of a list of kernel facts the BTF has (a member path of a struct,
// an enumerator), for the compat macros that depend on them.
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
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

// "struct:a.b.c": struct (or union) `struct`, whose id is `id` (0: none), has the member path a.b.c.
bool hasMemberPath(const struct btf* btf, const std::string& q, unsigned id) {
  size_t colon = q.find(':');
  if (colon == std::string::npos || !id) return false;
  unsigned cur = id;
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

// For each fact ("struct:member.path" or "enum:NAME"), whether the BTF has it; the records and
// enumerators named are found in one pass over the types.
std::vector<bool> answerFacts(const struct btf* btf, const std::vector<std::string>& facts) {
  std::unordered_set<std::string_view> records, enumNames;
  for (const std::string& f : facts) {
    std::string_view v(f);
    if (v.rfind("enum:", 0) == 0)
      enumNames.insert(v.substr(5));
    else if (size_t colon = v.find(':'); colon != std::string_view::npos)
      records.insert(v.substr(0, colon));
  }
  std::unordered_map<std::string_view, unsigned> structs, unions;
  std::unordered_set<std::string_view> enumsFound;
  unsigned n = facts.empty() ? 0 : btf__type_cnt(btf);
  for (unsigned id = 1; id < n; id++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (btf_is_struct(t) || btf_is_union(t)) {
      std::string_view name = btf__name_by_offset(btf, t->name_off);
      if (!records.count(name)) continue;
      auto& into = btf_is_struct(t) ? structs : unions;
      into.emplace(name, id);  // the first of that name, as btf__find_by_name_kind
    } else if (btf_is_any_enum(t) && !enumNames.empty()) {
      for (unsigned i = 0; i < btf_vlen(t); i++) {
        unsigned off = btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
        std::string_view e = btf__name_by_offset(btf, off);
        if (enumNames.count(e)) enumsFound.insert(e);
      }
    }
  }
  std::vector<bool> out;
  for (const std::string& f : facts) {
    std::string_view v(f);
    if (v.rfind("enum:", 0) == 0) {
      out.push_back(enumsFound.count(v.substr(5)) > 0);
      continue;
    }
    std::string_view rec = v.substr(0, v.find(':'));
    auto s = structs.find(rec);
    auto u = unions.find(rec);
    unsigned id = s != structs.end() ? s->second : u != unions.end() ? u->second : 0;
    out.push_back(hasMemberPath(btf, f, id));
  }
  return out;
}

// The parsed BTF of the last file asked for, kept until btfRelease(): a compile may dump a
// subset of it more than once (a retry with more roots), and each parse of vmlinux costs
// tens of milliseconds. Only the JS thread uses it.
struct ParsedBtf {
  std::string path;
  long long size = -1;
  long long mtimeNs = -1;
  struct btf* btf = nullptr;
};
ParsedBtf parsed;

void releaseParsed() {
  if (parsed.btf) btf__free(parsed.btf);
  parsed = ParsedBtf();
}

// Raw BTF (what /sys/kernel/btf/vmlinux holds) mapped with its pages populated in one call and
// handed to btf__new, which copies it once: btf__parse read()s it into a buffer and copies that,
// faulting in twice the fresh pages (~45 ms of CPU per parse of vmlinux on this paravirtual
// guest, mostly page faults). nullptr when the file cannot be mapped or is not raw BTF.
struct btf* parseMapped(const std::string& path, size_t size) {
  if (size < 4) return nullptr;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return nullptr;
  struct btf* btf = nullptr;
  if (*static_cast<const uint16_t*>(p) == 0xeB9F) btf = btf__new(p, size);
  munmap(p, size);
  return btf;
}

// The parsed BTF at `path`, from the cache when the file is unchanged; nullptr and errno set.
struct btf* parseCached(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return nullptr;
  long long mtime = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  if (parsed.btf && parsed.path == path && parsed.size == st.st_size && parsed.mtimeNs == mtime) return parsed.btf;
  releaseParsed();
  struct btf* btf = parseMapped(path, static_cast<size_t>(st.st_size));
  if (!btf) btf = btf__parse(path.c_str(), nullptr);  // an ELF file, or a file mmap refuses
  if (!btf) return nullptr;
  parsed.path = path;
  parsed.size = st.st_size;
  parsed.mtimeNs = mtime;
  parsed.btf = btf;
  return btf;
}

// The ids of the structs, unions, enums, typedefs and forward declarations named `names`, and
// of the enums with an enumerator of those names: one pass over the types (no index: building
// one for vmlinux's 100k names costs more than the few passes a compile makes).
std::vector<unsigned> namedTypes(const struct btf* btf, const std::unordered_set<std::string_view>& names) {
  std::vector<unsigned> out;
  unsigned n = btf__type_cnt(btf);
  for (unsigned id = 1; id < n; id++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    unsigned kind = btf_kind(t);
    if (kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64) {
      unsigned vlen = btf_vlen(t);
      for (unsigned i = 0; i < vlen; i++) {
        unsigned off = kind == BTF_KIND_ENUM ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
        if (names.count(btf__name_by_offset(btf, off))) {
          out.push_back(id);
          break;
        }
      }
      if (!out.empty() && out.back() == id) continue;
    } else if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION && kind != BTF_KIND_TYPEDEF &&
               kind != BTF_KIND_FWD) {
      continue;
    }
    if (t->name_off && names.count(btf__name_by_offset(btf, t->name_off))) out.push_back(id);
  }
  return out;
}

// Skips const/volatile/restrict/type tags and typedefs.
unsigned stripModifiers(const struct btf* btf, unsigned id) {
  for (int guard = 0; guard < 64 && id; guard++) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!t) return 0;
    switch (btf_kind(t)) {
      case BTF_KIND_CONST:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG:
      case BTF_KIND_TYPEDEF:
        id = t->type;
        break;
      default:
        return id;
    }
  }
  return id;
}

bool isRecord(const struct btf* btf, unsigned id) {
  const struct btf_type* t = btf__type_by_id(btf, id);
  return t && (btf_is_struct(t) || btf_is_union(t));
}

// The closure of the types `roots` name: every struct, union, enum and typedef of those names
// (an enumerator's name brings its enum), every record they hold by value (through arrays and
// typedefs), and the full definition of a record reached through a pointer member whose name
// is itself one of the roots (`task->files->fdt`: task_struct's member `files` points to
// files_struct, which is then defined too). btf_dump emits what each needs by value, and
// forward declarations of the rest.
std::vector<unsigned> closureOf(const struct btf* btf, const std::vector<std::string>& roots) {
  std::unordered_set<std::string_view> names(roots.begin(), roots.end());
  std::vector<unsigned> out;
  std::unordered_set<unsigned> seen;
  std::vector<unsigned> work;
  auto add = [&](unsigned id) {
    if (id && seen.insert(id).second) work.push_back(id);
  };
  for (unsigned id : namedTypes(btf, names)) add(id);
  while (!work.empty()) {
    unsigned id = work.back();
    work.pop_back();
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!t) continue;
    // named types, and anonymous enums (reached by an enumerator; btf_dump emits one at top
    // level only when no other type refers to it, else inline where it is used)
    if (t->name_off || btf_is_any_enum(t)) out.push_back(id);
    if (btf_is_typedef(t)) {
      unsigned target = stripModifiers(btf, t->type);
      if (isRecord(btf, target)) add(target);
      continue;
    }
    if (!(btf_is_struct(t) || btf_is_union(t))) continue;
    const struct btf_member* m = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
      unsigned mt = stripModifiers(btf, m->type);
      for (int guard = 0; guard < 16 && mt; guard++) {
        const struct btf_type* at = btf__type_by_id(btf, mt);
        if (!at || !btf_is_array(at)) break;
        mt = stripModifiers(btf, btf_array(at)->type);
      }
      const struct btf_type* mtt = btf__type_by_id(btf, mt);
      if (!mtt) continue;
      if (btf_is_struct(mtt) || btf_is_union(mtt)) {
        add(mt);  // by value (an anonymous one is walked for its members, not dumped alone)
      } else if (btf_is_ptr(mtt)) {
        const char* mn = btf__name_by_offset(btf, m->name_off);
        if (!mn || !*mn || !names.count(mn)) continue;
        unsigned pointee = stripModifiers(btf, mtt->type);
        if (isRecord(btf, pointee)) add(pointee);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> stringArray(const Napi::CallbackInfo& info, size_t at) {
  std::vector<std::string> out;
  if (info.Length() > at && info[at].IsArray()) {
    Napi::Array a = info[at].As<Napi::Array>();
    out.reserve(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  return out;
}

// btfHeader(path, facts?, roots?): {text, facts, types} -- the C text of the types in the BTF
// file at `path` (every type, or with `roots` only their closure, closureOf), and for each fact
// asked ("struct:member.path" or "enum:NAME") whether the BTF has it. `types` is the number of
// type ids dumped.
Napi::Value BtfHeader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> facts = stringArray(info, 1);
  bool subset = info.Length() > 2 && info[2].IsArray();
  std::vector<std::string> roots = stringArray(info, 2);
  errno = 0;
  struct btf* btf = parseCached(path);
  if (!btf) throwErrno(env, "btf__parse", errno ? errno : EINVAL, path);
  std::string out;
  out.reserve(subset ? (256 << 10) : (4 << 20));
  struct btf_dump* d = btf_dump__new(btf, appendPrintf, &out, nullptr);
  if (!d) throwErrno(env, "btf_dump__new", errno ? errno : EINVAL, path);
  out += "#ifndef __TSBCC_VMLINUX_H__\n#define __TSBCC_VMLINUX_H__\n\n";
  out += "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n";
  out += "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n";
  std::vector<unsigned> ids;
  if (subset) {
    ids = closureOf(btf, roots);
  } else {
    unsigned n = btf__type_cnt(btf);
    ids.reserve(n);
    for (unsigned id = 1; id < n; id++) ids.push_back(id);
  }
  for (unsigned id : ids) {
    int err = btf_dump__dump_type(d, id);
    if (err) {
      btf_dump__free(d);
      throwErrno(env, "btf_dump__dump_type", -err, path);
    }
  }
  out += "\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif\n";
  btf_dump__free(d);
  std::vector<bool> answers = answerFacts(btf, facts);
  Napi::Array found = Napi::Array::New(env, facts.size());
  for (size_t i = 0; i < facts.size(); i++) found.Set(static_cast<uint32_t>(i), static_cast<bool>(answers[i]));
  Napi::Object res = Napi::Object::New(env);
  res.Set("text", Napi::String::New(env, out));
  res.Set("facts", found);
  res.Set("types", Napi::Number::New(env, static_cast<double>(ids.size())));
  return res;
}

// btfRelease(): frees the BTF btfHeader keeps parsed.
Napi::Value BtfRelease(const Napi::CallbackInfo& info) {
  releaseParsed();
  return info.Env().Undefined();
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("btfHeader", Napi::Function::New(env, BtfHeader));
  exports.Set("btfRelease", Napi::Function::New(env, BtfRelease));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(btfHeader, tsbcc::init);

// The target BTF for libbpf's CO-RE relocation at load, cut from the kernel's: the types whose
// essential names (the name before a `___flavor` suffix) are those of an object's relocation
// roots, with every type they hold by value. libbpf given it as `btf_custom_path` parses a
// few KB instead of the kernel's ~5 MB. Thin: TypeScript decides which objects may use it
// (field and enumerator relocations only) and caches the bytes.
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "registry.h"

namespace tsbcc {
namespace {

// libbpf's essential name: up to the last `X___Y` separator (X, Y not underscores).
std::string_view essential(std::string_view name) {
  for (long i = static_cast<long>(name.size()) - 5; i >= 0; i--) {
    if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' && name[i + 3] == '_' && name[i + 4] != '_')
      return name.substr(0, i + 1);
  }
  return name;
}

// the kinds libbpf takes as candidates for each other (any enum for any enum)
bool kindsMatch(unsigned a, unsigned b) {
  auto isEnum = [](unsigned k) { return k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64; };
  return a == b || (isEnum(a) && isEnum(b));
}

// The type ids `id` refers to: all but a pointer's target, which the relocations never read
// (a field relocation accepts any pointer for a pointer).
void byValue(const struct btf_type* t, std::vector<unsigned>& out) {
  switch (btf_kind(t)) {
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      out.push_back(t->type);
      break;
    case BTF_KIND_ARRAY:
      out.push_back(btf_array(t)->type);
      out.push_back(btf_array(t)->index_type);
      break;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      const struct btf_member* m = btf_members(t);
      for (unsigned i = 0; i < btf_vlen(t); i++) out.push_back(m[i].type);
      break;
    }
    default:
      break;
  }
}

// Points every type id `t` holds through `remap` (0 for one left out: a pointer's target).
void remapIds(struct btf_type* t, const std::unordered_map<unsigned, unsigned>& remap) {
  auto map = [&](__u32& id) {
    auto it = remap.find(id);
    id = it == remap.end() ? 0 : it->second;
  };
  switch (btf_kind(t)) {
    case BTF_KIND_PTR:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_CONST:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      map(t->type);
      break;
    case BTF_KIND_ARRAY:
      map(btf_array(t)->type);
      map(btf_array(t)->index_type);
      break;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
      struct btf_member* m = btf_members(t);
      for (unsigned i = 0; i < btf_vlen(t); i++) map(m[i].type);
      break;
    }
    default:
      break;
  }
}

// The raw BTF file at `path` parsed from one mapping (the kernel's sysfs file maps; reading it
// takes ~1300 page-sized reads); nullptr when it does not map or is not raw BTF.
struct btf* parseMapped(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < 4) {
    close(fd);
    return nullptr;
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return nullptr;
  struct btf* btf = *static_cast<const uint16_t*>(p) == 0xeB9F ? btf__new(p, size) : nullptr;
  munmap(p, size);
  return btf;
}

struct BtfFree {
  void operator()(struct btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfFree>;

// coreTargetBtf(path, roots) -> {btf, missing}: `roots` are "KIND:NAME" (the BTF kind number and
// name of each relocation's local root type). `btf` is the raw BTF of every type of the file at
// `path` whose essential name is a root's (any kind), and what those hold by value, in the
// file's order; `missing` the roots without a candidate of their kind (libbpf would look in the
// modules' BTF for them, so the caller must not use `btf`).
Napi::Value CoreTargetBtf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Array rootsJs = info[1].As<Napi::Array>();
  std::vector<std::pair<unsigned, std::string>> roots;
  std::unordered_set<std::string_view> essentials;
  for (uint32_t i = 0; i < rootsJs.Length(); i++) {
    std::string r = rootsJs.Get(i).As<Napi::String>().Utf8Value();
    size_t colon = r.find(':');
    if (colon == std::string::npos) throw Napi::TypeError::New(env, "coreTargetBtf: a root is KIND:NAME");
    roots.emplace_back(std::stoul(r.substr(0, colon)), r.substr(colon + 1));
  }
  for (auto& r : roots) essentials.insert(essential(r.second));
  errno = 0;
  BtfPtr src(parseMapped(path));
  if (!src) src.reset(btf__parse(path.c_str(), nullptr));
  if (!src) throwErrno(env, "btf__parse", errno ? errno : EINVAL, path);
  const struct btf* s = src.get();
  unsigned n = btf__type_cnt(s);
  std::vector<bool> keep(n, false);
  std::vector<unsigned> stack;
  std::vector<bool> found(roots.size(), false);
  for (unsigned id = 1; id < n; id++) {
    const struct btf_type* t = btf__type_by_id(s, id);
    if (!t->name_off) continue;
    std::string_view e = essential(btf__name_by_offset(s, t->name_off));
    if (!essentials.count(e)) continue;
    keep[id] = true;
    stack.push_back(id);
    for (size_t i = 0; i < roots.size(); i++)
      if (!found[i] && kindsMatch(roots[i].first, btf_kind(t)) && essential(roots[i].second) == e) found[i] = true;
  }
  std::vector<unsigned> refs;
  while (!stack.empty()) {
    unsigned id = stack.back();
    stack.pop_back();
    refs.clear();
    byValue(btf__type_by_id(s, id), refs);
    for (unsigned r : refs) {
      if (r && r < n && !keep[r]) {
        keep[r] = true;
        stack.push_back(r);
      }
    }
  }
  // a kept pointer's target keeps its id when it is kept anyway
  std::unordered_map<unsigned, unsigned> remap;
  std::vector<unsigned> ids;
  for (unsigned id = 1; id < n; id++) {
    if (!keep[id]) continue;
    ids.push_back(id);
    remap[id] = static_cast<unsigned>(ids.size());
  }
  BtfPtr dst(btf__new_empty());
  if (!dst) throwErrno(env, "btf__new_empty", errno ? errno : ENOMEM);
  for (unsigned id : ids) {
    int nid = btf__add_type(dst.get(), s, btf__type_by_id(s, id));
    if (nid < 0) throwErrno(env, "btf__add_type", -nid, path);
    // the copy is in dst's own (writable) type data
    remapIds(const_cast<struct btf_type*>(btf__type_by_id(dst.get(), nid)), remap);
  }
  __u32 size = 0;
  const void* raw = btf__raw_data(dst.get(), &size);
  if (!raw) throwErrno(env, "btf__raw_data", errno ? errno : ENOMEM, path);
  Napi::Array missing = Napi::Array::New(env);
  for (size_t i = 0; i < roots.size(); i++)
    if (!found[i]) missing.Set(missing.Length(), std::to_string(roots[i].first) + ":" + roots[i].second);
  Napi::Object res = Napi::Object::New(env);
  res.Set("btf", Napi::Buffer<char>::Copy(env, static_cast<const char*>(raw), size));
  res.Set("missing", missing);
  res.Set("types", Napi::Number::New(env, static_cast<double>(ids.size())));
  return res;
}

void init(Napi::Env env, Napi::Object exports) { exports.Set("coreTargetBtf", Napi::Function::New(env, CoreTargetBtf)); }

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(coreBtf, tsbcc::init);

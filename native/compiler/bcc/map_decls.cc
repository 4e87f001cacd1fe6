// Map declarations: a global variable whose section is "maps/<kind>[$inner][:<pin path>]"
// (what include/bcc/helpers.h's BPF_TABLE family expands to). Each is recorded and its whole
// macro invocation is replaced, on the same line, by a libbpf BTF-defined map in ".maps".
#include <clang/AST/Attr.h>
#include <clang/AST/RecordLayout.h>
#include <clang/Lex/Lexer.h>

#include <algorithm>

#include "compiler/bcc/context.h"

namespace tsbcc::bcc {

namespace {

struct KindInfo {
  const char* kind;
  unsigned type;
};

// BCC kind strings and the kernel map types (enum bpf_map_type).
const KindInfo kKinds[] = {
    {"hash", 1},          {"array", 2},           {"prog", 3},           {"perf_output", 4},
    {"perf_array", 4},    {"percpu_hash", 5},     {"percpu_array", 6},   {"stacktrace", 7},
    {"cgroup_array", 8},  {"lru_hash", 9},        {"lru_percpu_hash", 10}, {"lpm_trie", 11},
    {"array_of_maps", 12}, {"hash_of_maps", 13},  {"devmap", 14},        {"sockmap", 15},
    {"cpumap", 16},       {"xskmap", 17},         {"sockhash", 18},      {"cgroup_storage", 19},
    {"percpu_cgroup_storage", 21}, {"queue", 22}, {"stack", 23},         {"sk_storage", 24},
    {"ringbuf", 27},      {"inode_storage", 28},  {"task_storage", 29},  {"histogram", 1},
    {"extern", 1},
};

// Map types whose kernel maps take no BTF key/value (libbpf passes sizes only).
bool sizesOnly(unsigned type) {
  switch (type) {
    case 3: case 4: case 7: case 8: case 12: case 13: case 14: case 15: case 16: case 17: case 18:
      return true;
    default:
      return false;
  }
}

unsigned roundupPow2(unsigned v) {
  unsigned r = 1;
  while (r < v && r != 0x80000000u) r <<= 1;
  return r;
}

}  // namespace

unsigned mapTypeForKind(const std::string& kind) {
  for (const auto& k : kKinds)
    if (kind == k.kind) return k.type;
  return 0;
}

bool handleMapDecl(Context& c, clang::VarDecl* v) {
  auto* sec = v->getAttr<clang::SectionAttr>();
  if (!sec) return false;
  std::string s = sec->getName().str();
  if (s.rfind("maps/", 0) != 0) return false;
  if (!c.inMainFile(v->getLocation())) return false;

  clang::SourceManager& sm = c.sm();
  clang::SourceLocation b = sm.getExpansionRange(v->getBeginLoc()).getBegin();
  clang::SourceLocation e = sm.getExpansionRange(v->getEndLoc()).getEnd();
  unsigned offset = sm.getFileOffset(b);
  if (c.replacedMacros.count(offset)) {
    // The companion variable of a *_PUBLIC / *_SHARED table (same macro invocation).
    std::string kind = s.substr(5);
    if ((kind == "export" || kind == "shared") && !c.maps.empty()) c.maps.back().isShared = true;
    return true;
  }

  MapDecl m;
  m.name = v->getName().str();
  m.line = sm.getPresumedLineNumber(v->getLocation());
  std::string kind = s.substr(5);
  size_t colon = kind.find(':');
  if (colon != std::string::npos) {
    m.pinPath = kind.substr(colon + 1);
    kind = kind.substr(0, colon);
  }
  size_t dollar = kind.find('$');
  if (dollar != std::string::npos) {
    m.inner = kind.substr(dollar + 1);
    kind = kind.substr(0, dollar);
  }
  m.kind = kind;
  if (kind == "export" || kind == "shared") return true;  // marker variables only
  m.type = mapTypeForKind(kind);
  if (m.type == 0) {
    c.error(v->getLocation(), "unsupported map type: maps/" + kind);
    return true;
  }
  m.isExtern = kind == "extern";

  const clang::RecordType* rt = v->getType()->getAs<clang::RecordType>();
  if (!rt) {
    c.error(v->getLocation(), "map " + m.name + " must be declared with a BPF_TABLE macro");
    return true;
  }
  const clang::RecordDecl* rd = rt->getDecl()->getDefinition();
  if (!rd || v->isInvalidDecl()) return true;  // clang has reported why
  clang::QualType keyT, leafT;
  int idxMax = -1, idxFlags = -1, i = 0;
  for (const clang::FieldDecl* f : rd->fields()) {
    std::string n = f->getName().str();
    if (n == "key") keyT = f->getType();
    else if (n == "leaf") leafT = f->getType();
    else if (n == "max_entries") idxMax = i;
    else if (n == "flags") idxFlags = i;
    i++;
  }
  if (auto* init = llvm::dyn_cast_or_null<clang::InitListExpr>(v->getInit())) {
    auto value = [&](int idx) -> unsigned {
      if (idx < 0 || static_cast<unsigned>(idx) >= init->getNumInits()) return 0;
      clang::Expr::EvalResult r;
      if (init->getInit(idx)->EvaluateAsInt(r, c.ast)) return static_cast<unsigned>(r.Val.getInt().getZExtValue());
      return 0;
    };
    m.maxEntries = value(idxMax);
    m.flags = value(idxFlags);
  }
  if (!keyT.isNull()) {
    if (keyT->isIncompleteType()) {
      c.error(v->getLocation(), "unknown type " + keyT.getAsString() + " for the key of map " + m.name);
      return true;
    }
    m.keySize = static_cast<unsigned>(c.ast.getTypeSizeInChars(keyT).getQuantity());
    m.keyType = c.typeName(keyT);
  }
  if (!leafT.isNull()) {
    if (leafT->isIncompleteType()) {
      c.error(v->getLocation(), "unknown type " + leafT.getAsString() + " for the leaf of map " + m.name);
      return true;
    }
    m.valueSize = static_cast<unsigned>(c.ast.getTypeSizeInChars(leafT).getQuantity());
    m.valueType = c.typeName(leafT);
    if (m.valueSize == 0 && kind != "ringbuf") {
      c.error(v->getLocation(), "invalid zero-sized leaf in map " + m.name);
      return true;
    }
  }
  if (kind == "histogram") {
    if (keyT.getAsString() == "int") m.type = 2;
    if (m.valueSize != 8) {
      c.error(v->getLocation(), "histogram " + m.name + " must have an unsigned long long (u64) leaf");
      return true;
    }
  }
  if (kind == "perf_output") m.maxEntries = c.opts.nPossibleCpus;
  if (kind == "ringbuf") {
    m.maxEntries = m.maxEntries * c.opts.pageSize;
    m.keySize = m.valueSize = 0;
  }
  if (kind == "queue" || kind == "stack") m.keySize = 0;
  if (kind == "stacktrace") m.maxEntries = roundupPow2(m.maxEntries);
  // Anonymous key/leaf types (`BPF_HASH(m, int, struct { u64 a; u64 b:36; })`): the struct as
  // the user spelled it, given a tag, is defined in the replacement ahead of the map.
  std::string anonDefs;
  auto nameAnonymous = [&](clang::QualType t, const char* role, std::string& spelling) -> bool {
    if (spelling.find("(unnamed") == std::string::npos && spelling.find("(anonymous") == std::string::npos)
      return true;
    const clang::RecordDecl* rd = t->getAsRecordDecl();
    std::string text;
    if (rd) {
      clang::SourceLocation from = sm.getSpellingLoc(rd->getBeginLoc());
      clang::SourceLocation to = sm.getSpellingLoc(rd->getBraceRange().getEnd());
      if (from.isValid() && to.isValid() && sm.isWrittenInMainFile(from) && sm.isWrittenInMainFile(to))
        text = clang::Lexer::getSourceText(clang::CharSourceRange::getTokenRange(from, to), sm, c.ast.getLangOpts()).str();
    }
    std::string kw = rd && rd->isUnion() ? "union" : "struct";
    if (text.rfind(kw, 0) != 0) {
      c.error(v->getLocation(), "map " + m.name + ": cannot name the anonymous " + role + " type (give the struct a tag)");
      return false;
    }
    std::string tag = kw + " __tsbcc_" + m.name + "_" + role;
    anonDefs += tag + text.substr(kw.size()) + "; ";
    spelling = tag;
    return true;
  };
  if (!nameAnonymous(keyT, "key", m.keyType) || !nameAnonymous(leafT, "leaf", m.valueType)) return true;

  const MapDecl* innerMap = nullptr;
  if (!m.inner.empty()) {
    for (const auto& x : c.maps)
      if (x.name == m.inner) innerMap = &x;
    if (!innerMap) {
      c.error(v->getLocation(), "inner map " + m.inner + " of " + m.name + " must be declared before it");
      return true;
    }
    if (!innerMap->inner.empty()) {
      c.error(v->getLocation(), "nested map-in-map is not supported (" + m.inner + " is itself a map of maps)");
      return true;
    }
  }

  // The libbpf BTF-defined map, on one line.
  std::string def = anonDefs + "struct { int (*type)[" + std::to_string(m.type) + "]; int (*max_entries)[" +
                    std::to_string(m.maxEntries) + "];";
  if (m.flags) def += " int (*map_flags)[" + std::to_string(m.flags) + "];";
  if (m.type == 27) {
    // ring buffer: no key or value
  } else if (!innerMap && (sizesOnly(m.type) || m.type == 22 || m.type == 23)) {
    if (m.keySize) def += " int (*key_size)[" + std::to_string(m.keySize) + "];";
    def += " int (*value_size)[" + std::to_string(m.valueSize) + "];";
  } else if (innerMap) {
    def += " int (*key_size)[" + std::to_string(m.keySize) + "]; typeof(" + m.inner + ") *values[];";
  } else {
    def += " typeof(" + m.keyType + ") *key; typeof(" + m.valueType + ") *value;";
  }
  def += " } " + m.name + " __attribute__((section(\".maps\"), used))";
  // a declaration over several lines keeps them (later diagnostics stay on the user's lines)
  clang::CharSourceRange whole = clang::CharSourceRange::getTokenRange(b, e);
  std::string original = c.text(whole);
  long lines = std::count(original.begin(), original.end(), '\n') - std::count(def.begin(), def.end(), '\n');
  if (lines > 0) def += std::string(lines, '\n');
  c.rw.ReplaceText(whole, def);
  c.replacedMacros.insert(offset);

  c.mapIndex[v] = c.maps.size();
  c.maps.push_back(m);
  return true;
}

}  // namespace tsbcc::bcc

// Implicit kernel-memory reads. In tracing programs, pointers that come from the probe's
// arguments, the context (pt_regs registers, raw tracepoint args, tracepoint fields), or
// bpf_get_current_task() point into kernel memory. Dereferences through them (`p->f`,
// `p->a.b`, `*p`, `p[i]`) are rewritten to bpf_probe_read_kernel() of the address, which the
// kernel header's preserve_access_index turns into a CO-RE relocated read. Not rewritten:
// array-typed results, anything under `&`, anything inside one macro's expansion (a read written as whole macro
// expansions at its edges, `sk->sk_daddr` or `TCP_SKB_CB(skb)->seq`, is), direct ctx fields.
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Lex/Lexer.h>

#include <algorithm>

#include "compiler/bcc/context.h"

namespace tsbcc::bcc {

namespace {

bool isTracingCtxType(clang::QualType t) {
  if (!t->isPointerType()) return false;
  const clang::RecordType* rt = t->getPointeeType()->getAs<clang::RecordType>();
  if (!rt) return false;
  std::string n = rt->getDecl()->getName().str();
  return n == "pt_regs" || n == "bpf_raw_tracepoint_args" || n.rfind("tracepoint__", 0) == 0;
}

// Whether a member/subscript chain bottoms out at the tracing context parameter.
bool isCtxChain(Context& c, const clang::Expr* e) {
  if (!c.tracingCtx) return false;
  for (;;) {
    e = e->IgnoreParenImpCasts();
    if (const auto* me = llvm::dyn_cast<clang::MemberExpr>(e)) {
      e = me->getBase();
      continue;
    }
    if (const auto* as = llvm::dyn_cast<clang::ArraySubscriptExpr>(e)) {
      e = as->getBase();
      continue;
    }
    const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(e);
    return ref && ref->getDecl() == c.tracingCtx;
  }
}

int level(Context& c, const clang::Expr* e);

// The first `->` of a member chain (through `.` members), or nullptr.
const clang::MemberExpr* arrowOf(const clang::Expr* e) {
  const auto* me = llvm::dyn_cast<clang::MemberExpr>(e);
  while (me && !me->isArrow()) me = llvm::dyn_cast<clang::MemberExpr>(me->getBase()->IgnoreParens());
  return me;
}

// The lvalue `e` (stripped) lives in kernel memory: reached through a kernel pointer by `->`,
// `*` or `[]`, then any `.` members and subscripts of arrays in it (`mm->rss_stat[i].count`).
bool readsExternal(Context& c, const clang::Expr* e) {
  e = e->IgnoreParens();
  if (const auto* me = llvm::dyn_cast<clang::MemberExpr>(e))
    return me->isArrow() ? level(c, me->getBase()) == 1 : readsExternal(c, me->getBase());
  if (const auto* u = llvm::dyn_cast<clang::UnaryOperator>(e))
    return u->getOpcode() == clang::UO_Deref && level(c, u->getSubExpr()) == 1;
  if (const auto* as = llvm::dyn_cast<clang::ArraySubscriptExpr>(e)) {
    const clang::Expr* base = as->getBase()->IgnoreParenImpCasts();
    if (base->getType()->isArrayType()) return readsExternal(c, base);
    return level(c, as->getBase()) == 1;
  }
  return false;
}

// A table method call `m.method(...)`: the map and the method, or nullptr.
const MapDecl* tableCall(Context& c, const clang::CallExpr* call, std::string& method) {
  const auto* me = llvm::dyn_cast<clang::MemberExpr>(call->getCallee()->IgnoreImpCasts());
  if (!me || me->isArrow()) return nullptr;
  const MapDecl* m = c.mapOf(me->getBase());
  if (m) method = me->getMemberDecl()->getName().str();
  return m;
}

// A pointer, or an integer wide enough to hold one (u64 fields that store addresses).
bool addressLike(Context& c, clang::QualType t) {
  return t->isPointerType() || (t->isIntegerType() && c.ast.getTypeSize(t) == 64);
}

int declLevel(Context& c, const clang::ValueDecl* d) {
  auto it = c.levels.find(d);
  return it == c.levels.end() ? 0 : it->second;
}

// The kernel-pointer level of the value of `e` (see Context::levels); 0 when none.
int level(Context& c, const clang::Expr* e) {
  const clang::Expr* s = e->IgnoreParenCasts();
  if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(s)) return declLevel(c, ref->getDecl());
  if (const auto* call = llvm::dyn_cast<clang::CallExpr>(s)) {
    std::string method;
    if (const MapDecl* m = tableCall(c, call, method)) {
      auto it = c.mapValueLevels.find(m->name);
      // a lookup yields a pointer to a value that holds kernel pointers
      return it != c.mapValueLevels.end() && method.rfind("lookup", 0) == 0 ? it->second + 1 : 0;
    }
    if (const clang::FunctionDecl* fd = call->getDirectCallee()) {
      auto it = c.fnLevels.find(fd->getCanonicalDecl());
      if (it != c.fnLevels.end()) return it->second;
    }
    // helpers are pointers to functions (libbpf's bpf_helper_defs.h)
    if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(call->getCallee()->IgnoreParenCasts())) {
      std::string n = ref->getDecl()->getName().str();
      if (n == "bpf_get_current_task" || n == "bpf_get_current_task_btf") return 1;
    }
    return 0;
  }
  if (const auto* u = llvm::dyn_cast<clang::UnaryOperator>(s)) {
    if (u->getOpcode() == clang::UO_AddrOf) {
      const clang::Expr* sub = u->getSubExpr()->IgnoreParens();
      if (readsExternal(c, sub)) return 1;  // the address of kernel memory
      int l = level(c, sub);
      return l > 0 ? l + 1 : 0;             // the address of memory holding kernel pointers
    }
    if (u->getOpcode() == clang::UO_Deref) {
      int l = level(c, u->getSubExpr());
      if (l >= 2) return l - 1;
      // a pointer loaded from kernel memory points into it
      return l == 1 && addressLike(c, s->getType()) ? 1 : 0;
    }
    return 0;
  }
  if (const auto* bo = llvm::dyn_cast<clang::BinaryOperator>(s)) {
    // pointer arithmetic keeps the pointer's level
    if (bo->isAdditiveOp())
      return std::max(level(c, bo->getLHS()), bo->getOpcode() == clang::BO_Add ? level(c, bo->getRHS()) : 0);
    if (bo->getOpcode() == clang::BO_Comma) return level(c, bo->getRHS());
    return 0;
  }
  if (const auto* co = llvm::dyn_cast<clang::ConditionalOperator>(s))
    return std::max(level(c, co->getTrueExpr()), level(c, co->getFalseExpr()));
  if (llvm::isa<clang::MemberExpr>(s) || llvm::isa<clang::ArraySubscriptExpr>(s)) {
    if (s->getType()->isArrayType()) return readsExternal(c, s) ? 1 : 0;  // an array in kernel memory
    if (isCtxChain(c, s)) return 1;          // a value the context holds, used as a pointer
    if (readsExternal(c, s)) return addressLike(c, s->getType()) ? 1 : 0;  // a pointer loaded from kernel memory
    if (const auto* me = llvm::dyn_cast<clang::MemberExpr>(s))
      return declLevel(c, me->getMemberDecl());  // a field of the program's own struct
    return 0;
  }
  return 0;
}

// Marks what holds kernel pointers: variables initialised or assigned from them (also through
// `*p = ...` and fields of the program's own structs), static helpers' parameters and results,
// and maps whose values hold them.
class Propagate : public clang::RecursiveASTVisitor<Propagate> {
 public:
  explicit Propagate(Context& c) : c_(c) {}
  bool changed = false;
  bool VisitVarDecl(clang::VarDecl* v) {
    const clang::Expr* init = v->getInit();
    if (!init) return true;
    if (isHolder(v->getType())) raise(c_.levels, static_cast<const clang::ValueDecl*>(v), level(c_, init));
    if (const auto* list = llvm::dyn_cast<clang::InitListExpr>(init->IgnoreParenImpCasts())) initFields(list);
    return true;
  }
  bool VisitBinaryOperator(clang::BinaryOperator* op) {
    if (op->getOpcode() != clang::BO_Assign) return true;
    assign(op->getLHS(), level(c_, op->getRHS()));
    return true;
  }
  bool VisitCallExpr(clang::CallExpr* call) {
    std::string method;
    if (const MapDecl* m = tableCall(c_, call, method)) {
      // m.update(&k, &v) / insert: v points to the value; what the value holds, the map holds
      if ((method == "update" || method == "insert") && call->getNumArgs() > 1) {
        int l = level(c_, call->getArg(1));
        if (l >= 2) raise(c_.mapValueLevels, m->name, l - 1);
      }
      return true;
    }
    // static helpers: parameters take the levels of their arguments
    const clang::FunctionDecl* fd = call->getDirectCallee();
    const clang::FunctionDecl* def = nullptr;
    if (!fd || !fd->hasBody(def) || !def || def->isExternallyVisible() || !c_.inMainFile(def->getLocation()))
      return true;
    for (unsigned i = 0; i < call->getNumArgs() && i < def->getNumParams(); i++)
      if (isHolder(def->getParamDecl(i)->getType())) raise(c_.levels, static_cast<const clang::ValueDecl*>(def->getParamDecl(i)), level(c_, call->getArg(i)));
    callees.insert(def);
    return true;
  }
  bool VisitReturnStmt(clang::ReturnStmt* r) {
    if (fn_ && r->getRetValue() && isHolder(fn_->getReturnType()))
      raise(c_.fnLevels, fn_->getCanonicalDecl(), level(c_, r->getRetValue()));
    return true;
  }
  void run(const clang::FunctionDecl* fn) {
    fn_ = fn;
    TraverseStmt(fn->getBody());
  }
  std::set<const clang::FunctionDecl*> callees;

 private:
  static bool isHolder(clang::QualType t) { return t->isPointerType() || t->isIntegerType(); }
  template <typename K>
  void raise(std::map<K, int>& m, const K& k, int l) {
    if (l <= 0) return;
    l = std::min(l, 4);  // deeper than `***p` is not followed
    int& cur = m[k];
    if (l > cur) {
      cur = l;
      changed = true;
    }
  }
  // `lhs = <value of level l>`
  void assign(const clang::Expr* lhs, int l) {
    if (l <= 0) return;
    lhs = lhs->IgnoreParenImpCasts();
    int derefs = 0;
    while (const auto* u = llvm::dyn_cast<clang::UnaryOperator>(lhs)) {
      if (u->getOpcode() != clang::UO_Deref) return;
      derefs++;
      lhs = u->getSubExpr()->IgnoreParenImpCasts();
    }
    if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(lhs)) {
      raise(c_.levels, static_cast<const clang::ValueDecl*>(ref->getDecl()), l + derefs);
    } else if (const auto* me = llvm::dyn_cast<clang::MemberExpr>(lhs)) {
      // a field of the program's own struct (not of kernel memory, which is never written)
      if (derefs == 0 && !readsExternal(c_, me)) raise(c_.levels, static_cast<const clang::ValueDecl*>(me->getMemberDecl()), l);
    }
  }
  void initFields(const clang::InitListExpr* list) {
    const clang::RecordType* rt = list->getType()->getAs<clang::RecordType>();
    if (!rt || !rt->getDecl()->getDefinition()) return;
    unsigned i = 0;
    for (const clang::FieldDecl* f : rt->getDecl()->getDefinition()->fields()) {
      if (i >= list->getNumInits()) break;
      const clang::Expr* init = list->getInit(i++);
      if (isHolder(f->getType())) raise(c_.levels, static_cast<const clang::ValueDecl*>(f), level(c_, init));
    }
  }
  Context& c_;
  const clang::FunctionDecl* fn_ = nullptr;
};

}  // namespace

void analyzeProbeReads(Context& c, const std::vector<clang::FunctionDecl*>& programs) {
  // seeds: non-context pointer parameters of program functions
  for (clang::FunctionDecl* fn : programs)
    for (unsigned i = 1; i < fn->getNumParams(); i++)
      if (fn->getParamDecl(i)->getType()->isPointerType()) c.levels[fn->getParamDecl(i)] = 1;
  // propagate to a fixpoint over programs and the static helpers they call
  for (int round = 0; round < 8; round++) {
    bool changed = false;
    std::set<const clang::FunctionDecl*> seen;
    std::vector<std::pair<const clang::FunctionDecl*, const clang::ParmVarDecl*>> work;
    for (clang::FunctionDecl* fn : programs) {
      const clang::ParmVarDecl* ctx = nullptr;
      if (fn->getNumParams() > 0 && isTracingCtxType(fn->getParamDecl(0)->getType())) ctx = fn->getParamDecl(0);
      work.emplace_back(fn, ctx);
    }
    while (!work.empty()) {
      auto [fn, ctx] = work.back();
      work.pop_back();
      if (!seen.insert(fn).second || !fn->hasBody()) continue;
      c.tracingCtx = ctx;
      Propagate prop(c);
      prop.run(fn);
      changed = changed || prop.changed;
      for (const clang::FunctionDecl* callee : prop.callees) work.emplace_back(callee, nullptr);
    }
    if (!changed) break;
  }
  c.tracingCtx = nullptr;
}

void beginProbeReads(Context& c, clang::FunctionDecl* fn, bool program) {
  c.tracingCtx = nullptr;
  if (program && fn->getNumParams() > 0 && isTracingCtxType(fn->getParamDecl(0)->getType()))
    c.tracingCtx = fn->getParamDecl(0);
}

// A bitfield behind a kernel pointer: read the bytes holding it at their relocated offset and
// size, then shift it out by the relocated amounts (CO-RE field info, as libbpf's
// BPF_CORE_READ_BITFIELD_PROBED does).
// Whether `base` points to a struct of the kernel header (BTF), whose offsets CO-RE relocates;
// a program's own struct (its own `struct sock`) is read at the offsets it declares.
bool isKernelRecord(Context& c, const clang::Expr* base) {
  clang::QualType t = base->getType();
  if (!t->isPointerType()) return false;
  const clang::RecordDecl* rd = t->getPointeeType()->getAsRecordDecl();
  if (!rd) return false;
  clang::PresumedLoc p = c.sm().getPresumedLoc(c.sm().getSpellingLoc(rd->getLocation()));
  if (p.isInvalid()) return false;
  llvm::StringRef f = p.getFilename();
  return f.ends_with("/vmlinux.h");
}

bool rewriteBitfieldRead(Context& c, const clang::MemberExpr* me, const clang::FieldDecl* fd,
                         clang::CharSourceRange whole) {
  const clang::MemberExpr* arrow = arrowOf(me);
  if (!arrow || !isKernelRecord(c, arrow->getBase())) return false;
  const clang::Expr* base = arrow->getBase();
  clang::CharSourceRange baseRange = c.fileRange(base->getSourceRange());
  if (baseRange.isInvalid()) return false;
  std::string field = "_base" + c.text(clang::CharSourceRange::getCharRange(baseRange.getEnd(), whole.getEnd()));
  auto info = [&](int kind) { return "__builtin_preserve_field_info(" + field + ", " + std::to_string(kind) + ")"; };
  bool isSigned = fd->getType()->isSignedIntegerType();
  std::string type = c.typeName(me->getType().getUnqualifiedType());
  std::string out = "({ unsigned long long _val = 0; __auto_type _base = " + c.text(baseRange) +
                    "; bpf_probe_read_kernel(&_val, " + info(1) + ", (char *)_base + " + info(0) + "); _val <<= " +
                    info(4) + "; (" + type + ")(" + (isSigned ? "(long long)_val >> " : "_val >> ") + info(5) + "); })";
  c.rw.ReplaceText(whole, out);
  c.coreReads++;
  return true;
}

bool rewriteProbeRead(Context& c, clang::ImplicitCastExpr* cast) {
  if (cast->getCastKind() != clang::CK_LValueToRValue) return false;
  if (c.levels.empty() && c.fnLevels.empty() && c.mapValueLevels.empty() && !c.tracingCtx) return false;
  const clang::Expr* sub = cast->getSubExpr()->IgnoreParens();
  if (sub->getType()->isArrayType() || !readsExternal(c, sub)) return false;
  // written in the user's file (macros only as whole expansions at its edges)
  clang::CharSourceRange whole = c.fileRange(sub->getSourceRange());
  if (whole.isInvalid()) return false;
  if (const auto* me = llvm::dyn_cast<clang::MemberExpr>(sub)) {
    const auto* fd = llvm::dyn_cast<clang::FieldDecl>(me->getMemberDecl());
    if (fd && fd->isBitField()) return rewriteBitfieldRead(c, me, fd, whole);
  }
  clang::QualType t = sub->getType().getUnqualifiedType();
  std::string type = c.typeName(t);
  if (type.find("(unnamed") != std::string::npos || type.find("(anonymous") != std::string::npos)
    type = "typeof(" + c.text(whole) + ")";
  std::string addr, pre;
  if (const auto* u = llvm::dyn_cast<clang::UnaryOperator>(sub); u && u->getOpcode() == clang::UO_Deref) {
    addr = "(void *)(" + c.text(u->getSubExpr()) + ")";
  } else if (const clang::MemberExpr* arrow = arrowOf(sub); arrow && isKernelRecord(c, arrow->getBase())) {
    // A field access chain: its offsets are relocated against the running kernel's BTF
    // (CO-RE). The base pointer goes to a local first, so reads through pointers read by
    // other implicit reads never nest relocatable accesses.
    const clang::Expr* base = arrow->getBase();
    clang::CharSourceRange baseRange = c.fileRange(base->getSourceRange());
    if (baseRange.isInvalid()) return false;
    std::string chain = c.text(clang::CharSourceRange::getCharRange(baseRange.getEnd(), whole.getEnd()));
    pre = " __auto_type _base = " + c.text(baseRange) + ";";
    addr = "(void *)__builtin_preserve_access_index(&_base" + chain + ")";
    c.coreReads++;
  } else {
    addr = "(void *)&" + c.text(whole);
  }
  std::string out = "({ " + type + " _val; __builtin_memset(&_val, 0, sizeof(_val));" + pre +
                    " bpf_probe_read_kernel(&_val, sizeof(_val), " + addr + "); _val; })";
  c.rw.ReplaceText(whole, out);
  return true;
}

}  // namespace tsbcc::bcc

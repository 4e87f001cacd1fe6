// Implicit kernel-memory reads. In tracing programs, pointers that come from the probe's
// arguments, the context (pt_regs registers, raw tracepoint args, tracepoint fields), or
// bpf_get_current_task() point into kernel memory. Dereferences through them (`p->f`,
// `p->a.b`, `*p`, `p[i]`) are rewritten to bpf_probe_read_kernel() of the address, which the
// kernel header's preserve_access_index turns into a CO-RE relocated read. Not rewritten:
// array-typed results, anything under `&`, anything from a macro, bitfields, direct ctx fields.
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Lex/Lexer.h>

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

bool isExternalPtr(Context& c, const clang::Expr* e);

// The first `->` of a member chain (through `.` members), or nullptr.
const clang::MemberExpr* arrowOf(const clang::Expr* e) {
  const auto* me = llvm::dyn_cast<clang::MemberExpr>(e);
  while (me && !me->isArrow()) me = llvm::dyn_cast<clang::MemberExpr>(me->getBase()->IgnoreParens());
  return me;
}

// The value of `e` (stripped) lives in kernel memory reached through an external pointer.
bool readsExternal(Context& c, const clang::Expr* e) {
  if (const auto* me = arrowOf(e)) return isExternalPtr(c, me->getBase());
  if (const auto* u = llvm::dyn_cast<clang::UnaryOperator>(e))
    return u->getOpcode() == clang::UO_Deref && isExternalPtr(c, u->getSubExpr());
  if (const auto* as = llvm::dyn_cast<clang::ArraySubscriptExpr>(e)) return isExternalPtr(c, as->getBase());
  return false;
}

// `e` is a pointer (or integer used as one) into kernel memory.
bool isExternalPtr(Context& c, const clang::Expr* e) {
  const clang::Expr* s = e->IgnoreParenCasts();
  if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(s)) return c.external.count(ref->getDecl()) > 0;
  if (const auto* call = llvm::dyn_cast<clang::CallExpr>(s)) {
    if (const clang::FunctionDecl* fd = call->getDirectCallee())
      if (c.externalFns.count(fd->getCanonicalDecl())) return true;
    const clang::Expr* callee = call->getCallee()->IgnoreParenCasts();
    if (const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(callee))
      return ref->getDecl()->getName() == "bpf_get_current_task" ||
             ref->getDecl()->getName() == "bpf_get_current_task_btf";
    return false;
  }
  if (const auto* u = llvm::dyn_cast<clang::UnaryOperator>(s)) {
    if (u->getOpcode() == clang::UO_AddrOf) return readsExternal(c, u->getSubExpr()->IgnoreParens());
    if (u->getOpcode() == clang::UO_Deref) {
      const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(u->getSubExpr()->IgnoreParenImpCasts());
      if (ref && c.externalValue.count(ref->getDecl())) return true;
      return readsExternal(c, s);
    }
    return false;
  }
  if (const auto* bo = llvm::dyn_cast<clang::BinaryOperator>(s)) {
    if (bo->isAdditiveOp()) return isExternalPtr(c, bo->getLHS());
    return false;
  }
  if (llvm::isa<clang::MemberExpr>(s) || llvm::isa<clang::ArraySubscriptExpr>(s)) {
    if (s->getType()->isArrayType()) {
      // the address of an array field of kernel memory is kernel memory
      return readsExternal(c, s);
    }
    if (isCtxChain(c, s)) return true;  // a value the context holds, used as a pointer
    return readsExternal(c, s);  // a pointer loaded from kernel memory
  }
  return false;
}

// A lookup on a map whose values hold kernel pointers.
bool isExternalLookup(Context& c, const clang::Expr* e) {
  const auto* call = llvm::dyn_cast<clang::CallExpr>(e->IgnoreParenCasts());
  if (!call) return false;
  const auto* me = llvm::dyn_cast<clang::MemberExpr>(call->getCallee()->IgnoreImpCasts());
  if (!me || me->isArrow()) return false;
  const MapDecl* m = c.mapOf(me->getBase());
  std::string method = me->getMemberDecl()->getName().str();
  return m && c.externalMaps.count(m->name) && method.rfind("lookup", 0) == 0;
}

// Marks variables initialised or assigned from external pointers, helper parameters passed
// external pointers, helpers returning them, and maps storing them.
class Propagate : public clang::RecursiveASTVisitor<Propagate> {
 public:
  explicit Propagate(Context& c) : c_(c) {}
  bool changed = false;
  bool VisitVarDecl(clang::VarDecl* v) {
    if (!v->getInit() || !v->getType()->isPointerType()) return true;
    if (isExternalPtr(c_, v->getInit())) mark(v);
    if (isExternalLookup(c_, v->getInit())) markValue(v);
    return true;
  }
  bool VisitBinaryOperator(clang::BinaryOperator* op) {
    if (op->getOpcode() != clang::BO_Assign || !op->getLHS()->getType()->isPointerType()) return true;
    const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(op->getLHS()->IgnoreParenImpCasts());
    if (!ref) return true;
    if (isExternalPtr(c_, op->getRHS())) mark(ref->getDecl());
    if (isExternalLookup(c_, op->getRHS())) markValue(ref->getDecl());
    return true;
  }
  bool VisitCallExpr(clang::CallExpr* call) {
    // map.update(&k, &v) / insert with v an external pointer: the map's values are external
    if (const auto* me = llvm::dyn_cast<clang::MemberExpr>(call->getCallee()->IgnoreImpCasts())) {
      const MapDecl* m = me->isArrow() ? nullptr : c_.mapOf(me->getBase());
      std::string method = me->getMemberDecl()->getName().str();
      if (m && (method == "update" || method == "insert") && call->getNumArgs() > 1) {
        const auto* u = llvm::dyn_cast<clang::UnaryOperator>(call->getArg(1)->IgnoreParenCasts());
        const auto* ref = u && u->getOpcode() == clang::UO_AddrOf
                              ? llvm::dyn_cast<clang::DeclRefExpr>(u->getSubExpr()->IgnoreParenImpCasts())
                              : nullptr;
        if (ref && c_.external.count(ref->getDecl()) && c_.externalMaps.insert(m->name).second) changed = true;
      }
      return true;
    }
    // static helpers: parameters given external pointers are external
    const clang::FunctionDecl* fd = call->getDirectCallee();
    const clang::FunctionDecl* def = nullptr;
    if (!fd || !fd->hasBody(def) || !def || def->isExternallyVisible() || !c_.inMainFile(def->getLocation()))
      return true;
    for (unsigned i = 0; i < call->getNumArgs() && i < def->getNumParams(); i++)
      if (def->getParamDecl(i)->getType()->isPointerType() && isExternalPtr(c_, call->getArg(i)))
        mark(def->getParamDecl(i));
    callees.insert(def);
    return true;
  }
  bool VisitReturnStmt(clang::ReturnStmt* r) {
    if (fn_ && r->getRetValue() && fn_->getReturnType()->isPointerType() && isExternalPtr(c_, r->getRetValue()))
      if (c_.externalFns.insert(fn_->getCanonicalDecl()).second) changed = true;
    return true;
  }
  void run(const clang::FunctionDecl* fn) {
    fn_ = fn;
    TraverseStmt(fn->getBody());
  }
  std::set<const clang::FunctionDecl*> callees;

 private:
  void mark(const clang::ValueDecl* d) {
    if (c_.external.insert(d).second) changed = true;
  }
  void markValue(const clang::ValueDecl* d) {
    if (c_.externalValue.insert(d).second) changed = true;
  }
  Context& c_;
  const clang::FunctionDecl* fn_ = nullptr;
};

}  // namespace

void analyzeProbeReads(Context& c, const std::vector<clang::FunctionDecl*>& programs) {
  // seeds: non-context pointer parameters of program functions
  for (clang::FunctionDecl* fn : programs)
    for (unsigned i = 1; i < fn->getNumParams(); i++)
      if (fn->getParamDecl(i)->getType()->isPointerType()) c.external.insert(fn->getParamDecl(i));
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
bool rewriteBitfieldRead(Context& c, const clang::MemberExpr* me, const clang::FieldDecl* fd) {
  const clang::MemberExpr* arrow = arrowOf(me);
  if (!arrow) return false;
  const clang::Expr* base = arrow->getBase();
  clang::SourceLocation afterBase =
      clang::Lexer::getLocForEndOfToken(base->getEndLoc(), 0, c.sm(), c.ast.getLangOpts());
  std::string field = "_base" + c.text(clang::SourceRange(afterBase, me->getEndLoc()));
  auto info = [&](int kind) { return "__builtin_preserve_field_info(" + field + ", " + std::to_string(kind) + ")"; };
  bool isSigned = fd->getType()->isSignedIntegerType();
  std::string type = c.typeName(me->getType().getUnqualifiedType());
  std::string out = "({ unsigned long long _val = 0; __auto_type _base = " + c.text(base) +
                    "; bpf_probe_read_kernel(&_val, " + info(1) + ", (char *)_base + " + info(0) + "); _val <<= " +
                    info(4) + "; (" + type + ")(" + (isSigned ? "(long long)_val >> " : "_val >> ") + info(5) + "); })";
  c.rw.ReplaceText(me->getSourceRange(), out);
  c.coreReads++;
  return true;
}

bool rewriteProbeRead(Context& c, clang::ImplicitCastExpr* cast) {
  if (cast->getCastKind() != clang::CK_LValueToRValue) return false;
  if (c.external.empty() && c.externalValue.empty() && c.externalFns.empty() && !c.tracingCtx) return false;
  const clang::Expr* sub = cast->getSubExpr()->IgnoreParens();
  if (sub->getType()->isArrayType() || !readsExternal(c, sub)) return false;
  if (c.inMacro(sub->getSourceRange())) return false;
  if (const auto* me = llvm::dyn_cast<clang::MemberExpr>(sub)) {
    const auto* fd = llvm::dyn_cast<clang::FieldDecl>(me->getMemberDecl());
    if (fd && fd->isBitField()) return rewriteBitfieldRead(c, me, fd);
  }
  clang::QualType t = sub->getType().getUnqualifiedType();
  std::string type = c.typeName(t);
  if (type.find("(unnamed") != std::string::npos || type.find("(anonymous") != std::string::npos)
    type = "typeof(" + c.text(sub) + ")";
  std::string addr, pre;
  if (const auto* u = llvm::dyn_cast<clang::UnaryOperator>(sub); u && u->getOpcode() == clang::UO_Deref) {
    addr = "(void *)(" + c.text(u->getSubExpr()) + ")";
  } else if (const clang::MemberExpr* arrow = arrowOf(sub)) {
    // A field access chain: its offsets are relocated against the running kernel's BTF
    // (CO-RE). The base pointer goes to a local first, so reads through pointers read by
    // other implicit reads never nest relocatable accesses.
    const clang::Expr* base = arrow->getBase();
    clang::SourceLocation afterBase =
        clang::Lexer::getLocForEndOfToken(base->getEndLoc(), 0, c.sm(), c.ast.getLangOpts());
    std::string chain = c.text(clang::SourceRange(afterBase, sub->getEndLoc()));
    pre = " __auto_type _base = " + c.text(base) + ";";
    addr = "(void *)__builtin_preserve_access_index(&_base" + chain + ")";
    c.coreReads++;
  } else {
    addr = "(void *)&" + c.text(sub);
  }
  std::string out = "({ " + type + " _val; __builtin_memset(&_val, 0, sizeof(_val));" + pre +
                    " bpf_probe_read_kernel(&_val, sizeof(_val), " + addr + "); _val; })";
  c.rw.ReplaceText(sub->getSourceRange(), out);
  return true;
}

}  // namespace tsbcc::bcc

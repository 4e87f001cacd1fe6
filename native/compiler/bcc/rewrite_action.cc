// The BCC dialect rewrite pass: parse the user's program with include/bcc/helpers.h, walk the
// AST of the main file and rewrite it textually (see context.h). Returns the rewritten text,
// the maps, programs and event structs found, and diagnostics in the user's coordinates.
#include <clang/AST/ASTConsumer.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Lex/Lexer.h>

#include <malloc.h>

#include "async.h"
#include "compiler/bcc/context.h"
#include "compiler/clang_session.h"
#include "compiler/memory_release.h"
#include "registry.h"

namespace tsbcc::bcc {

void Context::error(clang::SourceLocation loc, const std::string& msg) {
  auto& d = ast.getDiagnostics();
  d.Report(loc, d.getCustomDiagID(clang::DiagnosticsEngine::Error, "%0")) << msg;
}

void Context::warning(clang::SourceLocation loc, const std::string& msg) {
  auto& d = ast.getDiagnostics();
  d.Report(loc, d.getCustomDiagID(clang::DiagnosticsEngine::Warning, "%0")) << msg;
}

std::string Context::text(clang::SourceRange r) const {
  if (r.getBegin().isMacroID() || r.getEnd().isMacroID()) {
    clang::CharSourceRange fr = sm().getExpansionRange(r);
    return rw.getRewrittenText(fr);
  }
  return rw.getRewrittenText(r);
}

clang::CharSourceRange Context::fileRange(clang::SourceRange r) const {
  clang::CharSourceRange fr =
      clang::Lexer::makeFileCharRange(clang::CharSourceRange::getTokenRange(r), sm(), ast.getLangOpts());
  if (fr.isInvalid() || !sm().isInMainFile(fr.getBegin())) return {};
  return fr;
}

bool Context::inMainFile(clang::SourceLocation loc) const { return sm().isInMainFile(sm().getExpansionLoc(loc)); }

const MapDecl* Context::mapOf(const clang::Expr* e) const {
  const auto* ref = llvm::dyn_cast<clang::DeclRefExpr>(e->IgnoreParenImpCasts());
  if (!ref) return nullptr;
  const auto* v = llvm::dyn_cast<clang::VarDecl>(ref->getDecl());
  if (!v) return nullptr;
  auto it = mapIndex.find(v);
  return it == mapIndex.end() ? nullptr : &maps[it->second];
}

std::string Context::typeName(clang::QualType t) const {
  clang::PrintingPolicy p = ast.getPrintingPolicy();
  p.SuppressTagKeyword = false;
  return t.getAsString(p);
}

namespace {

class BodyVisitor : public clang::RecursiveASTVisitor<BodyVisitor> {
 public:
  explicit BodyVisitor(Context& c) : c_(c) {}
  bool shouldTraversePostOrder() const { return true; }
  bool VisitCallExpr(clang::CallExpr* e) {
    if (!rewriteTableCall(c_, e) && !rewriteBuiltinCall(c_, e)) checkCall(c_, e);
    return true;
  }
  bool VisitMemberExpr(clang::MemberExpr* e) {
    rewriteTableMember(c_, e);
    return true;
  }
  bool VisitImplicitCastExpr(clang::ImplicitCastExpr* e) {
    if (!rewritePacketRead(c_, e)) rewriteProbeRead(c_, e);
    return true;
  }
  bool VisitBinaryOperator(clang::BinaryOperator* e) {
    rewritePacketWrite(c_, e);
    return true;
  }

 private:
  Context& c_;
};

struct Outcome {
  std::string output;
  std::vector<MapDecl> maps;
  std::vector<ProgramDecl> programs;
  std::vector<EventDecl> events;
  unsigned coreReads = 0;
};

class Consumer : public clang::ASTConsumer {
 public:
  Consumer(clang::Rewriter& rw, const Options& opts, Outcome& out) : rw_(rw), opts_(opts), out_(out) {}
  // Only declarations parsed here (walking the TU's decls would deserialize the whole
  // precompiled kernel header).
  bool HandleTopLevelDecl(clang::DeclGroupRef group) override {
    for (clang::Decl* d : group) decls_.push_back(d);
    return true;
  }
  void HandleTranslationUnit(clang::ASTContext& ast) override {
    // After a fatal error (too many errors, a missing header) the parse stopped midway and
    // declarations may be half-built (a map's struct without its definition): nothing to
    // rewrite, and walking them is unsafe. The run fails with clang's diagnostics.
    if (ast.getDiagnostics().hasFatalErrorOccurred()) return;
    Context c(ast, rw_, opts_);
    // maps first (method calls refer to them), then where kernel pointers flow
    std::vector<clang::FunctionDecl*> programs;
    for (clang::Decl* d : decls_) {
      if (auto* v = llvm::dyn_cast<clang::VarDecl>(d)) handleMapDecl(c, v);
      auto* fn = llvm::dyn_cast<clang::FunctionDecl>(d);
      if (fn && fn->doesThisDeclarationHaveABody() && c.inMainFile(fn->getLocation()) &&
          fn->isExternallyVisible() && !fn->isInlined())
        programs.push_back(fn);
    }
    analyzeProbeReads(c, programs);
    for (clang::Decl* d : decls_) {
      if (llvm::isa<clang::VarDecl>(d)) continue;
      auto* fn = llvm::dyn_cast<clang::FunctionDecl>(d);
      if (!fn || !fn->doesThisDeclarationHaveABody() || !c.inMainFile(fn->getLocation())) continue;
      bool program = fn->isExternallyVisible() && !fn->isInlined();
      if (program) {
        c.currentFn = fn;
        c.ctxName = fn->getNumParams() > 0 ? fn->getParamDecl(0)->getName().str() : "ctx";
      } else {
        handleStaticFunction(c, fn);
      }
      beginProbeReads(c, fn, program);
      BodyVisitor(c).TraverseStmt(fn->getBody());
      if (program) handleProgramFunction(c, fn);
    }
    clang::SourceManager& sm = ast.getSourceManager();
    if (const clang::RewriteBuffer* buf = rw_.getRewriteBufferFor(sm.getMainFileID()))
      out_.output.assign(buf->begin(), buf->end());
    else
      out_.output = sm.getBufferData(sm.getMainFileID()).str();
    out_.maps = std::move(c.maps);
    out_.programs = std::move(c.programs);
    out_.events = std::move(c.events);
    out_.coreReads = c.coreReads;
  }

 private:
  clang::Rewriter& rw_;
  const Options& opts_;
  Outcome& out_;
  std::vector<clang::Decl*> decls_;
};

class Action : public clang::ASTFrontendAction {
 public:
  Action(const Options& opts, Outcome& out) : opts_(opts), out_(out) {}
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance& ci, llvm::StringRef) override {
    rw_.setSourceMgr(ci.getSourceManager(), ci.getLangOpts());
    return std::make_unique<Consumer>(rw_, opts_, out_);
  }

 private:
  clang::Rewriter rw_;
  const Options& opts_;
  Outcome& out_;
};

struct Request : SessionRequest {
  Options opts;
};

struct Result {
  Outcome out;
  std::vector<Diag> diags;
  bool ok = false;
};

Result run(const Request& req) {
  initBpfTargets();
  Result res;
  auto consumer = std::make_unique<CollectingConsumer>();
  CollectingConsumer* cons = consumer.get();
  std::vector<std::string> argStorage;
  clang::CompilerInstance ci;
  if (!setupInstance(ci, req, cons, argStorage)) {
    res.diags = std::move(cons->diags);
    return res;
  }
  // the pages of what ran before (the kernel header's BTF dump, the addon's load) are dropped
  releaseAt<kBeforeRewrite>();
  auto act = withExpansionBudget(std::make_unique<Action>(req.opts, res.out));
  bool ok = ci.ExecuteAction(*act);
  res.ok = ok && !ci.getDiagnostics().hasErrorOccurred();
  res.diags = std::move(cons->diags);
  return res;
}

Result runAndTrim(const Request& req) {
  Result r;
  runOnCompilerStack([&]() { r = run(req); });
  malloc_trim(0);  // give clang's freed memory back to the system
  return r;
}

Napi::Value toJs(Napi::Env env, const Result& res) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", res.ok);
  o.Set("output", res.out.output);
  Napi::Array maps = Napi::Array::New(env, res.out.maps.size());
  for (size_t i = 0; i < res.out.maps.size(); i++) {
    const MapDecl& m = res.out.maps[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("name", m.name);
    x.Set("kind", m.kind);
    x.Set("inner", m.inner);
    x.Set("pinPath", m.pinPath);
    x.Set("type", m.type);
    x.Set("keySize", m.keySize);
    x.Set("valueSize", m.valueSize);
    x.Set("maxEntries", m.maxEntries);
    x.Set("flags", m.flags);
    x.Set("keyType", m.keyType);
    x.Set("valueType", m.valueType);
    x.Set("isExtern", m.isExtern);
    x.Set("isShared", m.isShared);
    x.Set("line", m.line);
    maps.Set(i, x);
  }
  o.Set("maps", maps);
  Napi::Array progs = Napi::Array::New(env, res.out.programs.size());
  for (size_t i = 0; i < res.out.programs.size(); i++) {
    Napi::Object x = Napi::Object::New(env);
    x.Set("name", res.out.programs[i].name);
    x.Set("section", res.out.programs[i].section);
    x.Set("line", res.out.programs[i].line);
    progs.Set(i, x);
  }
  o.Set("programs", progs);
  Napi::Array events = Napi::Array::New(env, res.out.events.size());
  for (size_t i = 0; i < res.out.events.size(); i++) {
    const EventDecl& e = res.out.events[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("map", e.map);
    x.Set("type", e.type);
    Napi::Array f = Napi::Array::New(env, e.fields.size());
    for (size_t j = 0; j < e.fields.size(); j++) f.Set(j, e.fields[j]);
    x.Set("fields", f);
    events.Set(i, x);
  }
  o.Set("events", events);
  o.Set("coreReads", res.out.coreReads);
  o.Set("diagnostics", diagsToJs(env, res.diags));
  return o;
}

Request parseRequest(const Napi::Object& o) {
  Request r;
  parseSessionRequest(o, r);
  if (o.Has("possibleCpus")) r.opts.nPossibleCpus = o.Get("possibleCpus").As<Napi::Number>().Uint32Value();
  if (o.Has("onlineCpus")) r.opts.nOnlineCpus = o.Get("onlineCpus").As<Napi::Number>().Uint32Value();
  if (o.Has("pageSize")) r.opts.pageSize = o.Get("pageSize").As<Napi::Number>().Uint32Value();
  if (o.Has("sectionRules")) {
    Napi::Array a = o.Get("sectionRules").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object x = a.Get(i).As<Napi::Object>();
      SectionRule rule;
      rule.prefix = x.Get("prefix").As<Napi::String>().Utf8Value();
      rule.section = x.Get("section").As<Napi::String>().Utf8Value();
      rule.splitLast = x.Has("splitLast") && x.Get("splitLast").ToBoolean().Value();
      r.opts.sectionRules.push_back(rule);
    }
  }
  if (o.Has("syscallArgPrefixes")) {
    Napi::Array a = o.Get("syscallArgPrefixes").As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++)
      r.opts.syscallArgPrefixes.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  return r;
}

Napi::Value Rewrite(const Napi::CallbackInfo& info) {
  auto req = std::make_shared<Request>(parseRequest(info[0].As<Napi::Object>()));
  auto res = std::make_shared<Result>();
  return runAsync(
      info.Env(), [req, res](std::string&, int&) { *res = runAndTrim(*req); },
      [res](Napi::Env e) { return toJs(e, *res); });
}

Napi::Value RewriteSync(const Napi::CallbackInfo& info) {
  Request req = parseRequest(info[0].As<Napi::Object>());
  Result res = runAndTrim(req);
  return toJs(info.Env(), res);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("bccRewrite", Napi::Function::New(env, Rewrite));
  exports.Set("bccRewriteSync", Napi::Function::New(env, RewriteSync));
}

}  // namespace
}  // namespace tsbcc::bcc

TSBCC_MODULE(bccRewrite, tsbcc::bcc::init);

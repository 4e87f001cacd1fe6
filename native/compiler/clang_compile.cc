// In-process C -> BPF compilation through clang's C++ API. Thin: TypeScript chooses the
// arguments and virtual files; this file runs clang and reports object bytes and diagnostics.
#include <clang/Basic/Version.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendActions.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/raw_ostream.h>

#include <malloc.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "async.h"
#include "compiler/clang_session.h"
#include "compiler/memory_release.h"
#include "registry.h"

namespace llvm {
class GlobalVariable;
}

// LLVM's BPF CO-RE pass (BPFAbstractMemberAccess) keeps the global it makes for each
// relocated access in this static map, by access key, and never empties it: a later module with
// the same access would be handed a global of a module already freed. The build renames it out
// of the pass's object (scripts/bpf-ama-archive.sh) so it can be emptied around each CO-RE
// code generation.
extern std::map<std::string, llvm::GlobalVariable*> bpfGepGlobals __asm__("tsbcc_bpf_gep_globals");

namespace tsbcc {
namespace {

// Held by a code generation that may relocate CO-RE accesses: one at a time in the process, each
// starting and ending with the pass's map empty.
std::mutex& coreCodegenLock() {
  static std::mutex m;
  return m;
}

struct Request : SessionRequest {
  std::string emit;  // "obj" | "llvm" | "syntax" | "pch"
  std::string outputPath;  // for "pch"
  // The module may have CO-RE accesses: run alone among those that may, the CO-RE pass's state
  // emptied before and after.
  bool core = false;
};

struct Result {
  std::string output;
  std::vector<Diag> diags;
  bool ok = false;
};

Result runCompile(const Request& req) {
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

  llvm::SmallVector<char, 0> buffer;
  if (req.emit != "pch") ci.setOutputStream(std::make_unique<llvm::raw_svector_ostream>(buffer));

  llvm::LLVMContext ctx;
  std::unique_ptr<clang::FrontendAction> act;
  if (req.emit == "llvm") {
    act = std::make_unique<clang::EmitLLVMAction>(&ctx);
  } else if (req.emit == "syntax") {
    act = std::make_unique<clang::SyntaxOnlyAction>();
  } else if (req.emit == "pch") {
    ci.getFrontendOpts().OutputFile = req.outputPath;
    ci.getFrontendOpts().ProgramAction = clang::frontend::GeneratePCH;
    act = std::make_unique<clang::GeneratePCHAction>();
  } else {
    // the pages of the previous run (a rewrite, other compiles) and then of each phase of this
    // one are dropped: the peak holds one phase's code, not all of them
    releaseAt<kBeforeCodegen>();
    act = withPhasesReleased(std::make_unique<clang::EmitObjAction>(&ctx));
  }
  act = withExpansionBudget(std::move(act));
  bool core = req.core;
  std::unique_lock<std::mutex> coreOnly(coreCodegenLock(), std::defer_lock);
  if (core) {
    coreOnly.lock();
    bpfGepGlobals.clear();
  }
  bool ok = ci.ExecuteAction(*act);
  if (core) bpfGepGlobals.clear();
  res.ok = ok && !ci.getDiagnostics().hasErrorOccurred();
  res.output.assign(buffer.data(), buffer.size());
  res.diags = std::move(cons->diags);
  return res;
}

Result runRequest(const Request& req) {
  Result r;
  runOnCompilerStack([&]() { r = runCompile(req); });
  malloc_trim(0);  // give LLVM's freed memory back to the system
  return r;
}

Request parseRequest(const Napi::Object& o) {
  Request r;
  parseSessionRequest(o, r);
  r.emit = o.Has("emit") ? o.Get("emit").As<Napi::String>().Utf8Value() : "obj";
  if (o.Has("outputPath")) r.outputPath = o.Get("outputPath").As<Napi::String>().Utf8Value();
  if (o.Has("core")) r.core = o.Get("core").ToBoolean().Value();
  return r;
}

Napi::Value toJs(Napi::Env env, Result& res, const std::string& emit) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", Napi::Boolean::New(env, res.ok));
  if (emit == "llvm")
    out.Set("output", Napi::String::New(env, res.output));
  else
    out.Set("output", Napi::Buffer<char>::Copy(env, res.output.data(), res.output.size()));
  out.Set("diagnostics", diagsToJs(env, res.diags));
  return out;
}

Napi::Value Compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto req = std::make_shared<Request>(parseRequest(info[0].As<Napi::Object>()));
  auto res = std::make_shared<Result>();
  return runAsync(
      env, [req, res](std::string&, int&) { *res = runRequest(*req); },
      [req, res](Napi::Env e) { return toJs(e, *res, req->emit); });
}

Napi::Value CompileSync(const Napi::CallbackInfo& info) {
  Request req = parseRequest(info[0].As<Napi::Object>());
  Result res = runRequest(req);
  return toJs(info.Env(), res, req.emit);
}

// compilerRelease() -> number: gives back what finished compiles leave in the process: freed
// heap (malloc_trim) and the resident pages of the addon's code and read-only data, most of
// which are clang's and LLVM's (they stay in the page cache and fault back in at the next
// compile). Returns the bytes of the ranges released from this process. TypeScript calls it when no compile is running.
Napi::Value CompilerRelease(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), releaseAt<kIdle>());
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("compilerRelease", Napi::Function::New(env, CompilerRelease));
  exports.Set("clangCompile", Napi::Function::New(env, Compile));
  exports.Set("clangCompileSync", Napi::Function::New(env, CompileSync));
  exports.Set("clangVersion", Napi::String::New(env, CLANG_VERSION_STRING));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(compiler, tsbcc::init);

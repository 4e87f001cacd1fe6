// In-process C -> BPF compilation through clang's C++ API. Thin: TypeScript chooses the
// arguments and virtual files; this file runs clang and reports object bytes and diagnostics.
#include <clang/Basic/Version.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendActions.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/raw_ostream.h>

#include <memory>
#include <string>
#include <vector>

#include "async.h"
#include "compiler/clang_session.h"
#include "registry.h"

namespace tsbcc {
namespace {

struct Request : SessionRequest {
  std::string emit;  // "obj" | "llvm" | "syntax" | "pch"
  std::string outputPath;  // for "pch"
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
  bool ok = false;
  if (req.emit == "llvm") {
    clang::EmitLLVMAction act(&ctx);
    ok = ci.ExecuteAction(act);
  } else if (req.emit == "syntax") {
    clang::SyntaxOnlyAction act;
    ok = ci.ExecuteAction(act);
  } else if (req.emit == "pch") {
    ci.getFrontendOpts().OutputFile = req.outputPath;
    ci.getFrontendOpts().ProgramAction = clang::frontend::GeneratePCH;
    clang::GeneratePCHAction act;
    ok = ci.ExecuteAction(act);
  } else {
    clang::EmitObjAction act(&ctx);
    ok = ci.ExecuteAction(act);
  }
  res.ok = ok && !ci.getDiagnostics().hasErrorOccurred();
  res.output.assign(buffer.data(), buffer.size());
  res.diags = std::move(cons->diags);
  return res;
}

Request parseRequest(const Napi::Object& o) {
  Request r;
  parseSessionRequest(o, r);
  r.emit = o.Has("emit") ? o.Get("emit").As<Napi::String>().Utf8Value() : "obj";
  if (o.Has("outputPath")) r.outputPath = o.Get("outputPath").As<Napi::String>().Utf8Value();
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
      env, [req, res](std::string&, int&) { *res = runCompile(*req); },
      [req, res](Napi::Env e) { return toJs(e, *res, req->emit); });
}

Napi::Value CompileSync(const Napi::CallbackInfo& info) {
  Request req = parseRequest(info[0].As<Napi::Object>());
  Result res = runCompile(req);
  return toJs(info.Env(), res, req.emit);
}

void init(Napi::Env env, Napi::Object exports) {
  exports.Set("clangCompile", Napi::Function::New(env, Compile));
  exports.Set("clangCompileSync", Napi::Function::New(env, CompileSync));
  exports.Set("clangVersion", Napi::String::New(env, CLANG_VERSION_STRING));
}

}  // namespace
}  // namespace tsbcc

TSBCC_MODULE(compiler, tsbcc::init);

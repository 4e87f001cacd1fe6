// In-process C -> BPF compilation through clang's C++ API. Thin: TypeScript chooses the
// arguments and virtual files; this file runs clang and reports object bytes and diagnostics.
#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Basic/Version.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Frontend/FrontendActions.h>
#include <clang/Lex/PreprocessorOptions.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <llvm/Support/raw_ostream.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "async.h"
#include "registry.h"

namespace tsbcc {
namespace {

struct Diag {
  std::string severity;
  std::string message;
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
  std::string option;
};

class CollectingConsumer : public clang::DiagnosticConsumer {
 public:
  std::vector<Diag> diags;
  void HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) override {
    clang::DiagnosticConsumer::HandleDiagnostic(level, info);
    Diag d;
    switch (level) {
      case clang::DiagnosticsEngine::Note: d.severity = "note"; break;
      case clang::DiagnosticsEngine::Remark: d.severity = "remark"; break;
      case clang::DiagnosticsEngine::Warning: d.severity = "warning"; break;
      case clang::DiagnosticsEngine::Error: d.severity = "error"; break;
      case clang::DiagnosticsEngine::Fatal: d.severity = "fatal"; break;
      default: d.severity = "ignored"; break;
    }
    llvm::SmallString<256> msg;
    info.FormatDiagnostic(msg);
    d.message = std::string(msg.str());
    d.option = std::string(clang::DiagnosticIDs::getWarningOptionForDiag(info.getID()));
    if (info.getLocation().isValid() && info.hasSourceManager()) {
      const clang::SourceManager& sm = info.getSourceManager();
      clang::PresumedLoc ploc = sm.getPresumedLoc(sm.getFileLoc(info.getLocation()));
      if (ploc.isValid()) {
        d.file = ploc.getFilename();
        d.line = ploc.getLine();
        d.column = ploc.getColumn();
      }
    }
    diags.push_back(std::move(d));
  }
};

struct Request {
  std::vector<std::string> args;  // cc1 arguments, without the input file
  std::string mainPath;
  std::string mainSource;
  std::vector<std::pair<std::string, std::string>> files;  // extra in-memory files
  std::string emit;                                         // "obj" | "llvm" | "syntax"
};

struct Result {
  std::string output;
  std::vector<Diag> diags;
  bool ok = false;
};

void initTargets() {
  static std::once_flag once;
  std::call_once(once, []() {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
  });
}

Result runCompile(const Request& req) {
  initTargets();
  Result res;
  auto consumer = std::make_unique<CollectingConsumer>();
  CollectingConsumer* cons = consumer.get();

  std::vector<const char*> argv;
  for (const auto& a : req.args) argv.push_back(a.c_str());
  argv.push_back(req.mainPath.c_str());

  auto invocation = std::make_shared<clang::CompilerInvocation>();
  {
    llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> dopts(new clang::DiagnosticOptions());
    llvm::IntrusiveRefCntPtr<clang::DiagnosticIDs> ids(new clang::DiagnosticIDs());
    clang::DiagnosticsEngine diags(ids, dopts, cons, false);
    if (!clang::CompilerInvocation::CreateFromArgs(*invocation, argv, diags)) {
      res.diags = std::move(cons->diags);
      if (res.diags.empty()) res.diags.push_back({"error", "invalid compiler arguments", "", 0, 0, ""});
      return res;
    }
  }
  invocation->getFrontendOpts().DisableFree = false;

  auto overlay = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
  auto mem = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  mem->addFile(req.mainPath, 0, llvm::MemoryBuffer::getMemBufferCopy(req.mainSource, req.mainPath));
  for (const auto& [path, text] : req.files)
    mem->addFile(path, 0, llvm::MemoryBuffer::getMemBufferCopy(text, path));
  overlay->pushOverlay(mem);

  clang::CompilerInstance ci;
  ci.setInvocation(invocation);
  ci.createDiagnostics(cons, false);
  ci.createFileManager(overlay);

  llvm::SmallVector<char, 0> buffer;
  auto os = std::make_unique<llvm::raw_svector_ostream>(buffer);
  ci.setOutputStream(std::move(os));

  llvm::LLVMContext ctx;
  bool ok = false;
  if (req.emit == "llvm") {
    clang::EmitLLVMAction act(&ctx);
    ok = ci.ExecuteAction(act);
  } else if (req.emit == "syntax") {
    clang::SyntaxOnlyAction act;
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
  Napi::Array args = o.Get("args").As<Napi::Array>();
  for (uint32_t i = 0; i < args.Length(); i++) r.args.push_back(args.Get(i).As<Napi::String>().Utf8Value());
  r.mainPath = o.Get("mainPath").As<Napi::String>().Utf8Value();
  r.mainSource = o.Get("mainSource").As<Napi::String>().Utf8Value();
  r.emit = o.Has("emit") ? o.Get("emit").As<Napi::String>().Utf8Value() : "obj";
  if (o.Has("files")) {
    Napi::Array files = o.Get("files").As<Napi::Array>();
    for (uint32_t i = 0; i < files.Length(); i++) {
      Napi::Object f = files.Get(i).As<Napi::Object>();
      r.files.emplace_back(f.Get("path").As<Napi::String>().Utf8Value(),
                           f.Get("contents").As<Napi::String>().Utf8Value());
    }
  }
  return r;
}

Napi::Value toJs(Napi::Env env, Result& res, const std::string& emit) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("ok", Napi::Boolean::New(env, res.ok));
  if (emit == "llvm")
    out.Set("output", Napi::String::New(env, res.output));
  else
    out.Set("output", Napi::Buffer<char>::Copy(env, res.output.data(), res.output.size()));
  Napi::Array diags = Napi::Array::New(env, res.diags.size());
  for (size_t i = 0; i < res.diags.size(); i++) {
    const Diag& d = res.diags[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("severity", d.severity);
    o.Set("message", d.message);
    o.Set("file", d.file);
    o.Set("line", d.line);
    o.Set("column", d.column);
    o.Set("option", d.option);
    diags.Set(i, o);
  }
  out.Set("diagnostics", diags);
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

// Shared pieces of an in-process clang run (see clang_session.h).
#include "compiler/clang_session.h"

#include <clang/Basic/DiagnosticOptions.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Frontend/CompilerInvocation.h>
#include <clang/Lex/Lexer.h>
#include <clang/Lex/MacroInfo.h>
#include <clang/Lex/PPCallbacks.h>
#include <clang/Lex/Preprocessor.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <pthread.h>

#include <mutex>

namespace tsbcc {

void CollectingConsumer::HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) {
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
    if (langOpts_) {
      clang::SourceLocation loc = info.getLocation();
      for (int depth = 0; loc.isMacroID() && depth < 16; depth++) {
        llvm::StringRef name = clang::Lexer::getImmediateMacroName(loc, sm, *langOpts_);
        // where the macro is defined (its current definition), else where its body is spelled
        clang::SourceLocation defAt = sm.getSpellingLoc(loc);
        if (pp_ && !name.empty()) {
          if (const clang::MacroInfo* mi = pp_->getMacroInfo(pp_->getIdentifierInfo(name)))
            defAt = mi->getDefinitionLoc();
        }
        clang::PresumedLoc defLoc = sm.getPresumedLoc(defAt);
        if (!name.empty()) d.macros.push_back(name.str() + "@" + (defLoc.isValid() ? defLoc.getFilename() : ""));
        loc = sm.getImmediateMacroCallerLoc(loc);
      }
    }
  }
  diags.push_back(std::move(d));
}

namespace {

// Answers every *.h under the stub directories with an empty file (created on first use).
class StubFileSystem : public llvm::vfs::ProxyFileSystem {
 public:
  StubFileSystem(llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> base,
                 llvm::IntrusiveRefCntPtr<llvm::vfs::InMemoryFileSystem> mem, std::vector<std::string> dirs)
      : ProxyFileSystem(std::move(base)), mem_(std::move(mem)), dirs_(std::move(dirs)) {}

  llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine& path) override {
    ensure(path.str());
    return ProxyFileSystem::status(path);
  }
  llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>> openFileForRead(const llvm::Twine& path) override {
    ensure(path.str());
    return ProxyFileSystem::openFileForRead(path);
  }

 private:
  // Any *.h under a stub directory is an empty file; any other name there is a directory
  // (clang looks a header's directory up before the header itself).
  void ensure(const std::string& p) {
    for (const auto& d : dirs_) {
      if (p.size() > d.size() + 1 && p.compare(0, d.size(), d) == 0 && p[d.size()] == '/') {
        if (mem_->exists(p)) return;
        bool header = p.size() > 2 && p.compare(p.size() - 2, 2, ".h") == 0;
        if (header)
          mem_->addFile(p, 0, llvm::MemoryBuffer::getMemBuffer("", p));
        else
          mem_->addFile(p + "/.tsbcc-stub", 0, llvm::MemoryBuffer::getMemBuffer(""));
        return;
      }
    }
  }
  llvm::IntrusiveRefCntPtr<llvm::vfs::InMemoryFileSystem> mem_;
  std::vector<std::string> dirs_;
};

}  // namespace

void parseSessionRequest(const Napi::Object& o, SessionRequest& r) {
  Napi::Array args = o.Get("args").As<Napi::Array>();
  for (uint32_t i = 0; i < args.Length(); i++) r.args.push_back(args.Get(i).As<Napi::String>().Utf8Value());
  r.mainPath = o.Get("mainPath").As<Napi::String>().Utf8Value();
  r.mainSource = o.Get("mainSource").As<Napi::String>().Utf8Value();
  if (o.Has("files")) {
    Napi::Array files = o.Get("files").As<Napi::Array>();
    for (uint32_t i = 0; i < files.Length(); i++) {
      Napi::Object f = files.Get(i).As<Napi::Object>();
      r.files.emplace_back(f.Get("path").As<Napi::String>().Utf8Value(),
                           f.Get("contents").As<Napi::String>().Utf8Value());
    }
  }
  if (o.Has("stubDirs")) {
    Napi::Array dirs = o.Get("stubDirs").As<Napi::Array>();
    for (uint32_t i = 0; i < dirs.Length(); i++) r.stubDirs.push_back(dirs.Get(i).As<Napi::String>().Utf8Value());
  }
}

bool setupInstance(clang::CompilerInstance& ci, const SessionRequest& req, CollectingConsumer* cons,
                   std::vector<std::string>& argStorage) {
  argStorage = req.args;
  argStorage.push_back(req.mainPath);
  std::vector<const char*> argv;
  for (const auto& a : argStorage) argv.push_back(a.c_str());

  auto invocation = std::make_shared<clang::CompilerInvocation>();
  {
    llvm::IntrusiveRefCntPtr<clang::DiagnosticOptions> dopts(new clang::DiagnosticOptions());
    llvm::IntrusiveRefCntPtr<clang::DiagnosticIDs> ids(new clang::DiagnosticIDs());
    clang::DiagnosticsEngine diags(ids, dopts, cons, false);
    if (!clang::CompilerInvocation::CreateFromArgs(*invocation, argv, diags)) {
      if (cons->diags.empty()) cons->diags.push_back({"error", "invalid compiler arguments", "", 0, 0, ""});
      return false;
    }
  }
  invocation->getFrontendOpts().DisableFree = false;
  invocation->getDiagnosticOpts().ShowCarets = false;  // no "N errors generated." on stderr

  auto overlay = llvm::makeIntrusiveRefCnt<llvm::vfs::OverlayFileSystem>(llvm::vfs::getRealFileSystem());
  auto mem = llvm::makeIntrusiveRefCnt<llvm::vfs::InMemoryFileSystem>();
  mem->addFile(req.mainPath, 0, llvm::MemoryBuffer::getMemBufferCopy(req.mainSource, req.mainPath));
  for (const auto& [path, text] : req.files) mem->addFile(path, 0, llvm::MemoryBuffer::getMemBufferCopy(text, path));
  for (const auto& d : req.stubDirs) mem->addFile(d + "/.tsbcc-stub", 0, llvm::MemoryBuffer::getMemBuffer(""));
  overlay->pushOverlay(mem);
  llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> fs = overlay;
  if (!req.stubDirs.empty()) fs = llvm::makeIntrusiveRefCnt<StubFileSystem>(overlay, mem, req.stubDirs);

  ci.setInvocation(invocation);
  ci.createDiagnostics(cons, false);
  ci.createFileManager(fs);
  return true;
}

Napi::Array diagsToJs(Napi::Env env, const std::vector<Diag>& diags) {
  Napi::Array out = Napi::Array::New(env, diags.size());
  for (size_t i = 0; i < diags.size(); i++) {
    const Diag& d = diags[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("severity", d.severity);
    o.Set("message", d.message);
    o.Set("file", d.file);
    o.Set("line", d.line);
    o.Set("column", d.column);
    o.Set("option", d.option);
    if (!d.macros.empty()) {
      Napi::Array m = Napi::Array::New(env, d.macros.size());
      for (size_t j = 0; j < d.macros.size(); j++) m.Set(j, d.macros[j]);
      o.Set("macros", m);
    }
    out.Set(i, o);
  }
  return out;
}

namespace {

// Stack sizes tried for a clang run, largest first: reserved address space, only touched as
// deep as the input nests (a 1 MB source of casts, `(int)(int)...x`, needs ~1 GB at ~5 KB a
// level). Where the kernel refuses to reserve that much (strict or small-memory overcommit),
// a smaller one is used.
constexpr size_t kCompilerStacks[] = {size_t(3) << 30, size_t(1) << 30, size_t(256) << 20};

void* runFn(void* arg) {
  (*static_cast<const std::function<void()>*>(arg))();
  return nullptr;
}

class ExpansionBudget : public clang::PPCallbacks {
 public:
  explicit ExpansionBudget(clang::Preprocessor& pp) : pp_(pp) {}
  void MacroExpands(const clang::Token& name, const clang::MacroDefinition& md, clang::SourceRange,
                    const clang::MacroArgs*) override {
    const clang::MacroInfo* mi = md.getMacroInfo();
    produced_ += mi ? mi->getNumTokens() : 0;
    if (stopped_ || produced_ <= kMacroTokenBudget) return;
    stopped_ = true;
    clang::DiagnosticsEngine& d = pp_.getDiagnostics();
    unsigned id = d.getCustomDiagID(clang::DiagnosticsEngine::Fatal,
                                    "macro expansion produced more than %0 tokens (a macro that expands "
                                    "exponentially?); compilation stopped");
    d.Report(name.getLocation(), id) << kMacroTokenBudget;
    pp_.SetMacroExpansionOnlyInDirectives();
  }

 private:
  clang::Preprocessor& pp_;
  uint64_t produced_ = 0;
  bool stopped_ = false;
};

class BudgetAction : public clang::WrapperFrontendAction {
 public:
  using WrapperFrontendAction::WrapperFrontendAction;
  bool BeginSourceFileAction(clang::CompilerInstance& ci) override {
    if (!WrapperFrontendAction::BeginSourceFileAction(ci)) return false;
    ci.getPreprocessor().addPPCallbacks(std::make_unique<ExpansionBudget>(ci.getPreprocessor()));
    return true;
  }
};

}  // namespace

void runOnCompilerStack(const std::function<void()>& fn) {
  for (size_t size : kCompilerStacks) {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) break;
    pthread_t t;
    int err = pthread_attr_setstacksize(&attr, size);
    if (err == 0) err = pthread_create(&t, &attr, runFn, const_cast<std::function<void()>*>(&fn));
    pthread_attr_destroy(&attr);
    if (err == 0) {
      pthread_join(t, nullptr);
      return;
    }
  }
  fn();  // no thread could be made: run here, on the caller's stack
}

std::unique_ptr<clang::FrontendAction> withExpansionBudget(std::unique_ptr<clang::FrontendAction> action) {
  return std::make_unique<BudgetAction>(std::move(action));
}

void initBpfTargets() {
  static std::once_flag once;
  std::call_once(once, []() {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
  });
}

}  // namespace tsbcc

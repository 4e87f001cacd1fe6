// Shared pieces of an in-process clang run: diagnostics collection (presumed, #line-aware
// locations), the in-memory overlay file system, and conversion of both to JS values.
#pragma once
#include <clang/Basic/Diagnostic.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Lex/Preprocessor.h>
#include <clang/Frontend/FrontendAction.h>
#include <llvm/Support/VirtualFileSystem.h>
#include <napi.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tsbcc {

struct Diag {
  std::string severity;
  std::string message;
  std::string file;
  unsigned line = 0;
  unsigned column = 0;
  std::string option;
  // The macros the location was expanded from, innermost first, as "NAME@definition file".
  std::vector<std::string> macros;
};

class CollectingConsumer : public clang::DiagnosticConsumer {
 public:
  std::vector<Diag> diags;
  void BeginSourceFile(const clang::LangOptions& lo, const clang::Preprocessor* pp) override {
    langOpts_ = &lo;
    pp_ = pp;
    clang::DiagnosticConsumer::BeginSourceFile(lo, pp);
  }
  void HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) override;

 private:
  const clang::LangOptions* langOpts_ = nullptr;
  const clang::Preprocessor* pp_ = nullptr;
};

// The inputs every clang run shares.
struct SessionRequest {
  std::vector<std::string> args;  // cc1 arguments, without the input file
  std::string mainPath;
  std::string mainSource;
  std::vector<std::pair<std::string, std::string>> files;  // extra in-memory files
  // Directories under which every *.h exists and is empty (kernel includes answered by BTF).
  std::vector<std::string> stubDirs;
};

void parseSessionRequest(const Napi::Object& o, SessionRequest& r);

// Creates a CompilerInstance over the request's files. Returns false (with diagnostics in
// `cons`) when the arguments are invalid.
bool setupInstance(clang::CompilerInstance& ci, const SessionRequest& req, CollectingConsumer* cons,
                   std::vector<std::string>& argStorage);

Napi::Array diagsToJs(Napi::Env env, const std::vector<Diag>& diags);

void initBpfTargets();

// Hostile input must not crash the process. clang's parser and Sema recurse once per level of
// expression nesting (`!!!!x`, `1+1+...+1`: ~400 bytes a level), so stock clang overflows its
// 8 MB stack at ~20,000 levels and dies with SIGSEGV (casts take ~5 KB a level). Every clang
// run therefore happens on a thread with a 3 GiB stack (reserved address space, touched only as
// deep as the input goes; smaller where the kernel will not reserve it), and...
void runOnCompilerStack(const std::function<void()>& fn);

// ...the depth macros can add is bounded: a run's macro expansions may produce at most
// kMacroTokenBudget tokens (262,144: BPF_CORE_READ costs a few hundred). Past it, a fatal
// diagnostic is reported at the expansion and macros are no longer expanded (a macro doubling
// itself 24 times asks for 16 million tokens; stock clang grinds through them and then
// overflows). The source text itself is checked before (src/compiler/nesting.ts). Wraps the
// run's FrontendAction.
constexpr unsigned kMacroTokenBudget = 1u << 18;
std::unique_ptr<clang::FrontendAction> withExpansionBudget(std::unique_ptr<clang::FrontendAction> action);

}  // namespace tsbcc

// In-process C -> BPF compilation through clang's C++ API. Thin: TypeScript chooses the
// arguments and virtual files; this file runs clang and reports object bytes and diagnostics.
#include <clang/Basic/Version.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendActions.h>
#include <llvm/ADT/SmallString.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/raw_ostream.h>

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
  // Run the compile in a forked child, whose memory is released at its exit.
  bool isolate = false;
  // The module may have CO-RE accesses: run alone among those that may, the CO-RE pass's state
  // emptied before and after (in-process, instead of `isolate`).
  bool core = false;
};

struct Result {
  std::string output;
  std::vector<Diag> diags;
  bool ok = false;
};

// `locked`: hold the fork lock shared (in the parent). A forked child must not touch it: the
// parent's other threads may be queued on it, a state the child inherits but can never leave.
Result runCompile(const Request& req, bool locked = true) {
  initBpfTargets();
  std::shared_lock<std::shared_mutex> inLlvm(clangForkLock(), std::defer_lock);
  if (locked) inLlvm.lock();
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
  // (a forked child has the process to itself, and must not wait on a lock the parent held)
  bool core = req.core && locked;
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

void putString(std::string& out, const std::string& s) {
  uint32_t n = s.size();
  out.append(reinterpret_cast<const char*>(&n), 4);
  out.append(s);
}

bool getString(const std::string& in, size_t& pos, std::string& s) {
  if (pos + 4 > in.size()) return false;
  uint32_t n;
  memcpy(&n, in.data() + pos, 4);
  pos += 4;
  if (pos + n > in.size()) return false;
  s.assign(in, pos, n);
  pos += n;
  return true;
}

std::string serialize(const Result& r) {
  std::string out(1, r.ok ? '\1' : '\0');
  putString(out, r.output);
  putString(out, std::to_string(r.diags.size()));
  for (const Diag& d : r.diags) {
    putString(out, d.severity);
    putString(out, d.message);
    putString(out, d.file);
    putString(out, std::to_string(d.line));
    putString(out, std::to_string(d.column));
    putString(out, d.option);
  }
  return out;
}

bool deserialize(const std::string& in, Result& r) {
  if (in.empty()) return false;
  size_t pos = 1;
  r.ok = in[0] == '\1';
  std::string count;
  if (!getString(in, pos, r.output) || !getString(in, pos, count)) return false;
  size_t n = std::stoul(count);
  for (size_t i = 0; i < n; i++) {
    Diag d;
    std::string line, col;
    if (!getString(in, pos, d.severity) || !getString(in, pos, d.message) || !getString(in, pos, d.file) ||
        !getString(in, pos, line) || !getString(in, pos, col) || !getString(in, pos, d.option))
      return false;
    d.line = std::stoul(line);
    d.column = std::stoul(col);
    r.diags.push_back(std::move(d));
  }
  return true;
}

Result runIsolated(const Request& req) {
  Result res;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    res.diags.push_back({"error", std::string("pipe: ") + strerror(errno), "", 0, 0, ""});
    return res;
  }
  pid_t pid;
  {
    std::unique_lock<std::shared_mutex> noneInLlvm(clangForkLock());
    pid = fork();
  }
  if (pid < 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    res.diags.push_back({"error", std::string("fork: ") + strerror(e), "", 0, 0, ""});
    return res;
  }
  if (pid == 0) {
    close(fds[0]);
    Result r = runCompile(req, false);
    std::string out = serialize(r);
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = write(fds[1], out.data() + off, out.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(2);
      off += n;
    }
    _exit(0);
  }
  close(fds[1]);
  std::string in;
  char buf[65536];
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    int pr = poll(&p, 1, 120000);
    if (pr == 0) {
      kill(pid, SIGKILL);
      break;
    }
    if (pr < 0 && errno == EINTR) continue;
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buf, n);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!deserialize(in, res)) {
    res = Result();
    std::string why = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                          : "exit status " + std::to_string(WEXITSTATUS(status));
    res.diags.push_back({"error", "the compiler process failed (" + why + ")", "", 0, 0, ""});
  }
  return res;
}

Result runRequest(const Request& req) {
  Result r;
  // an isolated run forks from the big-stack thread, so the child has its stack too
  runOnCompilerStack([&]() { r = req.isolate ? runIsolated(req) : runCompile(req); });
  malloc_trim(0);  // give LLVM's freed memory back to the system
  return r;
}

Request parseRequest(const Napi::Object& o) {
  Request r;
  parseSessionRequest(o, r);
  r.emit = o.Has("emit") ? o.Get("emit").As<Napi::String>().Utf8Value() : "obj";
  if (o.Has("outputPath")) r.outputPath = o.Get("outputPath").As<Napi::String>().Utf8Value();
  if (o.Has("isolate")) r.isolate = o.Get("isolate").ToBoolean().Value();
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

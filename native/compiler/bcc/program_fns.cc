// Program functions: section per naming convention, always_inline for static helpers, the
// dialect's checks on definitions and calls, and kprobe-style parameter rewriting (extra
// parameters become locals read from ctx registers; syscall__ functions read the wrapped
// syscall's pt_regs).
#include <clang/AST/Attr.h>
#include <clang/Lex/Lexer.h>
#include <llvm/Support/raw_ostream.h>

#include "compiler/bcc/context.h"

namespace tsbcc::bcc {

namespace {

const char* kArgRegs[] = {"di", "si", "dx", "cx", "r8", "r9"};
const char* kSyscallRegs[] = {"di", "si", "dx", "r10", "r8", "r9"};

bool startsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// The ELF section a program function goes to, by the naming rules TS hands over.
std::string sectionFor(const Context& c, const std::string& name) {
  for (const SectionRule& r : c.opts.sectionRules) {
    if (!startsWith(name, r.prefix.c_str())) continue;
    std::string rest = name.substr(r.prefix.size());
    if (!r.splitLast) return r.section + rest;
    size_t sep = rest.rfind("__");
    if (sep != std::string::npos) return r.section + rest.substr(0, sep) + "/" + rest.substr(sep + 2);
  }
  return ".bpf.fn." + name;
}

bool readsSyscallArgs(const Context& c, const std::string& name) {
  for (const std::string& p : c.opts.syscallArgPrefixes)
    if (startsWith(name, p.c_str())) return true;
  return false;
}

std::string declare(Context& c, const clang::ParmVarDecl* p) {
  std::string s;
  llvm::raw_string_ostream os(s);
  p->getType().print(os, c.ast.getPrintingPolicy(), p->getName());
  return os.str();
}

void rewriteParams(Context& c, clang::FunctionDecl* fn) {
  unsigned n = fn->getNumParams();
  if (n <= 1 || !fn->hasBody()) return;
  const clang::ParmVarDecl* first = fn->getParamDecl(0);
  const clang::ParmVarDecl* last = fn->getParamDecl(n - 1);
  if (first->getBeginLoc().isMacroID() || last->getEndLoc().isMacroID()) return;
  std::string name = fn->getName().str();
  bool syscall = readsSyscallArgs(c, name);
  std::string ctx = first->getName().str();
  std::string pre;
  if (syscall) pre += " struct pt_regs *__" + ctx + " = (struct pt_regs *)" + ctx + "->di;";
  for (unsigned i = 1; i < n; i++) {
    const clang::ParmVarDecl* p = fn->getParamDecl(i);
    if (!p->isUsed() && !p->isReferenced()) continue;
    std::string decl = declare(c, p);
    std::string pn = p->getName().str();
    if (syscall)
      pre += " " + decl + "; bpf_probe_read_kernel(&" + pn + ", sizeof(" + pn + "), &__" + ctx + "->" +
             kSyscallRegs[i - 1] + ");";
    else
      pre += " " + decl + " = (" + p->getType().getAsString(c.ast.getPrintingPolicy()) + ")" + ctx + "->" +
             kArgRegs[i - 1] + ";";
  }
  clang::SourceLocation from = clang::Lexer::getLocForEndOfToken(first->getEndLoc(), 0, c.sm(), c.ast.getLangOpts());
  clang::SourceLocation to = clang::Lexer::getLocForEndOfToken(last->getEndLoc(), 0, c.sm(), c.ast.getLangOpts());
  c.rw.RemoveText(clang::CharSourceRange::getCharRange(from, to));
  auto* body = llvm::cast<clang::CompoundStmt>(fn->getBody());
  c.rw.InsertTextAfterToken(body->getLBracLoc(), pre);
}

}  // namespace

void handleProgramFunction(Context& c, clang::FunctionDecl* fn) {
  std::string name = fn->getName().str();
  ProgramDecl p;
  p.name = name;
  p.line = c.sm().getPresumedLineNumber(fn->getLocation());
  for (const clang::ParmVarDecl* param : fn->parameters()) {
    if (param->getName().empty()) {
      c.error(param->getLocation(), "arguments to BPF program definition must be named");
      return;
    }
  }
  if (fn->getNumParams() > 7) {
    c.error(fn->getParamDecl(7)->getLocation(),
            "too many arguments, bcc only supports in-register parameters");
    return;
  }
  if (auto* sec = fn->getAttr<clang::SectionAttr>()) {
    p.section = sec->getName().str();
  } else {
    p.section = sectionFor(c, name);
    clang::SourceLocation at = c.sm().getExpansionLoc(fn->getOuterLocStart());
    c.rw.InsertTextBefore(at, "__attribute__((section(\"" + p.section + "\"))) ");
  }
  rewriteParams(c, fn);
  c.programs.push_back(p);
}

void handleStaticFunction(Context& c, clang::FunctionDecl* fn) {
  if (fn->hasAttr<clang::AlwaysInlineAttr>() || fn->hasAttr<clang::NoInlineAttr>()) return;
  clang::SourceLocation at = fn->getOuterLocStart();
  if (at.isMacroID()) return;
  c.rw.InsertTextBefore(at, "__attribute__((always_inline)) ");
}

bool checkCall(Context& c, clang::CallExpr* call) {
  const clang::FunctionDecl* fd = call->getDirectCallee();
  if (!fd) return false;
  const clang::FunctionDecl* def = nullptr;
  if (!fd->hasBody(def) || !def) return false;
  if (!c.inMainFile(def->getLocation()) || !def->isExternallyVisible() || def->isInlined()) return false;
  c.error(call->getBeginLoc(), "cannot call non-static helper function " + fd->getName().str());
  return true;
}

}  // namespace tsbcc::bcc

// The BCC dialect rewriter's shared state: one instance per translation unit. Each concept
// (map declarations, table methods, packet access, builtins, probe parameters, probe reads)
// lives in its own file and works on this context. All edits are textual (clang::Rewriter)
// on the main file only, and never add or remove a line, so clang's line numbers in the
// rewritten text stay the user's.
#pragma once
#include <clang/AST/ASTContext.h>
#include <clang/AST/Decl.h>
#include <clang/AST/Expr.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Rewrite/Core/Rewriter.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tsbcc::bcc {

// A map the program declares (section "maps/<kind>[$inner][:<pin>]").
struct MapDecl {
  std::string name;
  std::string kind;       // "hash", "array", "perf_output", ...
  std::string inner;      // for *_of_maps: the template map's name
  std::string pinPath;    // from ":<path>"
  unsigned type = 0;      // kernel map type
  unsigned keySize = 0;
  unsigned valueSize = 0;
  unsigned maxEntries = 0;
  unsigned flags = 0;
  std::string keyType;    // C spelling used in the emitted definition
  std::string valueType;
  bool isExtern = false;  // BPF_TABLE("extern", ...): refers to a map declared elsewhere
  bool isShared = false;  // *_PUBLIC / *_SHARED marker recorded on the table
  unsigned line = 0;
};

// A program function (externally visible, has a body, in the main file).
struct ProgramDecl {
  std::string name;
  std::string section;
  unsigned line = 0;
};

// An event struct recorded for an output map (perf_submit / ringbuf_output / ringbuf_submit).
struct EventDecl {
  std::string map;
  std::string type;  // C spelling of the struct
  std::vector<std::string> fields;  // "name#type" as BCC records them
};

// The section a program function without one gets, by its name prefix (from TS's naming table,
// src/compiler/program-naming.ts): `section` + the rest of the name, or with splitLast the rest's
// last "__" turned into "/" (tracepoint__sched__sched_switch -> tracepoint/sched/sched_switch).
struct SectionRule {
  std::string prefix;
  std::string section;
  bool splitLast = false;
};

struct Options {
  std::vector<SectionRule> sectionRules;
  // Name prefixes whose extra parameters are read from the wrapped syscall's pt_regs.
  std::vector<std::string> syscallArgPrefixes;
  unsigned nPossibleCpus = 1;
  unsigned nOnlineCpus = 1;
  unsigned pageSize = 4096;
};

class Context {
 public:
  Context(clang::ASTContext& ast, clang::Rewriter& rw, const Options& opts) : ast(ast), rw(rw), opts(opts) {}

  clang::ASTContext& ast;
  clang::Rewriter& rw;
  const Options& opts;
  clang::SourceManager& sm() const { return ast.getSourceManager(); }

  std::vector<MapDecl> maps;
  std::map<const clang::VarDecl*, size_t> mapIndex;
  std::vector<ProgramDecl> programs;
  std::vector<EventDecl> events;
  std::set<unsigned> replacedMacros;  // file offsets of map macro invocations already replaced

  // The current program function and its context parameter's name.
  const clang::FunctionDecl* currentFn = nullptr;
  std::string ctxName;
  // Implicit kernel-memory reads: the context parameter when it is a tracing context, and the
  // kernel-pointer level of what the program holds: 1 = the value is a pointer into kernel
  // memory; n > 1 = it points to program memory (stack, map value) whose (n-1)-th dereference
  // is one (`struct sock **pp = &sk` is 2). Levels of variables, parameters and fields of the
  // program's own structs (`l.ptr`, `lp->ptr`), of static helpers' results, of maps' values.
  const clang::ParmVarDecl* tracingCtx = nullptr;
  std::map<const clang::ValueDecl*, int> levels;
  std::map<const clang::FunctionDecl*, int> fnLevels;
  std::map<std::string, int> mapValueLevels;
  unsigned coreReads = 0;  // probe reads emitted with CO-RE relocations

  // Reports a diagnostic at `loc` (error unless `warning`).
  void error(clang::SourceLocation loc, const std::string& msg);
  void warning(clang::SourceLocation loc, const std::string& msg);

  // Text of a range after the edits made so far.
  std::string text(clang::SourceRange r) const;
  std::string text(const clang::Expr* e) const { return text(e->getSourceRange()); }
  // The main-file characters a range was written as: valid when the range is plain text, or
  // begins and ends at the edges of whole macro expansions (`sk->sk_daddr` with sk_daddr an
  // alias macro, `TCP_SKB_CB(skb)->seq`); invalid when it is part of one macro's expansion.
  clang::CharSourceRange fileRange(clang::SourceRange r) const;
  std::string text(clang::CharSourceRange r) const { return rw.getRewrittenText(r); }
  // True when any part of the range comes from a macro expansion.
  bool inMacro(clang::SourceRange r) const { return r.getBegin().isMacroID() || r.getEnd().isMacroID(); }
  bool inMainFile(clang::SourceLocation loc) const;

  // The map a declaration refers to, or nullptr.
  const MapDecl* mapOf(const clang::Expr* e) const;

  // A C spelling of a type (named types by name; anonymous ones through typeof).
  std::string typeName(clang::QualType t) const;
};

// Map declarations (map_decls.cc): recognise a variable in a "maps/..." section, record it and
// replace its declaration with a libbpf BTF-defined map.
bool handleMapDecl(Context& c, clang::VarDecl* v);
// The kernel map type for a BCC kind, 0 when unknown.
unsigned mapTypeForKind(const std::string& kind);

// Table methods (table_methods.cc): `map.method(args)` calls; `map.key` / `map.leaf` uses.
bool rewriteTableCall(Context& c, clang::CallExpr* call);
bool rewriteTableMember(Context& c, clang::MemberExpr* me);

// Packet access (packet_access.cc): reads and writes of proto.h header fields.
bool rewritePacketRead(Context& c, clang::ImplicitCastExpr* cast);
bool rewritePacketWrite(Context& c, clang::BinaryOperator* op);

// Builtins (builtins.cc): bpf_trace_printk, bpf_num_cpus, incr_cksum_l3/l4.
bool rewriteBuiltinCall(Context& c, clang::CallExpr* call);

// Program functions (program_fns.cc): sections, inlining of helpers, kprobe parameters.
void handleProgramFunction(Context& c, clang::FunctionDecl* fn);
void handleStaticFunction(Context& c, clang::FunctionDecl* fn);
bool checkCall(Context& c, clang::CallExpr* call);

// Implicit kernel-memory reads (probe_reads.cc): seed and propagate external pointers over a
// function body, then rewrite reads through them as CO-RE probe reads.
void analyzeProbeReads(Context& c, const std::vector<clang::FunctionDecl*>& programs);
void beginProbeReads(Context& c, clang::FunctionDecl* fn, bool program);
bool rewriteProbeRead(Context& c, clang::ImplicitCastExpr* cast);

}  // namespace tsbcc::bcc

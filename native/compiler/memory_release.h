// Giving back the memory a compile leaves mapped: freed heap and the addon's clang/LLVM code.
#pragma once
#include <clang/Frontend/FrontendAction.h>

#include <memory>

namespace tsbcc {

// malloc_trim(0), then drops this process's resident pages of the addon's code and read-only
// data (never written: they stay in the page cache and fault back in when run again). Safe at
// any time, also while another thread runs that code. Returns the bytes of the ranges dropped.
double releaseCompilerMemory();

// The points between a compile's phases where it releases. Each point is its own function,
// releaseAt<P>, so that a profile can be cut at them (scripts/text-order/run.sh dumps
// callgrind's counts before each, and orders the addon's code phase by phase).
enum ReleasePoint : int {
  kBeforeRewrite = 1,   // a rewrite starts (after the kernel header's BTF dump)
  kBeforeCodegen = 2,   // a code generation starts (after the rewrite)
  kParsed = 3,          // its parsing ended, IR generation finishes next
  kPipelineStart = 4,   // the -O2 pipeline starts
  kOptimizerEarly = 5,  // its simplification half ended
  kOptimizerLast = 6,   // its optimisation half ended: instruction selection, emission next
  kIdle = 7,            // no compile runs (compilerRelease)
};

// releaseCompilerMemory() at point P (instantiated for each ReleasePoint).
template <int P>
double releaseAt();

// Wraps a code-generating action so that each phase's code pages are dropped when it ends:
// the frontend's (lexer, parser, Sema) when parsing ends, then the optimisation pipeline's at
// its start, middle and end (before code generation). A compile's peak RSS then holds the
// largest phase's code instead of all of them (~15 MB).
std::unique_ptr<clang::FrontendAction> withPhasesReleased(std::unique_ptr<clang::FrontendAction> action);

}  // namespace tsbcc

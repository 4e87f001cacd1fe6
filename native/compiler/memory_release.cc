// The addon statically links clang and LLVM (~48 MB of code): a compile touches ~15 MB of it,
// and those pages stay resident (counted in RSS) after it. They are clean file pages, so
// dropping them loses nothing but a page fault when the code runs again.
#include "compiler/memory_release.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/MultiplexConsumer.h>
#include <llvm/IR/PassManager.h>
#include <llvm/Passes/PassBuilder.h>

#include <link.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <utility>
#include <vector>

namespace tsbcc {
namespace {

// The segments of the object holding `addr` (this addon) that are never written, page-aligned.
struct TextRanges {
  uintptr_t addr;
  std::vector<std::pair<uintptr_t, size_t>> ranges;
};

int findText(struct dl_phdr_info* info, size_t, void* data) {
  auto* t = static_cast<TextRanges*>(data);
  bool mine = false;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && t->addr >= lo && t->addr < lo + ph.p_memsz) mine = true;
  }
  if (!mine) return 0;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  // the read-only-after-relocation range: written by the loader, so its pages must stay
  uintptr_t relroLo = 0, relroHi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_GNU_RELRO) continue;
    relroLo = (info->dlpi_addr + ph.p_vaddr) & ~(page - 1);
    relroHi = info->dlpi_addr + ph.p_vaddr + ph.p_memsz;
  }
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    // code and read-only data never written (no text relocations, not RELRO): dropping their
    // pages loses nothing
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W)) continue;
    uintptr_t lo = (info->dlpi_addr + ph.p_vaddr + page - 1) & ~(page - 1);
    uintptr_t hi = (info->dlpi_addr + ph.p_vaddr + ph.p_filesz) & ~(page - 1);
    if (relroHi > relroLo && lo < relroHi && hi > relroLo) continue;
    if (hi > lo) t->ranges.emplace_back(lo, hi - lo);
  }
  return 1;
}

// Sees the end of parsing (first in a MultiplexConsumer, so before code generation's consumer
// emits the module and runs the backend) and drops the pages the frontend used.
class FrontendDone : public clang::ASTConsumer {
 public:
  void HandleTranslationUnit(clang::ASTContext&) override { releaseAt<kParsed>(); }
};

// A module pass that drops the pages the passes before it used.
template <int P>
struct ReleasePass : llvm::PassInfoMixin<ReleasePass<P>> {
  llvm::PreservedAnalyses run(llvm::Module&, llvm::ModuleAnalysisManager&) {
    releaseAt<P>();
    return llvm::PreservedAnalyses::all();
  }
  static bool isRequired() { return true; }
};

class PhasesReleased : public clang::WrapperFrontendAction {
 public:
  using WrapperFrontendAction::WrapperFrontendAction;

 protected:
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance& ci, llvm::StringRef in) override {
    std::unique_ptr<clang::ASTConsumer> inner = WrapperFrontendAction::CreateASTConsumer(ci, in);
    if (!inner) return inner;
    // the backend's phases: the optimisation pipeline in two halves (simplification, then
    // optimisation), then code generation; each starts with the previous one's pages dropped
    ci.getCodeGenOpts().PassBuilderCallbacks.push_back([](llvm::PassBuilder& pb) {
      pb.registerPipelineStartEPCallback(
          [](llvm::ModulePassManager& mpm, llvm::OptimizationLevel) { mpm.addPass(ReleasePass<kPipelineStart>()); });
      pb.registerOptimizerEarlyEPCallback(
          [](llvm::ModulePassManager& mpm, llvm::OptimizationLevel) { mpm.addPass(ReleasePass<kOptimizerEarly>()); });
      pb.registerOptimizerLastEPCallback(
          [](llvm::ModulePassManager& mpm, llvm::OptimizationLevel) { mpm.addPass(ReleasePass<kOptimizerLast>()); });
    });
    std::vector<std::unique_ptr<clang::ASTConsumer>> both;
    both.push_back(std::make_unique<FrontendDone>());
    both.push_back(std::move(inner));
    return std::make_unique<clang::MultiplexConsumer>(std::move(both));
  }
};

}  // namespace

double releaseCompilerMemory() {
  malloc_trim(0);
  TextRanges t{reinterpret_cast<uintptr_t>(&findText), {}};
  dl_iterate_phdr(findText, &t);
  double released = 0;
  for (const auto& [lo, len] : t.ranges) {
    if (madvise(reinterpret_cast<void*>(lo), len, MADV_DONTNEED) == 0) released += static_cast<double>(len);
  }
  return released;
}

template <int P>
[[gnu::noinline]] double releaseAt() {
  return releaseCompilerMemory();
}
template double releaseAt<kBeforeRewrite>();
template double releaseAt<kBeforeCodegen>();
template double releaseAt<kParsed>();
template double releaseAt<kPipelineStart>();
template double releaseAt<kOptimizerEarly>();
template double releaseAt<kOptimizerLast>();
template double releaseAt<kIdle>();

std::unique_ptr<clang::FrontendAction> withPhasesReleased(std::unique_ptr<clang::FrontendAction> action) {
  return std::make_unique<PhasesReleased>(std::move(action));
}

}  // namespace tsbcc

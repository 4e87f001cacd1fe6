// Debian's LLVM 19 is built with Polly registered as a static pass-builder extension; when the
// addon links LLVM statically (without Polly), the registration hook must still resolve. tsbcc
// never runs Polly, so the hook reports an empty plugin.
#include <llvm/Passes/PassPlugin.h>

__attribute__((weak)) llvm::PassPluginLibraryInfo getPollyPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "tsbcc-no-polly", "0", [](llvm::PassBuilder&) {}};
}

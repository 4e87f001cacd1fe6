#include "bpf/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace tsbcc {

static thread_local std::string* tlsLog = nullptr;

static int printFn(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (!tlsLog || level == LIBBPF_DEBUG) return 0;
  char buf[4096];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  if (n > 0) tlsLog->append(buf, std::min<size_t>(n, sizeof buf - 1));
  return 0;
}

void installLibbpfPrint() {
  static std::once_flag once;
  std::call_once(once, []() { libbpf_set_print(printFn); });
}

LibbpfLogCapture::LibbpfLogCapture() {
  installLibbpfPrint();
  tlsLog = new std::string();
}
LibbpfLogCapture::~LibbpfLogCapture() {
  delete tlsLog;
  tlsLog = nullptr;
}
std::string LibbpfLogCapture::text() const { return tlsLog ? *tlsLog : std::string(); }

}  // namespace tsbcc

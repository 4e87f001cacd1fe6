// Captures libbpf's log output on the current thread while a scope is alive.
#pragma once
#include <string>

namespace tsbcc {

class LibbpfLogCapture {
 public:
  LibbpfLogCapture();
  ~LibbpfLogCapture();
  std::string text() const;
};

void installLibbpfPrint();

}  // namespace tsbcc

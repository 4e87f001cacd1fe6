// Module registry: each native area registers its exports with a static Registrar, so the
// addon's init needs no central list.
#pragma once
#include <napi.h>

namespace tsbcc {

using InitFn = void (*)(Napi::Env env, Napi::Object exports);

void registerModule(const char* name, InitFn fn);

struct Registrar {
  Registrar(const char* name, InitFn fn) { registerModule(name, fn); }
};

// Throws a JS Error carrying errno, its symbolic code and the failing call.
[[noreturn]] void throwErrno(Napi::Env env, const char* call, int err, const std::string& detail = "");

// Builds (without throwing) an Error object carrying errno fields.
Napi::Error errnoError(Napi::Env env, const char* call, int err, const std::string& detail = "");

}  // namespace tsbcc

#define TSBCC_MODULE(name, fn) static ::tsbcc::Registrar tsbcc_registrar_##name(#name, fn)

#!/usr/bin/env bash
# LLVM's BPF CO-RE pass (BPFAbstractMemberAccess) keeps the globals it makes for each access in
# a static map that nothing empties: a second module with the same access would get a global of
# a freed module. This copies that pass's object out of Debian's libLLVMBPFCodeGen.a with the
# map renamed to a global symbol, tsbcc_bpf_gep_globals, so native/compiler/clang_compile.cc can
# empty it between code generations. Linked as an archive ahead of LLVM's, so
# --exclude-libs keeps its symbols out of the addon's dynamic table like the rest of LLVM.
# Usage: bpf-ama-archive.sh LLVM_LIB_DIR OUT.a
set -euo pipefail
lib="$1/libLLVMBPFCodeGen.a"
out="$2"
member=BPFAbstractMemberAccess.cpp.o
sym=_ZN12_GLOBAL__N_123BPFAbstractMemberAccess10GEPGlobalsB5cxx11E
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && ar x "$lib" "$member")
objcopy --redefine-sym "$sym=tsbcc_bpf_gep_globals" "$tmp/$member" "$tmp/renamed.o"
objcopy --globalize-symbol tsbcc_bpf_gep_globals "$tmp/renamed.o" "$tmp/ama.o"
nm "$tmp/ama.o" | grep -q ' B tsbcc_bpf_gep_globals$' || {
  echo "bpf-ama-archive.sh: $member of $lib has no map $sym (an LLVM upgrade? see native/compiler/clang_compile.cc)" >&2
  exit 1
}
rm -f "$out"
ar rcs "$out" "$tmp/ama.o"

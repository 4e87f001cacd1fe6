#!/usr/bin/env bash
# Regenerates native/compiler/text-order.txt.gz: the addon's functions that a typical compile
# runs, grouped by the phases they run in (callgrind over workload.mjs, compile and load of
# corpus programs, in the forked codegen child too; see extract.mjs). The linker (lld
# --symbol-ordering-file) packs them together at the front of the text, so a compile touches a
# few MB of code instead of pages all over the 48 MB of clang and LLVM (page faults map 64 KB
# around each one), and each phase, whose pages are dropped when it ends, mostly its own. Run
# it after an LLVM upgrade or a large compiler change; names that no longer exist are ignored
# by the link.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
if ! command -v valgrind >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi
bash scripts/bootstrap.sh
work="$(mktemp -d /tmp/tsbcc-text-order.XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "text-order: relinking the addon with its symbols in $work" >&2
cp -a binding.gyp package.json native build dist "$work/"
for d in node_modules include test; do ln -s "$root/$d" "$work/$d"; done
(cd "$work" && TSBCC_KEEP_SYMBOLS=1 npx node-gyp configure >/dev/null && npx node-gyp build -j "$(nproc)" >/dev/null)

echo "text-order: running the compile workload under callgrind" >&2
# a dump before every releaseAt<P> (a compile's phase boundaries) cuts the profile into phases;
# a fresh cache directory makes every compile dump its kernel header from BTF
TSBCC_CACHE_DIR="$work/cache" valgrind --tool=callgrind --demangle=no --dump-instr=no \
  --dump-before='_ZN5tsbcc9releaseAtILi*' --callgrind-out-file="$work/cg.%p" \
  node scripts/text-order/workload.mjs "$work" 2>"$work/valgrind.log" || {
  tail -20 "$work/valgrind.log" >&2
  exit 1
}
node scripts/text-order/extract.mjs tsbcc.node "$work"/cg.* >"$work/order.txt"
gzip -9n <"$work/order.txt" >native/compiler/text-order.txt.gz
echo "text-order: $(wc -l <"$work/order.txt") functions -> native/compiler/text-order.txt.gz" >&2

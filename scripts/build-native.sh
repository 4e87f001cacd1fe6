#!/usr/bin/env bash
# Builds the native addon; serialised with a lock so concurrent builds do not collide. Output
# goes to a log under $TMPDIR and is shown only when the build fails.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/tsbcc-native-build.lock
flock 9
mkdir -p build
log="${TMPDIR:-/tmp}/tsbcc-native-build.$$.log"
sources="$(find native -name '*.cc' | sort | md5sum)"
# A stale Makefile (binding.gyp or the list of sources changed) is regenerated; make then
# rebuilds only what the new commands change (a link flag relinks without recompiling).
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ] || [ "$sources" != "$(cat build/.sources 2>/dev/null)" ]; then
  configure=1
else
  configure=0
fi
# The text order is a link input make does not track (it is a flag): relink when it changed.
linked=build/Release/obj.target/tsbcc.node
if [ -f "$linked" ] && [ native/compiler/text-order.txt.gz -nt "$linked" ]; then rm -f "$linked"; fi
if ! { [ "$configure" = 0 ] || npx node-gyp configure; } >"$log" 2>&1 || ! npx node-gyp build -j "$(nproc)" >>"$log" 2>&1; then
  grep -E 'error|Error' "$log" | head -40 >&2 || tail -40 "$log" >&2
  echo "native build failed; full log in $log" >&2
  exit 1
fi
echo "$sources" > build/.sources
rm -f "$log"

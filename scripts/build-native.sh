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
if [ -f build/Makefile ] && [ build/Makefile -nt binding.gyp ] && [ "$sources" = "$(cat build/.sources 2>/dev/null)" ]; then
  step=(build)
else
  step=(rebuild)
fi
if ! npx node-gyp "${step[@]}" -j "$(nproc)" >"$log" 2>&1; then
  grep -E 'error|Error' "$log" | head -40 >&2 || tail -40 "$log" >&2
  echo "native build failed; full log in $log" >&2
  exit 1
fi
echo "$sources" > build/.sources
rm -f "$log"

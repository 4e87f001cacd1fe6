#!/usr/bin/env bash
# Builds the native addon; serialised with a lock so concurrent builds do not collide.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/tsbcc-native-build.lock
flock 9
if [ -f build/Makefile ] && [ build/Makefile -nt binding.gyp ] && [ "$(find native -name '*.cc' | sort | md5sum)" = "$(cat build/.sources 2>/dev/null)" ]; then
  npx node-gyp build -j "$(nproc)" >/dev/null
else
  npx node-gyp rebuild -j "$(nproc)" >/dev/null
  find native -name '*.cc' | sort | md5sum > build/.sources
fi

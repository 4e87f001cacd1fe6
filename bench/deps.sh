#!/usr/bin/env bash
# Installs the peers the benchmarks compare against (not needed for tests): BCC's Python
# bindings and pyroute2. Idempotent.
set -euo pipefail
need=()
for p in python3-bpfcc python3-pyroute2 linux-headers-amd64; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

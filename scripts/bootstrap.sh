#!/usr/bin/env bash
# One-step set-up, run by `npm start` and `npm test` before anything else. Idempotent: when
# everything is in place it only checks and returns.
#  1. Debian packages the project needs (installed when missing)
#  2. bpffs and tracefs (mounted when missing)
#  3. npm dependencies (npm ci when package-lock.json changed)
#  4. the native addon and the TypeScript (rebuilt when their sources changed)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  clang-19 libclang-cpp19-dev libclang-19-dev llvm-19-dev lld-19
  libbpf-dev libelf-dev zlib1g-dev libzstd-dev linux-libc-dev
  pkg-config make g++ python3
  iproute2 iputils-ping iperf3 curl bpftool
  chromium # the tunnel_monitor web page is tested in headless Chromium
  dnsmasq-base isc-dhcp-client # distributed_bridge's dhcp mode (a DHCP server and client)
)

log() { printf 'bootstrap: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then missing+=("$p"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! grep -qs ' /sys/fs/bpf bpf ' /proc/mounts; then
  log "mounting bpffs at /sys/fs/bpf"
  as_root mount -t bpf bpf /sys/fs/bpf
fi
if ! grep -qs ' tracefs ' /proc/mounts; then
  log "mounting tracefs at /sys/kernel/tracing"
  as_root mount -t tracefs tracefs /sys/kernel/tracing
fi
as_root mkdir -p /run/netns

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

addon=build/Release/tsbcc.node
if [ ! -f "$addon" ] || [ -n "$(find native binding.gyp -newer "$addon" \( -name '*.cc' -o -name '*.h' -o -name binding.gyp -o -name text-order.txt.gz \) -print -quit)" ]; then
  log "building the native addon"
  bash scripts/build-native.sh
fi

# the tc kind registry: one import per kind file under src/netlink/tc/ (rewritten only on change)
node scripts/gen-tc-kinds.mjs

if [ ! -f dist/.tsbuildinfo ] || [ -n "$(find src examples simulation tools bench native tsconfig.json -newer dist/.tsbuildinfo \( -name '*.ts' -o -name tsconfig.json \) -print -quit 2>/dev/null)" ]; then
  log "compiling TypeScript"
  npx tsc -p tsconfig.json
fi

# `tsbcc tool` as one module (start-up time; see scripts/bundle-tools.mjs), after each tsc emit.
if [ ! -f dist/src/cli/tool.bundle.mjs ] || [ dist/.tsbuildinfo -nt dist/src/cli/tool.bundle.mjs ]; then
  log "bundling tsbcc tool"
  node scripts/bundle-tools.mjs
fi

# The package entry as one module (`import 'tsbcc'`'s memory; see scripts/bundle-entry.mjs),
# after each tsc emit.
if [ ! -f dist/src/index.bundle.mjs ] || [ dist/.tsbuildinfo -nt dist/src/index.bundle.mjs ]; then
  log "bundling the package entry"
  node scripts/bundle-entry.mjs
fi

# The dialect headers' kernel-header roots, for a first compile with an empty cache (see
# scripts/dialect-roots.mjs); ~0.2 s, rewritten each time (its name depends on the headers).
node scripts/dialect-roots.mjs

# The examples' web pages (d3 bundled with esbuild) are built when their sources changed.
if [ ! -f dist/web/tunnel_monitor/dashboard.js ] || [ -n "$(find examples -path '*/web/*' -newer dist/web/tunnel_monitor/dashboard.js -print -quit 2>/dev/null)" ] || [ package-lock.json -nt dist/web/tunnel_monitor/dashboard.js ]; then
  log "bundling the examples' web pages"
  node scripts/build-web.mjs
fi

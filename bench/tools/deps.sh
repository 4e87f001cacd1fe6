#!/usr/bin/env bash
# Installs BCC's tools (Debian bpfcc-tools: /usr/sbin/<tool>-bpfcc, BCC 0.26) on top of the
# peers bench/deps.sh installs (python3-bpfcc, linux-headers-amd64). Idempotent; only the
# tools benchmark needs it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../deps.sh"
if ! dpkg-query -W -f='${Status}' bpfcc-tools 2>/dev/null | grep -q "ok installed"; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends bpfcc-tools >/dev/null
fi

#!/usr/bin/env bash
# Prepares the second test kernel (Debian's 6.1 linux-image-amd64 under qemu). Idempotent: when
# everything is in place it only checks and returns.
#  1. Debian packages: qemu-system-x86, linux-image-amd64, busybox-static, cpio, kmod
#  2. a small initramfs (stage 1) that loads the virtio/9p/overlay modules of the 6.1 kernel,
#     mounts the host's root filesystem read-only over virtio-9p with a tmpfs overlay on top,
#     and switches to scripts/vm/guest-init.sh (stage 2, read from the host tree at boot).
# Prints nothing but errors unless something had to be done. The image goes to
# $TSBCC_VM_DIR (default /var/cache/tsbcc-vm); scripts/vm/run.sh uses it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
VM_DIR="${TSBCC_VM_DIR:-/var/cache/tsbcc-vm}"

log() { printf 'vm-setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1
  fi
}

PACKAGES=(qemu-system-x86 linux-image-amd64 busybox-static cpio kmod)
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then missing+=("$p"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  # Another apt run (bootstrap, a second lane) may hold the lock: wait for it rather than fail.
  apt_opts=(-o DPkg::Lock::Timeout=600)
  as_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The newest installed 6.1 kernel with its modules.
kver=""
for k in /boot/vmlinuz-6.1.*-amd64; do
  [ -e "$k" ] || continue
  v="${k#/boot/vmlinuz-}"
  [ -f "/lib/modules/$v/modules.dep" ] && kver="$v"
done
if [ -z "$kver" ]; then
  log "no /boot/vmlinuz-6.1.*-amd64 with /lib/modules/<version>/modules.dep after installing linux-image-amd64"
  exit 1
fi
moddir="/lib/modules/$kver"

# Modules stage 1 needs to reach the host tree: virtio PCI transport, 9p over virtio, overlayfs.
ROOT_MODULES=(virtio_pci 9pnet_virtio 9p overlay)

# Resolves a module name to its path and the paths of everything it depends on, deepest first.
declare -A seen=()
order=()
add_module_path() {
  local rel="$1" dep
  [ -n "${seen[$rel]:-}" ] && return 0
  seen[$rel]=1
  for dep in $(awk -v m="$rel:" '$1 == m { for (i = 2; i <= NF; i++) print $i }' "$moddir/modules.dep"); do
    add_module_path "$dep"
  done
  order+=("$rel")
}
for m in "${ROOT_MODULES[@]}"; do
  rel="$(awk -v m="$m" '{ p = $1; sub(":$", "", p); n = p; sub(".*/", "", n); sub("\\.ko(\\.[a-z]+)?$", "", n); gsub("-", "_", n); if (n == m) { print p; exit } }' "$moddir/modules.dep")"
  if [ -z "$rel" ]; then
    if grep -q "/$m.ko" "$moddir/modules.builtin"; then continue; fi
    log "module $m is neither in $moddir/modules.dep nor built in"
    exit 1
  fi
  add_module_path "$rel"
done

# Rebuild only when the kernel, this script or the stage-1 init changed.
stamp="$kver $(cat "$0" "$here/initramfs-init.sh" | sha256sum | cut -c1-16)"
image="$VM_DIR/initramfs-$kver.img"
if [ -f "$image" ] && [ "$(cat "$VM_DIR/initramfs.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

log "building $image"
as_root mkdir -p "$VM_DIR"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,lower,upper,newroot,modules}
cp /bin/busybox "$work/bin/busybox"
ln -s busybox "$work/bin/sh"
: >"$work/modules/order"
for rel in "${order[@]}"; do
  name="$(basename "$rel")"
  case "$name" in
    *.ko) cp "$moddir/$rel" "$work/modules/$name" ;;
    *.ko.xz) xz -dc "$moddir/$rel" >"$work/modules/${name%.xz}"; name="${name%.xz}" ;;
    *.ko.zst) zstd -qdc "$moddir/$rel" >"$work/modules/${name%.zst}"; name="${name%.zst}" ;;
    *) log "unexpected module file $rel"; exit 1 ;;
  esac
  echo "$name" >>"$work/modules/order"
done
install -m 0755 "$here/initramfs-init.sh" "$work/init"
(cd "$work" && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) >"$work/image"
as_root install -m 0644 "$work/image" "$image"
echo "$stamp" | as_root tee "$VM_DIR/initramfs.stamp" >/dev/null
log "ready: kernel /boot/vmlinuz-$kver, initramfs $image ($(stat -c %s "$image") bytes)"

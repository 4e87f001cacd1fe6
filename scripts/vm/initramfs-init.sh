#!/bin/sh
# Stage 1 of the test VM (runs as /init from the initramfs that scripts/vm/setup.sh builds, under
# busybox): loads the virtio/9p/overlay modules, mounts the host's root filesystem (9p tag
# "hostroot", read-only) under a tmpfs overlay, and hands over to stage 2 named on the kernel
# command line (tsbcc_stage2=/path/in/host/tree). Any failure powers the VM off, so run.sh sees
# no exit code and reports the failure with this console output.
/bin/busybox --install -s /bin
export PATH=/bin

fail() {
  echo "vm-init: $*" >/dev/console
  poweroff -f
  sleep 5
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r m; do
  insmod "/modules/$m" || fail "insmod $m failed"
done </modules/order

stage2=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    tsbcc_stage2=*) stage2="${arg#tsbcc_stage2=}" ;;
  esac
done
[ -n "$stage2" ] || fail "no tsbcc_stage2= on the kernel command line"

# virtio-9p appears once the PCI device is probed; retry briefly rather than guessing a delay.
tries=0
until mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostroot /lower 2>/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -lt 50 ] || fail "cannot mount the 9p tag hostroot"
  sleep 0.1
done
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot ||
  fail "overlay mount failed"
[ -x "/newroot$stage2" ] || [ -f "/newroot$stage2" ] || fail "stage 2 $stage2 not found in the host tree"

umount /proc /sys /dev
exec switch_root /newroot /bin/bash "$stage2"

#!/bin/bash
# Stage 2 of the test VM: PID 1 inside the guest, on the host's root filesystem (read-only 9p
# under a tmpfs overlay). Mounts the kernel filesystems, loads the 6.1 modules the tests need,
# runs the command that scripts/vm/run.sh left in the results share, writes its output and exit
# code there, and powers off. Never run this on a host.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

poweroff_now() {
  sync
  echo o >/proc/sysrq-trigger
  # a builtin wait: once the power-off has begun, /usr/bin is gone (9p), and PID 1 failing
  # to exec sleep would exit and panic the kernel on its way down
  read -r -t 10 _ </dev/ttyS0 || true
}
trap poweroff_now EXIT

if [ "$$" -ne 1 ]; then
  echo "guest-init: must run as PID 1 inside the test VM" >&2
  trap - EXIT
  exit 1
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# Fresh /run and /tmp: the host's (netns names, sockets, pid files) mean nothing in here.
# The host's /tmp stays reachable under /mnt/host-tmp: a checkout there (CI's clean clone may
# live in /tmp) is bound back at its own path below, once the command's cwd is known.
mkdir -p /mnt/host-tmp
mount --bind /tmp /mnt/host-tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /run/netns /run/lock
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

results=/mnt/tsbcc-results
mkdir -p "$results"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 results "$results"; then
  echo "guest-init: cannot mount the 9p tag results" >/dev/console
  exit 1
fi

exec >/dev/console 2>&1
hostname tsbcc-vm
ip link set lo up

# Modules the tests use; a missing one is reported, not fatal (the feature probes will say).
MODULES=(sch_ingress cls_bpf act_police act_gact act_bpf act_mirred act_vlan act_skbedit
  sch_htb sch_tbf sch_sfq sch_netem sch_prio sch_fq sch_fq_codel
  ifb veth bridge vxlan dummy 8021q macvlan tun)
failed=()
for m in "${MODULES[@]}"; do
  modprobe "$m" 2>/dev/null || failed+=("$m")
done
[ ${#failed[@]} -eq 0 ] || echo "guest-init: modprobe failed for: ${failed[*]}"

# shellcheck disable=SC1091
[ -f "$results/env" ] && . "$results/env"
# TSBCC_VM_OUT: the results share, for files the command wants the host to read afterwards.
# The guest's own cache (when the host passed none) is made here, as a machine's cache
# directory that exists before the tests: else a single file run without `tsbcc doctor` first
# has its leak check report the cache as left behind.
if [ -z "${TSBCC_CACHE_DIR:-}" ]; then
  TSBCC_CACHE_DIR=/tmp/tsbcc-cache
  mkdir -p "$TSBCC_CACHE_DIR"
fi
export HOME=/root TSBCC_CACHE_DIR TSBCC_VM_OUT="$results"
cwd=$(cat "$results/cwd")
case "$cwd" in
/tmp/*)
  top=${cwd#/tmp/}
  top=${top%%/*}
  mkdir -p "/tmp/$top"
  mount --bind "/mnt/host-tmp/$top" "/tmp/$top" || echo "guest-init: cannot bind /tmp/$top from the host"
  ;;
esac
# The host made the parents of its run and cache directories before the run (CI's mktemp);
# so does the guest, where /tmp is new (else the guest's leak check reports that parent).
for d in "${TSBCC_RUN_DIR:-}" "$TSBCC_CACHE_DIR"; do
  case "$d" in /tmp/?*/?*) mkdir -p "$(dirname "$d")" ;; esac
done
cd "$cwd" || exit 1
echo "guest-init: kernel $(uname -r), booted in $(cut -d' ' -f1 /proc/uptime)s, running in $PWD"
bash "$results/cmd.sh" 2>&1 | tee "$results/output.log"
rc=${PIPESTATUS[0]}
echo "guest-init: command exited $rc after $(cut -d' ' -f1 /proc/uptime)s of uptime"
echo "$rc" >"$results/rc"
sync
umount "$results"
exit 0

#!/usr/bin/env bash
# Runs one command inside the second test kernel (Debian 6.1 under qemu) and exits with its exit
# code. The guest sees this machine's whole root filesystem read-only over virtio-9p (with a
# tmpfs overlay, so writes work and vanish), starts in the current directory, and has every
# module of kernel.md's "missing here" column loaded.
#
#   bash scripts/vm/run.sh 'node dist/src/cli/main.js doctor'
#   bash scripts/vm/run.sh npx vitest run --project kernel test/kernel/tc-rate.test.ts
#
# One argument is run as a shell command line; several are quoted as one command.
# Environment: TSBCC_VM_TIMEOUT (seconds, default 900), TSBCC_VM_MEM (MiB, default 4096),
# TSBCC_VM_CPUS (default 2), TSBCC_VM_ACCEL (tcg, the default, or kvm),
# TSBCC_VM_DIR (where setup.sh put the initramfs), TSBCC_VM_RESULTS (keep output.log and rc
# there instead of a temporary directory). TSBCC_*, VITEST_*, CI and NODE_OPTIONS pass through.
# Exit codes: the command's; 124 on timeout; 125 when the VM could not run it; 130 when
# interrupted (INT/TERM/HUP), after stopping the VM.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
if [ $# -eq 1 ]; then cmd="$1"; else cmd="$(printf '%q ' "$@")"; fi

bash "$here/setup.sh"

VM_DIR="${TSBCC_VM_DIR:-/var/cache/tsbcc-vm}"
kver="$(cut -d' ' -f1 "$VM_DIR/initramfs.stamp")"
kernel="/boot/vmlinuz-$kver"
initrd="$VM_DIR/initramfs-$kver.img"

# Software emulation by default: this machine (itself a VM) opens /dev/kvm, but a 6.1 guest
# under KVM hangs right after the kernel decompresses (and -cpu host fails setting MSR 0x10a).
# TSBCC_VM_ACCEL=kvm tries it anyway where nested virtualisation works.
accel="${TSBCC_VM_ACCEL:-tcg}"
# Under tcg the guest CPU is "max" without the AVX family: qemu 7.2 (Debian 12) emulates
# AVX/AVX2/FMA with its then-new x86 decoder, which has known miscompiles (e.g. qemu issue
# 1377), and V8 picks AVX code paths when cpuid offers them; a CI run saw the guest's node
# die with SIGSEGV 40 s into the lane. SSE4.2 code paths are what V8 runs on older hosts.
cpu=max,-avx,-avx2,-fma,-f16c,-vaes,-vpclmulqdq
[ "$accel" = kvm ] && cpu=host,-arch-capabilities

if [ -n "${TSBCC_VM_RESULTS:-}" ]; then
  results="$TSBCC_VM_RESULTS"
  mkdir -p "$results"
  rm -f "$results/rc" "$results/output.log"
else
  results="$(mktemp -d /tmp/tsbcc-vm.XXXXXX)"
  trap 'rm -rf "$results"' EXIT
fi
printf '%s\n' "$cmd" >"$results/cmd.sh"
pwd >"$results/cwd"
: >"$results/env"
while IFS='=' read -r name _; do
  case "$name" in
    TSBCC_VM_*) ;;
    TSBCC_* | VITEST_* | CI | NODE_OPTIONS | DEBUG | NO_COLOR | FORCE_COLOR)
      printf 'export %s=%q\n' "$name" "${!name}" >>"$results/env" ;;
  esac
done < <(env)

# A kernel lockup in the guest ends the run at once, with every CPU's stack on the console
# (softlockup_panic; panic=-1 with -no-reboot stops qemu): a CI run's guest once sat in a soft
# lockup on both CPUs until the lane's timeout, with loglevel=3 hiding the stacks.
append="console=ttyS0 panic=-1 quiet loglevel=5 softlockup_panic=1 softlockup_all_cpu_backtrace=1 tsbcc_stage2=$here/guest-init.sh"
start=$(date +%s.%N)
set +e
# timeout runs qemu in a process group of its own, so a Ctrl-C or kill aimed at this script
# would not reach it: on INT/TERM/HUP this script stops it (timeout passes the signal on), and
# if this script dies without a chance to (SIGKILL), the kernel sends timeout SIGTERM
# (setpriv --pdeathsig; qemu's command is a simple one so that bash execs it from its own
# child: with a pipe or redirection to a process substitution, a subshell in between would
# be its parent). The console goes to this script's stdout through sed (CRs dropped).
exec 3>&1 > >(sed -u 's/\r//g')
setpriv --pdeathsig TERM timeout -k 10 "${TSBCC_VM_TIMEOUT:-900}" qemu-system-x86_64 \
  -accel "$accel" -cpu "$cpu" -smp "${TSBCC_VM_CPUS:-2}" -m "${TSBCC_VM_MEM:-4096}" \
  -nographic -no-reboot -nic none \
  -kernel "$kernel" -initrd "$initrd" -append "$append" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$results,mount_tag=results,security_model=none" \
  </dev/null &
vm=$!
interrupted=""
trap 'interrupted=1; kill -TERM "$vm" 2>/dev/null' INT TERM HUP
wait "$vm"
status=$?
# wait returns early when a trapped signal arrives: wait again for qemu to be gone.
while kill -0 "$vm" 2>/dev/null; do
  wait "$vm"
  status=$?
done
trap - INT TERM HUP
exec 1>&3 3>&-
if [ -n "$interrupted" ]; then
  echo "vm-run: interrupted; the VM was stopped" >&2
  exit 130
fi
set -e
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "vm-run: timed out after ${TSBCC_VM_TIMEOUT:-900}s" >&2
  exit 124
fi
if [ ! -s "$results/rc" ]; then
  echo "vm-run: the VM stopped without running the command (qemu exit ${status}, ${elapsed}s)" >&2
  exit 125
fi
rc="$(cat "$results/rc")"
echo "vm-run: kernel $kver ($accel), exit $rc, ${elapsed}s wall" >&2
exit "$rc"

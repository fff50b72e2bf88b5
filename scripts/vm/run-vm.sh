#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a prepared kernel series with an initramfs from mkinitramfs.sh in QEMU
# (TCG: q35 + emulated VT-d + the edu DMA device, nested SVM for kvm_amd).
#
# Usage: scripts/vm/run-vm.sh SERIES INITRD LOGFILE [TIMEOUT_S]
#
# The serial console goes to stdout and (with CRs stripped) to LOGFILE.
# Exit status: 0 only when the console shows "KVM_VIOMMU_INIT_DONE rc=0" and
# none of the kernel trouble patterns below; 1 otherwise (the reason and the
# matching line are printed); QEMU is killed after TIMEOUT_S (default 600).
#
# Environment:
#   KVM_VIOMMU_CACHE       cache directory (default ~/.cache/kvm-viommu)
#   KVM_VIOMMU_CMDLINE     extra kernel command line arguments
#   KVM_VIOMMU_QEMU_ARGS   extra QEMU arguments (space separated)
#   KVM_VIOMMU_QUIET       non-empty: do not copy the console to stdout
set -euo pipefail

SERIES=${1:-}
INITRD=${2:-}
LOG=${3:-}
TIMEOUT=${4:-600}
CACHE=${KVM_VIOMMU_CACHE:-$HOME/.cache/kvm-viommu}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MARKER='KVM_VIOMMU_INIT_DONE rc='
BAD='WARNING:|BUG:|Oops|Kernel panic|KASAN|lockdep|possible circular locking|general protection fault|Call Trace:'

die() { echo "run-vm.sh $SERIES: error: $*" >&2; exit 1; }

if [ -z "$SERIES" ] || [ -z "$INITRD" ] || [ -z "$LOG" ]; then
	echo "usage: $0 SERIES INITRD LOGFILE [TIMEOUT_S]" >&2
	exit 2
fi
case "$TIMEOUT" in ''|*[!0-9]*) die "TIMEOUT_S must be a number of seconds" ;; esac
ENVF=$CACHE/kernels/$SERIES/env
[ -r "$ENVF" ] || die "$ENVF missing: run $HERE/kernels.sh $SERIES first"
# shellcheck source=/dev/null
. "$ENVF"
[ -s "$VMLINUZ" ] || die "$VMLINUZ missing: run $HERE/kernels.sh $SERIES"
[ -s "$INITRD" ] || die "initrd $INITRD missing"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run $HERE/host-deps.sh)"
mkdir -p "$(dirname "$LOG")"

# spec_rstack_overflow=off: QEMU's EPYC model has the SRSO bug bit but no
# IBPB-extending microcode, so the kernel logs "WARNING: See .../srso.html"
# at boot, which is indistinguishable from a real WARN() for the checks below.
# Multi-threaded TCG lets a vCPU run a stale translation of kernel text
# that another vCPU is live-patching (text_poke_bp): seen as "Oops: int3"
# in __schedule on 7.2 with QEMU 7.2.  One TCG thread runs both vCPUs in
# turn, which is all two host cores give us anyway.
TCG_THREAD=${KVM_VIOMMU_TCG_THREAD:-single}
CMDLINE="console=ttyS0 intel_iommu=on iommu=nopt panic_on_warn=1 panic=-1 quiet loglevel=4"
CMDLINE+=" spec_rstack_overflow=off"
# One 1 GiB hugetlbfs page for viommu_dma_test's 1 GiB IOMMU page, reserved
# at boot: later, 1 GiB of contiguous free memory cannot be counted on.  The
# boot's own allocations are made top down, from the end of memory: -m 4G
# (q35: 2 GiB below 4 GiB, 2 GiB above) leaves an aligned 1 GiB free under
# them (-m 3G does not) and the rest the 2 GiB and more it had.
CMDLINE+=" hugepagesz=1G hugepages=1"
CMDLINE+=" ${KVM_VIOMMU_CMDLINE:-}"
read -ra extra_qemu <<<"${KVM_VIOMMU_QEMU_ARGS:-}"

# shellcheck disable=SC2054 # the commas are inside QEMU option values
qemu=(qemu-system-x86_64
	-M q35,kernel-irqchip=split -accel "tcg,thread=$TCG_THREAD" \
	-cpu EPYC,+svm -smp 2 -m 4G
	-device intel-iommu,intremap=on -device edu
	-nic none -nographic -no-reboot
	-kernel "$VMLINUZ" -initrd "$INITRD" -append "$CMDLINE"
	"${extra_qemu[@]}")

# Strip CRs; drop QEMU's per-vCPU "TCG doesn't support requested feature"
# notes about the EPYC model (harmless: TCG just hides those CPUID bits).
SED_FILTER=(-e 's/\r$//' -e "/^qemu-system-x86_64: warning: TCG doesn't support requested feature/d")

start=$(date +%s)
set +e
if [ -n "${KVM_VIOMMU_QUIET:-}" ]; then
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | sed -u "${SED_FILTER[@]}" >"$LOG"
else
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | sed -u "${SED_FILTER[@]}" | tee "$LOG"
fi
st=("${PIPESTATUS[@]}")
set -e
qrc=${st[0]}
secs=$(( $(date +%s) - start ))

verdict=0
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "run-vm.sh $SERIES: FAIL: timed out after ${TIMEOUT}s" >&2
	verdict=1
elif [ "$qrc" != 0 ]; then
	echo "run-vm.sh $SERIES: FAIL: qemu exited with status $qrc" >&2
	verdict=1
fi
if matches=$(grep -n -a -E "$BAD" "$LOG"); then
	while IFS= read -r m; do
		echo "run-vm.sh $SERIES: FAIL: kernel trouble at $LOG:$m" >&2
	done < <(head -n 20 <<<"$matches")
	n=$(wc -l <<<"$matches")
	[ "$n" -le 20 ] || echo "run-vm.sh $SERIES: ... $((n - 20)) more matching lines" >&2
	verdict=1
fi
done_line=$(grep -a -o "${MARKER}[0-9]*" "$LOG" | tail -n1 || true)
if [ -z "$done_line" ]; then
	echo "run-vm.sh $SERIES: FAIL: no '${MARKER}N' line on the console" >&2
	verdict=1
elif [ "$done_line" != "${MARKER}0" ]; then
	echo "run-vm.sh $SERIES: FAIL: guest reported $done_line" >&2
	verdict=1
fi
if [ $verdict -eq 0 ]; then
	echo "run-vm.sh $SERIES: PASS ($KVER, ${secs}s, log $LOG)" >&2
else
	echo "run-vm.sh $SERIES: FAIL ($KVER, ${secs}s, log $LOG)" >&2
fi
exit $verdict

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build an out-of-tree kbuild module for one prepared kernel series.
#
# Usage: scripts/vm/build-module.sh SERIES SRCDIR OUTDIR
#
# SRCDIR holds a top-level Kbuild (and a Makefile).  It is copied to a scratch
# directory, so the work tree stays clean, and built there with
#     make -C $KDIR M=<copy> VFIO_PRIV=<dir> $EXTRA_MAKE_ARGS modules
# where VFIO_PRIV is a directory D with D/drivers/vfio/vfio.h from that exact
# kernel's source.  Every resulting *.ko is copied flat into OUTDIR.
#   6.12: built on the host (Debian 12 gcc-12).
#   7.2:  built inside the trixie root of kernels.sh (gcc-14), via chroot in a
#         private mount namespace (/proc is needed by objtool; the mount goes
#         away with the namespace, nothing is left mounted).
#
# Environment:
#   EXTRA_MAKE_ARGS   extra make arguments, e.g. "W=1 C=1"
#   KVM_VIOMMU_CACHE  cache directory (default ~/.cache/kvm-viommu)
#   KVM_VIOMMU_KEEP   non-empty: keep the scratch build directory
#
# Note: sparse (C=1) works for 6.12 only: Debian's sparse 0.6.4 lacks
# __typeof_unqual__, so 7.2's kbuild reports it "not up to date" and skips it.
set -euo pipefail

SERIES=${1:-}
SRCDIR=${2:-}
OUTDIR=${3:-}
CACHE=${KVM_VIOMMU_CACHE:-$HOME/.cache/kvm-viommu}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "build-module.sh $SERIES: error: $*" >&2; exit 1; }

if [ -z "$SERIES" ] || [ -z "$SRCDIR" ] || [ -z "$OUTDIR" ]; then
	echo "usage: $0 SERIES SRCDIR OUTDIR" >&2
	exit 2
fi
ENVF=$CACHE/kernels/$SERIES/env
[ -r "$ENVF" ] || die "$ENVF missing: run $HERE/kernels.sh $SERIES first"
[ -e "$SRCDIR/Kbuild" ] || [ -e "$SRCDIR/Makefile" ] || die "$SRCDIR has no Kbuild"
SRCDIR=$(cd "$SRCDIR" && pwd)
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

# Shared lock: kernels.sh (exclusive) may not swap the tree under our feet.
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -s 9

# shellcheck source=/dev/null
. "$ENVF"
read -ra extra <<<"${EXTRA_MAKE_ARGS:-}"
jobs=$(nproc)

# Scratch space: on the host for 6.12, inside the build root for 7.2.
base=${BUILD_ROOT:+$BUILD_ROOT/var/tmp}
base=${base:-${TMPDIR:-/tmp}}
mkdir -p "$base"
scratch=$(mktemp -d "$base/kvm-viommu-build.XXXXXX")
cleanup() {
	if [ -n "${KVM_VIOMMU_KEEP:-}" ]; then
		echo "build-module.sh: kept $scratch" >&2
	else
		rm -rf "$scratch"
	fi
}
trap cleanup EXIT

# Copy the sources, without VCS data or earlier build products.
tar -C "$SRCDIR" --exclude-vcs --exclude='*.o' --exclude='*.ko' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.cmd' \
	--exclude=Module.symvers --exclude=modules.order -cf - . |
	tar -C "$scratch" -xf - --one-top-level=src
mkdir -p "$scratch/vfio-priv/drivers/vfio"
cp "$VFIO_PRIV/drivers/vfio/vfio.h" "$scratch/vfio-priv/drivers/vfio/vfio.h"

if [ -z "$BUILD_ROOT" ]; then
	make -C "$KDIR" M="$scratch/src" VFIO_PRIV="$scratch/vfio-priv" \
		-j"$jobs" "${extra[@]}" modules ||
		die "module build failed for $KVER"
else
	rel=${scratch#"$BUILD_ROOT"}
	[ -d "$BUILD_ROOT$KDIR" ] || die "$BUILD_ROOT$KDIR missing: run kernels.sh $SERIES"
	unshare --mount --propagation private -- /bin/sh -ec '
		r=$1; shift
		mount -t proc proc "$r/proc"
		exec chroot "$r" "$@"' sh "$BUILD_ROOT" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		make -C "$KDIR" M="$rel/src" VFIO_PRIV="$rel/vfio-priv" \
		-j"$jobs" "${extra[@]}" modules ||
		die "module build failed for $KVER (in $BUILD_ROOT)"
fi

mapfile -t kos < <(find "$scratch/src" -name '*.ko' -type f | sort)
[ ${#kos[@]} -gt 0 ] || die "the build produced no .ko"
cp "${kos[@]}" "$OUTDIR/"
for ko in "${kos[@]}"; do
	echo "build-module.sh $SERIES: $OUTDIR/${ko##*/} ($KVER)"
done

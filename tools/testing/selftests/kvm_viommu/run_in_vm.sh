#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM as /payload/run (busybox sh): loads kvm_viommu.ko,
# runs every selftest binary (each prints TAP), unloads the module.  Module
# load and unload are reported as TAP results of their own.
#
# Optional first argument: a shell glob of tests to run (default: all).
cd "$(dirname "$0")" || exit 1
rc=0

tap() { # tap OK|NOT_OK name
	if [ "$1" = OK ]; then echo "ok 1 $2"; else echo "not ok 1 $2"; rc=1; fi
}

echo "# kvm-viommu selftests on $(uname -r)"
if insmod ./kvm_viommu.ko; then
	tap OK module.load
else
	tap NOT_OK module.load
	exit 1
fi

for t in ./${1:-*_test}; do
	[ -x "$t" ] || continue
	echo "# === $t"
	"$t" || rc=1
done

# Everything was closed by the tests: the module must unload.
if rmmod kvm_viommu; then tap OK module.unload; else tap NOT_OK module.unload; fi
exit $rc

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything a change must pass, from a bare Debian 12 machine.
#
#  1. install host tools, fetch and prepare Debian's 6.12 and 7.2 kernels
#     (cached under ~/.cache/kvm-viommu);
#  2. style gates: checkpatch --strict on every source file, kernel-doc -Wall
#     on the uAPI and the module;
#  3. build the module for each kernel with W=1 (and sparse where it works),
#     failing on any warning;
#  4. run the guest table decoders' userspace tests under ASan/UBSan, fuzz
#     each decoder for a few seconds, and build the selftests as static
#     binaries;
#  5. boot each kernel in QEMU (TCG, q35, VT-d, edu), load the module, run the
#     selftests there and collect their TAP;
#  6. print every result and one closing line "N passed, N failed".
#
# Environment: KVM_VIOMMU_SERIES (default "6.12 7.2"), KVM_VIOMMU_TESTS (a
# glob of test binaries, default all), KVM_VIOMMU_TIMEOUT (per boot, s).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
VM="$TOP/scripts/vm"
OUT="$TOP/build"
KERNELS=${KVM_VIOMMU_SERIES:-6.12 7.2}
TIMEOUT=${KVM_VIOMMU_TIMEOUT:-1500}
CACHE=${KVM_VIOMMU_CACHE:-$HOME/.cache/kvm-viommu}

say() { printf '== %s\n' "$*"; }
die() { printf 'check: %s\n' "$*" >&2; exit 1; }

mkdir -p "$OUT/logs"
passed=0 failed=0 skipped=0
gate_fail() { echo "not ok - $1"; failed=$((failed + 1)); }
gate_pass() { echo "ok - $1"; passed=$((passed + 1)); }

say "host tools"
"$VM/host-deps.sh"
for s in $KERNELS; do
	say "kernel $s"
	"$VM/kernels.sh" "$s"
done
say "checkpatch --strict"
# Every kernel's own checkpatch.  ALLOC_WITH_SIZEOF (7.x) asks for
# kzalloc_obj(), which 6.12 does not have.
mapfile -t srcs < <(cd "$TOP" && git ls-files '*.c' '*.h')
[ "${#srcs[@]}" -gt 0 ] || die "no sources found by git ls-files in $TOP"
for s in $KERNELS; do
	# shellcheck disable=SC1090
	. "$CACHE/kernels/$s/env"
	if (cd "$TOP" && perl "$CHECKPATCH" --strict --no-tree --quiet \
		--show-types -f "${srcs[@]}" \
		--ignore FILE_PATH_CHANGES,ALLOC_WITH_SIZEOF) \
		>"$OUT/logs/checkpatch-$s.log" 2>&1; then
		gate_pass "checkpatch --strict of $s (${#srcs[@]} files)"
	else
		cat "$OUT/logs/checkpatch-$s.log"
		gate_fail "checkpatch --strict of $s"
	fi
done
HARNESS=$HARNESS_DIR

say "kernel-doc"
"$VM/kernels.sh" 6.12	# its kernel-doc is the standalone one
# shellcheck disable=SC1090
. "$CACHE/kernels/6.12/env"
mapfile -t docsrcs < <(cd "$TOP" && git ls-files 'include/*.h' 'drivers/*.[ch]' 'virt/*.[ch]')
if [ -z "$KERNELDOC" ]; then
	gate_fail "kernel-doc: no kernel-doc script (scripts/vm/kernels.sh 6.12)"
elif out=$(cd "$TOP" && perl "$KERNELDOC" -none -Wall "${docsrcs[@]}" 2>&1) &&
	[ -z "$out" ]; then
	gate_pass "kernel-doc -Wall (${#docsrcs[@]} files)"
else
	echo "$out"
	gate_fail "kernel-doc -Wall"
fi

for s in $KERNELS; do
	say "module for $s (W=1 C=1)"
	log="$OUT/logs/build-$s.log"
	rm -rf "$OUT/module-$s"
	if EXTRA_MAKE_ARGS="W=1 C=1" "$VM/build-module.sh" "$s" "$TOP" \
		"$OUT/module-$s" >"$log" 2>&1 &&
		! grep -E 'warning:|error:' "$log"; then
		gate_pass "build $s W=1 C=1 clean"
	else
		tail -40 "$log"
		gate_fail "build $s W=1 C=1 clean"
	fi
done

# The test-only KVM_VIOMMU_TEST_RAW of make bench (KVM_VIOMMU_TEST=y) is
# not in the module above: build it once, on 6.12, so it cannot rot.
case " $KERNELS " in
*" 6.12 "*)
	say "module for 6.12 with KVM_VIOMMU_TEST=y (W=1)"
	log="$OUT/logs/build-6.12-test.log"
	rm -rf "$OUT/module-6.12-test"
	if EXTRA_MAKE_ARGS="W=1 KVM_VIOMMU_TEST=y" "$VM/build-module.sh" 6.12 \
		"$TOP" "$OUT/module-6.12-test" >"$log" 2>&1 &&
		! grep -E 'warning:|error:' "$log"; then
		gate_pass "build 6.12 W=1 KVM_VIOMMU_TEST=y clean"
	else
		tail -40 "$log"
		gate_fail "build 6.12 W=1 KVM_VIOMMU_TEST=y clean"
	fi
	;;
esac

say "guest table decoders in userspace (ASan, UBSan)"
fmtlog="$OUT/logs/fmt_test.log"
fmtrc=0
make -s -C "$TOP/tools/testing/viommu_fmt" OUTPUT="$OUT" run >"$fmtlog" 2>&1 || fmtrc=$?
fmt_pass=$(grep -c '^ok ' "$fmtlog" || true)
fmt_fail=$(grep -c '^not ok ' "$fmtlog" || true)
grep '^not ok ' "$fmtlog" || true
passed=$((passed + fmt_pass))
failed=$((failed + fmt_fail))
if [ "$fmtrc" = 0 ] && [ "$fmt_pass" -gt 0 ]; then
	gate_pass "fmt_test: $fmt_pass decoder checks"
else
	tail -20 "$fmtlog"
	gate_fail "fmt_test (rc=$fmtrc, see build/logs/fmt_test.log)"
fi

say "fuzzing the decoders briefly (libFuzzer, ASan, UBSan)"
if make -s -C "$TOP/tools/testing/viommu_fmt" OUTPUT="$OUT" fuzz-smoke \
	>"$OUT/logs/fuzz-smoke.log" 2>&1; then
	gate_pass "fuzz-smoke: every format's fuzz target, no finding"
else
	tail -30 "$OUT/logs/fuzz-smoke.log"
	gate_fail "fuzz-smoke (see build/logs/fuzz-smoke.log)"
fi

say "selftests"
mkdir -p "$OUT/selftests"
make -s -C "$TOP/tools/testing/selftests/kvm_viommu" \
	OUTPUT="$OUT/selftests" HARNESS_DIR="$HARNESS" >"$OUT/logs/selftests.log" 2>&1 ||
	{ cat "$OUT/logs/selftests.log"; die "selftests do not build"; }

for s in $KERNELS; do
	say "VM tests on $s"
	pl="$OUT/payload-$s"
	rm -rf "$pl" && mkdir -p "$pl"
	if [ ! -f "$OUT/module-$s/kvm_viommu.ko" ]; then
		gate_fail "VM tests on $s: no module"
		continue
	fi
	cp "$OUT/module-$s/kvm_viommu.ko" "$OUT"/selftests/*_test "$pl/"
	sed "s|\${1:-\*_test}|${KVM_VIOMMU_TESTS:-*_test}|" \
		"$TOP/tools/testing/selftests/kvm_viommu/run_in_vm.sh" >"$pl/run"
	chmod +x "$pl/run"
	"$VM/mkinitramfs.sh" "$s" "$OUT/initrd-$s.cpio.gz" "$pl" >/dev/null
	log="$OUT/logs/vm-$s.log"
	vmrc=0
	KVM_VIOMMU_QUIET=1 "$VM/run-vm.sh" "$s" "$OUT/initrd-$s.cpio.gz" \
		"$log" "$TIMEOUT" >"$OUT/logs/run-vm-$s.out" 2>&1 || vmrc=$?
	# Every TAP result line of every test binary, tagged with the kernel.
	while IFS= read -r line; do
		case "$line" in
		"not ok "*)
			echo "[$s] $line"; failed=$((failed + 1)) ;;
		"ok "*"# SKIP"*)
			echo "[$s] $line"; skipped=$((skipped + 1)) ;;
		"ok "*)
			echo "[$s] $line"; passed=$((passed + 1)) ;;
		esac
	done < <(grep -aE '^(not )?ok [0-9]+ ' "$log" || true)
	if [ "$vmrc" = 0 ]; then
		gate_pass "VM run on $s: clean console, runner rc=0"
	else
		grep -aE '^# +(FAIL|.*: Test terminated|.*Expected)' "$log" | head -40 || true
		cat "$OUT/logs/run-vm-$s.out" | tail -5
		gate_fail "VM run on $s (see build/logs/vm-$s.log)"
	fi
done

summary="$passed passed, $failed failed"
[ "$skipped" = 0 ] || summary+=", $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]

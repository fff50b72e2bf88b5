#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare one Debian kernel series for building and booting kvm-viommu.
#
# Usage: scripts/vm/kernels.sh SERIES        (SERIES: 6.12 or 7.2)
#
# The version is probed, never hard-coded:
#   6.12: linux-image-amd64/bookworm-backports, resolved on the host;
#   7.2:  linux-image-amd64/trixie-backports, resolved inside a debootstrapped
#         trixie root ($CACHE/roots/trixie), because 7.2's kbuild binaries and
#         its gcc-14 need trixie's userland.
#
# Result, under $CACHE/kernels/SERIES/ ($CACHE: ${KVM_VIOMMU_CACHE:-~/.cache/kvm-viommu}):
#   vmlinuz                      the kernel image
#   modroot/lib/modules/KVER/    its modules (from the .debs, depmod'ed), config, System.map
#   src/                         files taken from the matching linux-source tarball:
#                                drivers/vfio/vfio.h, tools/testing/selftests/kselftest*.h,
#                                scripts/checkpatch.pl + spelling.txt + const_structs.checkpatch
#   KVER                         the uname -r string
#   env                          shell variables, see write_env below
#
# The kernel packages are downloaded and unpacked with dpkg-deb, never
# installed on the host.  Only the module build headers are installed: on the
# host for 6.12, inside the trixie root for 7.2.  A second run with an
# unchanged archive only re-probes the version and returns silently.
#
# Environment:
#   KVM_VIOMMU_CACHE     cache directory (default ~/.cache/kvm-viommu)
#   KVM_VIOMMU_APT_TTL   seconds after which the apt lists are refreshed
#                        before probing (default 86400)
set -euo pipefail

SERIES=${1:-}
CACHE=${KVM_VIOMMU_CACHE:-$HOME/.cache/kvm-viommu}
APT_TTL=${KVM_VIOMMU_APT_TTL:-86400}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BPO_SOURCES=/etc/apt/sources.list.d/kvm-viommu-bpo.sources

die() { echo "kernels.sh $SERIES: error: $*" >&2; exit 1; }
note() { echo "kernels.sh $SERIES: $*" >&2; }

case "$SERIES" in
6.12) SUITE=bookworm-backports ;;
7.2) SUITE=trixie-backports ;;
*) echo "usage: $0 6.12|7.2" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || die "must run as root"

KD=$CACHE/kernels/$SERIES
ROOT=$CACHE/roots/trixie
DEBS=$CACHE/debs/$SERIES
mkdir -p "$CACHE/kernels" "$CACHE/roots" "$DEBS"

# One kernels.sh at a time; build-module.sh takes this lock shared.
exec 9>"$CACHE/.lock"
flock 9

"$HERE/host-deps.sh"

# The main Debian archive URI configured on this machine (never hard-coded).
debian_mirror_uri() {
	local uri
	uri=$(awk '/^URIs:/ { print $2; exit }' "$BPO_SOURCES" 2>/dev/null || true)
	[ -n "$uri" ] || die "no URIs: line in $BPO_SOURCES (host-deps.sh creates it)"
	printf '%s\n' "${uri%/}"
}

# --- where apt runs: the host (6.12) or the trixie root (7.2) -------------

APT_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
	DEBIAN_FRONTEND=noninteractive)
APT_OPTS=(-q -o DPkg::Lock::Timeout=300 -o APT::Sandbox::User=root)

# Run a command inside the trixie root with /proc mounted.  The mount lives in
# a private mount namespace, so it disappears with the command, even on error.
in_root() {
	unshare --mount --propagation private -- /bin/sh -ec '
		r=$1; shift
		mount -t proc proc "$r/proc"
		exec chroot "$r" "$@"' sh "$ROOT" "${APT_ENV[@]}" "$@"
}

# Run a command where this series' apt lives.
in_apt() {
	if [ "$SERIES" = 7.2 ]; then
		in_root "$@"
	else
		"${APT_ENV[@]}" "$@"
	fi
}

# apt-cache where this series' apt lives.  The host's apt config disables
# apt's binary cache (docker-clean), which makes every query parse all lists
# (~0.8 s): keep our own copy of that cache so repeated probes are cheap.
apt_cache() {
	if [ "$SERIES" = 7.2 ]; then
		in_root apt-cache "$@"
	else
		mkdir -p "$CACHE/apt-host"
		"${APT_ENV[@]}" apt-cache \
			-o Dir::Cache::pkgcache="$CACHE/apt-host/pkgcache.bin" \
			-o Dir::Cache::srcpkgcache="$CACHE/apt-host/srcpkgcache.bin" "$@"
	fi
}

# Refresh the apt lists of $1 (a root dir, "" for the host) if SUITE's lists
# are missing or our last refresh is older than APT_TTL seconds.  (The lists'
# own mtimes are the archive's, not the download's: keep a stamp of our own.)
refresh_lists() {
	local lists="$1/var/lib/apt/lists" stamp age
	stamp=$CACHE/apt-refreshed-${SERIES}
	if compgen -G "$lists/*_dists_${SUITE}_InRelease" >/dev/null && [ -e "$stamp" ]; then
		age=$(( $(date +%s) - $(stat -c %Y "$stamp") ))
		[ "$age" -lt "$APT_TTL" ] && return 0
	fi
	in_apt apt-get "${APT_OPTS[@]}" update >/dev/null ||
		die "apt-get update failed${1:+ in $1}"
	compgen -G "$lists/*_dists_${SUITE}_InRelease" >/dev/null ||
		die "$SUITE is not in the apt sources${1:+ of $1}"
	touch "$stamp"
}

# Install packages (exact NAME=VERSION) with apt where this series' apt lives.
apt_install() {
	in_apt apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "$@" \
		>"$CACHE/apt-install.log" 2>&1 ||
		die "apt-get install $* failed, see $CACHE/apt-install.log"
}

# --- the trixie root (7.2 only) ----------------------------------------------

ensure_trixie_root() {
	local uri pkgs p
	[ -e "$ROOT/.kvm-viommu-root-ok" ] && return 0

	if [ -e "$ROOT" ]; then
		if findmnt -rn -o TARGET | grep -q "^$ROOT/"; then
			die "$ROOT is half-built and has mounts under it; unmount them first"
		fi
		note "removing half-built $ROOT"
		rm -rf "$ROOT"
	fi
	uri=$(debian_mirror_uri)
	note "debootstrap trixie into $ROOT (about a minute)"
	mkdir -p "$CACHE/debootstrap-debs"
	debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap-debs" \
		trixie "$ROOT" "$uri" >"$CACHE/debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $CACHE/debootstrap.log"
	cat >"$ROOT/etc/apt/sources.list.d/trixie-backports.sources" <<EOF
Types: deb
URIs: $uri
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	in_root apt-get "${APT_OPTS[@]}" update >/dev/null ||
		die "apt-get update failed in $ROOT"
	pkgs=(gcc-14 make sparse libc6-dev kmod xz-utils)
	# pahole has its own package in trixie; dwarves before that.
	p=pahole
	in_root apt-cache show pahole >/dev/null 2>&1 || p=dwarves
	pkgs+=("$p")
	apt_install "${pkgs[@]}"
	touch "$ROOT/.kvm-viommu-root-ok"
}

# --- probing -------------------------------------------------------------------

# Version of package $1 in SUITE (empty if none).
suite_version() {
	apt_cache madison "$1" 2>/dev/null |
		awk -F'|' -v s=" $SUITE/" 'index($3, s) { gsub(/ /, "", $2); print $2; exit }'
}

# Depends of package $1 whose names contain $2.
deps_matching() {
	apt_cache depends --no-recommends --no-suggests --no-conflicts \
		--no-breaks --no-replaces --no-enhances "$1" 2>/dev/null |
		awk -v k="$2" '$1 == "Depends:" || $1 == "PreDepends:" || $1 == "|Depends:" {
			n = $2; gsub(/[<>]/, "", n); if (index(n, k)) print n }' | sort -u
}

resolve_kver() {
	local img
	img=$(apt_cache depends "linux-image-amd64/$SUITE" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -n "$img" ] || die "cannot resolve linux-image-amd64/$SUITE"
	KVER=${img#linux-image-}
	if [ "${KVER#"$SERIES".}" = "$KVER" ]; then
		# The metapackage moved to another series: take the newest SERIES image.
		note "linux-image-amd64/$SUITE is $KVER, looking for the newest $SERIES"
		img=$(apt_cache pkgnames "linux-image-$SERIES." |
			grep -E "^linux-image-${SERIES//./\\.}\.[0-9]+\+deb[0-9]+-amd64$" |
			while read -r p; do
				[ -n "$(suite_version "$p")" ] && echo "$p"
			done | sort -V | tail -n1 || true)
		[ -n "$img" ] || die "no linux-image-$SERIES.*-amd64 in $SUITE"
		KVER=${img#linux-image-}
	fi
	IMG=$img
	KPKGVER=$(suite_version "$IMG")
	[ -n "$KPKGVER" ] || die "$IMG has no version in $SUITE"
}

# --- downloading ---------------------------------------------------------------

# Download NAME=VERSION into $DEBS (kept there as the download cache); print the path.
fetch_deb() {
	local pkg=$1 ver=$2 f dl
	for f in "$DEBS/${pkg}"_*.deb; do
		[ -e "$f" ] || continue
		if [ "$(dpkg-deb -f "$f" Package)" = "$pkg" ] &&
		   [ "$(dpkg-deb -f "$f" Version)" = "$ver" ]; then
			printf '%s\n' "$f"
			return 0
		fi
		rm -f "$f"	# another version of this package: superseded
	done
	if [ "$SERIES" = 7.2 ]; then
		dl=$ROOT/var/cache/kvm-viommu-dl
	else
		dl=$DEBS/.dl
	fi
	rm -rf "$dl"
	mkdir -p "$dl"
	if [ "$SERIES" = 7.2 ]; then
		in_root sh -c 'cd /var/cache/kvm-viommu-dl && exec "$@"' sh \
			apt-get "${APT_OPTS[@]}" download "$pkg=$ver" >/dev/null 2>"$dl.log" ||
			die "apt-get download $pkg=$ver failed: $(tail -n3 "$dl.log")"
	else
		(cd "$dl" && "${APT_ENV[@]}" apt-get "${APT_OPTS[@]}" download "$pkg=$ver") \
			>/dev/null 2>"$dl.log" ||
			die "apt-get download $pkg=$ver failed: $(tail -n3 "$dl.log")"
	fi
	f=$(ls "$dl"/*.deb)
	mv "$f" "$DEBS/"
	rm -rf "$dl" "$dl.log"
	printf '%s\n' "$DEBS/${f##*/}"
}

# Source version of a .deb: "linux (X)" -> X, plain "linux" -> its Version.
deb_source_version() {
	local src ver
	src=$(dpkg-deb -f "$1" Source)
	ver=$(dpkg-deb -f "$1" Version)
	case "$src" in
	*"("*")") src=${src#*(}; printf '%s\n' "${src%)}" ;;
	*) printf '%s\n' "$ver" ;;
	esac
}

# --- the cached result -----------------------------------------------------------

headers_installed() {
	local admin=/var/lib/dpkg st
	[ "$SERIES" = 7.2 ] && admin=$ROOT/var/lib/dpkg
	st=$(dpkg-query --admindir="$admin" -W -f='${db:Status-Status} ${Version}' \
		"linux-headers-$KVER" 2>/dev/null || true)
	[ "$st" = "installed $KPKGVER" ]
}

cache_is_current() {
	local f
	[ -e "$KD/.complete" ] && [ -r "$KD/env" ] || return 1
	[ "$(cat "$KD/KVER" 2>/dev/null)" = "$KVER" ] || return 1
	grep -qxF "KPKGVER='$KPKGVER'" "$KD/env" || return 1
	for f in vmlinuz "modroot/lib/modules/$KVER/modules.dep" \
		src/drivers/vfio/vfio.h src/tools/testing/selftests/kselftest_harness.h \
		src/scripts/checkpatch.pl; do
		[ -s "$KD/$f" ] || return 1
	done
	[ "$SERIES" != 6.12 ] || [ -s "$KD/src/scripts/kernel-doc" ] || return 1
	headers_installed
}

write_env() {
	local kdir=/usr/src/linux-headers-$KVER broot=
	[ "$SERIES" = 7.2 ] && broot=$ROOT
	cat >"$1" <<EOF
# Generated by scripts/vm/kernels.sh $SERIES; do not edit.
# KDIR is the path of the headers tree as seen from BUILD_ROOT (the host when
# BUILD_ROOT is empty): on the host it is \${BUILD_ROOT}\${KDIR}.
SERIES='$SERIES'
KVER='$KVER'
KPKGVER='$KPKGVER'
KDIR='$kdir'
BUILD_ROOT='$broot'
VFIO_PRIV='$KD/src'
HARNESS_DIR='$KD/src/tools/testing/selftests'
CHECKPATCH='$KD/src/scripts/checkpatch.pl'
KERNELDOC='$([ "$SERIES" = 6.12 ] && echo "$KD/src/scripts/kernel-doc")'
VMLINUZ='$KD/vmlinuz'
MODROOT='$KD/modroot'
EOF
}

# --- main ----------------------------------------------------------------------

if [ "$SERIES" = 7.2 ]; then
	ensure_trixie_root
	refresh_lists "$ROOT"
else
	refresh_lists ""
fi
resolve_kver

if cache_is_current; then
	exit 0
fi

note "preparing $KVER ($IMG $KPKGVER from $SUITE)"
NEW=$KD.new
rm -rf "$NEW"
mkdir -p "$NEW/x" "$NEW/src"

# 1. Headers for module builds: installed with apt, exact versions.
hdr_pkgs=("linux-headers-$KVER=$KPKGVER")
for p in $(deps_matching "linux-headers-$KVER" "${KVER%-amd64}"); do
	hdr_pkgs+=("$p=$KPKGVER")
done
hroot=
[ "$SERIES" = 7.2 ] && hroot=$ROOT
if ! headers_installed; then
	note "installing ${hdr_pkgs[*]} in ${hroot:-/}"
	apt_install "${hdr_pkgs[@]}"
	headers_installed || die "linux-headers-$KVER $KPKGVER did not install"
fi
[ -r "$hroot/usr/src/linux-headers-$KVER/Makefile" ] ||
	die "headers tree $hroot/usr/src/linux-headers-$KVER is missing"

# 2. The kernel image and modules: downloaded and unpacked, not installed.
#    6.12 ships one linux-image-KVER; 7.2 splits it into linux-image-KVER
#    (empty) + linux-binary-KVER (vmlinuz) + linux-modules-KVER + linux-base-KVER.
declare -A seen=()
queue=("$IMG")
while [ ${#queue[@]} -gt 0 ]; do
	p=${queue[0]}
	queue=("${queue[@]:1}")
	[ -n "${seen[$p]:-}" ] && continue
	seen[$p]=1
	v=$(suite_version "$p")
	[ "$v" = "$KPKGVER" ] || die "$p is version '$v' in $SUITE, expected $KPKGVER"
	f=$(fetch_deb "$p" "$KPKGVER")
	case "$(dpkg-deb -f "$f" Source)" in
	linux|linux\ *)
		sv=$(deb_source_version "$f")
		[ "$sv" = "$KPKGVER" ] ||
			die "$p was built from linux $sv, expected $KPKGVER"
		;;
	esac
	dpkg-deb -x "$f" "$NEW/x"
	for d in $(deps_matching "$p" "${KVER%-amd64}"); do
		queue+=("$d")
	done
done

for d in "$NEW/x/lib/modules/$KVER" "$NEW/x/usr/lib/modules/$KVER"; do
	[ -d "$d/kernel" ] && moddir=$d
done
[ -n "${moddir:-}" ] || die "no modules for $KVER in the image packages"
for f in "$NEW/x/boot/vmlinuz-$KVER" "$moddir/vmlinuz"; do
	[ -s "$f" ] && vmlinuz=$f
done
[ -n "${vmlinuz:-}" ] || die "no vmlinuz for $KVER in the image packages"
mv "$vmlinuz" "$NEW/vmlinuz"
mkdir -p "$NEW/modroot/lib/modules"
mv "$moddir" "$NEW/modroot/lib/modules/$KVER"
for f in config System.map; do
	if [ -e "$NEW/x/boot/$f-$KVER" ]; then
		mv "$NEW/x/boot/$f-$KVER" "$NEW/modroot/lib/modules/$KVER/$f"
	fi
done
rm -rf "$NEW/x"
depmod -b "$NEW/modroot" "$KVER" || die "depmod failed for $KVER"

# 3. The matching linux-source: private vfio.h, kselftest harness, checkpatch.
srcpkg=linux-source-$SERIES
srcver=$(apt_cache madison "$srcpkg" 2>/dev/null |
	awk -F'|' -v v="$KPKGVER" '{ gsub(/ /, "", $2) } $2 == v { print $2; exit }')
[ "$srcver" = "$KPKGVER" ] ||
	die "$srcpkg $KPKGVER (the source of $IMG) is not in the archive;" \
		"available: $(apt_cache madison "$srcpkg" | awk -F'|' '{printf "%s", $2}')"
f=$(fetch_deb "$srcpkg" "$KPKGVER")
if [ "$(dpkg-deb -f "$f" Version)" != "$KPKGVER" ] ||
   [ "$(deb_source_version "$f")" != "$KPKGVER" ]; then
	die "$f is not linux $KPKGVER: version mismatch with $IMG"
fi

top=linux-source-$SERIES
members=(
	"$top/drivers/vfio/vfio.h"
	"$top/scripts/checkpatch.pl"
	"$top/scripts/spelling.txt"
	"$top/scripts/const_structs.checkpatch"
	"$top/tools/testing/selftests/kselftest*.h"
)
# 6.12's kernel-doc is one standalone perl script (7.x's is python with a
# library tree): check.sh uses it to lint the kernel-doc comments.
[ "$SERIES" = 6.12 ] && members+=("$top/scripts/kernel-doc")
# Debian's 7.x headers packages miss scripts/checker-valid.sh, which kbuild
# runs for C=1: without it sparse is silently skipped.  Take it from the source.
need_cv=()
for d in "$hroot/usr/src/linux-headers-$KVER" "$hroot"/usr/src/linux-headers-"${KVER%-amd64}"-common; do
	if [ -e "$d/Makefile" ] && grep -q 'scripts/checker-valid.sh' "$d/Makefile" &&
	   [ ! -e "$d/scripts/checker-valid.sh" ]; then
		need_cv+=("$d/scripts")
	fi
done
[ ${#need_cv[@]} -gt 0 ] && members+=("$top/scripts/checker-valid.sh")

note "extracting ${#members[@]} files from $srcpkg $KPKGVER"
dpkg-deb --fsys-tarfile "$f" | tar -xO "./usr/src/$top.tar.xz" |
	tar -xJ -C "$NEW/src" --strip-components=1 --wildcards "${members[@]}" ||
	die "extracting ${members[*]} from $f failed"
for p in "${members[@]}"; do
	compgen -G "$NEW/src/${p#"$top"/}" >/dev/null || die "$p missing in $srcpkg"
done
for d in "${need_cv[@]}"; do
	install -m 0755 "$NEW/src/scripts/checker-valid.sh" "$d/checker-valid.sh"
done
# The harness must be self-contained: every "quoted" include must be there.
for h in "$NEW"/src/tools/testing/selftests/kselftest*.h; do
	for inc in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$h"); do
		[ -e "$NEW/src/tools/testing/selftests/$inc" ] ||
			die "${h##*/} includes \"$inc\", which was not extracted"
	done
done
# checkpatch.pl must run standalone (--no-tree) with its companion files.
printf '// SPDX-License-Identifier: GPL-2.0\nint kvm_viommu_probe;\n' >"$NEW/probe.c"
out=$(cd "$NEW" && perl src/scripts/checkpatch.pl --no-tree --strict -q -f probe.c 2>&1) ||
	die "checkpatch.pl failed on a clean file: $out"
[ -z "$out" ] || die "checkpatch.pl is not standalone: $out"
rm -f "$NEW/probe.c"

printf '%s\n' "$KVER" >"$NEW/KVER"
write_env "$NEW/env"
touch "$NEW/.complete"

rm -rf "$KD.old"
[ -e "$KD" ] && mv "$KD" "$KD.old"
mv "$NEW" "$KD"
# write_env used the final paths; nothing inside refers to .new.
rm -rf "$KD.old"

# Headers of kernels this series no longer uses, inside our own trixie root.
if [ "$SERIES" = 7.2 ]; then
	old=$(dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Package}\n' \
		'linux-headers-*' 'linux-kbuild-*' 2>/dev/null |
		grep -vF -e "${KVER%-amd64}" || true)
	if [ -n "$old" ]; then
		# shellcheck disable=SC2086
		in_root apt-get "${APT_OPTS[@]}" purge -y $old >/dev/null 2>&1 ||
			note "could not purge old headers: $old"
	fi
fi
note "ready: $KD (KVER $KVER)"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the host packages the VM test tier needs (Debian 12 host, root).
#
# Idempotent: when every package is already installed, apt is not touched at
# all and the script returns in a few milliseconds.  The bookworm-backports
# suite is added (reusing the mirror URI already configured on the machine)
# when it is missing, because kernels.sh resolves the 6.12 kernel from it.
#
# Usage: scripts/vm/host-deps.sh
set -euo pipefail

BPO_SOURCES=/etc/apt/sources.list.d/kvm-viommu-bpo.sources

# Plain bookworm package names; nothing from backports is needed here.
PKGS=(
	qemu-system-x86 busybox-static kmod dwarves sparse debootstrap
	debian-archive-keyring xz-utils cpio zstd gzip gcc make libc6-dev perl
	util-linux coreutils findutils clang libclang-rt-14-dev
)

die() { echo "host-deps: error: $*" >&2; exit 1; }

# First "deb" URI of the main Debian archive (not -security) configured here.
debian_mirror_uri() {
	local f uri=
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		[ "$f" = "$BPO_SOURCES" ] && continue
		uri=$(awk '
			/^[[:space:]]*$/ { if (u != "" && deb && main) { print u; exit } u=""; deb=0; main=0; next }
			/^URIs:/   { u=$2 }
			/^Types:/  { for (i = 2; i <= NF; i++) if ($i == "deb") deb=1 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+$/) main=1 }
			END { if (u != "" && deb && main) print u }' "$f" | head -n1)
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -e /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $3 ~ /^[a-z]+$/ {
				for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; exit } }' \
			/etc/apt/sources.list | head -n1)
	fi
	[ -n "$uri" ] || die "cannot find the Debian mirror URI in the apt sources"
	printf '%s\n' "${uri%/}"
}

[ "$(id -u)" = 0 ] || die "must run as root"

added_bpo=0
if [ ! -e "$BPO_SOURCES" ]; then
	uri=$(debian_mirror_uri)
	cat > "$BPO_SOURCES.tmp" <<EOF
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	mv "$BPO_SOURCES.tmp" "$BPO_SOURCES"
	echo "host-deps: added bookworm-backports ($uri) in $BPO_SOURCES"
	added_bpo=1
fi

# One dpkg-query for all packages: a second run costs a few milliseconds.
declare -A have=()
while read -r p st; do
	[ "$st" = installed ] && have[${p%%:*}]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)
missing=()
for p in "${PKGS[@]}"; do
	[ -n "${have[$p]:-}" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ $added_bpo -eq 0 ]; then
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -q -o DPkg::Lock::Timeout=300)
"${APT[@]}" update >/dev/null || die "apt-get update failed"
if [ ${#missing[@]} -gt 0 ]; then
	echo "host-deps: installing ${missing[*]}"
	log=$(mktemp)
	if ! "${APT[@]}" install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		die "apt-get install ${missing[*]} failed"
	fi
	rm -f "$log"
fi

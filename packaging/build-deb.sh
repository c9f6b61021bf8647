#!/bin/sh
# build-deb.sh builds the Debian package of ipslad with dpkg-deb alone:
#   packaging/build-deb.sh [OUTDIR]      (default: dist/)
# It compiles ipslad and ipslactl for the host architecture (GOARCH may
# override), and installs them in /usr/sbin and /usr/bin, the systemd unit,
# the example configuration /etc/ipslad/ipslad.cfg (a conffile: upgrades
# keep local edits) and /etc/default/ipslad. VERSION overrides the version
# (default: from `git describe`, else 0.0.0).
set -eu
cd "$(dirname "$0")/.."
out="${1:-dist}"
go="${GO:-go}"
command -v "$go" >/dev/null 2>&1 || go=/usr/local/go/bin/go
arch="${GOARCH:-$("$go" env GOARCH)}"
if [ -z "${VERSION:-}" ]; then
	# v1.2.3 -> 1.2.3, v1.2.3-4-gabc -> 1.2.3+4.gabc; no tag: 0.0.0+git.HASH
	VERSION="$(git describe --tags --match 'v[0-9]*' 2>/dev/null | sed 's/^v//; s/-/+/; s/-/./g')" ||
		VERSION=""
	[ -n "$VERSION" ] || VERSION="0.0.0+git.$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
fi
version="$VERSION"

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
mkdir -p "$root/DEBIAN" "$root/usr/sbin" "$root/usr/bin" "$root/lib/systemd/system" \
	"$root/etc/ipslad" "$root/etc/default" "$root/usr/share/doc/ipslad"
ldflags="-s -w -X main.version=$version"
GOARCH="$arch" "$go" build -ldflags "$ldflags" -o "$root/usr/sbin/ipslad" ./cmd/ipslad
GOARCH="$arch" "$go" build -ldflags "$ldflags" -o "$root/usr/bin/ipslactl" ./cmd/ipslactl
install -m 0644 packaging/ipslad.service "$root/lib/systemd/system/ipslad.service"
install -m 0644 packaging/ipslad.cfg "$root/etc/ipslad/ipslad.cfg"
install -m 0644 packaging/default "$root/etc/default/ipslad"
install -m 0644 README.md "$root/usr/share/doc/ipslad/README.md"
install -m 0644 LICENSE "$root/usr/share/doc/ipslad/copyright"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
printf '/etc/ipslad/ipslad.cfg\n/etc/default/ipslad\n' >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/control" <<CONTROL
Package: ipslad
Version: $version
Architecture: $arch
Maintainer: ipslad developers <ipslad@example.org>
Section: net
Priority: optional
Depends: adduser
Suggests: frr
Installed-Size: $(du -ks "$root" | cut -f1)
Homepage: https://github.com/ipslad/ipslad
Description: Cisco IOS style IP SLA, object tracking and tracked static routes
 ipslad reads an IOS style configuration (ip sla, track, ip route ... track),
 runs the scheduled probes, evaluates the track objects and installs the
 tracked static routes in the kernel with its own route protocol, for FRR to
 redistribute. ipslactl shows its state as IOS does (show ip sla statistics,
 show track brief).
CONTROL
mkdir -p "$out"
deb="$out/ipslad_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"

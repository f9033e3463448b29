#!/bin/sh
# Installs every Debian package tldsign's build, tests, demo and benchmarks need.
# Idempotent: does nothing (and needs no network) when all are present.
# Usage: scripts/install-deps.sh [--check]   (--check: only report what is missing)
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev
libssl-dev libldns-dev libp11-dev libyaml-dev libsqlite3-dev sqlite3
softhsm2 opensc ldnsutils knot knot-dnssecutils knot-dnsutils
bind9 bind9-utils bind9-dnsutils nsd unbound postgresql
python3 python3-yaml time procps iproute2 xxd"
# Each area may list extra packages, one per line, in scripts/deps.d/*.txt.
here=$(cd "$(dirname "$0")" && pwd)
for f in "$here"/deps.d/*.txt; do
	[ -f "$f" ] && PACKAGES="$PACKAGES $(grep -v '^#' "$f" | tr '\n' ' ')"
done

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "missing packages:$missing"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# Daemons from these packages must not start on the host: tests run their own
# instances on loopback high ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done" >&2

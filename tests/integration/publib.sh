# Helpers for the publisher's integration tests (60-69): test zones signed by
# ldns-signzone with a fixed Ed25519 key window, the tldpub driver, bounded waits.
# Source after lib.sh.
TLDPUB=${TLDPUB:-$TLDSIGN_TOOLS/tldpub}
PORT_PRIMARY=${PORT_PRIMARY:-15300}

need() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip_all "$c not installed"; done; }

# make_zone SERIAL N VARIANT OUT: N delegations; VARIANT != 0 changes every 50th NS
make_zone() {
	awk -v serial="$1" -v n="$2" -v variant="$3" 'BEGIN {
		print "$ORIGIN test."; print "$TTL 3600"
		print "@ SOA ns1.nic.test. hostmaster.nic.test. " serial " 1800 900 1209600 3600"
		print "@ NS ns1.nic.test."; print "@ NS ns2.nic.test."
		print "ns1.nic A 127.0.0.1"; print "ns2.nic AAAA ::1"
		for (i = 0; i < n; i++) {
			ns = (variant != 0 && i % 50 == 0) ? "ns" variant ".other.example." : "ns1.dom" i ".example."
			print "dom" i " NS " ns
			if (i % 10 == 0) print "dom" i " DS 12345 13 2 " sprintf("%064d", i)
		}
	}' > "$4"
}

# sign_zone IN OUT: NSEC3 opt-out, Ed25519 (deterministic signatures), fixed window
sign_zone() {
	if [ ! -f "$TMP/zsk.key" ]; then
		(cd "$TMP" && k=$(ldns-keygen -a ED25519 -k test.) && mv "$k.key" zsk.key && mv "$k.private" zsk.private && rm -f "$k.ds")
	fi
	ldns-signzone -i 20200101000000 -e 20371231000000 -n -p -o test. -f "$2" "$1" "$TMP/zsk" >/dev/null
}

new_secret() { head -c 32 /dev/urandom | base64; }

# wait_for SECONDS CMD...: retries CMD every 0.2 s; returns its last status
wait_for() {
	_limit=$(( $1 * 5 )); shift
	_i=0
	while [ $_i -lt $_limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# soa_serial PORT [KEYSPEC]: the serial served at 127.0.0.1@PORT
soa_serial() {
	if [ -n "${2:-}" ]; then kdig @127.0.0.1 -p "$1" -y "$2" +short +time=1 +retry=0 test. SOA | awk 'NR==1 {print $3}'
	else kdig @127.0.0.1 -p "$1" +short +time=1 +retry=0 test. SOA | awk 'NR==1 {print $3}'; fi
}
serial_is() { [ "$(soa_serial "$1" "${3:-}")" = "$2" ]; }

# axfr_sorted PORT [KEYSPEC]: the zone's records, one per line, sorted, SOA once
axfr_sorted() {
	if [ -n "${2:-}" ]; then kdig @127.0.0.1 -p "$1" -y "$2" +noall +answer +time=5 test. AXFR
	else kdig @127.0.0.1 -p "$1" +noall +answer +time=5 test. AXFR; fi | grep -v '^;' | awk 'NF' | sort -u
}

# start_bg PIDFILE LOG CMD...: runs a daemon in the background, killed at exit
start_bg() {
	_pidf=$1 _log=$2; shift 2
	"$@" >"$_log" 2>&1 &
	echo $! > "$_pidf"
	at_exit "kill \$(cat '$_pidf') 2>/dev/null; sleep 0.2; kill -9 \$(cat '$_pidf') 2>/dev/null"
}

# cli_config FILE PORT SECRET KEEP: a tldsign.yaml for the real CLI serving
# test. on 127.0.0.1@PORT and ::1@PORT with TSIG key "xfr" (127.0.0.0/8, ::1)
cli_config() {
	cat > "$1" <<CONF
zone: test.
state-dir: state/
hsm: {module: /usr/lib/softhsm/libsofthsm2.so, token: unused, pin-env: TLDSIGN_PIN}
apex:
  soa: {mname: ns1.nic.test., rname: hostmaster.nic.test., refresh: 1800, retry: 900,
        expire: 1209600, minimum: 3600, ttl: 3600}
  ns: [ns1.nic.test., ns2.nic.test.]
output: {dir: zones/, keep: $4}
publish:
  listen: ["127.0.0.1@$2"]
  tsig: [{name: xfr, algorithm: hmac-sha256, secret: "$3"}]
  acl: [{key: xfr, from: ["127.0.0.0/8"]}]
CONF
}

# now_ms: wall clock in milliseconds
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Shell helpers for tests that need a SoftHSM2 token and a tldsign instance.
# Source after lib.sh:
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/lib-hsm.sh"
#
#   hsm_require                       skip_all unless SoftHSM2 and its tools exist
#   hsm_make_token DIR LABEL          token in DIR/tokens, DIR/softhsm2.conf, DIR/pin (0600,
#                                     PIN 1234, SO PIN 5678); exports SOFTHSM2_CONF
#   hsm_make_instance DIR ZONE [ALG]  DIR/tldsign.yaml + DIR/policy.yaml + token in DIR/hsm
#                                     + a KSK and a ZSK generated with `tldsign key generate`
#                                     (ALG: policy algorithm name, default ecdsap256sha256);
#                                     sets HSM_KSK_TAG, HSM_ZSK_TAG; exports TLDSIGN_CONFIG
#   hsm_write_config DIR ZONE [ALG]   only the two YAML files (token must exist in DIR/hsm)
HSM_MODULE=${TLDSIGN_SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
HSM_PIN=1234

hsm_require() {
	[ -r "$HSM_MODULE" ] || skip_all "SoftHSM2 module $HSM_MODULE missing"
	command -v softhsm2-util >/dev/null 2>&1 || skip_all "softhsm2-util missing"
}

hsm_make_token() { # DIR LABEL
	mkdir -p "$1/tokens" || return 1
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$(cd "$1" && pwd)" >"$1/softhsm2.conf"
	(umask 077 && printf '%s\n' "$HSM_PIN" >"$1/pin")
	SOFTHSM2_CONF=$(cd "$1" && pwd)/softhsm2.conf
	export SOFTHSM2_CONF
	softhsm2-util --init-token --free --label "$2" --pin "$HSM_PIN" --so-pin 5678 >/dev/null
}

hsm_write_config() { # DIR ZONE [ALG]
	cat >"$1/tldsign.yaml" <<EOT
zone: $2
export: export/
state-dir: state/
policy: policy.yaml
hsm:
  module: $HSM_MODULE
  token: tldsign
  pin-file: hsm/pin
  softhsm-conf: hsm/softhsm2.conf
apex:
  soa: {mname: ns1.nic.$2, rname: hostmaster.nic.$2, refresh: 1800, retry: 900,
        expire: 1209600, minimum: 3600, ttl: 3600}
  ns: [ns1.nic.$2, ns2.nic.$2]
EOT
	cat >"$1/policy.yaml" <<EOT
algorithm: ${3:-ecdsap256sha256}
keys:
  ksk: {lifetime: 1y}
  zsk: {lifetime: 90d}
signatures: {validity: 14d, dnskey-validity: 21d, refresh: 7d, jitter: 0, inception-offset: 1h}
EOT
}

hsm_make_instance() { # DIR ZONE [ALG]
	mkdir -p "$1/hsm" || return 1
	hsm_make_token "$1/hsm" tldsign || return 1
	hsm_write_config "$1" "$2" "${3:-}"
	TLDSIGN_CONFIG=$(cd "$1" && pwd)/tldsign.yaml
	export TLDSIGN_CONFIG
	HSM_KSK_TAG=$("$TLDSIGN" -c "$TLDSIGN_CONFIG" key generate --role ksk | cut -d' ' -f1) || return 1
	HSM_ZSK_TAG=$("$TLDSIGN" -c "$TLDSIGN_CONFIG" key generate --role zsk | cut -d' ' -f1) || return 1
	[ -n "$HSM_KSK_TAG" ] && [ -n "$HSM_ZSK_TAG" ]
}

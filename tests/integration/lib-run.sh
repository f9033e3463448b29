# Shared by the run tests (80-89).  Source after lib.sh and lib-hsm.sh.
#
#   run_t0                 a fixed-per-test start time 1-2 hours before the wall
#                          clock (outside validators such as dnssec-verify check
#                          signature times against the real clock)
#   run_init DIR NOW       tldsign init DIR --zone test, plus a SoftHSM token and
#                          a KSK + ZSK (tldsign key generate) when this build's
#                          init does not make them

run_t0() { echo $(($(date +%s) / 3600 * 3600 - 7200)); }

run_init() {
	run_cmd "$TLDSIGN" --now "$2" init "$1" --zone test
	[ "$rc" -eq 0 ] || return 1
	if echo "$out" | grep -q "keys are not created by this build"; then
		hsm_make_token "$1/hsm" tldsign >/dev/null || return 1
		"$TLDSIGN" -c "$1/tldsign.yaml" --now "$2" key generate --role ksk >/dev/null 2>&1 &&
			"$TLDSIGN" -c "$1/tldsign.yaml" --now "$2" key generate --role zsk >/dev/null 2>&1
	fi
}

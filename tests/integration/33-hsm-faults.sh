#!/bin/sh
# Session loss and token removal mid-run (issue 3 point 6), through a real
# fault-injecting PKCS#11 module (tests/p11fault/p11fault.c) in front of
# SoftHSM2: one transient session loss while `tldsign sign` signs is
# re-opened and retried once (every signature still verifies); a persistent
# failure is a clean HSM error (exit 4) naming action, key and CKR code with
# nothing written; a rejected PIN is tried exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
. "$(dirname "$0")/sign-common.inc"
sign_require
command -v cc >/dev/null 2>&1 || skip_all "no C compiler for the fault module"

FAULT=$TMP/p11fault.so
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -shared -fPIC -I"$TOP" \
	"$TOP/tests/p11fault/p11fault.c" -o "$FAULT" -ldl
ok $? "fault-injecting PKCS#11 module builds"

S=$TMP/s
sign_instance "$S" test. '{type: nsec3, opt-out: true}' adopt
ok $? "instance for test. with adopted ECDSA keys"
sed "s|module: .*|module: $FAULT|" "$S/tldsign.yaml" >"$S/fault.yaml"
tld_zone 1500 "$S/in.zone"; ok $? "1500-delegation zone"
P11FAULT_MODULE=$HSM_MODULE; export P11FAULT_MODULE
LOG=$TMP/fault.log; P11FAULT_LOG=$LOG; export P11FAULT_LOG
reset_log() { rm -f "$LOG" "$LOG.once"; }
signz() {
	[ -n "${DEBUG_FAULT:-}" ] && set -x # OUT [extra sign args]: sign test. through the fault module on 2 workers
	_o=$1; shift
	run_cmd "$TLDSIGN" -c "$S/fault.yaml" --now "$SIGN_NOW" sign --workers 2 -i "$S/in.zone" -o "$_o" \
		--previous "$S/in.zone" "$@"
}

# --- no fault: the module is a faithful pass-through
reset_log
signz "$S/clean.zone"
is 0 "$rc" "no fault injected: sign exits 0"
is 0 "$(grep -c FAULT "$LOG")" "no fault logged"

# --- one transient fault per kind: re-open, retry once, the zone verifies
for rv in CKR_SESSION_HANDLE_INVALID CKR_DEVICE_REMOVED CKR_TOKEN_NOT_PRESENT; do
	reset_log
	P11FAULT_SIGN_N=40 P11FAULT_SIGN_RV=$rv P11FAULT_SIGN_MODE=once signz "$S/once-$rv.zone"
	is 0 "$rc" "$rv once: sign exits 0 ($(printf '%s' "$out" | tail -1))"
	is 1 "$(grep -c "^FAULT C_Sign $rv " "$LOG")" "$rv once: exactly one fault injected"
	fpid=$(awk '/^FAULT/ {print $NF}' "$LOG")
	is 2 "$(grep -c "^C_Login $fpid\$" "$LOG")" "$rv once: the faulted worker logged in again (2 logins)"
	n_clean=$(awk '$4 == "RRSIG"' "$S/clean.zone" | wc -l)
	n_once=$(awk '$4 == "RRSIG"' "$S/once-$rv.zone" | wc -l)
	is "$n_clean" "$n_once" "$rv once: as many RRSIGs as without the fault ($n_once)"
done
referees test. "$S/once-CKR_DEVICE_REMOVED.zone" "zone signed across a token removal"
"$TLDSIGN" --now "$SIGN_NOW" verify "$S/once-CKR_SESSION_HANDLE_INVALID.zone" >/dev/null 2>&1
ok $? "zone signed across a closed session: tldsign verify accepts it"
"$TLDSIGN" --now "$SIGN_NOW" verify "$S/once-CKR_TOKEN_NOT_PRESENT.zone" >/dev/null 2>&1
ok $? "zone signed across a missing token: tldsign verify accepts it"

# --- persistent failure: clean HSM error, nothing half-written
# the previous signed zone stays as it was; --previous the unsigned input so
# that no signature can be reused and every one goes to the token
cp "$S/clean.zone" "$S/out.zone"
cp "$S/out.zone" "$S/out.keep"
ls "$S" >"$TMP/ls.before"
reset_log
P11FAULT_SIGN_N=40 P11FAULT_SIGN_RV=CKR_DEVICE_REMOVED P11FAULT_SIGN_MODE=always signz "$S/out.zone"
is 4 "$rc" "persistent CKR_DEVICE_REMOVED: exit 4"
printf '%s\n' "$out" | grep -Eq "C_Sign on key ($ZSK_TAG \(zsk\)|$KSK_TAG \(ksk\)): CKR_DEVICE_REMOVED"
ok $? "first error names action, key and code ($(printf '%s' "$out" | grep -m1 C_Sign))"
cmp -s "$S/out.zone" "$S/out.keep"; ok $? "the previous output is untouched"
ls "$S" >"$TMP/ls.after"
cmp -s "$TMP/ls.before" "$TMP/ls.after"; ok $? "no file left behind (no .tmp, no .sigs)"
nf=$(grep -c "^FAULT C_Sign" "$LOG")
nl=$(grep -c "^C_Login" "$LOG")
is 5 "$nl" "$nl logins for $nf faults: parent + 2 workers + one re-open each, then given up"

reset_log
P11FAULT_SIGN_N=1 P11FAULT_SIGN_RV=CKR_SESSION_HANDLE_INVALID P11FAULT_SIGN_MODE=always signz "$S/out.zone"
is 4 "$rc" "persistent CKR_SESSION_HANDLE_INVALID: exit 4"
printf '%s\n' "$out" | grep -Eq "C_Sign on key [0-9]+ \((zsk|ksk)\): CKR_SESSION_HANDLE_INVALID"
ok $? "first error: C_Sign on key ...: CKR_SESSION_HANDLE_INVALID"
cmp -s "$S/out.zone" "$S/out.keep"; ok $? "the previous output is untouched"

# --- PIN incorrect: one C_Login in all processes, exit 4
reset_log
P11FAULT_LOGIN_RV=CKR_PIN_INCORRECT signz "$S/out.zone"
is 4 "$rc" "PIN incorrect: exit 4"
is 1 "$(grep -c '^C_Login' "$LOG")" "exactly one C_Login call reached the module"
printf '%s\n' "$out" | grep -q "CKR_PIN_INCORRECT"; ok $? "message says CKR_PIN_INCORRECT"
cmp -s "$S/out.zone" "$S/out.keep"; ok $? "the previous output is untouched"

reset_log
nkeys=$(sqlite3 "$S/state/state.db" "SELECT count(*) FROM keys")
P11FAULT_LOGIN_RV=CKR_PIN_INCORRECT run_cmd "$TLDSIGN" -c "$S/fault.yaml" key generate --role zsk
is 4 "$rc" "PIN incorrect on key generate: exit 4"
is 1 "$(grep -c '^C_Login' "$LOG")" "key generate: exactly one C_Login"
is "$nkeys" "$(sqlite3 "$S/state/state.db" "SELECT count(*) FROM keys")" "key generate: no key recorded"
done_testing

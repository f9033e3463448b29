#!/bin/sh
# The key policy commands on a real instance (SoftHSM token): policy check,
# rollover status in words, a ZSK rollover started by hand, ds seen with the
# DS printed, ceremonies that advance the states, and the audit trail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-hsm.sh"
hsm_require
I="$TMP/inst"
T0=2026-11-21T10:00:00Z
mkdir -p "$I/hsm" && hsm_make_token "$I/hsm" tldsign && hsm_write_config "$I" test.
ok $? "token and instance"
C="-c $I/tldsign.yaml"

# the keys come from the KSK generation ceremony (tld_key_generate in the token)
run_cmd "$TLDSIGN" $C --now $T0 ceremony run "$TOP/etc/ceremonies/ksk-generation.yaml" --yes \
	--participant "Alice (administrator)" --transcript "$TMP/gen.txt"
is 0 "$rc" "KSK generation ceremony"
grep -q "Result: completed" "$TMP/gen.txt" ; ok $? "ceremony completed"
grep -q "IN DNSKEY 257 3 13 " "$TMP/gen.txt" ; ok $? "KSK DNSKEY on the paper record"
grep -q "IN DS [0-9]* 13 2 [0-9A-F]\{64\}" "$TMP/gen.txt" ; ok $? "KSK DS with digest on the paper record"
HSM_KSK_TAG=$(sed -n 's/.*IN DNSKEY 257 .*//; s/^KSK \([0-9]*\) .*/\1/p' "$TMP/gen.txt" | head -1)
HSM_ZSK_TAG=$(sed -n 's/^ZSK \([0-9]*\) .*/\1/p' "$TMP/gen.txt" | head -1)
[ -n "$HSM_KSK_TAG" ] && [ -n "$HSM_ZSK_TAG" ] ; ok $? "KSK $HSM_KSK_TAG and ZSK $HSM_ZSK_TAG under the policy"

run_cmd "$TLDSIGN" policy check "$TOP/etc/policy.yaml"
is 0 "$rc" "policy check etc/policy.yaml"
echo "$out" | grep -q "0 warning" ; ok $? "sample policy: no warnings"
sed 's/iterations: 0 /iterations: 10/; s/zsk: {lifetime: 90d}/zsk: {lifetime: 2d}/' "$TOP/etc/policy.yaml" > "$TMP/risky.yaml"
run_cmd "$TLDSIGN" policy check "$TMP/risky.yaml"
is 0 "$rc" "risky policy still valid"
echo "$out" | grep -q "denial.iterations" ; ok $? "RFC 9276 warning"
echo "$out" | grep -q "keys.zsk.lifetime.*short" ; ok $? "short lifetime warning"
printf 'algorithm: rot13\n' > "$TMP/bad.yaml"
run_cmd "$TLDSIGN" policy check "$TMP/bad.yaml"
is 2 "$rc" "invalid policy: exit 2"

run_cmd "$TLDSIGN" $C policy simulate --years 5 --from $T0 --quiet
is 0 "$rc" "simulate the instance's policy for 5 years"
echo "$out" | grep -q " 0 invariant breaks" ; ok $? "no break"

run_cmd "$TLDSIGN" $C --now $T0 rollover status
is 0 "$rc" "rollover status"
echo "$out" | grep -q "KSK $HSM_KSK_TAG .*DNSKEY rumoured" ; ok $? "KSK DNSKEY rumoured after the ceremony"

cat > "$TMP/advance.yaml" <<'YAML'
ceremony: advance
steps:
  - {title: advance, action: advance}
  - {title: status, action: status}
YAML
for t in 2026-11-21T10:00:00Z 2026-11-21T13:00:00Z 2026-11-23T12:00:00Z; do
	"$TLDSIGN" $C --now $t ceremony run "$TMP/advance.yaml" --yes --transcript "$TMP/adv-$t.txt" >/dev/null 2>&1
	ok $? "advance at $t"
done
run_cmd "$TLDSIGN" $C --now 2026-11-23T12:00:00Z rollover status
echo "$out" | grep -q "tldsign ds seen $HSM_KSK_TAG" ; ok $? "status asks for ds seen"
echo "$out" | grep -q "DS to submit to the parent: test. IN DS $HSM_KSK_TAG 13 2 [0-9A-F]\{64\}" ; ok $? "DS to submit shown"
run_cmd "$TLDSIGN" $C --now 2026-12-05T12:00:00Z rollover status
echo "$out" | grep -q "WARNING: the parent has not published" ; ok $? "a DS waiting 12 days is a warning"

run_cmd "$TLDSIGN" $C --now 2026-11-24T12:00:00Z ds seen 9
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "ds seen for an unknown tag fails"
run_cmd "$TLDSIGN" $C --now 2026-11-24T12:00:00Z ds seen "$HSM_ZSK_TAG"
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "ds seen for a ZSK fails"
run_cmd "$TLDSIGN" $C --now 2026-11-24T12:00:00Z ds seen "$HSM_KSK_TAG" --actor alice
is 0 "$rc" "ds seen"
echo "$out" | grep -q "test. IN DS $HSM_KSK_TAG 13 2" ; ok $? "ds seen prints the DS"

run_cmd "$TLDSIGN" $C --now 2026-11-25T12:00:00Z rollover start zsk --actor bob
is 0 "$rc" "rollover start zsk"
NEW=$(echo "$out" | sed -n 's/^new key \([0-9]*\):/\1/p')
[ -n "$NEW" ] && [ "$NEW" != "$HSM_ZSK_TAG" ] ; ok $? "new ZSK $NEW"
echo "$out" | grep -q "IN DNSKEY 256 3 13 " ; ok $? "its DNSKEY printed"
run_cmd "$TLDSIGN" $C --now 2026-11-25T12:00:00Z rollover start zsk
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "a second ZSK rollover is refused while one runs"
run_cmd "$TLDSIGN" $C --now 2026-11-25T12:00:00Z rollover status
echo "$out" | grep -q "ZSK $HSM_ZSK_TAG .*being retired" ; ok $? "old ZSK being retired"
echo "$out" | grep -q "ZSK $NEW .*being introduced" ; ok $? "new ZSK being introduced"

run_cmd "$TLDSIGN" $C --now 2026-11-20T12:00:00Z ceremony run "$TMP/advance.yaml" --yes --transcript "$TMP/back.txt"
ok $([ "$rc" -ne 0 ] && echo 0 || echo 1) "advancing with the clock backwards fails"
grep -q "FAILED" "$TMP/back.txt" ; ok $? "the ceremony says so"

run_cmd "$TLDSIGN" $C audit list
echo "$out" | grep -q "alice .*ds seen" ; ok $? "ds seen audited with its actor"
echo "$out" | grep -q "DS: test. IN DS $HSM_KSK_TAG" ; ok $? "resulting DS audited"
echo "$out" | grep -q "bob .*rollover start .*tags=$NEW" ; ok $? "rollover start audited"
echo "$out" | grep -q "state change" ; ok $? "state changes audited"
run_cmd "$TLDSIGN" $C audit verify
is 0 "$rc" "audit chain intact"
done_testing

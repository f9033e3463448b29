#!/bin/sh
# tldsign init DIR --zone NAME: config, policy, apex records, sample export and
# state directory; zonegen works on the result; an existing instance is kept.
. "$(dirname "$0")/lib.sh"
NOW=2026-11-21T10:00:00Z

run_cmd "$TLDSIGN" --now "$NOW" init "$TMP/inst" --zone Example
is 0 "$rc" "init exits 0"
for f in tldsign.yaml policy.yaml apex.zone export/manifest.yaml export/domains.csv \
	export/nameservers.csv export/hosts.csv export/ds.csv export/dnskeys.csv; do
	[ -s "$TMP/inst/$f" ]; ok $? "init created $f"
done
[ -d "$TMP/inst/state" ]; ok $? "init created state/"
grep -q '^zone: example\.$' "$TMP/inst/tldsign.yaml"; ok $? "zone normalised in the config"
grep -q 'algorithm: ecdsap256sha256' "$TMP/inst/policy.yaml"; ok $? "policy: ECDSA P-256"
grep -q 'opt-out: true' "$TMP/inst/policy.yaml" && grep -q 'iterations: 0' "$TMP/inst/policy.yaml"
ok $? "policy: NSEC3 opt-out, iterations 0"
grep -q '^tld: example\.$' "$TMP/inst/export/manifest.yaml"; ok $? "sample export is for the zone"
grep -q "exported_at: \"$NOW\"" "$TMP/inst/export/manifest.yaml"; ok $? "sample export stamped with --now"

run_cmd "$TLDSIGN" -c "$TMP/inst/tldsign.yaml" --now "$NOW" zonegen -o "$TMP/z.zone"
is 0 "$rc" "zonegen on the new instance exits 0"
echo "$out" | grep -q "0 bad rows"; ok $? "sample export has no bad rows"
[ -s "$TMP/inst/state/zonegen-report.json" ]; ok $? "report in the state directory"
kzonecheck -o example. "$TMP/z.zone" >"$TMP/kz" 2>&1; ok $? "kzonecheck accepts the sample zone"

cp "$TMP/inst/tldsign.yaml" "$TMP/before"
run_cmd "$TLDSIGN" init "$TMP/inst" --zone example
ok $((rc == 0)) "init refuses an existing instance (exit $rc)"
cmp -s "$TMP/before" "$TMP/inst/tldsign.yaml"; ok $? "existing config untouched"

run_cmd "$TLDSIGN" init "$TMP/x"
is 2 "$rc" "init without --zone is a usage error"
run_cmd "$TLDSIGN" init "$TMP/y" --zone 'bad_zone'
is 2 "$rc" "init with an invalid zone name is a usage error"
done_testing

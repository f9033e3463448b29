#!/bin/sh
# tldsign config check: the annotated samples pass; broken files are reported
# as file:line:column with exit code 2; -c, $TLDSIGN_CONFIG and FILE all work.
. "$(dirname "$0")/lib.sh"

cp "$TOP/etc/tldsign.yaml" "$TOP/etc/policy.yaml" "$TMP/"

run_cmd "$TLDSIGN" config check "$TMP/tldsign.yaml"
is 0 "$rc" "sample config and policy pass"
echo "$out" | grep -q "ok (zone test., policy $TMP/policy.yaml)"; ok $? "policy found next to the config"

run_cmd "$TLDSIGN" -c "$TMP/tldsign.yaml" config check
is 0 "$rc" "-c FILE is checked"

TLDSIGN_CONFIG="$TMP/tldsign.yaml" run_cmd "$TLDSIGN" config check
is 0 "$rc" "\$TLDSIGN_CONFIG is checked"

# One broken config with several problems: every one is reported.
sed -e 's/^zone: test\./zone: te st/' \
    -e 's/notify-timeout: 30s/notify-timeout: 30x/' \
    -e 's/max-ds-drop: 5%/max-ds-drop: 5/' \
    -e 's/^  keep: 10 /  kep: 10 /' \
    "$TMP/tldsign.yaml" >"$TMP/broken.yaml"
run_cmd "$TLDSIGN" config check "$TMP/broken.yaml"
is 2 "$rc" "broken config exits 2"
echo "$out" | grep -q "^$TMP/broken.yaml:18:7: zone: bad domain name 'te st'$"; ok $? "bad zone name at 18:7"
echo "$out" | grep -q "^$TMP/broken.yaml:[0-9]*:3: output.kep: unknown key (did you mean 'keep'?)$"; ok $? "unknown key with suggestion"
echo "$out" | grep -q "^$TMP/broken.yaml:[0-9]*:19: publish.notify-timeout: bad duration '30x' (use s, m, h, d, w, y)$"; ok $? "bad duration"
echo "$out" | grep -q "guards.max-ds-drop: bad share '5'"; ok $? "bare share refused"
echo "$out" | grep -q "^4 problems found$"; ok $? "four problems counted"

# A broken policy is reported through the config that names it.
sed -e 's/refresh: 7d /refresh: 30d/' -e 's/iterations: 0 /iterations: 500/' "$TMP/policy.yaml" >"$TMP/policy2.yaml"
sed -e 's/^policy: policy.yaml/policy: policy2.yaml/' "$TMP/tldsign.yaml" >"$TMP/cfg2.yaml"
run_cmd "$TLDSIGN" config check "$TMP/cfg2.yaml"
is 2 "$rc" "broken policy exits 2"
echo "$out" | grep -q "^$TMP/policy2.yaml:[0-9]*:15: denial.iterations: 500 out of range (0..100)$"; ok $? "iterations out of range"

sed -e 's/iterations: 0 /iterations: 1/' -e 's/refresh: 7d /refresh: 30d/' "$TMP/policy.yaml" >"$TMP/policy2.yaml"
run_cmd "$TLDSIGN" config check "$TMP/cfg2.yaml"
is 2 "$rc" "refresh >= validity exits 2"
echo "$out" | grep -q "signatures.refresh: refresh (30d) must be shorter than validity (14d)"; ok $? "cross-field check reported"

# Document-level failures.
: >"$TMP/empty.yaml"
run_cmd "$TLDSIGN" config check "$TMP/empty.yaml"
is 2 "$rc" "empty file exits 2"
is "$TMP/empty.yaml:1:1: empty file (expected a mapping of settings)
1 problem found" "$out" "empty file message"

printf 'zone: test.\nhsm: {token: x\n' >"$TMP/syntax.yaml"
run_cmd "$TLDSIGN" config check "$TMP/syntax.yaml"
is 2 "$rc" "YAML syntax error exits 2"
echo "$out" | grep -q "^$TMP/syntax.yaml:3:1: YAML syntax error: "; ok $? "syntax error has libyaml's mark"

printf 'a: &a ["x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b]\n' >"$TMP/laughs.yaml"
run_cmd "$TLDSIGN" config check "$TMP/laughs.yaml"
is 2 "$rc" "anchors refused"
echo "$out" | grep -q "laughs.yaml:1:4: YAML anchors and aliases are not supported"; ok $? "anchor position"

run_cmd "$TLDSIGN" config check "$TMP/absent.yaml"
is 2 "$rc" "missing file exits 2"
echo "$out" | grep -q "absent.yaml: cannot read: No such file or directory"; ok $? "missing file named"

sed -e 's/^policy: policy.yaml/policy: nowhere.yaml/' "$TMP/tldsign.yaml" >"$TMP/cfg3.yaml"
run_cmd "$TLDSIGN" config check "$TMP/cfg3.yaml"
is 2 "$rc" "missing policy exits 2"
echo "$out" | grep -q "$TMP/nowhere.yaml: cannot read"; ok $? "missing policy named with its resolved path"

run_cmd "$TLDSIGN" config check a b
is 2 "$rc" "two files is a usage error"

done_testing

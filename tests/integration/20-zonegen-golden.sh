#!/bin/sh
# zonegen on the golden export (tests/golden/zonegen): byte-identical zone and
# report, canonical order (ldns-read-zone -z), kzonecheck as a referee, atomic -o.
. "$(dirname "$0")/lib.sh"
G=$TOP/tests/golden/zonegen
NOW=2026-11-21T11:00:00Z

cp -r "$G" "$TMP/inst"
mkdir -p "$TMP/inst/state"
run_cmd "$TLDSIGN" -c "$TMP/inst/tldsign.yaml" --now "$NOW" zonegen -o "$TMP/z1.zone"
is 0 "$rc" "zonegen exits 0 with bad rows present"
cmp -s "$G/expected.zone" "$TMP/z1.zone"; ok $? "zone matches tests/golden/zonegen/expected.zone"
[ $? -eq 0 ] || diff "$G/expected.zone" "$TMP/z1.zone" | sed 's/^/# /'
cmp -s "$G/expected-report.json" "$TMP/inst/state/zonegen-report.json"
ok $? "default report STATE_DIR/zonegen-report.json matches expected-report.json"
echo "$out" | grep -q "domains.csv:9: name other.example. is outside the zone test."
ok $? "bad row logged as file:line: reason"
echo "$out" | grep -q "15 bad rows"; ok $? "summary counts bad rows"

run_cmd "$TLDSIGN" -q -c "$TMP/inst/tldsign.yaml" --now "$NOW" zonegen -o "$TMP/z2.zone" --report "$TMP/r2.json"
is 0 "$rc" "second run exits 0"
cmp -s "$TMP/z1.zone" "$TMP/z2.zone"; ok $? "byte-identical across runs"
cmp -s "$TMP/r2.json" "$G/expected-report.json"; ok $? "--report FILE honoured"
ls "$TMP" | grep -q '\.tmp' ; is 1 "$?" "no temporary files left next to the output"

# -vv: each file's build time and the builder's wait for the reader, in the files' order
run_cmd "$TLDSIGN" -vv -c "$TMP/inst/tldsign.yaml" --now "$NOW" zonegen -o "$TMP/z4.zone" --report "$TMP/r4.json"
is 0 "$rc" "-vv run exits 0"
cmp -s "$TMP/z1.zone" "$TMP/z4.zone"; ok $? "-vv: the same zone"
built=$(echo "$out" | sed -n 's/.*zonegen: \([a-z]*\.csv\) built in [0-9.]* s, [0-9.]* s of it waiting for the reader.s rows (CPU s: [0-9.]* building, [0-9.]* reading)$/\1/p' | tr '\n' ' ')
is "domains.csv nameservers.csv hosts.csv ds.csv dnskeys.csv " "$built" "-vv: every file's build and wait timed, in order"

"$TLDSIGN" -q -c "$TMP/inst/tldsign.yaml" --now "$NOW" zonegen --report "$TMP/r3.json" >"$TMP/stdout.zone"
cmp -s "$TMP/stdout.zone" "$TMP/z1.zone"; ok $? "without -o the zone goes to stdout"

ldns-read-zone -z "$TMP/z1.zone" | grep -v '^;' >"$TMP/sorted"
ldns-read-zone "$TMP/z1.zone" | grep -v '^;' >"$TMP/asis"
cmp -s "$TMP/sorted" "$TMP/asis"; ok $? "ldns-read-zone -z (canonical sort) leaves the order unchanged"

kz=$(kzonecheck -o test. "$TMP/z1.zone" 2>&1)
lame=$(echo "$kz" | grep -c '^\[.*missing glue')
is 2 "$lame" "kzonecheck finds only the two lame delegations zonegen reports"
echo "$kz" | grep -q '\[a.test.\] missing glue' ; ok $? "kzonecheck agrees: a.test. is lame"

# lower case everywhere (the export has Example.TEST, NS1.provider.net, 2001:DB8::1)
# (the type mnemonics and IN are the only upper-case words allowed)
sed 's/\tIN\t[A-Z]*\t/\t\t/' "$TMP/z1.zone" | grep -q '[A-Z]'; is 1 "$?" "owner names and RDATA are lower case"

# an existing output is replaced atomically, and kept when the build is refused
echo "old" >"$TMP/keep.zone"
sed -i 's/^tld: test\./tld: other./' "$TMP/inst/export/manifest.yaml"
run_cmd "$TLDSIGN" -c "$TMP/inst/tldsign.yaml" --now "$NOW" zonegen -o "$TMP/keep.zone"
is 3 "$rc" "refused export exits 3"
is "old" "$(cat "$TMP/keep.zone")" "a refused build leaves the previous output untouched"
done_testing

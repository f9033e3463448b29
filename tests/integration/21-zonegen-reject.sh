#!/bin/sh
# Every refusal of the whole export (DESIGN section 4): exit 3, a clear message,
# no output written.
. "$(dirname "$0")/lib.sh"
G=$TOP/tests/golden/zonegen
NOW=2026-11-21T11:00:00Z
WM=$G/write-manifest.sh

fresh() { # fresh NAME: a new instance copy in $TMP/NAME
	rm -rf "$TMP/$1"
	cp -r "$G" "$TMP/$1"
	I=$TMP/$1
}
# refuse NAME MESSAGE-REGEX [--now T]: runs zonegen on $I, expects exit 3 and the message
refuse() {
	name=$1 msg=$2 now=${3:-$NOW}
	run_cmd "$TLDSIGN" -c "$I/tldsign.yaml" --now "$now" zonegen -o "$I/out.zone" --report "$I/r.json"
		is 3 "$rc" "$name: exit 3"
	echo "$out" | grep -Eq "$msg"; ok $? "$name: message /$msg/"
	[ $? -eq 0 ] || echo "$out" | sed 's/^/#   /'
	[ ! -e "$I/out.zone" ]; ok $? "$name: no zone written"
}

fresh ok
run_cmd "$TLDSIGN" -c "$I/tldsign.yaml" --now "$NOW" zonegen -o "$I/out.zone" --report "$I/r.json"
is 0 "$rc" "the unmodified export is accepted"

fresh nomanifest; rm "$I/export/manifest.yaml"
refuse "missing manifest" "manifest.yaml: cannot open"

fresh format; sed -i 's/^format: 1/format: 2/' "$I/export/manifest.yaml"
refuse "format 2" "unsupported format '2'"

fresh tld; sed -i 's/^tld: test\./tld: example./' "$I/export/manifest.yaml"
refuse "tld mismatch" "manifest tld example. does not match the zone test."

fresh missingfile; rm "$I/export/hosts.csv"
refuse "listed file missing" "hosts.csv: cannot open"

fresh unlisted; cp "$I/export/hosts.csv" "$I/export/extra.csv"
refuse "unlisted CSV" "extra.csv is not listed in the manifest"

fresh unknownlisted; cp "$I/export/hosts.csv" "$I/export/extra.csv"; "$WM" "$I/export" 2026-11-21T10:00:00Z
refuse "unknown file in manifest" "lists extra.csv, which is not a file of the export format"

fresh rows; sed -i 's/domains.csv: {rows: 14,/domains.csv: {rows: 15,/' "$I/export/manifest.yaml"
refuse "row count mismatch" "domains.csv has 14 rows, the manifest says 15"

fresh sha; echo "late.test,ok,x" >>"$I/export/domains.csv"
sed -i 's/domains.csv: {rows: 14,/domains.csv: {rows: 15,/' "$I/export/manifest.yaml"
refuse "sha256 mismatch" "domains.csv: SHA-256 does not match the manifest"

fresh old
refuse "export too old" "older than guards.max-export-age 2h" 2026-11-21T12:00:01Z

fresh future
refuse "export from the future" "in the future" 2026-11-21T09:00:00Z

fresh required; grep -v nameservers "$I/export/manifest.yaml" >"$I/m" && mv "$I/m" "$I/export/manifest.yaml"
mv "$I/export/nameservers.csv" "$I/ns.txt"
refuse "required file not listed" "manifest does not list nameservers.csv"

fresh column; sed -i '1s/.*/domain,hostname/' "$I/export/nameservers.csv"; "$WM" "$I/export" 2026-11-21T10:00:00Z
refuse "missing required column" "nameservers.csv:1: bad header: missing column host"

fresh unterminated; printf 'late.test,"ok\n' >>"$I/export/domains.csv"; "$WM" "$I/export" 2026-11-21T10:00:00Z
sed -i 's/domains.csv: {rows: [0-9]*/domains.csv: {rows: 15/' "$I/export/manifest.yaml"
refuse "unterminated quote at EOF" "domains.csv: line 16: unterminated quoted field at end of file"

fresh yaml; printf 'format: 1\ntld: [\n' >"$I/export/manifest.yaml"
refuse "malformed manifest YAML" "manifest.yaml:[0-9]+:[0-9]+:"

fresh shafmt; sed -i 's/sha256: [0-9a-f]*}/sha256: xyz}/' "$I/export/manifest.yaml"
refuse "malformed sha256" "sha256 must be 64 hex digits"

fresh apexout; echo "www.example. 3600 IN A 192.0.2.1" >>"$I/apex.zone"
run_cmd "$TLDSIGN" -c "$I/tldsign.yaml" --now "$NOW" zonegen -o "$I/out.zone" --report "$I/r.json"
is 2 "$rc" "apex.records outside the zone: config error (exit 2)"
echo "$out" | grep -q "apex.zone:[0-9]*: www.example. is outside the zone test."; ok $? "apex.records error names file:line"

fresh apexsoa; echo "@ 3600 IN SOA a. b. 1 2 3 4 5" >>"$I/apex.zone"
run_cmd "$TLDSIGN" -c "$I/tldsign.yaml" --now "$NOW" zonegen -o "$I/out.zone" --report "$I/r.json"
is 2 "$rc" "SOA in apex.records refused (exit 2)"
done_testing

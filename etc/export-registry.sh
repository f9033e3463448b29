#!/bin/sh
# export-registry.sh OUTDIR TLD
#
# Writes the tldsign registry export (DESIGN.md section 4) from the registry
# database (etc/registry-schema.sql): one psql session, one REPEATABLE READ
# READ ONLY transaction (a consistent snapshot), one
# `COPY (SELECT ...) TO STDOUT WITH (FORMAT csv, HEADER true)` per file, then
# manifest.yaml with the row count and SHA-256 of every file.  The export is
# written into a temporary directory next to OUTDIR and renamed into place,
# so a reader never sees half an export.
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER ...).
# EXPORTED_AT=RFC3339 overrides the snapshot time (tests only).
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 OUTDIR TLD" >&2
	exit 2
fi
out=${1%/} tld=$2
tld=${tld%.}.
tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

psql -X -q -v ON_ERROR_STOP=1 -P pager=off <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
\\o $tmp/exported_at
SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') \\g (format=unaligned tuples_only=on)
\\o $tmp/domains.csv
COPY (
    SELECT d.name,
           coalesce((SELECT string_agg(s.status, ' ' ORDER BY s.status)
                     FROM domain_status s WHERE s.domain_id = d.id), 'ok') AS statuses
    FROM domain d ORDER BY d.name
) TO STDOUT WITH (FORMAT csv, HEADER true);
\\o $tmp/nameservers.csv
COPY (
    SELECT d.name AS domain, h.name AS host
    FROM domain_ns n JOIN domain d ON d.id = n.domain_id JOIN host h ON h.id = n.host_id
    ORDER BY d.name, h.name
) TO STDOUT WITH (FORMAT csv, HEADER true);
\\o $tmp/hosts.csv
COPY (
    SELECT h.name AS host, host(a.address) AS address
    FROM host_address a JOIN host h ON h.id = a.host_id
    ORDER BY h.name, a.address
) TO STDOUT WITH (FORMAT csv, HEADER true);
\\o $tmp/ds.csv
COPY (
    SELECT d.name AS domain, s.key_tag, s.algorithm, s.digest_type, s.digest
    FROM domain_ds s JOIN domain d ON d.id = s.domain_id
    ORDER BY d.name, s.key_tag, s.algorithm, s.digest_type, s.digest
) TO STDOUT WITH (FORMAT csv, HEADER true);
\\o $tmp/dnskeys.csv
COPY (
    SELECT d.name AS domain, k.flags, k.protocol, k.algorithm, k.public_key
    FROM domain_key k JOIN domain d ON d.id = k.domain_id
    ORDER BY d.name, k.flags, k.algorithm, k.public_key
) TO STDOUT WITH (FORMAT csv, HEADER true);
\\o
COMMIT;
SQL

at=${EXPORTED_AT:-$(cat "$tmp/exported_at")}
rm -f "$tmp/exported_at"
{
	echo "format: 1"
	echo "tld: $tld"
	echo "exported_at: \"$at\""
	echo "files:"
	for f in domains nameservers hosts ds dnskeys; do
		# records, not lines: a quoted field may hold a newline
		rows=$(awk 'BEGIN { q = 0; n = 0 } { c = gsub(/"/, "\""); if (c % 2) q = !q; if (!q) n++ } END { print n - 1 }' "$tmp/$f.csv")
		sum=$(sha256sum "$tmp/$f.csv" | cut -d' ' -f1)
		echo "  $f.csv: {rows: $rows, sha256: $sum}"
	done
} >"$tmp/manifest.yaml"

if [ -e "$out" ]; then
	mv "$out" "$out.old.$$"
	mv "$tmp" "$out"
	rm -rf "$out.old.$$"
else
	mv "$tmp" "$out"
fi
trap - EXIT

#!/bin/sh
# write-manifest.sh DIR EXPORTED_AT [TLD]: (re)writes DIR/manifest.yaml for
# every DIR/*.csv (rows = CSV records without the header, counted with quotes
# respected; sha256 of the file).  Used by the zonegen golden and rejection tests.
set -eu
dir=$1 at=$2 tld=${3:-test.}
{
	echo "format: 1"
	echo "tld: $tld"
	echo "exported_at: $at"
	echo "files:"
	for f in "$dir"/*.csv; do
		rows=$(awk 'BEGIN{q=0;n=0} {c=gsub(/"/,"\""); if (c%2) q=!q; if (!q) n++} END{print n-1}' "$f")
		sum=$(sha256sum "$f" | cut -d' ' -f1)
		echo "  $(basename "$f"): {rows: $rows, sha256: $sum}"
	done
} >"$dir/manifest.yaml"

#!/bin/sh
# policy simulate: 5 years of every example policy without an invariant break,
# a timeline, an SVG, hand-started rollovers, usage errors.
. "$(dirname "$0")/lib.sh"

FROM=2026-11-21T10:00:00Z
for p in ecdsa-double-ds ecdsa-double-ksk csk rsa; do
	run_cmd "$TLDSIGN" policy simulate --example "$p" --years 5 --from "$FROM" --svg "$TMP/$p.svg"
	is 0 "$rc" "$p: 5 years simulate, exit 0"
	echo "$out" | grep -q " 0 invariant breaks" ; ok $? "$p: zero invariant breaks"
	echo "$out" | grep -q "^2031-" ; ok $? "$p: timeline reaches 2031"
	echo "$out" | grep -q "ds O" ; ok $? "$p: DS reaches omnipresent"
	/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(0 if len(r.findall("{http://www.w3.org/2000/svg}rect")) > 3 else 1)' "$TMP/$p.svg"
	ok $? "$p: SVG is well-formed with key bars"
done

run_cmd "$TLDSIGN" policy simulate --example ecdsa-double-ds --years 2 --from "$FROM" \
	--rollover 2027-01-01T00:00:00Z,algorithm,8 --parent-delay 3d
is 0 "$rc" "algorithm rollover 13 -> 8 by hand: exit 0"
echo "$out" | grep -q "ksk .* alg\|1137\|11[0-9][0-9] *$" ; ok $? "RSA keys show in the DNSKEY response size"

run_cmd "$TLDSIGN" policy simulate --example csk --years 1 --from "$FROM" --parent-delay 40d --quiet
is 0 "$rc" "slow parent (40 days): exit 0"
echo "$out" | grep -q "0 invariant breaks" ; ok $? "slow parent: no break"

run_cmd "$TLDSIGN" policy simulate --example nope
is 2 "$rc" "unknown example: exit 2"
run_cmd "$TLDSIGN" policy simulate --example csk --years 0
is 2 "$rc" "--years 0: exit 2"
run_cmd "$TLDSIGN" policy simulate --example csk --rollover tomorrow,ksk
is 2 "$rc" "bad --rollover: exit 2"
done_testing

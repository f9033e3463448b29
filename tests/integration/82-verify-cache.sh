#!/bin/sh
# The verifier's verified-signature cache (verify/vcache.h): it skips only the
# public-key operation of signatures whose exact bytes verified before, and a
# verification reports the same with or without it.
#  - every case of 51-verify-negative.sh is run through a wrapper that runs
#    each `tldsign verify` twice, without and with the cache of the good zone,
#    and fails on any difference in exit code, stdout or stderr;
#  - a corrupted signature over an unchanged RRset is caught with the cache;
#  - expiry and the refresh window are checked against the current --now;
#  - a cache truncated, damaged, of another zone or not a cache is ignored
#    with a warning and the verification runs in full.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verify-common.inc"

for t in dnssec-keygen dnssec-signzone dnssec-dsfromkey ldns-keygen ldns-signzone ldns-nsec3-hash; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
PY=/usr/bin/python3

# ---- 1. 51-verify-negative.sh through the with/without-cache wrapper ----
WRAP=$TMP/tldsign-wrap
REAL=$TLDSIGN
cat > "$WRAP" <<EOF
#!/bin/sh
# Runs tldsign; for verify, runs it again with --cache (a fresh copy of the
# seed cache: the first zone that verified OK) and compares everything.
real='$REAL' seed='$TMP/seed.vcache' log='$TMP/wrap.log' n=\$\$
case " \$* " in *" verify "*) ;; *) exec "\$real" "\$@";; esac
"\$real" "\$@" >"$TMP/a.out.\$n" 2>"$TMP/a.err.\$n"; a=\$?
if [ -f "\$seed" ]; then
	cp "\$seed" "$TMP/c.\$n"
	"\$real" "\$@" --cache "$TMP/c.\$n" >"$TMP/b.out.\$n" 2>"$TMP/b.err.\$n"; b=\$?
	if [ "\$a" != "\$b" ] || ! cmp -s "$TMP/a.out.\$n" "$TMP/b.out.\$n" || ! cmp -s "$TMP/a.err.\$n" "$TMP/b.err.\$n"; then
		echo "MISMATCH: \$* (exit \$a vs \$b)" >>"\$log"
		diff "$TMP/a.err.\$n" "$TMP/b.err.\$n" | head -10 >>"\$log"
		a=99
	else
		echo "same: \$*" >>"\$log"
	fi
elif [ "\$a" = 0 ]; then
	"\$real" "\$@" --cache "\$seed" >/dev/null 2>&1 || rm -f "\$seed"
fi
cat "$TMP/a.out.\$n"; cat "$TMP/a.err.\$n" >&2
rm -f "$TMP/a.out.\$n" "$TMP/a.err.\$n" "$TMP/b.out.\$n" "$TMP/b.err.\$n" "$TMP/c.\$n"
exit \$a
EOF
chmod +x "$WRAP"
: > "$TMP/wrap.log"
TLDSIGN=$WRAP sh "$(dirname "$0")/51-verify-negative.sh" > "$TMP/51.tap" 2>&1
r51=$?
if grep -q '^1\.\.0 # SKIP' "$TMP/51.tap"; then
	skip_all "51-verify-negative.sh skipped"
fi
is 0 "$r51" "51-verify-negative.sh passes with every verify also run with the good zone's cache"
[ "$r51" -eq 0 ] || grep -E '^not ok|^#' "$TMP/51.tap" | head -20 | sed 's/^/# /'
is 0 "$(grep -c '^MISMATCH' "$TMP/wrap.log")" "identical exit code, stdout and stderr with and without the cache"
grep -A10 '^MISMATCH' "$TMP/wrap.log" | head -20 | sed 's/^/# /'
n_same=$(grep -c '^same' "$TMP/wrap.log")
[ "$n_same" -ge 20 ]; ok $? "compared $n_same verifications of the negative cases (at least 20)"
TLDSIGN=$REAL

# ---- 2. the cache of a good zone ----
gen_zone 300 "$TMP/in.zone"
mkdir -p "$TMP/bk"
make_keys_bind "$TMP/bk"; ok $? "keys"
sign_bind "$TMP/in.zone" "$TMP/good.zone"; ok $? "good zone signed"
V() { "$TLDSIGN" --now "$VFY_NOW" "$@"; }
run_cmd V verify "$TMP/good.zone" --cache "$TMP/good.vcache"
is 0 "$rc" "good zone verifies and writes its cache"
[ -s "$TMP/good.vcache" ]; ok $? "cache file written"
total=$(echo "$out" | sed -n 's/.* \([0-9]*\) RRSIGs verified.*/\1/p')
run_cmd V -v verify "$TMP/good.zone" --cache "$TMP/good.vcache"
is 0 "$rc" "second verification with the cache passes"
cached=$(echo "$out" | sed -n 's/.*verify: \([0-9]*\) signatures verified from the cache.*/\1/p')
is "$total" "$cached" "every signature ($total) verified from the cache the second time"

# ---- 3. a corrupted signature over an unchanged RRset is caught ----
line=$(grep -n -m1 -E "IN[	 ]+RRSIG[	 ]+NSEC3 " "$TMP/good.zone" | cut -d: -f1)
awk -v l="$line" 'NR == l { for (i = 1; i <= NF; i++) if ($i == "test.") { $(i+1) = "AAAA" substr($(i+1), 5); break } } { print }' \
	"$TMP/good.zone" > "$TMP/c1.zone"
cp "$TMP/good.vcache" "$TMP/c1.vcache"
run_cmd V -v verify "$TMP/c1.zone" --cache "$TMP/c1.vcache"
is 5 "$rc" "corrupted RRSIG over an unchanged NSEC3 RRset: exit 5 with the good zone's cache"
echo "$out" | grep -q -- "-> signature does not verify"; ok $? "named: signature does not verify"
cached=$(echo "$out" | sed -n 's/.*verify: \([0-9]*\) signatures verified from the cache.*/\1/p')
is "$((total - 1))" "$cached" "all other signatures came from the cache"
run_cmd V -v verify "$TMP/c1.zone" --cache "$TMP/c1.vcache"
is 5 "$rc" "still caught with the cache this failing verification wrote"

# ---- 4. time checks use the current --now, cached or not ----
run_cmd "$TLDSIGN" --now 2036-02-01T00:00:00Z verify "$TMP/good.zone" --cache "$TMP/good.vcache"
is 5 "$rc" "after expiry: exit 5 with the cache"
echo "$out" | grep -q "signature expired at 2036-01-01"; ok $? "expired signatures named"
run_cmd V verify "$TMP/good.zone" --cache "$TMP/good.vcache" --refresh 4000d
is 5 "$rc" "expiry within the refresh window: exit 5 with the cache"
echo "$out" | grep -q "within the refresh window"; ok $? "refresh window named"

# ---- 5. unusable cache files: warned about, full verification ----
# bad CACHE DESC REASON
bad() {
	run_cmd V -v verify "$TMP/good.zone" --cache "$1"
	is 0 "$rc" "$2: the zone still verifies"
	echo "$out" | grep -q "verified-signature cache ignored: $3"; ok $? "$2: warned ($3)"
	c=$(echo "$out" | sed -n 's/.*verify: \([0-9]*\) signatures verified from the cache.*/\1/p')
	is 0 "$c" "$2: every signature verified with the public key"
}
V verify "$TMP/good.zone" --cache "$TMP/good.vcache" >/dev/null 2>&1
size=$(wc -c < "$TMP/good.vcache")
head -c $((size - 100)) "$TMP/good.vcache" > "$TMP/trunc.vcache"
bad "$TMP/trunc.vcache" "truncated cache" "truncated or damaged"
$PY - "$TMP/good.vcache" "$TMP/flip.vcache" <<'PYEOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[len(b) // 2] ^= 0x01
open(sys.argv[2], 'wb').write(b)
PYEOF
bad "$TMP/flip.vcache" "one bit flipped" "damaged (its SHA-256 does not match)"
# the same entries under another apex, with a correct trailing digest
$PY - "$TMP/good.vcache" "$TMP/other.vcache" <<'PYEOF'
import hashlib, sys
b = open(sys.argv[1], 'rb').read()
alen = b[32]
other = b'\x05other\x00'
body = b[:32] + bytes([len(other)]) + other + b[33 + alen:-32]
open(sys.argv[2], 'wb').write(body + hashlib.sha256(body).digest())
PYEOF
bad "$TMP/other.vcache" "cache of another zone" "written for another zone"
cp "$TMP/good.zone" "$TMP/notacache"
bad "$TMP/notacache" "a zone file as the cache" "not a verified-signature cache"
# entries out of order, with a correct digest
$PY - "$TMP/good.vcache" "$TMP/order.vcache" <<'PYEOF'
import hashlib, sys
b = open(sys.argv[1], 'rb').read()
off = 33 + b[32]
h = b[off:off + 16]; g = b[off + 16:off + 32]
body = b[:off] + g + h + b[off + 32:-32]
open(sys.argv[2], 'wb').write(body + hashlib.sha256(body).digest())
PYEOF
bad "$TMP/order.vcache" "entries out of order" "damaged (entries out of order)"
run_cmd V verify "$TMP/good.zone" --cache "$TMP/trunc.vcache"
run_cmd V -v verify "$TMP/good.zone" --cache "$TMP/trunc.vcache"
cached=$(echo "$out" | sed -n 's/.*verify: \([0-9]*\) signatures verified from the cache.*/\1/p')
is "$total" "$cached" "an ignored cache is replaced by a good one"

done_testing

# Shared helpers for integration tests (TAP from POSIX sh).  Source it:
#   . "$(dirname "$0")/lib.sh"
# Provides: $TLDSIGN (binary), $TMP (removed at exit), ok/fail/is/skip_all/done_testing,
# and run_cmd (captures output and exit code into $out and $rc).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TLDSIGN=${TLDSIGN:-$TOP/build/tldsign}
TLDSIGN_TOOLS=${TLDSIGN_TOOLS:-$TOP/build/tools}
VECTORS=${TLDSIGN_VECTORS:-$TOP/../shared/vectors}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tldsign-test.XXXXXX")
_n=0
_failed=0
_cleanup_hooks=""
at_exit() { _cleanup_hooks="$_cleanup_hooks
$*"; }
_cleanup() {
	eval "$_cleanup_hooks" >/dev/null 2>&1 || true
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

ok() { # ok COND-EXIT-STATUS DESCRIPTION  (use: cmd; ok $? "desc")
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}
is() { # is EXPECTED GOT DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then echo "ok $_n - $3"; else
		echo "not ok $_n - $3"; echo "# expected: '$1'"; echo "#      got: '$2'"; _failed=$((_failed + 1)); fi
}
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; exit $?; }
run_cmd() { # run_cmd CMD...: sets $out (stdout+stderr) and $rc
	out=$("$@" 2>&1); rc=$?
}

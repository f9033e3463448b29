#!/bin/sh
# The CLI: help, usage errors, exit codes of unknown commands and bad global options.
. "$(dirname "$0")/lib.sh"

run_cmd "$TLDSIGN" --help
is 0 "$rc" "--help exits 0"
echo "$out" | grep -q "zonegen" ; ok $? "--help lists zonegen"
echo "$out" | grep -q "exit codes" ; ok $? "--help documents exit codes"

run_cmd "$TLDSIGN" help key generate
is 0 "$rc" "help key generate exits 0"
echo "$out" | grep -q -- "--role" ; ok $? "help key generate shows --role"

run_cmd "$TLDSIGN" key generate --help
is 0 "$rc" "key generate --help exits 0"

run_cmd "$TLDSIGN" frobnicate
is 2 "$rc" "unknown command exits 2"
echo "$out" | grep -q "unknown command 'frobnicate'" ; ok $? "unknown command named"

run_cmd "$TLDSIGN" key
is 2 "$rc" "command group without subcommand exits 2"
echo "$out" | grep -q "key generate" ; ok $? "group lists its subcommands"

run_cmd "$TLDSIGN" --bogus status
is 2 "$rc" "unknown global option exits 2"

run_cmd "$TLDSIGN" --now yesterday status
is 2 "$rc" "bad --now exits 2"
echo "$out" | grep -q "RFC 3339" ; ok $? "bad --now explained"

run_cmd "$TLDSIGN" --version
is 0 "$rc" "--version exits 0"

run_cmd "$TLDSIGN"
is 2 "$rc" "no command exits 2"

done_testing

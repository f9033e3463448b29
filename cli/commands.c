/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The command table: words, entry point, synopsis, one-line summary, help text. */
#include <stddef.h>

#include "cli/cli.h"

const struct tld_command tld_commands[] = {
	{ "init", NULL, cmd_init, "init DIR --zone NAME",
	  "create a working instance (config, policy, token, keys, sample export)",
	  "Creates DIR with tldsign.yaml, policy.yaml, a SoftHSM token with its own\n"
	  "softhsm2.conf and PIN file (mode 0600), the state store, a small sample\n"
	  "registry export and the keys the policy asks for.  Afterwards\n"
	  "`tldsign -c DIR/tldsign.yaml run` works.\n" },
	{ "zonegen", NULL, cmd_zonegen, "zonegen [-o FILE] [--report FILE]",
	  "registry export -> unsigned zone file",
	  "Reads the registry export named by `export:` in the config, checks the\n"
	  "manifest, validates every row and writes the unsigned TLD zone in canonical\n"
	  "order (stdout unless -o).  Rejected rows are listed as file:line: reason\n"
	  "and in a JSON report (--report FILE, default STATE_DIR/zonegen-report.json).\n" },
	{ "sign", NULL, cmd_sign,
	  "sign [-i FILE] [-o FILE] [--policy FILE] [--previous FILE] [--workers N] [--keep-serial]",
	  "sign a zone file with the zone's current keys",
	  "Signs a zone file (default: the zonegen result) with the zone's current keys\n"
	  "in the HSM, NSEC3 opt-out (or as the policy says), reusing signatures of\n"
	  "the previous signed version where they are still good.\n"
	  "Defaults: -i STATE_DIR/unsigned.zone, -o STATE_DIR/signed.zone, --previous\n"
	  "the existing output (its side file OUTPUT.sigs), --workers one per CPU.\n"
	  "--keep-serial: nothing changed -> keep the previous serial, sign nothing.\n" },
	{ "verify", NULL, cmd_verify, "verify FILE [--ds FILE]",
	  "validate a signed zone completely",
	  "Validates every RRSIG, the denial chain, algorithm coverage, key presence,\n"
	  "DS match (--ds) and signature expiry against the refresh window.  Prints\n"
	  "each failure with its record.  Exit 0 only if every check passes.\n" },
	{ "run", NULL, cmd_run, "run [--force REASON]",
	  "the whole pipeline, for cron",
	  "Lock, load, read the export, build, guards, key management, sign, verify,\n"
	  "publish, NOTIFY, check secondaries, report.\n" },
	{ "publish", NULL, cmd_publish, "publish -i FILE",
	  "verify a signed zone and publish it as the next version",
	  "Verifies the signed zone FILE, publishes it as the next version (atomic\n"
	  "write, journal for IXFR), runs the after-publish command, NOTIFYs every\n"
	  "secondary and checks their serials.\n" },
	{ "serve", NULL, cmd_serve, "serve",
	  "hidden-primary transfer server (AXFR/IXFR/TSIG)",
	  "Serves SOA queries, AXFR and IXFR of the published versions on the\n"
	  "configured addresses, with TSIG and ACLs.  Runs in the foreground.\n" },
	{ "notify", NULL, cmd_notify, "notify",
	  "send NOTIFY for the current version now",
	  "Sends NOTIFY for the current published version to every configured\n"
	  "secondary and reports which acknowledged and which serial each serves.\n" },
	{ "status", NULL, cmd_status, "status",
	  "one screen: last run, serial, expiry, keys, rollovers, secondaries",
	  "Shows the last run, the published serial, the earliest signature\n"
	  "expiration, keys and rollovers, and each secondary's serial.\n" },
	{ "key", "generate", cmd_key_generate, "key generate --role ksk|zsk|csk [--algorithm A]",
	  "generate a key inside the token",
	  "Generates a key pair inside the HSM token (private, sensitive,\n"
	  "non-extractable, random CKA_ID) and records it in the state store.  A key\n"
	  "whose tag collides with any key of the zone is removed and generation\n"
	  "retried.\n" },
	{ "key", "import", cmd_key_import, "key import --label L --role R",
	  "adopt a key that already exists in the token",
	  "Adopts a key pair made elsewhere (at a ceremony) that is already in the\n"
	  "token.  Refuses a key whose tag collides with a key of the zone, and says\n"
	  "so if the private key is not private, sensitive and non-extractable.\n" },
	{ "key", "list", cmd_key_list, "key list",
	  "keys with roles, tags, states and next transition", "Lists the zone's keys.\n" },
	{ "key", "ds", cmd_key_ds, "key ds [KEYTAG]",
	  "DS records to hand to the parent", "Prints the DS records of the KSK/CSK keys.\n" },
	{ "key", "dnskey", cmd_key_dnskey, "key dnskey",
	  "DNSKEY records of the zone's keys", "Prints the DNSKEY records.\n" },
	{ "key", "delete", cmd_key_delete, "key delete KEYTAG",
	  "delete a key that is no longer used",
	  "Deletes a key from the token and marks it deleted in the state store.\n"
	  "Refuses a key that is still published or signing.\n" },
	{ "hsm", "speed", cmd_hsm_speed, "hsm speed [--algorithm A] [--sessions N] [--seconds S]",
	  "measure signatures per second through the HSM",
	  "Generates a throw-away key, signs with N workers for S seconds and prints\n"
	  "signatures per second.\n" },
	{ "ds", "seen", cmd_ds_seen, "ds seen KEYTAG",
	  "confirm the parent publishes the DS of a key", "Ceremony staff confirm a DS is in the root zone.\n" },
	{ "ds", "gone", cmd_ds_gone, "ds gone KEYTAG",
	  "confirm the parent withdrew the DS of a key", "Ceremony staff confirm a DS left the root zone.\n" },
	{ "rollover", "start", cmd_rollover_start, "rollover start ksk|zsk|csk|algorithm",
	  "start a rollover by hand", "Starts a rollover now.\n" },
	{ "rollover", "status", cmd_rollover_status, "rollover status",
	  "where each rollover stands and what it waits for", "Shows each rollover's state.\n" },
	{ "ceremony", "run", cmd_ceremony_run, "ceremony run SCRIPT [--yes]",
	  "run a key ceremony script step by step",
	  "Runs a ceremony script with confirmations, a transcript and audit records.\n" },
	{ "audit", "list", cmd_audit_list, "audit list",
	  "show the audit log of key operations", "Lists the hash-chained audit log.\n" },
	{ "audit", "verify", cmd_audit_verify, "audit verify",
	  "check the audit log's hash chain", "Detects any edited, removed or reordered entry.\n" },
	{ "policy", "check", cmd_policy_check, "policy check FILE",
	  "validate a policy file", "Validates a policy file and warns about risky settings.\n" },
	{ "policy", "simulate", cmd_policy_simulate, "policy simulate [--years N] [--from TIME]",
	  "simulate the policy's rollovers over time",
	  "Runs the key state machine through simulated time and checks that\n"
	  "validation never breaks.\n" },
	{ "config", "check", cmd_config_check, "config check [FILE]",
	  "validate the instance config and its policy",
	  "Loads FILE (default: -c, $TLDSIGN_CONFIG or ./tldsign.yaml) and the policy\n"
	  "it names, and prints every problem as file:line:column: key: problem.\n"
	  "Exit 0 when both are valid, 2 otherwise.\n" },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

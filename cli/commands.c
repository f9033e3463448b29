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
	{ "zonegen", NULL, cmd_zonegen, "zonegen [-o FILE] [--report FILE] [--export DIR]",
	  "registry export -> unsigned zone file",
	  "Reads the registry export named by `export:` in the config, checks the\n"
	  "manifest, validates every row and writes the unsigned TLD zone in canonical\n"
	  "order (stdout unless -o).  Rejected rows are listed as file:line: reason\n"
	  "and in a JSON report (--report FILE, default STATE_DIR/zonegen-report.json).\n"
	  "--export DIR reads another export directory than the config's `export:`.\n"
	  "Exit 3 when the export is refused (manifest, missing file, counts, SHA-256, age).\n" },
	{ "sign", NULL, cmd_sign,
	  "sign [-i FILE] [-o FILE] [--policy FILE] [--previous FILE] [--workers N] [--keep-serial]",
	  "sign a zone file with the zone's current keys",
	  "Signs a zone file (default: the zonegen result) with the zone's current keys\n"
	  "in the HSM, NSEC3 opt-out (or as the policy says), reusing signatures of\n"
	  "the previous signed version where they are still good.\n"
	  "Defaults: -i STATE_DIR/unsigned.zone, -o STATE_DIR/signed.zone, --previous\n"
	  "the existing output (its side file OUTPUT.sigs), --workers one per CPU.\n"
	  "--keep-serial: nothing changed -> keep the previous serial, sign nothing.\n" },
	{ "verify", NULL, cmd_verify,
	  "verify FILE [--ds FILE] [--refresh D] [--threads N] [--cache FILE] [--previous PREV] "
	  "[--state]",
	  "validate a signed zone completely",
	  "Validates every RRSIG, the denial chain, algorithm coverage, key presence,\n"
	  "DS match (--ds) and signature expiry against the refresh window.  Prints\n"
	  "each failure with its record.  Exit 0 only if every check passes.\n"
	  "--ds FILE      the parent's DS set: every algorithm in it must have a DS that\n"
	  "               matches a published KSK (a DS without its key only warns,\n"
	  "               as in a double-DS rollover)\n"
	  "--refresh D    fail signatures expiring within D of --now (default: the\n"
	  "               policy's signatures.refresh when a config is found, else 0)\n"
	  "--threads N    worker threads (default: one per CPU)\n"
	  "--cache FILE   verified-signature cache: signatures whose exact bytes verified\n"
	  "               before skip only the public-key operation; rewritten after\n"
	  "--previous PREV  delta verification: FILE is checked by its changes against\n"
	  "               PREV, a version that passed before with --state (its state\n"
	  "               PREV.vstate): only the changed subtrees are parsed and checked\n"
	  "               name by name, the NSEC3 chain, opt-out, bitmaps and signature\n"
	  "               times on the state's facts.  A missing, damaged or foreign\n"
	  "               state, a PREV edited since, changed keys or NSEC3 parameters,\n"
	  "               a file not one record a line in canonical order, or any\n"
	  "               failure: FILE is verified in full (same verdict and report).\n"
	  "               Writes FILE.vstate when FILE passes\n"
	  "--state        write FILE.vstate when FILE passes (for a later --previous)\n"
	  "The summary line says which verification ran (full or delta).\n"
	  "Exit 5 when a check fails, 3 when the file cannot be parsed.\n" },
	{ "run", NULL, cmd_run, "run [--force REASON] [--workers N] [--full-verify]",
	  "the whole pipeline, for cron",
	  "Lock, load, read the export, build, guards, key management, sign, verify,\n"
	  "publish, NOTIFY, check secondaries, report (summary line on stdout,\n"
	  "STATE_DIR/last-run.json, STATE_DIR/metrics.prom).  Nothing changed: nothing\n"
	  "is published.  A changed zone is signed as a patch of the published version\n"
	  "when it can be (the same zone as signing it whole; -v says when and why not;\n"
	  "TLDSIGN_PATCH=0 in the environment signs it whole every run).\n"
	  "--force REASON  override the guards for this one run; recorded in the audit log\n"
	  "--workers N     HSM signing workers (default: one per CPU)\n"
	  "--full-verify   verify the new version from scratch, not as its changes from\n"
	  "                the last verified version (done at least every verify.full-every)\n" },
	{ "publish", NULL, cmd_publish, "publish -i FILE [--no-notify]",
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
	{ "status", NULL, cmd_status, "status [--timeout D]",
	  "one screen: last run, serial, expiry, keys, rollovers, secondaries",
	  "Shows the last run, the published serial, the earliest signature\n"
	  "expiration, keys and rollovers, and each secondary's serial.\n" },
	{ "key", "generate", cmd_key_generate, "key generate --role ksk|zsk|csk [--algorithm A] [--bits N]",
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
	{ "key", "list", cmd_key_list, "key list [--all]",
	  "keys with roles, tags, states and next transition", "Lists the zone's keys: tag, role, algorithm, state, created, label.\n"
	  "--all also lists deleted keys.\n" },
	{ "key", "ds", cmd_key_ds, "key ds [KEYTAG] [--digest sha256|sha384]",
	  "DS records to hand to the parent", "Prints the DS records of the KSK/CSK keys.\n" },
	{ "key", "dnskey", cmd_key_dnskey, "key dnskey",
	  "DNSKEY records of the zone's keys", "Prints the DNSKEY records.\n" },
	{ "key", "delete", cmd_key_delete, "key delete KEYTAG [--retired]",
	  "delete a key that is no longer used",
	  "Deletes a key from the token and marks it deleted in the state store.\n"
	  "Refuses a key that is still published or signing.  --retired confirms a\n"
	  "key the rollover state machine has never seen is no longer used.\n" },
	{ "hsm", "speed", cmd_hsm_speed, "hsm speed [--algorithm A] [--sessions N] [--seconds S] [--label L]",
	  "measure signatures per second through the HSM",
	  "Generates a throw-away key (or uses the token key labelled L), signs with N\n"
	  "workers for S seconds and prints signatures per second.\n" },
	{ "ds", "seen", cmd_ds_seen, "ds seen KEYTAG [--actor NAME]",
	  "confirm the parent publishes the DS of a key", "Ceremony staff confirm a DS is in the root zone.\n" },
	{ "ds", "gone", cmd_ds_gone, "ds gone KEYTAG [--actor NAME]",
	  "confirm the parent withdrew the DS of a key", "Ceremony staff confirm a DS left the root zone.\n" },
	{ "rollover", "start", cmd_rollover_start, "rollover start ksk|zsk|csk|algorithm [--actor NAME]",
	  "start a rollover by hand", "Starts a rollover now.\n" },
	{ "rollover", "status", cmd_rollover_status, "rollover status [--warn-after D]",
	  "where each rollover stands and what it waits for", "Shows, in words, where each key and rollover stands, what it waits for\n"
	  "(DS to submit or withdraw at the parent) and when the next event falls.\n"
	  "--warn-after D: a DS waiting longer is a WARNING (default parent.ds-wait-warning).\n" },
	{ "ceremony", "run", cmd_ceremony_run, "ceremony run SCRIPT [--yes] [--participant NAME]... [--transcript FILE] [--key-tag N]",
	  "run a key ceremony script step by step",
	  "Runs a ceremony script (examples in etc/ceremonies/) step by step: each step\n"
	  "says what it will do, asks for confirmation unless --yes, performs it, prints\n"
	  "key tags, DNSKEY and DS, and is written to the transcript and the audit log.\n"
	  "A failed or declined step stops the ceremony.  For a rehearsal without the\n"
	  "HSM: --state-dir DIR --zone NAME [--example-policy NAME].\n" },
	{ "audit", "list", cmd_audit_list, "audit list [--state-dir DIR]",
	  "show the audit log of key operations", "Lists the hash-chained audit log.\n" },
	{ "audit", "verify", cmd_audit_verify, "audit verify [--state-dir DIR]",
	  "check the audit log's hash chain", "Detects any edited, removed or reordered entry (exit 5).\n" },
	{ "policy", "check", cmd_policy_check, "policy check FILE",
	  "validate a policy file", "Validates a policy file and warns about risky settings.\n" },
	{ "policy", "simulate", cmd_policy_simulate, "policy simulate [--years N] [--from TIME] [--policy FILE | --example NAME] [--svg FILE]",
	  "simulate the policy's rollovers over time",
	  "Runs the key state machine through simulated time and checks that\n"
	  "validation never breaks (exit 5 if it ever would).  Prints the timeline\n"
	  "(date, event, keys and states, DNSKEY response size).\n"
	  "--rollover TIME,KIND[,ALG]  start a rollover by hand at TIME\n"
	  "--parent-delay D            how long the simulated parent takes for DS changes\n"
	  "--svg FILE                  key lifetimes per role as a picture\n"
	  "--quiet                     only the summary\n" },
	{ "config", "check", cmd_config_check, "config check [FILE]",
	  "validate the instance config and its policy",
	  "Loads FILE (default: -c, $TLDSIGN_CONFIG or ./tldsign.yaml) and the policy\n"
	  "it names, and prints every problem as file:line:column: key: problem.\n"
	  "Exit 0 when both are valid, 2 otherwise.\n" },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

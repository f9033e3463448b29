/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The command-line front end: one binary, subcommands in a static table
 * (cli/commands.c).  Each subcommand lives in its own cli/cmd_*.c file and
 * has the signature of tld_cmd_fn.
 */
#pragma once

#include <stdbool.h>

#include "common/clock.h"

/*! What the global options established, handed to every subcommand. */
struct tld_cli {
	const char *config_path;   /*!< resolved: -c, $TLDSIGN_CONFIG or ./tldsign.yaml */
	bool config_explicit;      /*!< -c or $TLDSIGN_CONFIG was given */
	tld_time_t now;            /*!< --now or the wall clock at start */
	bool now_pinned;           /*!< --now was given */
	int verbosity;             /*!< 0 normal, >0 -v count, <0 -q */
};

/*!
 * \brief A subcommand.
 * \param[in] cli   global options
 * \param[in] argc  arguments after the command words; argv[0] is the last command word
 * \param[in] argv  (so getopt can be used as usual; reset optind = 1 first)
 * \return TLD_OK or an error code; main() maps it to the exit code.  The
 *         command logs its own specific errors.
 */
typedef int (*tld_cmd_fn)(const struct tld_cli *cli, int argc, char **argv);

struct tld_command {
	const char *word1;         /*!< "key" */
	const char *word2;         /*!< "generate", or NULL for one-word commands */
	tld_cmd_fn run;
	const char *synopsis;      /*!< "key generate --role ksk|zsk|csk [--algorithm A]" */
	const char *summary;       /*!< one line for the command list */
	const char *help;          /*!< full text for `help COMMAND` and --help */
};

/*! The command table, terminated by an entry with word1 == NULL. */
extern const struct tld_command tld_commands[];

/*! Prints the help of a command to stdout. */
void tld_cli_print_command_help(const struct tld_command *cmd);


/* Subcommand entry points, one file each (cli/cmd_NAME.c). */
int cmd_init(const struct tld_cli *cli, int argc, char **argv);
int cmd_zonegen(const struct tld_cli *cli, int argc, char **argv);
int cmd_sign(const struct tld_cli *cli, int argc, char **argv);
int cmd_verify(const struct tld_cli *cli, int argc, char **argv);
int cmd_run(const struct tld_cli *cli, int argc, char **argv);
int cmd_publish(const struct tld_cli *cli, int argc, char **argv);
int cmd_serve(const struct tld_cli *cli, int argc, char **argv);
int cmd_notify(const struct tld_cli *cli, int argc, char **argv);
int cmd_status(const struct tld_cli *cli, int argc, char **argv);
int cmd_key_generate(const struct tld_cli *cli, int argc, char **argv);
int cmd_key_import(const struct tld_cli *cli, int argc, char **argv);
int cmd_key_list(const struct tld_cli *cli, int argc, char **argv);
int cmd_key_ds(const struct tld_cli *cli, int argc, char **argv);
int cmd_key_dnskey(const struct tld_cli *cli, int argc, char **argv);
int cmd_key_delete(const struct tld_cli *cli, int argc, char **argv);
int cmd_hsm_speed(const struct tld_cli *cli, int argc, char **argv);
int cmd_ds_seen(const struct tld_cli *cli, int argc, char **argv);
int cmd_ds_gone(const struct tld_cli *cli, int argc, char **argv);
int cmd_rollover_start(const struct tld_cli *cli, int argc, char **argv);
int cmd_rollover_status(const struct tld_cli *cli, int argc, char **argv);
int cmd_ceremony_run(const struct tld_cli *cli, int argc, char **argv);
int cmd_audit_list(const struct tld_cli *cli, int argc, char **argv);
int cmd_audit_verify(const struct tld_cli *cli, int argc, char **argv);
int cmd_policy_check(const struct tld_cli *cli, int argc, char **argv);
int cmd_policy_simulate(const struct tld_cli *cli, int argc, char **argv);
int cmd_config_check(const struct tld_cli *cli, int argc, char **argv);

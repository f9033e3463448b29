/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tldsign: global options, command dispatch, exit codes.  Only main() exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"

#ifndef TLDSIGN_VERSION
#define TLDSIGN_VERSION "0.1.0"
#endif

/* -- internal API -- */

static void print_usage(FILE *f)
{
	fprintf(f,
	        "usage: tldsign [-c FILE] [--now TIME] [-v|-q] [--syslog] COMMAND [ARGS]\n"
	        "       tldsign help [COMMAND]\n"
	        "\n"
	        "global options:\n"
	        "  -c, --config FILE  instance config (default $TLDSIGN_CONFIG or ./tldsign.yaml)\n"
	        "  --now TIME         pin \"now\" (RFC 3339 or Unix seconds) for every time decision\n"
	        "  -v, --verbose      more log output (repeatable)\n"
	        "  -q, --quiet        errors only\n"
	        "  --syslog           also log to syslog\n"
	        "  -h, --help         this text; `tldsign help COMMAND` for a command\n"
	        "  --version          print the version\n"
	        "\n"
	        "commands:\n");
	for (const struct tld_command *c = tld_commands; c->word1 != NULL; c++) {
		char words[40];
		snprintf(words, sizeof(words), "%s%s%s", c->word1, c->word2 ? " " : "",
		         c->word2 ? c->word2 : "");
		fprintf(f, "  %-18s %s\n", words, c->summary);
	}
	fprintf(f,
	        "\n"
	        "exit codes: 0 ok, 1 failure, 2 usage/config, 3 input rejected, 4 HSM,\n"
	        "            5 verification failed, 6 secondaries not confirmed, 7 locked\n");
}

/* Finds the command named by argv[0] (and argv[1]); sets *words to 1 or 2. */
static const struct tld_command *find_command(int argc, char **argv, int *words,
                                              bool *group_only)
{
	*group_only = false;
	for (const struct tld_command *c = tld_commands; c->word1 != NULL; c++) {
		if (strcmp(c->word1, argv[0]) != 0) {
			continue;
		}
		if (c->word2 == NULL) {
			*words = 1;
			return c;
		}
		*group_only = true;
		if (argc > 1 && strcmp(c->word2, argv[1]) == 0) {
			*words = 2;
			return c;
		}
	}
	return NULL;
}

static void print_group(FILE *f, const char *word1)
{
	fprintf(f, "'%s' takes a subcommand:\n", word1);
	for (const struct tld_command *c = tld_commands; c->word1 != NULL; c++) {
		if (strcmp(c->word1, word1) == 0 && c->word2 != NULL) {
			fprintf(f, "  tldsign %s\n", c->synopsis);
		}
	}
}

static int cmd_help(int argc, char **argv)
{
	if (argc == 0) {
		print_usage(stdout);
		return TLD_OK;
	}
	int words;
	bool group;
	const struct tld_command *c = find_command(argc, argv, &words, &group);
	if (c == NULL) {
		if (group) {
			print_group(stdout, argv[0]);
			return TLD_OK;
		}
		tld_error("no command '%s'; `tldsign help` lists them", argv[0]);
		return TLD_EUSAGE;
	}
	tld_cli_print_command_help(c);
	return TLD_OK;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			return false;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			return true;
		}
	}
	return false;
}

/* -- public API -- */

void tld_cli_print_command_help(const struct tld_command *cmd)
{
	printf("usage: tldsign [global options] %s\n\n%s\n%s", cmd->synopsis, cmd->summary,
	       cmd->help);
	printf("\nexit codes: 0 ok, 1 failure, 2 usage/config, 3 input rejected, 4 HSM,\n"
	       "            5 verification failed, 6 secondaries not confirmed, 7 locked\n");
}

int main(int argc, char **argv)
{
	struct tld_cli cli = { 0 };
	const char *config_arg = NULL;
	const char *now_arg = NULL;
	bool use_syslog = false;

	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "tldsign: %s needs a file\n", a);
				return TLD_EXIT_USAGE;
			}
			config_arg = argv[i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			config_arg = a + 9;
		} else if (strcmp(a, "--now") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "tldsign: --now needs a time\n");
				return TLD_EXIT_USAGE;
			}
			now_arg = argv[i];
		} else if (strncmp(a, "--now=", 6) == 0) {
			now_arg = a + 6;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			cli.verbosity = cli.verbosity < 0 ? 1 : cli.verbosity + 1;
		} else if (strcmp(a, "-vv") == 0) {
			cli.verbosity = 2;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			cli.verbosity = -1;
		} else if (strcmp(a, "--syslog") == 0) {
			use_syslog = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_usage(stdout);
			return TLD_EXIT_OK;
		} else if (strcmp(a, "--version") == 0) {
			printf("tldsign %s\n", TLDSIGN_VERSION);
			return TLD_EXIT_OK;
		} else {
			fprintf(stderr, "tldsign: unknown global option '%s'\n", a);
			print_usage(stderr);
			return TLD_EXIT_USAGE;
		}
	}

	enum tld_log_level level = TLD_LOG_NOTICE;
	if (cli.verbosity < 0) {
		level = TLD_LOG_ERROR;
	} else if (cli.verbosity == 1) {
		level = TLD_LOG_INFO;
	} else if (cli.verbosity > 1) {
		level = TLD_LOG_DEBUG;
	}
	tld_log_init(level, use_syslog);

	if (now_arg != NULL) {
		tld_time_t t;
		if (tld_time_parse(now_arg, &t) != TLD_OK) {
			tld_error("--now '%s': not an RFC 3339 time or Unix seconds", now_arg);
			return TLD_EXIT_USAGE;
		}
		tld_clock_pin(t);
		cli.now_pinned = true;
	} else {
		tld_clock_set((tld_time_t)time(NULL));
	}
	cli.now = tld_now();
	cli.config_explicit = config_arg != NULL || getenv("TLDSIGN_CONFIG") != NULL;
	cli.config_path = tld_config_default_path(config_arg);

	if (i >= argc) {
		print_usage(stderr);
		return TLD_EXIT_USAGE;
	}
	int rest = argc - i;
	char **args = argv + i;
	if (strcmp(args[0], "help") == 0) {
		return tld_exit_code(cmd_help(rest - 1, args + 1));
	}

	int words;
	bool group;
	const struct tld_command *cmd = find_command(rest, args, &words, &group);
	if (cmd == NULL) {
		if (group) {
			if (rest > 1 && !wants_help(rest - 1, args + 1)) {
				fprintf(stderr, "tldsign: unknown subcommand '%s %s'\n", args[0], args[1]);
			}
			print_group(rest > 1 && wants_help(rest - 1, args + 1) ? stdout : stderr, args[0]);
			return rest > 1 && wants_help(rest - 1, args + 1) ? TLD_EXIT_OK : TLD_EXIT_USAGE;
		}
		fprintf(stderr, "tldsign: unknown command '%s'; `tldsign help` lists them\n", args[0]);
		return TLD_EXIT_USAGE;
	}
	if (wants_help(rest - words, args + words)) {
		tld_cli_print_command_help(cmd);
		return TLD_EXIT_OK;
	}
	int err = cmd->run(&cli, rest - (words - 1), args + (words - 1));
	int code = tld_exit_code(err);
	if (err != TLD_OK) {
		tld_debug("%s%s%s: %s (exit %d)", cmd->word1, cmd->word2 ? " " : "",
		          cmd->word2 ? cmd->word2 : "", tld_strerror(err), code);
	}
	return code;
}

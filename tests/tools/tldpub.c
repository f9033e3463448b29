/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Test driver for the publisher while tldsign.yaml loading is not linked:
 * builds a struct tld_config from options and runs the same library entry
 * points as `tldsign publish/serve/notify` (publish/pubcmd.h).
 *
 *   tldpub --zone test. --state DIR --out DIR [--keep K] [--after CMD]
 *          [--listen ADDR@PORT]... [--tsig NAME:ALG:BASE64]...
 *          [--acl KEY|-:PREFIX[,PREFIX]]... [--secondary ADDR@PORT[:KEY]]...
 *          [--notify-timeout S] [--confirm-timeout S]
 *          publish FILE | publish-quiet FILE | serve | notify
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "publish/pubcmd.h"

static int parse_addr(const char *text, struct tld_sockaddr *out)
{
	char host[128];
	const char *at = strrchr(text, '@');
	unsigned port = 53;
	snprintf(host, sizeof(host), "%.*s", at ? (int)(at - text) : (int)strlen(text), text);
	if (at) {
		port = (unsigned)atoi(at + 1);
	}
	memset(out, 0, sizeof(*out));
	out->text = strdup(text);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		out->len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int parse_prefix(const char *text, struct tld_prefix *p)
{
	char host[128];
	const char *slash = strchr(text, '/');
	snprintf(host, sizeof(host), "%.*s", slash ? (int)(slash - text) : (int)strlen(text), text);
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, host, p->addr) == 1) {
		p->family = AF_INET;
		p->bits = slash ? (unsigned)atoi(slash + 1) : 32;
		return 0;
	}
	if (inet_pton(AF_INET6, host, p->addr) == 1) {
		p->family = AF_INET6;
		p->bits = slash ? (unsigned)atoi(slash + 1) : 128;
		return 0;
	}
	return -1;
}

#define GROW(arr, count) \
	((arr) = realloc((arr), ((count) + 1) * sizeof(*(arr))), memset(&(arr)[(count)], 0, sizeof(*(arr))), &(arr)[(count)++])

int main(int argc, char **argv)
{
	struct tld_config c;
	int opt;
	static const struct option longopts[] = {
		{ "zone", required_argument, NULL, 'z' }, { "state", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' }, { "keep", required_argument, NULL, 'k' },
		{ "after", required_argument, NULL, 'a' }, { "listen", required_argument, NULL, 'l' },
		{ "tsig", required_argument, NULL, 't' }, { "acl", required_argument, NULL, 'A' },
		{ "secondary", required_argument, NULL, 'S' },
		{ "notify-timeout", required_argument, NULL, 'n' },
		{ "confirm-timeout", required_argument, NULL, 'C' }, { "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	memset(&c, 0, sizeof(c));
	c.output.keep = 10;
	c.publish.notify_timeout = 10;
	c.publish.confirm_timeout = 20;
	tld_log_init(TLD_LOG_NOTICE, false);
	while ((opt = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		char *s, *colon;
		switch (opt) {
		case 'z': c.zone = optarg; break;
		case 's': c.state_dir = optarg; break;
		case 'o': c.output.dir = optarg; break;
		case 'k': c.output.keep = (unsigned)atoi(optarg); break;
		case 'a': c.output.after_publish = optarg; break;
		case 'n': c.publish.notify_timeout = atoi(optarg); break;
		case 'C': c.publish.confirm_timeout = atoi(optarg); break;
		case 'v': tld_log_init(TLD_LOG_DEBUG, false); break;
		case 'l':
			if (parse_addr(optarg, GROW(c.publish.listen, c.publish.listen_count)) != 0) {
				fprintf(stderr, "bad address %s\n", optarg);
				return 2;
			}
			break;
		case 't': {
			struct tld_tsig_key *k = GROW(c.publish.tsig, c.publish.tsig_count);
			char *alg, *secret;
			s = strdup(optarg);
			alg = strchr(s, ':');
			secret = alg ? strchr(alg + 1, ':') : NULL;
			if (secret == NULL) {
				return 2;
			}
			*alg++ = 0;
			*secret++ = 0;
			size_t nl = strlen(s);
			k->name = malloc(nl + 2);
			snprintf(k->name, nl + 2, "%s%s", s, s[nl - 1] == '.' ? "" : ".");
			k->algorithm = strcmp(alg, "hmac-sha512") == 0 ? TLD_TSIG_HMAC_SHA512 : TLD_TSIG_HMAC_SHA256;
			k->secret = malloc(strlen(secret));
			int dl = EVP_DecodeBlock(k->secret, (const unsigned char *)secret, (int)strlen(secret));
			size_t sl = strlen(secret);
			k->secret_len = (size_t)dl - (sl > 0 && secret[sl - 1] == '=') - (sl > 1 && secret[sl - 2] == '=');
			break;
		}
		case 'A': {
			struct tld_acl_entry *e = GROW(c.publish.acl, c.publish.acl_count);
			s = strdup(optarg);
			colon = strchr(s, ':');
			if (colon == NULL) {
				return 2;
			}
			*colon = 0;
			if (strcmp(s, "-") != 0) {
				size_t nl = strlen(s);
				e->key = malloc(nl + 2);
				snprintf(e->key, nl + 2, "%s%s", s, s[nl - 1] == '.' ? "" : ".");
			}
			for (char *tok = strtok(colon + 1, ","); tok; tok = strtok(NULL, ",")) {
				if (parse_prefix(tok, GROW(e->from, e->from_count)) != 0) {
					return 2;
				}
			}
			break;
		}
		case 'S': {
			struct tld_secondary *sec = GROW(c.publish.secondaries, c.publish.secondaries_count);
			s = strdup(optarg);
			colon = strrchr(s, ':');
			/* ADDR@PORT:KEY; an IPv6 address has colons before the @ */
			if (colon && colon > strchr(s, '@')) {
				*colon = 0;
				size_t nl = strlen(colon + 1);
				sec->key = malloc(nl + 2);
				snprintf(sec->key, nl + 2, "%s%s", colon + 1, colon[nl] == '.' ? "" : ".");
			}
			if (parse_addr(s, &sec->address) != 0) {
				return 2;
			}
			break;
		}
		default:
			return 2;
		}
	}
	if (c.zone == NULL || c.state_dir == NULL || c.output.dir == NULL || optind >= argc) {
		fprintf(stderr, "usage: see the comment at the top of tests/tools/tldpub.c\n");
		return 2;
	}
	int r;
	if (strcmp(argv[optind], "publish") == 0 && optind + 1 < argc) {
		r = tld_publish_command(&c, argv[optind + 1], true);
	} else if (strcmp(argv[optind], "publish-quiet") == 0 && optind + 1 < argc) {
		r = tld_publish_command(&c, argv[optind + 1], false);
	} else if (strcmp(argv[optind], "serve") == 0) {
		r = tld_serve_command(&c);
	} else if (strcmp(argv[optind], "notify") == 0) {
		r = tld_notify_command(&c);
	} else {
		fprintf(stderr, "unknown command %s\n", argv[optind]);
		return 2;
	}
	if (r != TLD_OK) {
		fprintf(stderr, "tldpub: %s\n", tld_strerror(r));
	}
	return tld_exit_code(r);
}

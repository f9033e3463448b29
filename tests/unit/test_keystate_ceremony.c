/* SPDX-License-Identifier: GPL-3.0-or-later */
/* policy/ceremony_parse: example scripts parse; malformed scripts are refused. */
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "policy/ceremony.h"
#include "tests/tap/tap.h"

int main(void)
{
	plan_lazy();
	static const char *examples[] = { "ksk-generation", "ksk-rollover-start", "ds-seen",
	                                  "zsk-emergency-rollover", "algorithm-rollover" };
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		char path[256];
		struct tld_ceremony *c = NULL;
		snprintf(path, sizeof(path), "etc/ceremonies/%s.yaml", examples[i]);
		is_int(TLD_OK, tld_ceremony_load(path, &c), "%s parses", examples[i]);
		ok(c && c->n_steps >= 3, "%s has steps", examples[i]);
		tld_ceremony_free(c);
	}
	const char *good = "ceremony: t\nparticipants: [a, b]\nsteps:\n"
	                   "  - {title: one, action: note, text: hi}\n"
	                   "  - {action: rollover-start, kind: algorithm}\n"
	                   "  - {action: ds-gone, key-tag: 65535}\n"
	                   "  - {action: key-generate, role: csk}\n";
	struct tld_ceremony *c = NULL;
	is_int(TLD_OK, tld_ceremony_parse(good, strlen(good), "good", &c), "inline script parses");
	is_int(4, c ? (long long)c->n_steps : -1, "4 steps");
	is_int(2, c ? (long long)c->n_participants : -1, "2 participants");
	is_str("rollover-start", c ? tld_cer_action_name(c->steps[1].action) : "", "action 2");
	is_int(4, c ? c->steps[1].kind : -1, "kind algorithm");
	is_int(65535, c ? c->steps[2].key_tag : -1, "key tag");
	is_str("key-generate", c ? c->steps[3].title : "", "title defaults to the action");
	tld_ceremony_free(c);

	tld_log_init(TLD_LOG_ERROR, false);
	static const char *bad[] = {
		"", "[]", "ceremony: x\n", "ceremony: x\nsteps: []\n", "steps:\n  - action: note\n    text: a\n",
		"ceremony: x\nsteps:\n  - action: nope\n", "ceremony: x\nsteps:\n  - title: no action\n",
		"ceremony: x\nsteps:\n  - action: note\n", "ceremony: x\nsteps:\n  - action: ds-seen\n",
		"ceremony: x\nsteps:\n  - action: ds-seen\n    key-tag: -1\n",
		"ceremony: x\nsteps:\n  - action: ds-seen\n    key-tag: 12ab\n",
		"ceremony: x\nsteps:\n  - action: rollover-start\n    kind: dsk\n",
		"ceremony: x\nsteps:\n  - action: key-generate\n",
		"ceremony: x\nsteps:\n  - action: note\n    text: a\n    colour: red\n",
		"ceremony: x\nbogus: 1\nsteps:\n  - action: status\n",
		"ceremony: [x]\nsteps:\n  - action: status\n",
		"ceremony: x\nparticipants: alice\nsteps:\n  - action: status\n",
		"ceremony: x\nsteps:\n  - just text\n",
		"ceremony: x\nsteps: {a: b}\n",
		"ceremony: 'unterminated\n",
		"ceremony: x\nsteps:\n  - action: note\n    text: [1, 2]\n",
		"ceremony: x\nparticipants: [a]\nparticipants: [b]\nsteps:\n  - action: status\n",
		"ceremony: x\nceremony: y\nsteps:\n  - action: status\n",
		"ceremony: x\nsteps:\n  - action: status\nsteps:\n  - action: status\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = NULL;
		is_int(TLD_ECONFIG, tld_ceremony_parse(bad[i], strlen(bad[i]), "bad", &c), "malformed %zu refused", i);
		ok(c == NULL, "malformed %zu: nothing returned", i);
	}
	const char nul[] = "ceremony: a\0b\nsteps:\n  - action: status\n";
	is_int(TLD_ECONFIG, tld_ceremony_parse(nul, sizeof(nul) - 1, "nul", &c), "NUL byte refused");
	is_int(TLD_ENOENT, tld_ceremony_load("/nonexistent/x.yaml", &c), "missing file");
	return exit_status();
}

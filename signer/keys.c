/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "signer/keys.h"

#include "common/error.h"
#include "common/log.h"

void signer_interim_use(const struct signer_key *k, struct signer_key_use *use)
{
	use->publish = !k->deleted;
	use->sign_keys = !k->deleted && (k->role == TLD_ROLE_KSK || k->role == TLD_ROLE_CSK);
	use->sign_zone = !k->deleted && (k->role == TLD_ROLE_ZSK || k->role == TLD_ROLE_CSK);
}

int signer_select_keys(const struct signer_key *keys, size_t n, struct signer_key_use *use)
{
	size_t ksigners = 0, zsigners = 0;
	for (size_t i = 0; i < n; i++) {
		const struct signer_key *k = &keys[i];
		signer_interim_use(k, &use[i]);
		ksigners += use[i].sign_keys;
		zsigners += use[i].sign_zone;
		for (size_t j = 0; j < i; j++) {
			if (use[j].publish && use[i].publish && keys[j].key_tag == k->key_tag) {
				tld_error("keys: two published keys share key tag %u", k->key_tag);
				return TLD_EKEYTAG;
			}
		}
	}
	if (ksigners == 0 || zsigners == 0) {
		tld_error("keys: no key to sign the %s", ksigners == 0 ? "DNSKEY RRset (need a KSK or CSK)"
		                                                       : "zone data (need a ZSK or CSK)");
		return TLD_EKEY;
	}
	return TLD_OK;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* verify/vcrypto.c: RRSIGs made by ldns verify with the verifier's own EVP
 * code for each algorithm; a changed byte of the data or the signature fails;
 * one thread's key contexts are reused across keys and calls, and more keys
 * than contexts kept still verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tests/tap/tap.h"
#include "verify/internal.h"

#define N_RRS 3

/* A record in the verifier's form (canonical wire in a malloc'd buffer). */
static bool to_rec(const ldns_rr *rr, struct vfy_rec *out)
{
	ldns_buffer *b = ldns_buffer_new(4096);
	bool good = false;

	memset(out, 0, sizeof(*out));
	if (b != NULL && ldns_rr2buffer_wire_canonical(b, rr, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK) {
		out->wire_len = (uint32_t)ldns_buffer_position(b);
		out->wire = malloc(out->wire_len);
		if (out->wire != NULL) {
			memcpy(out->wire, ldns_buffer_begin(b), out->wire_len);
			out->owner_len = (uint8_t)ldns_rdf_size(ldns_rr_owner(rr));
			out->is_sig = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG;
			out->type = (uint16_t)ldns_rr_get_type(rr);
			good = true;
		}
	}
	ldns_buffer_free(b);
	return good;
}

struct signed_set {
	struct vfy_rec rrs[N_RRS];
	struct vfy_rec sig;
	struct vfy_key key;
	bool ready;
};

static void free_set(struct signed_set *s)
{
	for (size_t i = 0; i < N_RRS; i++) {
		free(s->rrs[i].wire);
	}
	free(s->sig.wire);
	if (s->ready) {
		vfy_key_clear(&s->key);
	}
}

/* A new key of the algorithm signs an A RRset of three records (given out of order). */
static bool make_set(ldns_signing_algorithm alg, uint16_t bits, struct signed_set *out)
{
	static const char *rrs[N_RRS] = {
		"www.test. 3600 IN A 192.0.2.3",
		"WWW.test. 3600 IN A 192.0.2.1",
		"www.test. 3600 IN A 192.0.2.2",
	};
	ldns_key *k = NULL;
	ldns_key_list *keys = ldns_key_list_new();
	ldns_rr_list *set = ldns_rr_list_new();
	ldns_rr_list *sigs = NULL;
	ldns_rr *dnskey = NULL;
	bool good = false;

	memset(out, 0, sizeof(*out));
	if (keys == NULL || set == NULL || (k = ldns_key_new_frm_algorithm(alg, bits)) == NULL) {
		goto out;
	}
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str("test."));
	ldns_key_set_flags(k, 256);
	ldns_key_set_inception(k, 1700000000);
	ldns_key_set_expiration(k, 2000000000);
	ldns_key_list_push_key(keys, k);
	for (size_t i = 0; i < N_RRS; i++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, rrs[i], 3600, NULL, NULL) != LDNS_STATUS_OK ||
		    !ldns_rr_list_push_rr(set, rr) || !to_rec(rr, &out->rrs[i])) {
			goto out;
		}
	}
	if ((sigs = ldns_sign_public(set, keys)) == NULL || ldns_rr_list_rr_count(sigs) != 1 ||
	    !to_rec(ldns_rr_list_rr(sigs, 0), &out->sig) || (dnskey = ldns_key2rr(k)) == NULL) {
		goto out;
	}
	ldns_buffer *b = ldns_buffer_new(4096);
	if (b != NULL && ldns_rdf2buffer_wire(b, ldns_rr_rdf(dnskey, 0)) == LDNS_STATUS_OK &&
	    ldns_rdf2buffer_wire(b, ldns_rr_rdf(dnskey, 1)) == LDNS_STATUS_OK &&
	    ldns_rdf2buffer_wire(b, ldns_rr_rdf(dnskey, 2)) == LDNS_STATUS_OK &&
	    ldns_rdf2buffer_wire(b, ldns_rr_rdf(dnskey, 3)) == LDNS_STATUS_OK &&
	    vfy_key_build(ldns_buffer_begin(b), ldns_buffer_position(b), &out->key) == TLD_OK) {
		out->ready = true;
		good = true;
	}
	ldns_buffer_free(b);
out:
	ldns_rr_free(dnskey);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_key_list_free(keys); /* frees k */
	return good;
}

/* The last byte of the signature field flipped, verified, flipped back. */
static int verify_flipped_sig(struct vfy_crypto *c, struct signed_set *s)
{
	s->sig.wire[s->sig.wire_len - 1] ^= 0x01;
	int v = vfy_rrsig_verify(c, s->rrs, N_RRS, &s->sig, &s->key);
	s->sig.wire[s->sig.wire_len - 1] ^= 0x01;
	return v;
}

static int verify_flipped_data(struct vfy_crypto *c, struct signed_set *s)
{
	s->rrs[1].wire[s->rrs[1].wire_len - 1] ^= 0x01;
	int v = vfy_rrsig_verify(c, s->rrs, N_RRS, &s->sig, &s->key);
	s->rrs[1].wire[s->rrs[1].wire_len - 1] ^= 0x01;
	return v;
}

int main(void)
{
	static const struct {
		ldns_signing_algorithm alg;
		uint16_t bits;
		const char *name;
	} algs[] = {
		{ LDNS_SIGN_RSASHA256, 1024, "RSASHA256" },
		{ LDNS_SIGN_RSASHA512, 1024, "RSASHA512" },
		{ LDNS_SIGN_ECDSAP256SHA256, 256, "ECDSAP256SHA256" },
		{ LDNS_SIGN_ECDSAP384SHA384, 384, "ECDSAP384SHA384" },
		{ LDNS_SIGN_ED25519, 256, "ED25519" },
	};
	enum { N_ALGS = sizeof(algs) / sizeof(algs[0]) };
	struct signed_set sets[N_ALGS];
	struct vfy_crypto *c = vfy_crypto_new();

	plan_lazy();
	ok(c != NULL, "per-thread crypto state");
	for (size_t i = 0; i < N_ALGS; i++) {
		ok(make_set(algs[i].alg, algs[i].bits, &sets[i]), "%s key and RRSIG by ldns", algs[i].name);
	}
	/* twice over all keys: the second round uses the contexts the first made */
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < N_ALGS; i++) {
			if (!sets[i].ready) {
				continue;
			}
			is_int(TLD_OK, vfy_rrsig_verify(c, sets[i].rrs, N_RRS, &sets[i].sig, &sets[i].key),
			       "round %d: %s RRSIG verifies", round + 1, algs[i].name);
			is_int(TLD_EVERIFY, verify_flipped_sig(c, &sets[i]),
			       "round %d: %s with a changed signature byte fails", round + 1, algs[i].name);
			is_int(TLD_EVERIFY, verify_flipped_data(c, &sets[i]),
			       "round %d: %s over changed data fails", round + 1, algs[i].name);
		}
	}
	/* more ECDSA keys than one thread keeps contexts for */
	struct signed_set many[12];
	size_t good = 0, made = 0;
	for (size_t i = 0; i < 12; i++) {
		if (make_set(LDNS_SIGN_ECDSAP256SHA256, 256, &many[i])) {
			made++;
			good += vfy_rrsig_verify(c, many[i].rrs, N_RRS, &many[i].sig, &many[i].key) == TLD_OK &&
			        verify_flipped_sig(c, &many[i]) == TLD_EVERIFY;
		}
	}
	is_int(12, (long long)made, "12 more P-256 keys");
	is_int(12, (long long)good, "each verifies its own RRSIG and fails a changed one");
	/* a key's RRSIG checked with another key of the same algorithm fails */
	if (made == 12) {
		is_int(TLD_EVERIFY, vfy_rrsig_verify(c, many[0].rrs, N_RRS, &many[0].sig, &many[1].key),
		       "RRSIG checked with another P-256 key fails");
	}
	for (size_t i = 0; i < 12; i++) {
		free_set(&many[i]);
	}
	for (size_t i = 0; i < N_ALGS; i++) {
		free_set(&sets[i]);
	}
	vfy_crypto_free(c);
	return exit_status();
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The simulation loop of `policy simulate`: the state machine, a simulated
 * parent, the history referee, the timeline table and the SVG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "policy/keystate.h"
#include "policy/sim_history.h"
#include "policy/simulate.h"

#define SIM_MAX_KEYS 1024
#define SIM_MAX_LIVE 48
#define SIM_MAX_STEPS 200000
#define SIM_MAX_PENDING 32
#define YEAR (365 * 86400LL)

/* Everything the simulation remembers about one key, for the SVG. */
struct sim_key {
	int64_t id;
	uint16_t tag;
	uint8_t role;
	uint8_t alg;
	tld_time_t created;
	tld_time_t pub_from, pub_to;
	tld_time_t sign_from, sign_to;
	tld_time_t ds_from, ds_to;
	bool in_parent;
};

struct parent_change {
	size_t key;          /* global index */
	bool remove;
	tld_time_t due;
};

struct sim {
	const struct tld_policy *pol;     /* points at polbuf */
	struct tld_policy polbuf;         /* the policy; a hand-started algorithm rollover changes it */
	size_t manual_done;
	const struct tld_sim_options *opt;
	struct tld_sim_result *res;
	struct sim_key keys[SIM_MAX_KEYS];
	uint8_t algs[SIM_MAX_KEYS];
	size_t n_all;
	struct tld_keystate live[SIM_MAX_LIVE];
	size_t n_live;
	struct parent_change pending[SIM_MAX_PENDING];
	size_t n_pending;
	struct tld_ds_confirm conf[SIM_MAX_PENDING];
	size_t n_conf;
	struct sim_history hist;
	tld_time_t now;
};

size_t tld_dnskey_response_size(const char *zone, const uint8_t *algs, size_t n_keys,
                                const uint8_t *sig_algs, size_t n_sigs, unsigned rsa_bits)
{
	size_t name_len = strlen(zone) + 1;
	if (strcmp(zone, ".") == 0) {
		name_len = 1;
	} else if (zone[0] != '\0' && zone[strlen(zone) - 1] != '.') {
		name_len++;
	}
	size_t size = 12 + name_len + 4 + 11;
	for (size_t i = 0; i < n_keys; i++) {
		size_t pub;
		switch (algs[i]) {
		case TLD_ALG_RSASHA256:
		case TLD_ALG_RSASHA512: pub = 1 + 3 + rsa_bits / 8; break;
		case TLD_ALG_ECDSAP256SHA256: pub = 64; break;
		case TLD_ALG_ECDSAP384SHA384: pub = 96; break;
		case TLD_ALG_ED25519: pub = 32; break;
		case TLD_ALG_ED448: pub = 57; break;
		default: pub = 0; break;
		}
		size += 2 + 10 + 4 + pub;
	}
	for (size_t i = 0; i < n_sigs; i++) {
		size_t sig;
		switch (sig_algs[i]) {
		case TLD_ALG_RSASHA256:
		case TLD_ALG_RSASHA512: sig = rsa_bits / 8; break;
		case TLD_ALG_ECDSAP256SHA256: sig = 64; break;
		case TLD_ALG_ECDSAP384SHA384: sig = 96; break;
		case TLD_ALG_ED25519: sig = 64; break;
		case TLD_ALG_ED448: sig = 114; break;
		default: sig = 0; break;
		}
		size += 2 + 10 + 18 + name_len + sig;
	}
	return size;
}

/* simulated key ids are 1, 2, 3, ... in creation order */
static size_t global_index(int64_t id)
{
	return (size_t)(id - 1);
}

static int new_key(struct sim *s, uint8_t role, uint8_t alg, int64_t successor_of)
{
	if (s->n_all >= SIM_MAX_KEYS || s->n_live >= SIM_MAX_LIVE) {
		return TLD_ENOMEM;
	}
	struct sim_key *k = &s->keys[s->n_all];
	memset(k, 0, sizeof(*k));
	k->id = (int64_t)s->n_all + 1;
	k->tag = (uint16_t)(10000 + 7 * s->n_all); /* unique, as tld_key_generate guarantees */
	k->role = role;
	k->alg = alg;
	k->created = s->now;
	s->algs[s->n_all] = alg;
	s->n_all++;
	struct tld_key_need need = { role, alg, successor_of };
	int ret = tld_keystate_add_successor(s->live, &s->n_live, &need, k->id, k->tag, s->now);
	if (ret == TLD_OK) {
		s->res->keys_total++;
	}
	return ret;
}

static void add_to_set(struct sim_set *set, size_t idx)
{
	if (set->n < SIM_SET_MAX) {
		set->idx[set->n++] = (uint16_t)idx;
	}
}

static int record_published(struct sim *s, const struct tld_key_use *uses, size_t n)
{
	struct sim_set dk = { .n = 0 }, dk_sig = { .n = 0 }, zs = { .n = 0 }, ds = { .n = 0 };
	for (size_t i = 0; i < n; i++) {
		size_t g = global_index(uses[i].key_id);
		struct sim_key *k = &s->keys[g];
		bool signs = uses[i].sign_zone || uses[i].sign_dnskey;
		if (uses[i].publish_dnskey) {
			add_to_set(&dk, g);
			if (k->pub_from == 0) {
				k->pub_from = s->now;
			}
			k->pub_to = 0;
		} else if (k->pub_from != 0 && k->pub_to == 0) {
			k->pub_to = s->now;
		}
		if (signs) {
			if (k->sign_from == 0) {
				k->sign_from = s->now;
			}
			k->sign_to = 0;
		} else if (k->sign_from != 0 && k->sign_to == 0) {
			k->sign_to = s->now;
		}
		if (uses[i].sign_dnskey) {
			add_to_set(&dk_sig, g);
		}
		if (uses[i].sign_zone) {
			add_to_set(&zs, g);
		}
	}
	for (size_t g = 0; g < s->n_all; g++) {
		if (s->keys[g].in_parent) {
			add_to_set(&ds, g);
		}
	}
	int ret = sim_history_record(&s->hist.cls[SIM_DNSKEY], s->now, &dk, &dk_sig);
	if (ret == TLD_OK) {
		ret = sim_history_record(&s->hist.cls[SIM_ZSIG], s->now, &zs, NULL);
	}
	if (ret == TLD_OK) {
		ret = sim_history_record(&s->hist.cls[SIM_DS], s->now, &ds, NULL);
	}
	return ret;
}

static bool change_pending(const struct sim *s, size_t g)
{
	for (size_t i = 0; i < s->n_pending; i++) {
		if (s->pending[i].key == g) {
			return true;
		}
	}
	return false;
}

static void schedule_parent(struct sim *s, const struct tld_key_use *uses, size_t n)
{
	for (size_t i = 0; i < n && s->n_pending < SIM_MAX_PENDING; i++) {
		size_t g = global_index(uses[i].key_id);
		if (change_pending(s, g)) {
			continue;
		}
		if (uses[i].ds_submit && !s->keys[g].in_parent) {
			s->pending[s->n_pending++] = (struct parent_change){ g, false, s->now + s->opt->parent_delay };
		} else if (uses[i].ds_remove && s->keys[g].in_parent) {
			s->pending[s->n_pending++] = (struct parent_change){ g, true, s->now + s->opt->parent_delay };
		}
	}
}

/* The parent publishes what is due; ceremony staff confirm it at once. */
static bool apply_parent(struct sim *s)
{
	bool any = false;
	size_t w = 0;
	for (size_t i = 0; i < s->n_pending; i++) {
		struct parent_change *c = &s->pending[i];
		if (c->due > s->now) {
			s->pending[w++] = *c;
			continue;
		}
		struct sim_key *k = &s->keys[c->key];
		k->in_parent = !c->remove;
		if (c->remove) {
			k->ds_to = s->now;
		} else {
			k->ds_from = s->now;
			k->ds_to = 0;
		}
		if (s->n_conf < SIM_MAX_PENDING) {
			s->conf[s->n_conf++] = (struct tld_ds_confirm){ k->id, c->remove, s->now };
		}
		any = true;
	}
	s->n_pending = w;
	return any;
}

static char state_letter(enum tld_kstate st)
{
	static const char letters[] = "HROU-";
	return (unsigned)st <= TLD_KS_NA ? letters[st] : '?';
}

static size_t dnskey_size(const struct sim *s, const struct tld_key_use *uses, size_t n)
{
	uint8_t algs[SIM_MAX_LIVE], sig_algs[SIM_MAX_LIVE];
	size_t nk = 0, ns = 0;
	for (size_t i = 0; i < n; i++) {
		if (uses[i].publish_dnskey) {
			algs[nk++] = uses[i].algorithm;
		}
		if (uses[i].sign_dnskey) {
			sig_algs[ns++] = uses[i].algorithm;
		}
	}
	return tld_dnskey_response_size(s->opt->zone ? s->opt->zone : "test.", algs, nk, sig_algs, ns,
	                                s->pol->rsa_bits ? s->pol->rsa_bits : 2048);
}

static void print_row(const struct sim *s, const char *event, size_t size)
{
	FILE *f = s->opt->timeline;
	if (f == NULL) {
		return;
	}
	char date[32];
	tld_time_format(s->now, date, sizeof(date));
	fprintf(f, "%-20s  %-34s  ", date, event);
	for (size_t i = 0; i < s->n_live; i++) {
		const struct tld_keystate *k = &s->live[i];
		fprintf(f, "%s%s %u %c%c%c%c%s", i ? "  " : "", tld_keystate_role_name(k->role),
		        k->key_tag, state_letter(k->st[TLD_KR_DNSKEY]), state_letter(k->st[TLD_KR_KRRSIG]),
		        state_letter(k->st[TLD_KR_ZRRSIG]), state_letter(k->st[TLD_KR_DS]), k->goal ? "" : "-");
	}
	fprintf(f, "  | %zu\n", size);
}

static void describe_changes(const struct tld_keystate *before, size_t nb, const struct tld_keystate *after,
                             size_t na, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < na && len + 24 < size; i++) {
		const struct tld_keystate *old = NULL;
		for (size_t j = 0; j < nb; j++) {
			if (before[j].key_id == after[i].key_id) {
				old = &before[j];
			}
		}
		if (old == NULL) {
			len += (size_t)snprintf(buf + len, size - len, "%snew %u", len ? ", " : "", after[i].key_tag);
			continue;
		}
		for (int r = 0; r < TLD_KR_COUNT && len + 24 < size; r++) {
			if (r == TLD_KR_KRRSIG || old->st[r] == after[i].st[r]) {
				continue;
			}
			len += (size_t)snprintf(buf + len, size - len, "%s%u %s %c", len ? ", " : "", after[i].key_tag,
			                        tld_krec_name((enum tld_krec)r), state_letter(after[i].st[r]));
		}
		if (old->ds_requested == 0 && after[i].ds_requested != 0 && after[i].st[TLD_KR_DS] == TLD_KS_HIDDEN) {
			len += (size_t)snprintf(buf + len, size - len, "%s%u DS asked", len ? ", " : "", after[i].key_tag);
		}
		if (old->ds_withdraw == 0 && after[i].ds_withdraw != 0 && after[i].st[TLD_KR_DS] != TLD_KS_UNRETENTIVE) {
			len += (size_t)snprintf(buf + len, size - len, "%s%u DS removal asked", len ? ", " : "",
			                        after[i].key_tag);
		}
	}
	if (len == 0) {
		snprintf(buf, size, "parent");
	}
}

static void drop_retired(struct sim *s)
{
	size_t w = 0;
	for (size_t i = 0; i < s->n_live; i++) {
		const struct tld_keystate *k = &s->live[i];
		bool out = !k->goal && k->ds_requested == 0 && k->ds_withdraw == 0;
		for (int r = 0; r < TLD_KR_COUNT && out; r++) {
			out = k->st[r] == TLD_KS_HIDDEN || k->st[r] == TLD_KS_NA;
		}
		if (!out) {
			s->live[w++] = *k;
		}
	}
	s->n_live = w;
}

static void note_break(struct sim *s, const char *what, const char *why)
{
	if (s->res->breaks == 0) {
		char date[32];
		snprintf(s->res->first_break, sizeof(s->res->first_break), "%s: %s: %s",
		         tld_time_format(s->now, date, sizeof(date)), what, why);
	}
	s->res->breaks++;
	if (s->opt->timeline) {
		fprintf(s->opt->timeline, "INVARIANT BROKEN (%s): %s\n", what, why);
	}
}

static int bootstrap(struct sim *s)
{
	int ret;
	uint8_t alg = (uint8_t)s->pol->algorithm;
	if (s->pol->use_csk) {
		ret = new_key(s, TLD_ROLE_CSK, alg, 0);
	} else {
		ret = new_key(s, TLD_ROLE_KSK, alg, 0);
		if (ret == TLD_OK) {
			ret = new_key(s, TLD_ROLE_ZSK, alg, 0);
		}
	}
	return ret;
}

static tld_time_t next_time(const struct sim *s, tld_time_t machine_next)
{
	tld_time_t next = machine_next;
	if (s->manual_done < s->opt->n_manual) {
		tld_time_t at = s->opt->manual[s->manual_done].at;
		if (at > s->now && (next == 0 || at < next)) {
			next = at;
		}
	}
	for (size_t i = 0; i < s->n_pending; i++) {
		if (next == 0 || s->pending[i].due < next) {
			next = s->pending[i].due;
		}
	}
	return next;
}

/* Hand-started rollovers due now: the policy change takes effect through them. */
static int start_manual(struct sim *s)
{
	while (s->manual_done < s->opt->n_manual && s->opt->manual[s->manual_done].at <= s->now) {
		const struct tld_sim_manual *m = &s->opt->manual[s->manual_done++];
		struct tld_key_need needs[3];
		size_t nn = 0;
		if (m->new_algorithm != 0) {
			s->polbuf.algorithm = (enum tld_algorithm)m->new_algorithm;
		}
		if (m->kind == 0) {
			continue; /* a policy edit alone: takes effect only through a later rollover */
		}
		int ret = tld_keystate_plan_rollover(s->pol, s->live, s->n_live, (enum tld_rollover_kind)m->kind,
		                                     needs, &nn);
		if (ret != TLD_OK) {
			note_break(s, "rollover start", tld_strerror(ret));
			return ret;
		}
		for (size_t i = 0; i < nn && ret == TLD_OK; i++) {
			ret = new_key(s, needs[i].role, needs[i].algorithm, needs[i].successor_of);
			s->res->rollovers++;
		}
		if (ret != TLD_OK) {
			return ret;
		}
	}
	return TLD_OK;
}

static int one_tick(struct sim *s, tld_time_t *machine_next)
{
	struct tld_keystep step;
	struct tld_keystate before[SIM_MAX_LIVE];
	size_t nb = s->n_live;
	bool parent_changed = apply_parent(s);
	int ret;

	memcpy(before, s->live, nb * sizeof(*before));
	memset(&step, 0, sizeof(step));
	ret = start_manual(s);
	if (ret != TLD_OK) {
		return ret;
	}
	ret = tld_keystate_step(s->pol, s->live, s->n_live, s->conf, s->n_conf, s->now, &step);
	s->res->steps++;
	if (ret != TLD_OK) {
		note_break(s, "state machine", step.notes[0] ? step.notes : tld_strerror(ret));
		return ret;
	}
	s->n_conf = 0;
	memcpy(s->live, step.keys, step.n_keys * sizeof(*s->live));
	/* lifetime rollovers: generate the successors now and step again */
	for (size_t i = 0; i < step.n_needs && ret == TLD_OK; i++) {
		ret = new_key(s, step.needs[i].role, step.needs[i].algorithm, step.needs[i].successor_of);
		s->res->rollovers++;
	}
	if (ret == TLD_OK && step.n_needs > 0) {
		tld_keystep_clear(&step);
		ret = tld_keystate_step(s->pol, s->live, s->n_live, NULL, 0, s->now, &step);
		s->res->steps++;
		if (ret == TLD_OK) {
			memcpy(s->live, step.keys, step.n_keys * sizeof(*s->live));
		}
	}
	if (ret != TLD_OK) {
		goto out;
	}
	ret = record_published(s, step.uses, step.n_keys);
	if (ret != TLD_OK) {
		goto out;
	}
	char why[512];
	if (!sim_history_valid(&s->hist, s->algs, s->now, why, sizeof(why))) {
		note_break(s, "referee", why);
	}
	if (!tld_keystate_safe(s->live, s->n_live, why, sizeof(why))) {
		note_break(s, "key states", why);
	}
	size_t size = dnskey_size(s, step.uses, step.n_keys);
	if (size > s->res->max_dnskey_response) {
		s->res->max_dnskey_response = size;
	}
	if (step.changes > 0 || parent_changed || step.notes[0]) {
		char event[256];
		describe_changes(before, nb, s->live, s->n_live, event, sizeof(event));
		s->res->events++;
		print_row(s, event, size);
		if (step.notes[0] && s->opt->timeline) {
			fprintf(s->opt->timeline, "    note: %s\n", step.notes);
		}
	}
	schedule_parent(s, step.uses, step.n_keys);
	*machine_next = step.next_event;
	drop_retired(s);
out:
	tld_keystep_clear(&step);
	return ret;
}

static void write_svg(const struct sim *s, tld_time_t from, tld_time_t end)
{
	FILE *f = s->opt->svg;
	const double width = 1000.0, left = 170.0, row_h = 18.0;
	double span = (double)(end - from);
	size_t rows = s->n_all;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	        "font-family=\"monospace\" font-size=\"11\">\n", width + left + 10, (double)(rows + 3) * row_h);
	fprintf(f, "<title>key lifetimes</title>\n");
	size_t row = 0;
	static const uint8_t roles[] = { TLD_ROLE_KSK, TLD_ROLE_ZSK, TLD_ROLE_CSK };
	for (size_t r = 0; r < 3; r++) {
		for (size_t i = 0; i < s->n_all; i++) {
			const struct sim_key *k = &s->keys[i];
			if (k->role != roles[r]) {
				continue;
			}
			double y = (double)(row + 1) * row_h;
			fprintf(f, "<text x=\"4\" y=\"%.0f\">%s %u alg %u</text>\n", y + 12,
			        tld_keystate_role_name(k->role), k->tag, k->alg);
			struct { tld_time_t a, b; const char *colour; double dy, h; } bars[] = {
				{ k->pub_from, k->pub_to, "#9ecae1", 2, 14 },
				{ k->sign_from, k->sign_to, "#3182bd", 5, 8 },
				{ k->ds_from, k->ds_to, "#e6550d", 11, 4 },
			};
			for (size_t b = 0; b < 3; b++) {
				if (bars[b].a == 0) {
					continue;
				}
				tld_time_t stop = bars[b].b ? bars[b].b : end;
				double x0 = left + width * (double)(bars[b].a - from) / span;
				double x1 = left + width * (double)(stop - from) / span;
				fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"/>\n",
				        x0, y + bars[b].dy, x1 - x0 < 1 ? 1 : x1 - x0, bars[b].h, bars[b].colour);
			}
			row++;
		}
	}
	fprintf(f, "<text x=\"4\" y=\"%.0f\">light: DNSKEY published, dark: signing, orange: DS at parent</text>\n",
	        (double)(row + 2) * row_h);
	fprintf(f, "</svg>\n");
}

int tld_simulate(const struct tld_policy *pol, const struct tld_sim_options *opt,
                 struct tld_sim_result *res)
{
	struct sim *s;
	int ret;

	if (pol == NULL || opt == NULL || res == NULL || opt->years < 1 || opt->years > 100 ||
	    opt->parent_delay < 0) {
		return TLD_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return TLD_ENOMEM;
	}
	struct tld_sim_result out;
	memset(&out, 0, sizeof(out));
	s->polbuf = *pol;
	s->pol = &s->polbuf;
	s->opt = opt;
	s->res = &out;
	s->now = opt->from;
	s->hist.cls[SIM_DS].window = (int64_t)pol->parent.ds_ttl + pol->parent.propagation_delay;
	s->hist.cls[SIM_DNSKEY].window = (int64_t)pol->ttl.dnskey + pol->timing.propagation_delay;
	s->hist.cls[SIM_ZSIG].window = (int64_t)pol->ttl.max_zone + pol->timing.propagation_delay;
	tld_time_t end = opt->from + opt->years * YEAR;

	if (opt->timeline) {
		fprintf(opt->timeline, "%-20s  %-34s  %s  | %s\n", "date", "event",
		        "keys (role tag: DNSKEY KRRSIG ZRRSIG DS; H R O U; '-' = leaving)", "DNSKEY response bytes");
	}
	ret = bootstrap(s);
	while (ret == TLD_OK && s->now <= end) {
		tld_time_t machine_next = 0;
		if (out.steps >= SIM_MAX_STEPS) {
			ret = TLD_ERANGE;
			break;
		}
		ret = one_tick(s, &machine_next);
		if (ret != TLD_OK) {
			break;
		}
		tld_time_t next = next_time(s, machine_next);
		if (next == 0 || next < s->now) {
			break; /* nothing left to happen */
		}
		/* next == now: the parent acts at once; the step count bounds this */
		s->now = next;
	}
	if (ret == TLD_OK && opt->svg) {
		write_svg(s, opt->from, end);
	}
	if (ret == TLD_OK || out.breaks > 0) {
		*res = out;
	}
	sim_history_free(&s->hist);
	free(s);
	return out.breaks > 0 && ret != TLD_OK ? TLD_OK : ret;
}

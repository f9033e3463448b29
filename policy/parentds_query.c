/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One parent server asked for the zone's DS RRset (ldns, explicit server and port). */
#include <ldns/ldns.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/error.h"
#include "common/yaml_schema.h"
#include "policy/parentds.h"

#define PARENT_RETRIES 2          /* attempts per query: one retry */
#define PARENT_EDNS_SIZE 1232

static int say(struct tld_parent_answer *out, int status, const char *fmt, const char *arg)
{
	out->status = status;
	snprintf(out->error, sizeof(out->error), fmt, arg);
	return status;
}

/* The DS records of the answer section owned by the zone, into out->set. */
static int collect_ds(const ldns_pkt *pkt, const ldns_rdf *owner, struct tld_parent_answer *out)
{
	ldns_rr_list *answer = ldns_pkt_answer(pkt);
	ldns_buffer *buf = ldns_buffer_new(128);
	int ret = TLD_OK;
	if (buf == NULL) {
		return say(out, TLD_ENOMEM, "%s", "out of memory");
	}
	for (size_t i = 0; answer != NULL && i < ldns_rr_list_rr_count(answer) && ret == TLD_OK; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(answer, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
			ret = say(out, TLD_ENET, "%s", "answered with a CNAME");
		}
		if (ret != TLD_OK || ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_dname_compare(ldns_rr_owner(rr), owner) != 0) {
			continue;
		}
		ldns_buffer_clear(buf);
		if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK) {
			ret = say(out, TLD_ENOMEM, "%s", "out of memory");
		} else if (tld_ds_set_add(&out->set, ldns_buffer_begin(buf), ldns_buffer_position(buf)) != TLD_OK) {
			ret = say(out, TLD_ERANGE, "%s", "too many or oversized DS records");
		}
	}
	ldns_buffer_free(buf);
	return ret;
}

static int check_answer(const ldns_pkt *pkt, struct tld_parent_answer *out)
{
	char rcode[32];
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
	if (rc != LDNS_RCODE_NOERROR) {
		const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rc);
		snprintf(rcode, sizeof(rcode), "%s", lt ? lt->name : "unknown");
		return say(out, TLD_ENET, "answered %s", rcode);
	}
	if (!ldns_pkt_aa(pkt)) {
		return say(out, TLD_ENET, "%s", "answer not authoritative (is it a server of the parent zone?)");
	}
	if (ldns_pkt_tc(pkt)) {
		return say(out, TLD_ENET, "%s", "answer truncated even over TCP");
	}
	return TLD_OK;
}

int tld_parent_query_ds(const char *server, const char *zone, int timeout_ms, struct tld_parent_answer *out)
{
	struct tld_sockaddr sa;
	ldns_resolver *res = NULL;
	ldns_rdf *ns = NULL, *owner = NULL;
	ldns_pkt *pkt = NULL;
	uint16_t port = 53;
	int ret;

	memset(out, 0, sizeof(*out));
	if (tld_sockaddr_parse(server, &sa) != TLD_OK) {
		return say(out, TLD_EINVAL, "bad server address '%s'", server);
	}
	ns = ldns_sockaddr_storage2rdf(&sa.ss, &port);
	owner = ldns_dname_new_frm_str(zone);
	res = ldns_resolver_new();
	if (ns == NULL || owner == NULL || res == NULL) {
		ret = say(out, owner == NULL ? TLD_EINVAL : TLD_ENOMEM, "cannot prepare the query for '%s'", zone);
		goto fail;
	}
	if (ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		ret = say(out, TLD_ENOMEM, "%s", "out of memory");
		goto fail;
	}
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	ldns_resolver_set_port(res, port);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, PARENT_RETRIES);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_fallback(res, true);
	ldns_resolver_set_edns_udp_size(res, PARENT_EDNS_SIZE);
	ldns_status st = ldns_resolver_send(&pkt, res, owner, LDNS_RR_TYPE_DS, LDNS_RR_CLASS_IN, 0);
	if (st != LDNS_STATUS_OK || pkt == NULL) {
		ret = say(out, TLD_ENET, "no answer (%s)", ldns_get_errorstr_by_id(st));
		goto fail;
	}
	ret = check_answer(pkt, out);
	if (ret == TLD_OK) {
		ret = collect_ds(pkt, owner, out);
	}
fail:
	ldns_pkt_free(pkt);
	ldns_resolver_deep_free(res); /* holds its own copy of ns */
	ldns_rdf_deep_free(ns);
	ldns_rdf_deep_free(owner);
	out->status = ret;
	if (ret != TLD_OK && out->error[0] == '\0') {
		snprintf(out->error, sizeof(out->error), "%s", tld_strerror(ret));
	}
	return ret;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "publish/dnswire.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

static uint8_t lower_byte(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

int tld_name_read(const uint8_t *wire, size_t len, size_t *pos, uint8_t *name,
                  size_t *name_len, bool lower)
{
	size_t p = *pos, out = 0, end = 0;
	bool jumped = false;
	int hops = 0;

	for (;;) {
		if (p >= len) {
			return TLD_EPROTO;
		}
		uint8_t l = wire[p];
		if ((l & 0xC0) == 0xC0) {
			if (p + 1 >= len || ++hops > 127) {
				return TLD_EPROTO;
			}
			size_t target = (size_t)((l & 0x3F) << 8 | wire[p + 1]);
			if (target >= p) {
				return TLD_EPROTO;  /* forward or self pointer */
			}
			if (!jumped) {
				end = p + 2;
				jumped = true;
			}
			p = target;
			continue;
		}
		if (l & 0xC0) {
			return TLD_EPROTO;  /* extended label types */
		}
		if (p + 1 + l > len || out + 1 + l > TLD_DNS_MAXNAME) {
			return TLD_EPROTO;
		}
		name[out++] = l;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = wire[p + 1 + i];
			name[out++] = lower ? lower_byte(c) : c;
		}
		p += 1 + (size_t)l;
		if (l == 0) {
			break;
		}
	}
	*pos = jumped ? end : p;
	*name_len = out;
	return TLD_OK;
}

size_t tld_name_len(const uint8_t *name, size_t max)
{
	size_t p = 0;
	while (p < max && p < TLD_DNS_MAXNAME) {
		uint8_t l = name[p];
		if (l & 0xC0) {
			return 0;
		}
		p += 1 + (size_t)l;
		if (l == 0) {
			return p <= max ? p : 0;
		}
	}
	return 0;
}

void tld_name_to_text(const uint8_t *name, char *buf, size_t size)
{
	size_t o = 0, p = 0;
	if (size == 0) {
		return;
	}
	if (name[0] == 0) {
		snprintf(buf, size, ".");
		return;
	}
	while (name[p] != 0 && p < TLD_DNS_MAXNAME) {
		uint8_t l = name[p++];
		for (uint8_t i = 0; i < l; i++, p++) {
			uint8_t c = name[p];
			int n;
			if (c == '.' || c == '\\') {
				n = snprintf(buf + o, size - o, "\\%c", c);
			} else if (c <= 0x20 || c >= 0x7f) {
				n = snprintf(buf + o, size - o, "\\%03u", c);
			} else {
				n = snprintf(buf + o, size - o, "%c", c);
			}
			if (n < 0 || (size_t)n >= size - o) {
				return;
			}
			o += (size_t)n;
		}
		if (o + 1 < size) {
			buf[o++] = '.';
			buf[o] = 0;
		}
	}
}

int tld_name_from_text(const char *text, uint8_t *name, size_t *name_len)
{
	size_t o = 0;
	const char *s = text;
	if (strcmp(text, ".") == 0) {
		name[0] = 0;
		*name_len = 1;
		return TLD_OK;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || o + 1 + l + 1 > TLD_DNS_MAXNAME) {
			return TLD_EINVAL;
		}
		name[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			name[o++] = lower_byte((uint8_t)s[i]);
		}
		s += l;
		if (*s == '.') {
			s++;
		}
	}
	name[o++] = 0;
	*name_len = o;
	return TLD_OK;
}

static int skip_rr(const uint8_t *wire, size_t len, size_t *pos, struct tld_msg_rr *rr)
{
	rr->start = *pos;
	int r = tld_name_read(wire, len, pos, rr->owner, &rr->owner_len, true);
	if (r != TLD_OK) {
		return r;
	}
	if (*pos + 10 > len) {
		return TLD_EPROTO;
	}
	rr->type = tld_get16(wire + *pos);
	rr->rclass = tld_get16(wire + *pos + 2);
	rr->ttl = tld_get32(wire + *pos + 4);
	rr->rdlen = tld_get16(wire + *pos + 8);
	*pos += 10;
	if (*pos + rr->rdlen > len) {
		return TLD_EPROTO;
	}
	rr->rdata = wire + *pos;
	*pos += rr->rdlen;
	return TLD_OK;
}

int tld_msg_parse(const uint8_t *wire, size_t len, struct tld_msg *m)
{
	size_t pos = TLD_DNS_HDR;
	struct tld_msg_rr rr;

	memset(m, 0, sizeof(*m));
	m->wire = wire;
	m->len = len;
	if (len < TLD_DNS_HDR) {
		return TLD_EPROTO;
	}
	m->id = tld_get16(wire);
	m->flags = tld_get16(wire + 2);
	m->qdcount = tld_get16(wire + 4);
	m->ancount = tld_get16(wire + 6);
	m->nscount = tld_get16(wire + 8);
	m->arcount = tld_get16(wire + 10);
	if (m->qdcount > 1) {
		return TLD_EPROTO;
	}
	if (m->qdcount == 1) {
		if (tld_name_read(wire, len, &pos, m->qname, &m->qname_len, true) != TLD_OK ||
		    pos + 4 > len) {
			return TLD_EPROTO;
		}
		m->qtype = tld_get16(wire + pos);
		m->qclass = tld_get16(wire + pos + 2);
		pos += 4;
		m->has_question = true;
	}
	unsigned total = (unsigned)m->ancount + m->nscount + m->arcount;
	for (unsigned i = 0; i < total; i++) {
		if (skip_rr(wire, len, &pos, &rr) != TLD_OK) {
			return TLD_EPROTO;
		}
		bool additional = i >= (unsigned)m->ancount + m->nscount;
		if (!additional && rr.type == TLD_RR_SOA && !m->has_soa) {
			/* serial: after two names in the rdata */
			size_t p = (size_t)(rr.rdata - wire), nl;
			uint8_t tmp[TLD_DNS_MAXNAME];
			if (tld_name_read(wire, len, &p, tmp, &nl, false) != TLD_OK ||
			    tld_name_read(wire, len, &p, tmp, &nl, false) != TLD_OK ||
			    p + 20 > (size_t)(rr.rdata - wire) + rr.rdlen) {
				return TLD_EPROTO;
			}
			m->has_soa = true;
			m->soa_serial = tld_get32(wire + p);
		}
		if (additional && rr.type == TLD_RR_OPT) {
			if (m->has_opt || rr.owner_len != 1) {
				return TLD_EPROTO;
			}
			m->has_opt = true;
			m->udp_size = rr.rclass < 512 ? 512 : rr.rclass;
		}
		if (rr.type == TLD_RR_TSIG) {
			if (!additional || i != total - 1) {
				return TLD_EPROTO;  /* TSIG must be the last record */
			}
			m->has_tsig = true;
			m->tsig = rr;
			m->tsig_start = rr.start;
		}
	}
	if (pos != len) {
		return TLD_EPROTO;  /* trailing garbage */
	}
	return TLD_OK;
}

/* ---- writer ---- */

static uint32_t suffix_hash(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ name[i]) * 16777619u;
	}
	return h | 1u;  /* 0 marks an empty slot */
}

/* Whether the (possibly compressed) name at off in buf equals suffix. */
static bool name_at_equals(const uint8_t *buf, size_t len, size_t off, const uint8_t *suffix)
{
	uint8_t tmp[TLD_DNS_MAXNAME];
	size_t tl, p = off;
	if (tld_name_read(buf, len, &p, tmp, &tl, true) != TLD_OK) {
		return false;
	}
	return tl == tld_name_len(suffix, TLD_DNS_MAXNAME) && memcmp(tmp, suffix, tl) == 0;
}

void tld_writer_init(struct tld_msg_writer *w, uint8_t *buf, size_t cap, size_t limit,
                     uint16_t id, uint16_t flags)
{
	for (size_t i = 0; i < w->nused; i++) {
		w->slot[w->used[i]].hash = 0;
	}
	if (w->buf == NULL && w->nused == 0) {
		memset(w->slot, 0, sizeof(w->slot));
	}
	w->nused = 0;
	w->buf = buf;
	w->cap = cap;
	w->limit = limit < cap ? limit : cap;
	w->len = TLD_DNS_HDR;
	memset(w->count, 0, sizeof(w->count));
	memset(buf, 0, TLD_DNS_HDR);
	tld_put16(buf, id);
	tld_put16(buf + 2, flags);
}

/* Writes name with compression; returns bytes written or 0 on lack of space. */
static size_t write_name(struct tld_msg_writer *w, const uint8_t *name, size_t name_len)
{
	size_t label_off[128];
	size_t nlabels = 0, p = 0, match_label = SIZE_MAX, match_off = 0;

	while (p < name_len && name[p] != 0 && nlabels < 128) {
		label_off[nlabels++] = p;
		p += 1 + (size_t)name[p];
	}
	/* find the longest suffix already in the message */
	for (size_t i = 0; i < nlabels; i++) {
		const uint8_t *suf = name + label_off[i];
		uint32_t h = suffix_hash(suf, name_len - label_off[i]);
		size_t s = h % TLD_COMPRESS_SLOTS;
		if (w->slot[s].hash == h && name_at_equals(w->buf, w->len, w->slot[s].off, suf)) {
			match_label = i;
			match_off = w->slot[s].off;
			break;
		}
	}
	size_t prefix = match_label == SIZE_MAX ? name_len : label_off[match_label];
	size_t need = prefix + (match_label == SIZE_MAX ? 0 : 2);
	if (w->len + need > w->cap) {
		return 0;
	}
	size_t start = w->len;
	memcpy(w->buf + w->len, name, prefix);
	w->len += prefix;
	if (match_label != SIZE_MAX) {
		tld_put16(w->buf + w->len, (uint16_t)(0xC000 | match_off));
		w->len += 2;
	}
	/* remember the new suffixes */
	size_t upto = match_label == SIZE_MAX ? nlabels : match_label;
	for (size_t i = 0; i < upto; i++) {
		size_t off = start + label_off[i];
		if (off >= 0x3FFF) {
			break;
		}
		uint32_t h = suffix_hash(name + label_off[i], name_len - label_off[i]);
		size_t s = h % TLD_COMPRESS_SLOTS;
		if (w->slot[s].hash == 0) {
			w->used[w->nused++] = (uint16_t)s;
		}
		w->slot[s].hash = h;
		w->slot[s].off = (uint16_t)off;
	}
	return need;
}

int tld_writer_question(struct tld_msg_writer *w, const uint8_t *name, size_t name_len,
                        uint16_t qtype, uint16_t qclass)
{
	size_t save = w->len;
	if (write_name(w, name, name_len) == 0 || w->len + 4 > w->cap) {
		w->len = save;
		return TLD_ENOSPC;
	}
	tld_put16(w->buf + w->len, qtype);
	tld_put16(w->buf + w->len + 2, qclass);
	w->len += 4;
	w->count[0]++;
	return TLD_OK;
}

/* True when a wire name has no upper-case letter (compression may then share it). */
static bool name_is_lower(const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i += 1 + (size_t)name[i]) {
		for (size_t k = 1; k <= name[i] && i + k < len; k++) {
			if (name[i + k] >= 'A' && name[i + k] <= 'Z') {
				return false;
			}
		}
		if (name[i] == 0) {
			break;
		}
	}
	return true;
}

static bool write_raw(struct tld_msg_writer *w, const uint8_t *data, size_t len)
{
	if (w->len + len > w->cap) {
		return false;
	}
	if (len > 0) {
		memcpy(w->buf + w->len, data, len);
	}
	w->len += len;
	return true;
}

/* A whole, lower-case name of exactly len bytes at p? */
static bool whole_name(const uint8_t *p, size_t len)
{
	return len > 0 && tld_name_len(p, len) == len && name_is_lower(p, len);
}

/*
 * RDATA, with the names compressed in the types RFC 1035 defines and RFC
 * 3597 section 4 allows compression for (NS, CNAME, PTR, MX, SOA); every
 * other type, and names with upper case, copied as they are.
 */
static bool write_rdata(struct tld_msg_writer *w, uint16_t type, const uint8_t *rdata, uint16_t rdlen)
{
	size_t n1, n2;
	switch (type) {
	case TLD_RR_NS:
	case 5:   /* CNAME */
	case 12:  /* PTR */
		if (whole_name(rdata, rdlen)) {
			return write_name(w, rdata, rdlen) != 0;
		}
		break;
	case 15:  /* MX */
		if (rdlen > 2 && whole_name(rdata + 2, (size_t)rdlen - 2)) {
			return write_raw(w, rdata, 2) && write_name(w, rdata + 2, (size_t)rdlen - 2) != 0;
		}
		break;
	case TLD_RR_SOA:
		n1 = tld_name_len(rdata, rdlen);
		n2 = n1 ? tld_name_len(rdata + n1, rdlen - n1) : 0;
		if (n1 && n2 && n1 + n2 + 20 == rdlen && name_is_lower(rdata, n1) &&
		    name_is_lower(rdata + n1, n2)) {
			return write_name(w, rdata, n1) != 0 && write_name(w, rdata + n1, n2) != 0 &&
			       write_raw(w, rdata + n1 + n2, 20);
		}
		break;
	default:
		break;
	}
	return write_raw(w, rdata, rdlen);
}

int tld_writer_rr(struct tld_msg_writer *w, int section, const uint8_t *owner, size_t owner_len,
                  uint16_t type, uint16_t rclass, uint32_t ttl,
                  const uint8_t *rdata, uint16_t rdlen)
{
	size_t save = w->len, save_used = w->nused;
	if (write_name(w, owner, owner_len) == 0 || w->len + 10 > w->cap) {
		goto nospace;
	}
	uint8_t *p = w->buf + w->len;
	tld_put16(p, type);
	tld_put16(p + 2, rclass);
	tld_put32(p + 4, ttl);
	size_t rdlen_at = w->len + 8;
	w->len += 10;
	size_t rstart = w->len;
	if (!write_rdata(w, type, rdata, rdlen) ||
	    (w->len > w->limit && w->count[1] + w->count[2] + w->count[3] > 0)) {
		goto nospace;
	}
	tld_put16(w->buf + rdlen_at, (uint16_t)(w->len - rstart));
	w->count[section]++;
	return TLD_OK;
nospace:
	/* undo compression entries that point past the rollback point */
	for (size_t i = save_used; i < w->nused; i++) {
		w->slot[w->used[i]].hash = 0;
	}
	w->nused = save_used;
	w->len = save;
	return TLD_ENOSPC;
}

void tld_writer_rcode(struct tld_msg_writer *w, int rcode)
{
	w->buf[3] = (uint8_t)((w->buf[3] & 0xF0) | (rcode & 0x0F));
}

void tld_writer_finish(struct tld_msg_writer *w)
{
	for (int i = 0; i < 4; i++) {
		tld_put16(w->buf + 4 + 2 * i, w->count[i]);
	}
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DNS message codec for the transfer server: a bounds-checked reader that
 * parses an incoming message (header, question, EDNS OPT, trailing TSIG) and
 * a writer that builds responses with name compression.  Nothing here
 * allocates except tld_msg_writer compression state (fixed size, on the
 * writer itself), so a hostile packet can never grow memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLD_DNS_MAXNAME 255
#define TLD_DNS_HDR 12

enum {
	TLD_RR_A = 1, TLD_RR_NS = 2, TLD_RR_SOA = 6, TLD_RR_OPT = 41,
	TLD_RR_TSIG = 250, TLD_RR_IXFR = 251, TLD_RR_AXFR = 252,
};
enum { TLD_CLASS_IN = 1, TLD_CLASS_ANY = 255 };
enum {
	TLD_OP_QUERY = 0, TLD_OP_NOTIFY = 4,
};
enum {
	TLD_RCODE_NOERROR = 0, TLD_RCODE_FORMERR = 1, TLD_RCODE_SERVFAIL = 2,
	TLD_RCODE_NXDOMAIN = 3, TLD_RCODE_NOTIMP = 4, TLD_RCODE_REFUSED = 5,
	TLD_RCODE_NOTAUTH = 9,
	TLD_RCODE_BADSIG = 16, TLD_RCODE_BADKEY = 17, TLD_RCODE_BADTIME = 18,
};

/*! One resource record as found in a message; pointers into the message. */
struct tld_msg_rr {
	uint8_t owner[TLD_DNS_MAXNAME];  /*!< uncompressed wire, lower case */
	size_t owner_len;
	uint16_t type, rclass;
	uint32_t ttl;
	const uint8_t *rdata;            /*!< inside the message buffer */
	uint16_t rdlen;
	size_t start;                    /*!< offset of the owner name in the message */
};

/*! A parsed incoming message (query, NOTIFY response, SOA response). */
struct tld_msg {
	const uint8_t *wire;
	size_t len;
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
	bool has_question;
	uint8_t qname[TLD_DNS_MAXNAME];
	size_t qname_len;
	uint16_t qtype, qclass;
	bool has_soa;                    /*!< first SOA in answer or authority (IXFR client serial) */
	uint32_t soa_serial;
	bool has_opt;
	uint16_t udp_size;
	bool has_tsig;
	struct tld_msg_rr tsig;          /*!< the TSIG RR (last additional record) */
	size_t tsig_start;               /*!< message length before the TSIG RR */
};

/*!
 * \brief Parses a DNS message.  Accepts at most one question; the TSIG RR
 *        must be the last additional record.  Compression pointers must point
 *        backwards; names are bounded by 255 bytes.
 * \param[in]  wire  message bytes (kept referenced by out)
 * \param[out] out   parsed message; contents undefined on error
 * \return TLD_OK or TLD_EPROTO (malformed)
 */
int tld_msg_parse(const uint8_t *wire, size_t len, struct tld_msg *out);

/*!
 * \brief Reads a possibly compressed name at *pos; advances *pos past it.
 * \param[out] name  uncompressed wire, lower-cased when lower is true
 * \return TLD_OK or TLD_EPROTO
 */
int tld_name_read(const uint8_t *wire, size_t len, size_t *pos, uint8_t *name,
                  size_t *name_len, bool lower);

/*! Length of an uncompressed wire name, or 0 if malformed/over limit. */
size_t tld_name_len(const uint8_t *name, size_t max);

/*! Converts a wire name to text with trailing dot into buf (>= 1010 bytes). */
void tld_name_to_text(const uint8_t *name, char *buf, size_t size);

/*! Converts text ("nic.test.") to lower-case wire; \return TLD_OK or TLD_EINVAL. */
int tld_name_from_text(const char *text, uint8_t *name, size_t *name_len);

#define TLD_COMPRESS_SLOTS 4096

/*! Builds one message into a caller-supplied buffer. */
struct tld_msg_writer {
	uint8_t *buf;
	size_t cap;        /*!< capacity of buf (max message size) */
	size_t len;
	size_t limit;      /*!< soft limit: stop adding RRs beyond this */
	uint16_t count[4]; /*!< qd, an, ns, ar */
	struct {
		uint32_t hash;
		uint16_t off;
	} slot[TLD_COMPRESS_SLOTS];
	uint16_t used[TLD_COMPRESS_SLOTS];
	size_t nused;
};

/*! Starts a message: header with id/flags; counts zero. */
void tld_writer_init(struct tld_msg_writer *w, uint8_t *buf, size_t cap, size_t limit,
                     uint16_t id, uint16_t flags);

/*! Appends the question.  \return TLD_OK or TLD_ENOSPC */
int tld_writer_question(struct tld_msg_writer *w, const uint8_t *name, size_t name_len,
                        uint16_t qtype, uint16_t qclass);

/*!
 * \brief Appends an RR to a section (1 answer, 2 authority, 3 additional),
 *        compressing the owner name, and the names inside the rdata of NS,
 *        CNAME, PTR, MX and SOA (RFC 3597 4) when they are in lower case;
 *        any other rdata is copied as is.
 * \return TLD_OK or TLD_ENOSPC (message unchanged)
 */
int tld_writer_rr(struct tld_msg_writer *w, int section, const uint8_t *owner, size_t owner_len,
                  uint16_t type, uint16_t rclass, uint32_t ttl,
                  const uint8_t *rdata, uint16_t rdlen);

/*! Sets the RCODE (low 4 bits) in the header. */
void tld_writer_rcode(struct tld_msg_writer *w, int rcode);

/*! Writes the section counts into the header. */
void tld_writer_finish(struct tld_msg_writer *w);

static inline uint16_t tld_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t tld_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void tld_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void tld_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

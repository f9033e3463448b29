/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Internals of the verifier, shared by the files of verify/ and the unit tests.
 * Nothing here is used outside verify/ (and tests/unit/test_verify_*.c).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>
#include <openssl/evp.h>

#include "verify/vcache.h"
#include "verify/vstate.h"
#include "verify/verify.h"

#define VFY_NAME_MAX 255
#define VFY_HASH_MAX 64

/* ---- canonical name keys (vname.c) ---- */

/*!
 * \brief Turns a wire-format domain name into a key whose memcmp order is
 *        RFC 4034 §6.1 canonical order: labels reversed, lower-cased, each
 *        followed by a 0 byte.  A descendant's key starts with its
 *        ancestor's key.
 * \param[in]  wire  uncompressed wire name
 * \param[in]  len   its length
 * \param[out] key   at least VFY_NAME_MAX bytes
 * \param[out] klen  key length
 * \return TLD_OK or TLD_EINVAL (malformed name, or a label holding a 0 byte)
 */
int vfy_name_key(const uint8_t *wire, size_t len, uint8_t *key, size_t *klen);

/*! Back from a key to the lower-cased wire name; returns the wire length. */
size_t vfy_key_to_wire(const uint8_t *key, size_t klen, uint8_t *wire);

/*! Number of labels in a key (root = 0). */
unsigned vfy_key_labels(const uint8_t *key, size_t klen);

/*! Whether key a (length alen) is b itself or an ancestor of b. */
bool vfy_key_is_prefix(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/*! Compares two keys in canonical order (<0, 0, >0). */
int vfy_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* ---- NSEC3 hash (nsec3hash.c) ---- */

/*!
 * \brief RFC 5155 §5 iterated hash, SHA-1 (algorithm 1) only.
 * \param[in]  ctx    a digest context owned by the caller (reused)
 * \param[in]  md     EVP SHA-1
 * \param[in]  wire   lower-cased wire name
 * \param[out] out    20 bytes
 * \return TLD_OK or TLD_ECRYPTO
 */
int vfy_nsec3_hash(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *wire, size_t wlen,
                   const uint8_t *salt, size_t salt_len, unsigned iterations,
                   uint8_t out[20]);

/*!
 * \brief Decodes base32hex (RFC 4648, no padding, either case).
 * \param[out] out  decoded bytes (at least len*5/8)
 * \return decoded length, or -1 on a bad character or trailing bits
 */
int vfy_base32hex_decode(const char *text, size_t len, uint8_t *out);

/*! Encodes base32hex lower-case into out (NUL-terminated); returns length. */
size_t vfy_base32hex_encode(const uint8_t *in, size_t len, char *out);

/* ---- the fast path of the loader (fastparse.c) ---- */

/*!
 * \brief Parses one line holding an NS, DS, A, AAAA, RRSIG or NSEC3 record
 *        with an absolute owner, a TTL and class IN into canonical wire form.
 * \param[out] wire       at least 1024 bytes (cap)
 * \param[out] wire_len   the record's length
 * \param[out] owner_len  the owner's wire length
 * \return TLD_OK, or TLD_ENOTIMPL: not for the fast path (ldns parses it)
 */
int vfy_fast_parse(const char *line, size_t len, uint8_t *wire, size_t cap, size_t *wire_len,
                   size_t *owner_len);

/* ---- cutting a zone file into slices (vsplit.c) ---- */

/*! A slice of a zone file's text and the parser state at its start. */
struct vfy_slice {
	const char *text;
	size_t len;
	int first_line;
	char origin[VFY_NAME_MAX * 4 + 2]; /*!< $ORIGIN in effect at the start ("" none) */
	uint32_t default_ttl;      /*!< $TTL in effect at the start */
	size_t newlines;           /*!< '\n' bytes in the slice */
	bool plain;                /*!< (inside vsplit.c) no state to carry over */
};

/*!
 * \brief Cuts text into up to n slices at record starts.
 * \param[out] out      n slices; the first k written
 * \param[out] scanned  whether it took the sequential pass (not a plain file)
 * \return k, or 0: read the text in one piece (a $INCLUDE, a relative
 *         $ORIGIN, a directive it cannot read, or n < 2)
 */
size_t vfy_split_text(const char *text, size_t len, struct vfy_slice *out, size_t n,
                      bool *scanned);

/* ---- type bitmaps (bitmap.c) ---- */

/*! A set of RR types (all 65536). */
struct vfy_typeset {
	uint8_t bits[8192];
};

void vfy_typeset_clear(struct vfy_typeset *s);
void vfy_typeset_add(struct vfy_typeset *s, uint16_t type);
bool vfy_typeset_has(const struct vfy_typeset *s, uint16_t type);
bool vfy_typeset_equal(const struct vfy_typeset *a, const struct vfy_typeset *b);

/*!
 * \brief Decodes an RFC 4034 §4.1.2 type bitmap (window blocks).
 * \return TLD_OK or TLD_EINVAL (windows out of order or repeated, bad
 *         length, trailing zero octets)
 */
int vfy_bitmap_decode(const uint8_t *data, size_t len, struct vfy_typeset *out);

/*! Writes a type set as "A NS RRSIG" into buf (truncated to size). */
void vfy_typeset_format(const struct vfy_typeset *s, char *buf, size_t size);

/* ---- DNSKEY response size (respsize.c) ---- */

/*!
 * \brief Size of a DNS response to "apex DNSKEY" with EDNS (no options):
 *        header, question, the DNSKEY RRs and their RRSIGs (owners
 *        compressed to the question name), an OPT RR.
 * \param[in] apex_wire_len  wire length of the apex name
 * \param[in] rdlens         RDATA length of each answer record
 * \param[in] n              number of answer records
 */
size_t vfy_dnskey_response_size(size_t apex_wire_len, const size_t *rdlens, size_t n);

/* ---- RRSIG verification with OpenSSL EVP (vcrypto.c) ---- */

struct vfy_rec;

/*! A DNSKEY made ready for verification once. */
struct vfy_key {
	EVP_PKEY *pkey;
	EVP_MD *md;                /*!< NULL for EdDSA */
	uint8_t alg;
	size_t ecdsa_len;          /*!< r and s length for ECDSA, else 0 */
};

/*!
 * \brief Builds the EVP key of a DNSKEY.
 * \param[out] out  written only on success; clear with vfy_key_clear()
 * \return TLD_OK, TLD_ENOTIMPL (algorithm not handled here), TLD_EKEY (bad key)
 */
int vfy_key_build(const uint8_t *rdata, size_t len, struct vfy_key *out);
void vfy_key_clear(struct vfy_key *key);

/*!
 * Per-thread buffers for building signed data, and an EVP_PKEY_CTX per key
 * verified with (made on first use, found again by the key's address: a
 * struct vfy_key used with it must stay unchanged at its address until
 * vfy_crypto_free()).
 */
struct vfy_crypto;
struct vfy_crypto *vfy_crypto_new(void);
void vfy_crypto_free(struct vfy_crypto *c);

/*!
 * \brief Verifies one RRSIG over an RRset (RFC 4034 3.1.8.1, 6.2, 6.3).
 * \return TLD_OK (valid), TLD_EVERIFY (invalid), TLD_ENOMEM, TLD_ECRYPTO
 */
int vfy_rrsig_verify(struct vfy_crypto *c, const struct vfy_rec *rrs, size_t n_rrs,
                     const struct vfy_rec *sig, const struct vfy_key *key);

/*! The verified-signature cache's part in one check (verify/vcache.h). */
struct vfy_cache_probe {
	const struct vfy_vcache *in;   /*!< previous cache, or NULL */
	const uint8_t *key_rdata;      /*!< RDATA of the DNSKEY tried */
	size_t key_rdlen;
	uint8_t hash[VFY_VCACHE_HASH]; /*!< out: the entry of this check */
	bool hit;                      /*!< out: found in `in`; no public-key operation done */
	bool hash_only;                /*!< in: never the public-key operation (a miss: TLD_EVERIFY) */
	bool guess;                    /*!< in, with hash_only: a miss is TLD_OK too (vfy_cache_guess()) */
};

/*!
 * \brief vfy_rrsig_verify() that also computes the check's cache entry and,
 *        when the entry is in probe->in, returns TLD_OK without the
 *        public-key operation.  Everything before it (signed data built from
 *        the records, labels check) runs as without a cache.
 * \param[in,out] probe  NULL: plain vfy_rrsig_verify()
 * \return as vfy_rrsig_verify(); probe->hash is set when the signed data
 *         could be built (TLD_OK, and TLD_EVERIFY from the key operation)
 */
int vfy_rrsig_verify_probe(struct vfy_crypto *c, const struct vfy_rec *rrs, size_t n_rrs,
                           const struct vfy_rec *sig, const struct vfy_key *key,
                           struct vfy_cache_probe *probe);

/* ---- the loaded zone (vzone.c) ---- */

struct vfy_issue_list;

/*!
 * One record as read: its canonical wire form (RFC 4034 6.2: owner and the
 * names in RDATA lower-cased; owner, TYPE, CLASS, TTL, RDLENGTH, RDATA) in
 * the zone's arena, and its canonical owner key.  ldns's parsed form is not
 * kept: it costs several times the wire size.
 */
struct vfy_rec {
	uint8_t *key;              /*!< canonical key of the owner (shared by a name's records) */
	uint8_t *wire;             /*!< canonical wire form */
	uint32_t wire_len;
	uint32_t line;
	uint16_t klen;
	uint16_t type;             /*!< RR type, or the covered type for RRSIG */
	uint8_t owner_len;         /*!< wire length of the owner (offset of TYPE) */
	uint8_t is_sig;
};

/*! RDATA of a record, and its length. */
static inline const uint8_t *vfy_rdata(const struct vfy_rec *r, size_t *len)
{
	*len = r->wire_len - r->owner_len - 10u;
	return r->wire + r->owner_len + 10;
}

static inline uint32_t vfy_rec_ttl(const struct vfy_rec *r)
{
	const uint8_t *p = r->wire + r->owner_len + 4;
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/*! Rebuilds ldns's form of a record (for printing and ldns fallbacks); caller frees. */
ldns_rr *vfy_rec_to_ldns(const struct vfy_rec *r);

/*! RRSIG RDATA fields (pointers into the record). */
struct vfy_rrsig {
	uint16_t covered;
	uint8_t alg, labels;
	uint32_t orig_ttl, expiration, inception;
	uint16_t tag;
	const uint8_t *signer;
	size_t signer_len;
	const uint8_t *sig;
	size_t sig_len;
};

/*! NSEC3 RDATA fields. */
struct vfy_nsec3_rdata {
	uint8_t alg, flags;
	uint16_t iterations;
	const uint8_t *salt;
	uint8_t salt_len;
	const uint8_t *next;
	uint8_t next_len;
	const uint8_t *bitmap;
	size_t bitmap_len;
};

/*! Parsers of RDATA; each returns TLD_OK or TLD_EINVAL (malformed). */
int vfy_parse_rrsig(const uint8_t *rd, size_t len, struct vfy_rrsig *out);
int vfy_parse_nsec3(const uint8_t *rd, size_t len, struct vfy_nsec3_rdata *out);
/*! NSEC3PARAM: the same fields as NSEC3 up to the salt. */
int vfy_parse_nsec3param(const uint8_t *rd, size_t len, struct vfy_nsec3_rdata *out);
/*! NSEC: next owner name and bitmap. */
int vfy_parse_nsec(const uint8_t *rd, size_t len, const uint8_t **next, size_t *next_len,
                   const uint8_t **bitmap, size_t *bitmap_len);
/*! DNSKEY: flags, algorithm and the public key. */
int vfy_parse_dnskey(const uint8_t *rd, size_t len, uint16_t *flags, uint8_t *alg,
                     const uint8_t **key, size_t *key_len);
/*! The parsers applied to a record's RDATA. */
static inline int vfy_rec_nsec3(const struct vfy_rec *r, struct vfy_nsec3_rdata *out)
{
	size_t len;
	const uint8_t *rd = vfy_rdata(r, &len);
	return vfy_parse_nsec3(rd, len, out);
}

static inline int vfy_rec_nsec3param(const struct vfy_rec *r, struct vfy_nsec3_rdata *out)
{
	size_t len;
	const uint8_t *rd = vfy_rdata(r, &len);
	return vfy_parse_nsec3param(rd, len, out);
}

static inline int vfy_rec_nsec(const struct vfy_rec *r, const uint8_t **next, size_t *next_len,
                               const uint8_t **bitmap, size_t *bitmap_len)
{
	size_t len;
	const uint8_t *rd = vfy_rdata(r, &len);
	return vfy_parse_nsec(rd, len, next, next_len, bitmap, bitmap_len);
}

/*! Checks the RDATA of the types the verifier reads; TLD_EINVAL if malformed. */
int vfy_rdata_check(uint16_t type, const uint8_t *rd, size_t len);
/*! Key tag (RFC 4034 App. B) of DNSKEY RDATA. */
uint16_t vfy_keytag(const uint8_t *rd, size_t len);

enum vfy_name_flag {
	VFY_APEX = 1 << 0,
	VFY_DELEG = 1 << 1,        /*!< NS below the apex: a zone cut */
	VFY_SECURE = 1 << 2,       /*!< delegation with DS */
	VFY_OCCLUDED = 1 << 3,     /*!< below a zone cut (glue) */
	VFY_ENT = 1 << 4,          /*!< empty non-terminal (no records) */
	VFY_DENIAL_ONLY = 1 << 5,  /*!< holds only NSEC3 (and its RRSIGs): not a zone name */
	VFY_NEEDS_DENIAL = 1 << 6, /*!< must have its own NSEC3 (no opt-out allowed) */
	VFY_OUTSIDE = 1 << 7,      /*!< not at or below the apex */
};

/*! An owner name: a run of records in the sorted array, or an ENT. */
struct vfy_name {
	size_t first;              /*!< index of the first record (ENT: 0) */
	uint32_t count;            /*!< records (ENT: 0) */
	uint16_t flags;
	uint8_t *key;              /*!< ENT: owned by the zone's ent_keys */
	uint16_t klen;
	uint8_t hash[20];          /*!< NSEC3 hash, when the zone uses NSEC3 */
	uint8_t n3_found;          /*!< VFY_N3_* found by vfy_hash_names() */
	uint32_t n3;               /*!< index into nsec3 of the NSEC3 matching or covering hash */
};

/*! Whether a name is in the NSEC3 chain's domain (hashed, matched or covered). */
static inline bool vfy_name_hashable(const struct vfy_name *n)
{
	return !(n->flags & (VFY_OUTSIDE | VFY_DENIAL_ONLY | VFY_OCCLUDED));
}

/*! What vfy_hash_names() found for a name in the NSEC3 chain. */
enum vfy_n3_found {
	VFY_N3_LOOKED = 1 << 0,    /*!< n3 is set */
	VFY_N3_EXACT = 1 << 1,     /*!< the NSEC3 at n3 has this name's hash */
	VFY_N3_BITMAP_OK = 1 << 2, /*!< and its type bitmap is the name's types exactly */
};

/*! An NSEC3 record of the chain, decoded. */
struct vfy_nsec3 {
	uint8_t hash[VFY_HASH_MAX];
	uint8_t next[VFY_HASH_MAX];
	uint8_t hash_len;
	uint8_t next_len;
	uint8_t flags;
	size_t rec;                /*!< index into recs */
	bool matched;
};

struct vfy_zone {
	const char *path;
	struct vfy_rec *recs;
	size_t n_recs;
	uint8_t **wire_blocks;     /*!< arena of the records' wire forms */
	size_t n_wire_blocks;
	struct vfy_name *names;    /*!< in canonical order, ENTs included */
	size_t n_names;
	uint8_t **key_blocks;      /*!< every owner key allocation */
	size_t n_key_blocks;
	uint8_t apex_key[VFY_NAME_MAX];
	size_t apex_klen;
	uint8_t apex_wire[VFY_NAME_MAX];
	size_t apex_wlen;
	size_t apex_name;          /*!< index into names */
	size_t soa;                /*!< index of the SOA record */
	uint32_t soa_ttl, soa_minimum;
	ldns_rr_list *dnskeys;     /*!< the apex DNSKEY RRset, rebuilt in ldns form (owned) */
	size_t *dnskey_recs;       /*!< record index of each DNSKEY */
	uint16_t *key_tags;        /*!< key tag of each DNSKEY */
	struct vfy_key *keys;      /*!< EVP key of each DNSKEY (pkey NULL: use ldns) */
	bool alg_present[256];     /*!< algorithms of the DNSKEY set (zone keys) */
	uint8_t algs[256];         /*!< the same, as a list in ascending order */
	size_t n_algs;
	/* denial */
	bool uses_nsec3;
	bool uses_nsec;
	size_t n_nsec;             /*!< NSEC records (vfy_denial_prepare()) */
	uint8_t n3_alg;
	uint16_t n3_iterations;
	uint8_t n3_salt[255];
	uint8_t n3_salt_len;
	struct vfy_nsec3 *nsec3;   /*!< sorted by hash */
	size_t n_nsec3;
	uint64_t *n3_prefix;       /*!< first 8 bytes of each nsec3 hash, big-endian (owned) */
	uint32_t *n3_bucket;       /*!< 65537 entries: the nsec3 whose hash starts with b are [b], [b+1]) */
	bool owners_ordered;       /*!< the file's owners came in canonical order (each owner's lines together) */
	bool partial;              /*!< a part of a zone (verify/vdelta.c): no whole-zone denial checks */
};

/*! A zone file's text: mapped read-only, or read into memory. */
struct vfy_text {
	char *text;
	size_t len;
	bool mapped;
};

/*! Maps (or reads) a file; TLD_OK or an error (logged with the file). */
int vfy_text_map(const char *path, struct vfy_text *out);
/*! Unmaps or frees the text (an empty struct is fine). */
void vfy_text_unmap(struct vfy_text *t);

/*!
 * \brief vfy_zone_load() on text in memory (path names it in messages).
 * \param[in] partial  the text is a part of a zone (vfy_zone.partial)
 */
int vfy_zone_load_text(const char *path, const char *text, size_t len, unsigned threads,
                       bool partial, struct vfy_issue_list *denial_fails, struct vfy_zone **out);

/*!
 * \brief Reads a zone file with ldns's parser (slices of the file on several
 *        threads) and builds the sorted index.
 * \param[in]  path     zone file
 * \param[in]  threads  parser threads
 * \param[out] denial_fails  NULL, or: vfy_denial_prepare() is run too (on a
 *                      thread beside the name index) with these failures
 * \param[out] out   written only on success; free with vfy_zone_free()
 * \return TLD_OK, TLD_EPARSE (logged with file:line), TLD_EIO, TLD_ENOMEM,
 *         TLD_EZONE (no SOA, two SOA)
 */
int vfy_zone_load(const char *path, unsigned threads, struct vfy_issue_list *denial_fails,
                  struct vfy_zone **out);
void vfy_zone_free(struct vfy_zone *z);

/* ---- issue collection (vreport.c) ---- */

/*! Issues collected by one worker; sorted by position and merged at the end. */
struct vfy_issue_list {
	struct vfy_issue {
		size_t pos;            /*!< ordering key: record index */
		size_t seq;
		struct tld_verify_issue issue;
	} *items;
	size_t n, cap;
	int err;                   /*!< first allocation failure */
};

/*! Adds an issue naming record rec_index (ordered there) with a printf reason. */
void vfy_issue_rec(struct vfy_issue_list *l, const struct vfy_zone *z, size_t rec_index,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*! Adds an issue ordered at pos naming rr (may be NULL: no record) with a reason. */
void vfy_issue_add(struct vfy_issue_list *l, size_t pos, const ldns_rr *rr,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void vfy_issue_list_clear(struct vfy_issue_list *l);
/*! Moves the issues of several lists, sorted, into a report array. */
int vfy_issue_merge(struct vfy_issue_list *lists, size_t n,
                    struct tld_verify_issue **out, size_t *n_out);

/* ---- checks ---- */

/*! Counters a worker accumulates. */
struct vfy_counts {
	size_t rrsets_signed, rrsigs_verified, rrsigs_cached;
	size_t names, ents, delegations_secure, delegations_insecure; /*!< for the report */
};

/*!
 * \brief Signature checks for the names [from, to) (vsig.c).
 * \param[in]  cache_in   previous verified-signature cache, or NULL
 * \param[out] cache_out  receives the entry of every RRSIG that verified
 *                        (in zone order), or NULL
 * \param[in]  crypto     the calling thread's buffers and key contexts
 *                        (vfy_crypto_new(), kept across calls), or NULL: made
 *                        and freed here
 */
void vfy_check_signatures(const struct vfy_zone *z, size_t from, size_t to,
                          const struct tld_verify_opts *opts,
                          const struct vfy_vcache *cache_in, struct vfy_hashvec *cache_out,
                          struct vfy_issue_list *fails, struct vfy_counts *counts,
                          struct vfy_crypto *crypto);

/*!
 * \brief The entries of cache_in that the RRSIGs of the names [from, to)
 *        hit, into out (vsig.c): what a delta verification drops from the
 *        cache with the previous version's changed part.  No public-key
 *        operation; nothing is reported.
 */
void vfy_cache_hits(const struct vfy_zone *z, size_t from, size_t to,
                    const struct tld_verify_opts *opts, const struct vfy_vcache *cache_in,
                    struct vfy_hashvec *out);

/*!
 * \brief The entries vfy_check_signatures() would add to its cache_out for
 *        the names [from, to) if every signature it checks with a key of its
 *        own (not ldns's) verified with the first key of its tag and
 *        algorithm, into out (vsig.c): a guess, made without the
 *        public-key operation, of a passing check's entries, for a cache
 *        file written ahead (vfy_vcache_ahead_start()).  Never trusted: the
 *        file takes its place only when the check's entries are the same
 *        set (vfy_vcache_ahead_end()).  Nothing is reported.
 */
void vfy_cache_guess(const struct vfy_zone *z, size_t from, size_t to,
                     const struct tld_verify_opts *opts, struct vfy_hashvec *out);

/*! What became of delta verifications' cache files written ahead (verify.c). */
struct vfy_cache_ahead_stats {
	size_t taken;              /*!< renamed into place: the checks' entries were the guess */
	size_t refused;            /*!< removed: the checks' entries were another set */
};

/*!
 * \brief A debug counter, for tests: the files written ahead that the cache
 *        writers of this process took or refused so far (a file not written
 *        ahead, or dropped for a failure, is neither).
 */
void vfy_cache_ahead_stats(struct vfy_cache_ahead_stats *out);

/*!
 * \brief The counts vfy_check_signatures() gives for the names [from, to) of
 *        a zone that passes every check (every RRSIG verifies once), without
 *        the checks (vsig.c): RRsets signed and RRSIGs verified.
 */
void vfy_count_signatures(const struct vfy_zone *z, size_t from, size_t to,
                          struct vfy_counts *counts);

/*!
 * \brief Finds NSEC3PARAM and the NSEC3 records, checks their parameters,
 *        sorts and indexes the chain (vdenial.c).  Needs the sorted records
 *        and the apex (not the names: vfy_zone_load() runs it beside
 *        build_names(); it reads no record's key).
 */
int vfy_denial_prepare(struct vfy_zone *z, struct vfy_issue_list *fails);

/*!
 * \brief NSEC3 hashes of the names [from, to), each looked up in the sorted
 *        NSEC3 chain (the matching or covering record, and whether a match's
 *        type bitmap is right): the per-name work of vfy_check_denial(), done
 *        on all cores; the checks that report stay sequential (vdenial.c).
 */
int vfy_hash_names(struct vfy_zone *z, size_t from, size_t to);

/*! The NSEC3 or NSEC chain, sequentially (vdenial.c). */
void vfy_check_denial(struct vfy_zone *z, struct vfy_issue_list *fails);

/*! The set of types at a name as its NSEC/NSEC3 bitmap must show. */
void vfy_name_types(const struct vfy_zone *z, const struct vfy_name *n, struct vfy_typeset *s);

/*! The report's name counts (names, ENTs, delegations) of the names [from, to) (vzone.c). */
void vfy_count_names(const struct vfy_zone *z, size_t from, size_t to, struct vfy_counts *counts);

/* ---- delta verification (vdelta.c) ---- */

/*!
 * The tag of a text (verify/filemac.h) and, when asked, whether it is
 * line-oriented, on a thread.
 */
struct vfy_mac_job {
	const char *text;
	size_t len;
	const struct vfy_filemac *mac; /*!< in: the key and IV; NULL: no tag (ret TLD_ECRYPTO) */
	bool check_lines;          /*!< in: also run vfy_text_line_oriented() */
	uint8_t tag[VFY_FILEMAC_TAG]; /*!< out */
	bool line_oriented;        /*!< out, when check_lines */
	int ret;                   /*!< out: TLD_OK or TLD_ECRYPTO */
	struct vfy_mac_job *then;  /*!< in: NULL, or a job run next on the same thread */
	pthread_t thread;
	bool started;
};

/*! Starts a job and its `then` jobs on one thread (on this thread when none can be made). */
void vfy_mac_start(struct vfy_mac_job *j);
/*! Waits for a job and its `then` jobs (fine when never started or already waited for). */
void vfy_mac_wait(struct vfy_mac_job *j);

/*!
 * Whether every line of a text is one whole record with an absolute owner:
 * no directive, comment, blank line, parenthesis, quote or escape (vdelta.c).
 */
bool vfy_text_line_oriented(const char *text, size_t len);

/*! SHA-256 of the apex's DNSKEY and NSEC3PARAM records and min(SOA TTL, MINIMUM). */
void vfy_apex_digest(const struct vfy_zone *z, uint8_t out[32]);

/*!
 * \brief The facts of a zone (or of a part of one) for the state file:
 *        apex, apex digest, names (hashed already: vfy_hash_names()), NSEC3
 *        records, RRSIG times, counts (as of a zone that passes); sorted.
 * \param[out] f  empty facts; filled (vfy_facts_clear() in any case)
 * \return TLD_OK, TLD_EINVAL (an NSEC3 hash of another length than SHA-1's),
 *         TLD_ENOMEM
 */
int vfy_zone_facts(const struct vfy_zone *z, struct vfy_facts *f);

/*!
 * The previous version's side of a delta verification (vprev.c): the
 * previous file's text, its state and the previous file's tag under the
 * state's key, read on a thread.  Read its results after vfy_prev_wait().
 */
struct tld_verify_prev {
	char *previous, *state_in; /*!< owned copies of the paths read */
	struct vfy_text text;      /*!< the previous file, when map_ret is TLD_OK */
	int map_ret;
	pthread_t thread;
	bool started;
	struct vfy_facts state;    /*!< when state_ret is TLD_OK */
	int state_ret;             /*!< vfy_vstate_load()'s */
	uint8_t tag[VFY_FILEMAC_TAG]; /*!< the previous file's under the state's key */
	int tag_ret;               /*!< TLD_OK when tag is set */
};

/*!
 * \brief Maps previous and starts reading state_in, then the tag, on a
 *        thread (on this one when none can be made).
 * \param[out] out  on TLD_OK (also when the file cannot be mapped: map_ret)
 * \return TLD_OK or TLD_ENOMEM
 */
int vfy_prev_open(const char *previous, const char *state_in, struct tld_verify_prev **out);
/*! Whether p (NULL: no) read these very paths. */
bool vfy_prev_is(const struct tld_verify_prev *p, const char *previous, const char *state_in);
/*! Waits for the reading (fine when done already). */
void vfy_prev_wait(struct tld_verify_prev *p);
/*! Waits, then frees everything (NULL is fine). */
void vfy_prev_free(struct tld_verify_prev *p);

struct vfy_delta;

/*!
 * \brief Starts a delta verification of path against opts->previous and
 *        opts->state_in: maps both, reads the state (or takes
 *        opts->prev_ahead's reading of them), starts the files' tags
 *        on a thread, walks
 *        them, loads the changed parts (with the apex) of both as partial
 *        zones and reads the state.
 * \param[out] out  on TLD_OK; free with vfy_delta_free()
 * \param[out] why  on TLD_EAGAIN: why the full path must run (static text)
 * \return TLD_OK, TLD_EAGAIN (not possible: verify in full), TLD_ENOMEM
 */
int vfy_delta_open(const char *path, const struct tld_verify_opts *opts, unsigned threads,
                   struct vfy_delta **out, const char **why);

/*! The new file's changed part: the caller runs the per-name checks on it (names hashed). */
struct vfy_zone *vfy_delta_zone(struct vfy_delta *d);
/*! The previous file's changed part. */
const struct vfy_zone *vfy_delta_old_zone(const struct vfy_delta *d);
/*! Number of changed subtrees. */
size_t vfy_delta_subtrees(const struct vfy_delta *d);

/*!
 * \brief Starts hashing the previous part's names and taking its facts on a
 *        thread (vfy_delta_merge() waits for them; without this call it
 *        does them itself).  The previous part must not be read by the
 *        caller meanwhile (vfy_cache_hits() on it before the call).
 */
void vfy_delta_old_start(struct vfy_delta *d);

/*!
 * \brief Once the new part passed every per-name check with no failure: the
 *        new version's facts (state - previous part + new part), with the
 *        new file's tag when opts->state_out.  Not a verdict: the
 *        whole-zone checks are vfy_delta_check()'s.
 * \param[out] facts  on TLD_OK: the new version's; their names are runs
 *                    into d's state and new part (not copied): used before
 *                    vfy_delta_free(d); vfy_facts_clear() them
 * \return TLD_OK, TLD_EAGAIN (*why: verify in full), TLD_ENOMEM
 */
int vfy_delta_merge(struct vfy_delta *d, const struct tld_verify_opts *opts,
                    struct vfy_facts *facts, const char **why);

/*!
 * \brief The whole-zone checks on the facts vfy_delta_merge() made (read
 *        only: a state writer may read them meanwhile), then the previous
 *        file's tag against the state's.
 * \return TLD_OK (the new version passes), TLD_EAGAIN (*why: verify in full)
 */
int vfy_delta_check(struct vfy_delta *d, const struct tld_verify_opts *opts,
                    const struct vfy_facts *facts, const char **why);

void vfy_delta_free(struct vfy_delta *d);

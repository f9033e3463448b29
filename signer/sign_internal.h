/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * State of one signer_sign_file() run, shared by sign.c (planning, reuse,
 * batch signing) and sign_write.c (the zone text and the side file).
 *
 * Every RRset that gets signatures is a "slot": the authoritative RRsets of
 * the zone in node order (kind ZONE), the node's NSEC right after them
 * (kind NSEC), then the NSEC3 records in hash order (kind NSEC3).  Each slot
 * owns sigs[sig_first .. sig_first + nsigs), whose RRSIG RDATA lies in the
 * signature arena.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "hsm/signpool.h"
#include "signer/keyset.h"
#include "signer/nsec.h"
#include "signer/nsec3.h"
#include "signer/sha256.h"
#include "signer/sigfile.h"
#include "signer/typebitmap.h"
#include "signer/sign.h"
#include "signer/zone.h"

enum slot_kind { SLOT_ZONE = 0, SLOT_NSEC = 1, SLOT_NSEC3 = 2 };

struct slot {
	uint32_t node;       /*!< ZONE, NSEC: zone node; NSEC3: chain index */
	uint32_t rr_first;   /*!< ZONE: first record; NSEC: chain index */
	uint32_t rr_count;   /*!< ZONE: records */
	uint16_t type;
	uint8_t kind;        /*!< enum slot_kind */
	uint8_t key_rrset;   /*!< DNSKEY/CDS/CDNSKEY at the apex: signed by sign_keys keys */
	uint32_t sig_first;
	uint32_t nsigs;
	uint8_t hash[SIGNER_SIGFILE_HASH];
};

struct sig {
	uint64_t off;        /*!< RRSIG RDATA in the arena */
	uint32_t len;        /*!< 0 while waiting for the HSM */
	uint32_t slot;
};

struct sign_run {
	const struct signer_sign_opts *o;
	struct signer_zone *z;
	struct signer_keyset *ks;
	struct signer_nsec3_params n3p;
	struct signer_nsec3_chain *n3;
	struct signer_nsec_chain *nsec;
	struct signer_sigfile *prev;
	uint64_t seed;

	struct slot *slots;
	size_t nslots, nzone_slots, slots_cap;
	struct sig *sigs;
	size_t nsigs, sigs_cap;
	uint8_t *arena;
	size_t arena_len, arena_cap;

	/* scratch: one RRset in canonical form, one denial RDATA */
	uint8_t *tail;
	size_t tail_len, tail_cap;
	uint8_t *rdbuf;
	struct signer_sha256 *md;   /* this thread's (signer/sha256.h), over sha256 */
	EVP_MD *sha256;

	/* the batch waiting for the HSM */
	tld_signpool_t *pool;
	struct tld_sign_req *reqs;
	uint64_t *req_off;   /*!< message offsets in msgs */
	uint32_t *req_sig;   /*!< the sig each fills */
	uint16_t *req_hlen;  /*!< RRSIG header length at the start of the message */
	size_t nreqs, reqs_cap;
	uint8_t *msgs;
	size_t msgs_len, msgs_cap;
	size_t batches;

	/* the previous signed zone file when its text can be copied from: prev
	 * (kept open until the text is written) has a text index, and its serial
	 * is the file's SOA serial */
	const char *prev_text;
	uint64_t text_copied, text_formatted; /*!< bytes of zone text copied / formatted (sign_write) */
	struct tld_text_digest text_digest;   /*!< signer_sign_stats.text_digest (sign_patch_write) */

	bool hashed;               /*!< every slots[].hash is current (hash_all_slots) */
	uint8_t *node_digest;      /*!< SIGN_NODE_DIGEST per node (sign_node_digests()) */
	uint32_t *order;           /*!< the slots by hash (sign_order_slots()), or NULL */
	const struct signer_sigfile_entry **match; /*!< per slot: its entry in prev (sign_match_previous()), or NULL */
	uint8_t unsigned_hash[32]; /*!< over the records no RRSIG covers (sign_node_digests()) */
	uint64_t reused, fresh, dropped, matched;
	/* what the patch index (sigfile.h version 5) records of the run: sign_patch_digests() */
	uint8_t keys_digest[32];   /*!< SHA-256 over each key's tag, algorithm, DNSKEY and use, and CDS/CDNSKEY */
	uint8_t policy_digest[32]; /*!< SHA-256 over the policy fields signing depends on */
};

/*
 * Goes into every node and block digest: bump it whenever the text
 * signer/textout.c writes for the same records changes, so that no text of
 * the old form is copied next to text of the new one (and whenever what the
 * digests are taken over changes: 2 since block digests are packed, 3 since
 * they are made of node digests).
 */
#define SIGN_TEXT_FORMAT_VERSION 3

/*! Bytes of each node's digest kept (the first of its SHA-256) for the text block digests. */
#define SIGN_NODE_DIGEST 16
/*!
 * Nodes per part of the unsigned hash (sign_digest.c): fixed, not a matter of
 * threads.  The unsigned hash depends on it: a change needs a new side file
 * version (signer/sigfile.h), as the node digest input does.
 */
#define SIGN_DIGEST_PART 16384

/*! A buffer in front of signer_sha256_update (one call per few KiB, not per field); md is the caller's. */
struct sign_packer {
	struct signer_sha256 *md;
	size_t len;
	int ret;
	uint8_t buf[4096];
};

/*!
 * \brief The digest of node i (sign_digest.c: over its flags, name and records).
 * \param[in]  pk    scratch; pk->md the context to use
 * \param[out] full  32 bytes
 * \return TLD_OK, TLD_ECRYPTO
 */
int sign_node_digest(const struct signer_zone *z, size_t i, struct sign_packer *pk, uint8_t *full);

/*!
 * \brief Every node's digest into run->node_digest (allocated; run_clear()
 *        frees it) and the unsigned hash from them, on all cores.  Reads only
 *        the built zone and run->sha256.
 * \return TLD_OK, TLD_ENOMEM, TLD_ECRYPTO
 */
int sign_node_digests(struct sign_run *run);

/*!
 * \brief The slots in the order of their hashes into run->order (sign_order.c;
 *        run_clear() frees it), once every slot's hash is final.
 * \return TLD_OK, TLD_ENOMEM
 */
int sign_order_slots(struct sign_run *run);

/*!
 * \brief Each slot's entry in the previous side file into run->match (NULL
 *        without a previous side file), in one pass over run->order and the
 *        entries (sorted by hash: a file that is not only loses matches).
 * \return TLD_OK, TLD_ENOMEM
 */
int sign_match_previous(struct sign_run *run);

/*!
 * \brief Owner, TTL and type of a slot, and its RRset in canonical signed
 *        form in run->tail (owner | type | class | TTL | RDLENGTH | RDATA per RR).
 * \param[out] owner  wire owner (points into the zone or run->rdbuf area)
 * \return TLD_OK, TLD_ENOMEM, TLD_ERANGE
 */
int sign_slot_tail(struct sign_run *run, const struct slot *s, uint8_t *owner, uint32_t *ttl);

/*!
 * \brief RDATA of a denial slot (NSEC or NSEC3) into rdbuf (run->rdbuf, or a
 *        thread's own buffer of the same size: the run is only read).
 * \return its length (0 on failure)
 */
size_t sign_denial_rdata(const struct sign_run *run, const struct slot *s, uint8_t *rdbuf, uint8_t *owner,
                         size_t *owner_len);

/*!
 * \brief The sort key (signer/dname.h) of the owner of the run's NSEC3 record
 *        j (sign_write.c).
 * \param[out] key  SIGNER_KEY_MAX bytes
 * \return its length; 0 when the owner would be longer than a name may be
 */
size_t sign_nsec3_key(const struct sign_run *run, size_t j, uint8_t *key);

/*! Size of run->rdbuf and of any buffer given to sign_denial_rdata(). */
#define SIGN_RDBUF_SIZE (300 + SIGNER_BITMAP_MAX + SIGNER_DNAME_MAX)

/*!
 * \brief run->keys_digest and run->policy_digest from run->ks and the policy
 *        (sign.c).  Two runs with equal digests sign the same RRsets with the
 *        same keys, the same times rules and the same denial parameters: a
 *        patch run (signer/patch.h) requires them equal to the previous run's.
 * \return TLD_OK, TLD_ECRYPTO
 */
int sign_patch_digests(struct sign_run *run);

/*!
 * \brief The serial of the first SOA record of zone text text[0, len) (sign.c).
 * \param[in] quiet  parse errors returned, not logged
 * \param[out] found  false when the text has no SOA record
 * \return TLD_OK, TLD_EPARSE, TLD_ENOMEM
 */
int sign_text_soa_serial(const char *file, const char *text, size_t len, const uint8_t *origin, bool quiet,
                         bool *found, uint32_t *serial);

/*! The patch index of a run (sigfile.h, version 5), for signer_sigfile_write_patch(). */
struct sign_patch_index {
	struct signer_sigfile_patch hdr; /*!< flags 0: the full path's */
	struct signer_sigfile_chain_item *chain; /*!< hdr.nchain: run->n3's items, in hash order */
	struct signer_sigfile_slot *slots;       /*!< hdr.nslots: run->slots, in slot order */
	uint8_t *names;                          /*!< hdr.names_len bytes */
};

/*!
 * \brief The patch index of a signed run (sign_patch_index.c): reads the run
 *        only (the side file's thread makes it beside the text writers).
 * \param[out] pi  released with sign_patch_index_free(), also on failure
 * \return TLD_OK, TLD_ENOMEM, TLD_ERANGE (names beyond 4 GiB)
 */
int sign_patch_index(const struct sign_run *run, struct sign_patch_index *pi);

/*! Frees what sign_patch_index() made; a zeroed index is a no-op. */
void sign_patch_index_free(struct sign_patch_index *pi);

/*!
 * \brief Writes the signed zone (text, canonical order, SOA first) and its side file.
 * \param[in] unchanged  nothing changed against the previous version: when
 *                       the files at path already hold byte for byte what
 *                       would be written, they are left alone
 * \return TLD_OK, TLD_EIO, TLD_ENOMEM
 */
int sign_write(struct sign_run *run, const char *path, bool unchanged);

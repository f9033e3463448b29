/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The verification state file ("SIGNED.zone.vstate"): what the verifier
 * established about one zone file it verified and found correct, so that the
 * next version can be verified by its changes (verify/vdelta.c).  Written by
 * the verifier only, atomically, and only when a verification passed with no
 * failure; never by the signer.
 *
 * What it holds (the facts the whole-zone checks need that are not local to
 * one top-level subtree of the zone, see vdelta.c):
 *   - the zone apex, and the tag of the exact bytes of the zone file it
 *     describes, with its key and IV (verify/filemac.h): a state is used
 *     only for a file whose tag, computed anew, is that one;
 *   - the SHA-256 of the apex's denial and key inputs (every DNSKEY record,
 *     every NSEC3PARAM record, min(SOA TTL, SOA MINIMUM)): vfy_apex_digest();
 *   - the report's counts;
 *   - every name that must be matched or covered in the NSEC3 chain (apex,
 *     authoritative names, delegations, empty non-terminals; not glue, not
 *     NSEC3 owners) as its NSEC3 hash and whether it needs its own NSEC3
 *     (anything but an insecure delegation or an empty non-terminal leading
 *     only to them), sorted;
 *   - every NSEC3 record of the chain: owner hash, next hash, flags, type
 *     bitmap, sorted by hash;
 *   - the multiset of every RRSIG's expiration and of every RRSIG's
 *     inception, each sorted, so that the time checks against a new "now"
 *     and refresh window are exact for the signatures that did not change.
 *
 * File format (big-endian):
 *   16 bytes  magic "TLDSIGN-VSTATE\n\0"
 *   u32       format version (2)
 *   32 bytes  the seal's key, 12 bytes its IV (drawn for each file written)
 *   u8        length L of the apex (canonical wire form), then L bytes
 *   32 bytes  the zone file's tag key, 12 bytes its IV, 16 bytes its tag
 *             (verify/filemac.h; version 1 had a SHA-256 here)
 *   32 bytes  apex digest
 *   8 x u64   counts: records, names, empty non-terminals, RRsets signed,
 *             RRSIGs verified, secure delegations, insecure delegations, NSEC3
 *   u64 x 3   number of names N, of NSEC3 records M, of RRSIGs S
 *   N x 21    hash (20), needs-own-NSEC3 (0 or 1); sorted, hashes ascending
 *   M x (20 hash, 20 next, u8 flags, u16 bitmap length B, B bytes); hashes
 *             strictly ascending
 *   S x u32   expirations, ascending; S x u32 inceptions, ascending
 *   16 bytes  the seal: GMAC (verify/filemac.h) of everything before under
 *             the seal's key and IV (version 1: a SHA-256)
 * Anything else (magic, version, lengths, order, seal, apex) makes the file
 * ignored with a warning: the verification runs in full.  The file holds
 * the tag's key: it is written readable by its owner only.
 *
 * The seal is a damage check, as the SHA-256 before it was: whoever can
 * write the file can seal it anew with either.  A keyed MAC under a key
 * drawn when the file is written cannot be matched by a change to the file
 * made without recomputing it (probability at most (L + 1) / 2^128, L its
 * length in 16-byte blocks), which is what the check is for; it costs a
 * quarter of a SHA-256 on the 27 MB of a million-delegation zone's state,
 * read and written each run.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "verify/filemac.h"

#define VFY_VSTATE_SUFFIX ".vstate"
#define VFY_VS_HASH 20

/*! A name of the chain's domain. */
struct vfy_vs_name {
	uint8_t hash[VFY_VS_HASH];
	uint8_t needs;             /*!< 1: must have its own NSEC3 (no opt-out) */
};

/*! An NSEC3 record of the chain. */
struct vfy_vs_nsec3 {
	uint8_t hash[VFY_VS_HASH];
	uint8_t next[VFY_VS_HASH];
	uint8_t flags;
	uint16_t bm_len;
	size_t bm_off;             /*!< the type bitmap: the facts' bitmaps + bm_off */
};

/*! A run of sorted names held by other facts (borrowed: see vfy_facts.runs). */
struct vfy_vs_run {
	const struct vfy_vs_name *names;
	size_t n;
};

/*! The report's counts of a zone. */
struct vfy_vs_counts {
	uint64_t records, names, ents, rrsets_signed, rrsigs_verified, delegations_secure,
		delegations_insecure, nsec3;
};

/*! The facts of one verified zone file (or of a part of one: vdelta.c). */
struct vfy_facts {
	uint8_t apex[255];
	size_t apex_len;
	struct vfy_filemac file_mac; /*!< the zone file's tag, key and IV */
	uint8_t apex_digest[32];
	struct vfy_vs_counts counts;
	struct vfy_vs_name *names; /*!< owned; NULL when the names are runs */
	size_t n_names;            /*!< the names' count (with runs: over all runs) */
	/*!
	 * NULL, or owned: the names are these runs one after the other, in
	 * order (vdelta.c's merge: the old names in place, not copied).  The
	 * runs point into other facts, which must outlive these.
	 */
	struct vfy_vs_run *runs;
	size_t n_runs;
	struct vfy_vs_nsec3 *nsec3; /*!< owned */
	size_t n_nsec3;
	uint32_t *expirations;     /*!< owned, n_sigs */
	uint32_t *inceptions;      /*!< owned, n_sigs */
	size_t n_sigs;
	uint8_t *bitmaps;          /*!< owned: the NSEC3 type bitmaps */
	size_t bitmaps_len, bitmaps_cap;
	int err;                   /*!< first allocation failure of the add functions */
	void *map;                 /*!< read from a file: its mapping, which names points into */
	size_t map_len;
};

/*! The type bitmap of one of the facts' NSEC3 records (bm_len bytes; never NULL). */
static inline const uint8_t *vfy_facts_bitmap(const struct vfy_facts *f, const struct vfy_vs_nsec3 *n)
{
	return f->bitmaps != NULL ? f->bitmaps + n->bm_off : (const uint8_t *)"";
}

/*!
 * The facts' names as runs: f->runs, or the one run of f->names (made in
 * *one).  \return the number of runs, *runs set to them
 */
static inline size_t vfy_facts_name_runs(const struct vfy_facts *f, struct vfy_vs_run *one,
                                         const struct vfy_vs_run **runs)
{
	if (f->runs != NULL) {
		*runs = f->runs;
		return f->n_runs;
	}
	*one = (struct vfy_vs_run){ f->names, f->n_names };
	*runs = one;
	return 1;
}

/*! Frees what the facts own and empties them. */
void vfy_facts_clear(struct vfy_facts *f);

/*! Appends a name (on allocation failure sets f->err); not to facts read from a file. */
void vfy_facts_add_name(struct vfy_facts *f, const uint8_t *hash, bool needs);
/*! Appends an NSEC3 (its bitmap copied; on allocation failure sets f->err). */
void vfy_facts_add_nsec3(struct vfy_facts *f, const uint8_t *hash, const uint8_t *next,
                         uint8_t flags, const uint8_t *bm, size_t bm_len);
/*! Appends one RRSIG's times (on allocation failure sets f->err). */
void vfy_facts_add_sig(struct vfy_facts *f, uint32_t inception, uint32_t expiration);

/*! Sorts the names, NSEC3 records and times (the order of the file). */
void vfy_facts_sort(struct vfy_facts *f);

/*!
 * Compares two hashes (memcmp order): the first 8 bytes as one big-endian
 * number (uniform hashes nearly always differ there), then the rest.
 */
static inline uint64_t vfy_vs_be64(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

static inline int vfy_vs_hash_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = vfy_vs_be64(a), y = vfy_vs_be64(b);
	if (x != y) {
		return x < y ? -1 : 1;
	}
	return memcmp(a + 8, b + 8, VFY_VS_HASH - 8);
}

/*!
 * \brief Position of the first of the facts' NSEC3 records (sorted by hash)
 *        whose hash is >= h (n_nsec3 when none): a binary search's answer,
 *        found with fewer probes for uniform hashes.
 */
size_t vfy_facts_nsec3_lower(const struct vfy_facts *f, const uint8_t *h);

/*!
 * \brief An index of the facts' sorted NSEC3 records by their hashes' first
 *        two bytes (65537 positions: where each value's records begin), for
 *        many lookups: one or two probes each instead of a search's.
 * \return the index (free() it), or NULL when out of memory
 */
size_t *vfy_facts_nsec3_index(const struct vfy_facts *f);

/*! \brief vfy_facts_nsec3_lower() with the facts' vfy_facts_nsec3_index(). */
size_t vfy_facts_nsec3_lower_in(const struct vfy_facts *f, const size_t *index, const uint8_t *h);

/*!
 * \brief Reads a state file for the zone whose apex is apex_wire.
 * \param[in]  apex_wire  NULL: any apex (the caller compares out->apex)
 * \param[out] out  filled only on success; vfy_facts_clear() it
 * \return TLD_OK; TLD_ENOENT (no such file: nothing logged); TLD_EINVAL
 *         (damaged, another format or zone: warned with the reason);
 *         TLD_EIO (warned); TLD_ENOMEM
 */
int vfy_vstate_load(const char *path, const uint8_t *apex_wire, size_t apex_len,
                    struct vfy_facts *out);

/*!
 * \brief Recomputes the seal of a state file's bytes (their last
 *        VFY_FILEMAC_TAG bytes) from the key and IV in their header: tests
 *        and fuzzing make damaged but sealed states with it.
 * \return TLD_OK, TLD_EINVAL (too short), TLD_ECRYPTO
 */
int vfy_vstate_reseal(uint8_t *buf, size_t len);

/*!
 * \brief Writes sorted facts as a state file, atomically (names given as
 *        runs are written from where they are, the same bytes).
 * \return TLD_OK, TLD_EINVAL (facts out of order or too big, runs that do
 *         not add up to n_names), TLD_ENOMEM,
 *         TLD_EIO (logged)
 */
int vfy_vstate_write(const char *path, const struct vfy_facts *f);

/*! A state file being written on a thread (vfy_vstate_write_start()). */
struct vfy_vstate_job;

/*!
 * \brief vfy_vstate_write() in two halves: checks the facts as it does,
 *        then writes, seals and fsyncs them to a temporary file beside the
 *        state's path on a thread (on this one when none can be made); the
 *        file takes the state's name only at vfy_vstate_write_end() with
 *        keep.  A verification can so write its state beside its last
 *        checks and keep it only when they pass: until then no file of the
 *        state's name is written, and a process killed meanwhile leaves
 *        only the temporary ("PATH.tmp.XXXXXX").
 * \param[in]  f    read by the thread until vfy_vstate_write_end(): must
 *                  not change or be freed before (reading it meanwhile is fine)
 * \param[out] out  on TLD_OK: end it with vfy_vstate_write_end()
 * \return TLD_OK (the write may still fail: see the end), TLD_EINVAL,
 *         TLD_ENOMEM, TLD_ECRYPTO, TLD_EIO (logged)
 */
int vfy_vstate_write_start(const char *path, const struct vfy_facts *f, struct vfy_vstate_job **out);

/*!
 * \brief Waits for the write; keep: renames the file into place (and
 *        fsyncs its directory); else removes it.  Frees j (NULL: TLD_OK).
 * \return TLD_OK (kept, or not kept as asked), TLD_EIO and the like
 *         (logged: with keep, no state file written)
 */
int vfy_vstate_write_end(struct vfy_vstate_job *j, bool keep);

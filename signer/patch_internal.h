/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a patch run (signer/patch.h) shares between its driver (patch.c), the
 * signing code it runs on the replaced names (sign.c) and its writer
 * (sign_patch_write.c).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "signer/dname.h"
#include "signer/nsec3.h"
#include "signer/sigfile.h"
#include "signer/sign.h"

struct sign_run;

/*! A set of wire names (lower case), owned copies. */
struct patch_names {
	uint8_t **slot;            /*!< open addressing; NULL: empty */
	uint32_t *tag;             /*!< per slot: 32 bits of its name's hash, never 0; 0: empty (a lookup reads
	                                a name only where the tag matches) */
	size_t mask, count;
	uint64_t seed;             /*!< of the hash: random, drawn when the set first grows */
};

/*! \return TLD_OK (added or there already), TLD_ENOMEM */
int patch_names_add(struct patch_names *s, const uint8_t *wire, size_t len);
/*!
 * \brief patch_names_add(), and *copy the set's copy of the name (owned by
 *        the set; it stays where it is until patch_names_free()).
 * \return as patch_names_add()
 */
int patch_names_intern(struct patch_names *s, const uint8_t *wire, size_t len, const uint8_t **copy);
bool patch_names_has(const struct patch_names *s, const uint8_t *wire, size_t len);
/*! The slot of a name: its copy (length byte, then the name) when there, else the empty slot it would take. */
size_t patch_names_slot(const struct patch_names *s, const uint8_t *wire, size_t len);
void patch_names_free(struct patch_names *s);

/*!
 * \brief In an array of n elements of stride bytes, each starting with an
 *        NSEC3 hash (SIGNER_NSEC3_HASH_LEN bytes) and sorted by it: the first
 *        element whose hash is at or after hash (n when none).
 */
size_t patch_hash_lower(const void *base, size_t n, size_t stride, const uint8_t *hash);
/*! \brief As patch_hash_lower(): the element with that hash, or SIZE_MAX. */
size_t patch_hash_find(const void *base, size_t n, size_t stride, const uint8_t *hash);
/*!
 * \brief patch_hash_find() for hashes sought in ascending order: a merge
 *        walk from *cursor (start it at 0), galloping (a sparse walk costs
 *        as searches do, a dense one a step or two a hash).  *cursor moves to
 *        the first element at or after hash.  A hash sought out of order
 *        (before the one sought last) is not found: SIZE_MAX, never another
 *        element.
 */
size_t patch_hash_seek(const void *base, size_t n, size_t stride, size_t *cursor, const uint8_t *hash);

/*! One NSEC3 record of the chain after the patch. */
struct patch_link {
	uint8_t hash[SIGNER_NSEC3_HASH_LEN];
	const uint8_t *name;       /*!< the node it stands for, wire (into the previous patch index or the new text's parse) */
	uint8_t name_len;
	bool replaced;             /*!< name is among sign_patch.replaced (set as the chain is planned: patch_plan_chain()) */
};

struct sign_patch {
	struct signer_sigfile *sf;   /*!< the previous side file (version 5): owned by the driver */
	const char *prev_text;       /*!< the previous zone file, mapped (the driver's) */
	size_t prev_len;
	uint32_t prev_serial;
	bool nothing;                /*!< nothing changed and no signature due: unchanged, if the keys are too */
	struct patch_link *chain;    /*!< the chain after the patch, by hash */
	size_t nchain;
	struct patch_names replaced; /*!< the names signed anew (the mini zone's owners), and names of a replaced
	                                  subtree the previous version has and this one not (patch.c) */
	struct patch_names removed;  /*!< the owners gone */
	uint8_t (*gone)[SIGNER_NSEC3_HASH_LEN]; /*!< NSEC3 records of the previous version not in the new chain */
	size_t ngone;
	/* filled by sign_patch_write() for the statistics */
	uint64_t kept_sigs;          /*!< old signatures kept outside the replaced names */
	uint64_t kept_slots;         /*!< of them, RRsets of the zone (not NSEC3) */
	uint32_t kept_exp_min;       /*!< earliest expiration among them (RRSIG form), when kept_any */
	bool kept_any;
};

/*!
 * \brief The next hashed owner of each NSEC3 record of the run's chain (the
 *        replaced names' records) from pc->chain; checks that the run's chain
 *        is exactly the replaced names' part of pc->chain (else TLD_EAGAIN,
 *        logged: a precondition the driver missed).
 * \return TLD_OK, TLD_EAGAIN, TLD_ENOMEM
 */
int sign_patch_chain(struct sign_run *run, struct sign_patch *pc);

/*!
 * \brief Signs the replaced names (the run's zone) as a patch of pc's
 *        previous version: sign.c's signer_sign_file() with the patch
 *        context (sign.c).
 * \return as signer_sign_file(); TLD_EAGAIN as signer_patch_file()
 */
int sign_zone_patched(const struct signer_sign_opts *o, struct sign_patch *pc, struct signer_sign_stats *stats);

/*!
 * The splice plan (sign_patch_plan.c): the run's text blocks (one per node
 * of the run's zone, one per NSEC3 record, in writing order), where each
 * goes among the previous file's blocks, and which previous blocks go.
 * Made from the run's names alone, before any signature: what it relies on
 * is checked against the formatted text by sign_patch_plan_check().
 */
struct sign_patch_plan {
	size_t nblocks;
	uint8_t *keys;               /*!< the blocks' owners' sort keys, packed */
	size_t *key_off;             /*!< nblocks + 1: block i's key is keys[key_off[i], key_off[i + 1]) */
	uint8_t *empty;              /*!< per block: 1 when it has no text (an empty non-terminal) */
	size_t *pos;                 /*!< per block: the first previous block after it; SIZE_MAX when empty */
	size_t *drop;                /*!< the previous blocks taken out, ascending, each once */
	size_t ndrop;
	struct signer_sigfile_block *ix; /*!< the patched text's index: the previous blocks kept, and a place for
	                                      each of the run's blocks with text (sign_patch_plan_fill() fills them) */
	size_t nix;
	size_t *run_at;              /*!< per run block: its place in ix; SIZE_MAX when empty */
	uint64_t kept_size;          /*!< bytes of the previous blocks kept */
	size_t parsed;               /*!< owners of previous blocks parsed */
	double seconds, cpu;         /*!< wall and thread CPU time the plan took */
};

/*! The plan made on a thread of its own (sign_patch_plan_start()). */
struct sign_patch_planner {
	const struct sign_run *run;
	const struct sign_patch *pc;
	struct sign_patch_plan plan;
	int ret;
	pthread_t tid;
	bool threaded;               /*!< the thread runs: join it */
	bool pending;                /*!< no thread: the plan is made at the join */
	bool started;                /*!< sign_patch_plan_start() ran: a zeroed planner has no plan */
};

/*!
 * \brief Starts making the splice plan of the run on a thread (made at the
 *        join when there is none).  From here until the join the thread
 *        reads the run's zone (its nodes and names, not its RDATA), its
 *        NSEC3 chain (its next hashes set: after sign_patch_chain()) and pc
 *        (the previous side file and text, the removed names, the NSEC3
 *        records gone): none of them may change meanwhile; the signatures,
 *        the arena and the batch may.
 */
void sign_patch_plan_start(struct sign_patch_planner *pl, const struct sign_run *run, const struct sign_patch *pc);

/*!
 * \brief Waits for the plan (*waited: how long, when not NULL).
 * \return TLD_OK (pl->plan made), TLD_EAGAIN (the previous text is not as
 *         its index says, or the run's names are not as a patch has them,
 *         or the planner was never started), TLD_ENOMEM
 */
int sign_patch_plan_join(struct sign_patch_planner *pl, double *waited);

/*! Joins the thread when it runs and frees the plan; a zeroed planner is a no-op. */
void sign_patch_plan_end(struct sign_patch_planner *pl);

/*!
 * \brief Checks the plan against the run's text as formatted (its blocks
 *        mb, back to back in text): as many blocks, the same ones empty, and
 *        each other block's owner (the first field of its first line) the
 *        planned one.
 * \return TLD_OK, TLD_EAGAIN (logged at info: the plan cannot be used)
 */
int sign_patch_plan_check(const struct sign_patch_plan *p, const char *text, const struct signer_sigfile_block *mb,
                          size_t nmb);

/*!
 * \brief The run's blocks' entries into p->ix, *size the patched text's
 *        (once sign_patch_plan_check() passed for mb).
 */
void sign_patch_plan_fill(struct sign_patch_plan *p, const struct signer_sigfile_block *mb, uint64_t *size);

/*!
 * \brief Writes the patched version: the previous text with the replaced
 *        and removed names' blocks taken out and the run's blocks spliced
 *        in where pl's plan (joined here) puts them, and its side file
 *        (signatures, text index, patch index).
 * \return TLD_OK, TLD_EAGAIN (the previous text is not as its index says,
 *         or the plan not as the text formatted: nothing written), TLD_EIO,
 *         TLD_ENOMEM
 */
int sign_patch_write(struct sign_run *run, struct sign_patch *pc, struct sign_patch_planner *pl, const char *path,
                     uint32_t serial);

/*!
 * \brief The side file of the patched version to out (sign_patch_side.c): its
 *        entries, the text index ix (nix blocks, text_size bytes) and the
 *        patch index; fills pc's kept_* figures.
 * \return TLD_OK, TLD_EAGAIN (the previous index is not as expected), TLD_EIO, TLD_ENOMEM
 */
int sign_patch_side_write(struct sign_run *run, struct sign_patch *pc, FILE *out, uint32_t serial,
                          const struct signer_sigfile_block *ix, size_t nix, uint64_t text_size);

/*!
 * \brief The run's zone text, every block formatted (sign_write.c), into
 *        memory with its text index: the blocks a patch splices in.
 * \param[out] text, len       caller frees *text
 * \param[out] blocks, nblocks caller frees *blocks
 * \return TLD_OK, TLD_ENOMEM, TLD_EIO
 */
int sign_write_text_memory(const struct sign_run *run, char **text, size_t *len, struct signer_sigfile_block **blocks,
                           size_t *nblocks);

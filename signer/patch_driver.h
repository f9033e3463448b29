/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The patch run's driver state (signer/patch.c), shared with its chain
 * planning (signer/patch_chain.c) and the making of its zone
 * (signer/patch_zone.c).  Nothing outside these three uses it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signer/dname.h"
#include "signer/nsec3.h"
#include "signer/patch.h"
#include "signer/patch_internal.h"
#include "signer/patch_zone.h"
#include "signer/zone.h"

/* A replaced name: its group of lines in the new text. */
struct replaced {
	const uint8_t *name;       /* the copy in sign_patch.replaced (it stays where it is as the set grows) */
	size_t name_len;
	size_t off, len;           /* len 0: an empty non-terminal of a replaced subtree */
	bool n3;                   /* it has an NSEC3 record */
	uint8_t hash[SIGNER_NSEC3_HASH_LEN];
};

struct driver {
	const struct signer_patch_opts *o;
	struct sign_patch pc;
	uint8_t origin[SIGNER_DNAME_MAX];
	size_t origin_len;
	unsigned origin_labels;
	struct replaced *r;
	size_t nr, rcap;
	void *map;                 /* the previous zone file */
	size_t map_len;
	struct signer_zone *zone;  /* the replaced names' records */
	struct patch_zone_ahead *ahead; /* the changed owners' groups parsed ahead (patch_zone.h), or NULL */
	size_t replayed_ahead;     /* of them, the groups taken into the zone (signer_sign_stats.patch_groups_ahead) */
	size_t refresh;            /* names with a signature due */
	size_t due;                /* RRsets with a signature due, the replaced names' (the apex's) included */
	struct patch_names deep_tops; /* names one label below the apex with NSEC3 records below them */
	uint64_t *deep;            /* the previous chain's records of names two or more labels below the apex */
	size_t ndeep;
	struct patch_names tops;   /* of them, those whose whole subtree is replaced */
	struct signer_nsec3_params n3p;
};

/*! Logs why the whole zone is signed instead (info).  \return TLD_EAGAIN */
int patch_fall_back(const char *why);

/*! The name one label below the apex at or above name (depth >= 1): a suffix of name, *len its length. */
const uint8_t *patch_top_label_name(const struct driver *d, const uint8_t *name, size_t *len);

/*! Is name (below the apex) in the subtree of a name with signed names below it (d->deep_tops)? */
bool patch_in_deep_subtree(const struct driver *d, const uint8_t *name);

/*! Adds name, found in the new text, to the replaced names (once).  \return TLD_OK, TLD_EAGAIN, TLD_ENOMEM */
int patch_replace_name(struct driver *d, const uint8_t *name, size_t len);

/*! Replaces the whole subtree of top in the new text, empty non-terminals included.  \return as patch_replace_name() */
int patch_replace_subtree(struct driver *d, const uint8_t *top, size_t top_len);

/*!
 * \brief The chain after the patch into d->pc (patch_chain.c), the names
 *        whose record's next hashed owner moves replaced too.
 * \return TLD_OK, TLD_EAGAIN, TLD_ENOMEM, TLD_ECRYPTO
 */
int patch_plan_chain(struct driver *d);

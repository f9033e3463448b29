/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The zone model of the signer.
 *
 * Records are appended with signer_zone_add() (owner and RDATA in
 * uncompressed wire form); signer_zone_build() then, once:
 *   - turns every owner into its canonical sort key (signer/dname.h),
 *   - creates the empty non-terminals between each owner and the apex,
 *   - sorts nodes in canonical order and records by (node, type, RDATA),
 *     dropping exact duplicate records,
 *   - flags every node (apex, delegation, secure delegation, occluded, DNAME,
 *     empty non-terminal) in one pass,
 *   - rejects what must never be signed: out-of-zone data, a missing or second
 *     SOA, SOA away from the apex, CNAME beside other data or twice, two DNAMEs,
 *     data below a DNAME, DS away from a delegation or at the apex, a CNAME or
 *     missing NS at the apex, class other than IN, one RRset with two TTLs.
 *     Each problem is logged as "file:line: owner TYPE: reason".
 * Chains (signer/nsec3.h) read only the flags set here.
 *
 * Memory: per record 20 bytes plus RDATA; per node 24 bytes plus its wire
 * name and sort key, which signer_zone_add() stores once (the node array is
 * built in place: no second copy of the names during the build).  Offsets are
 * 32-bit: the RDATA arena and the name arena are each limited to 4 GiB
 * (signer_zone_add() fails with TLD_ERANGE beyond that, about 80 million
 * delegations).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*! Node flags, set by signer_zone_build(). */
enum signer_node_flag {
	SIGNER_NODE_APEX = 1 << 0,      /*!< the zone apex */
	SIGNER_NODE_DELEG = 1 << 1,     /*!< NS below the apex: a zone cut */
	SIGNER_NODE_SECURE = 1 << 2,    /*!< delegation with a DS RRset */
	SIGNER_NODE_OCCLUDED = 1 << 3,  /*!< below a zone cut: glue, never signed */
	SIGNER_NODE_ENT = 1 << 4,       /*!< empty non-terminal: no records */
	SIGNER_NODE_DNAME = 1 << 5,     /*!< has a DNAME RRset */
	SIGNER_NODE_WILDCARD = 1 << 6,  /*!< first label is '*' */
};

/*! One record. */
struct signer_rr {
	uint32_t node;     /*!< index into nodes (after build) */
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	uint32_t line;     /*!< source line, 0 when added by the signer */
	uint32_t rdoff;    /*!< offset of the RDATA in the zone's RDATA arena */
};

/*! One owner name (or empty non-terminal), in canonical order. */
struct signer_node {
	uint32_t name_off; /*!< wire name, then sort key, in the node arena */
	uint16_t wire_len;
	uint16_t key_len;
	uint32_t parent;   /*!< UINT32_MAX for the apex (before build: the owner id) */
	uint32_t rr_first; /*!< its records: rrs[rr_first .. rr_first + rr_count) */
	uint32_t rr_count;
	uint32_t flags;    /*!< enum signer_node_flag */
};

struct signer_zone {
	uint8_t origin[256];          /*!< lower-case wire form */
	size_t origin_len;
	char *source;                 /*!< file name for messages */

	struct signer_rr *rrs;
	size_t nrrs, rrs_cap;
	uint8_t *rdata;               /*!< RDATA arena */
	size_t rdata_len, rdata_cap;

	/* before build: one node per owner as added, unsorted (rr.node holds
	 * its index); after build: the nodes in canonical order */
	struct signer_node *nodes;
	size_t nnodes, nodes_cap;
	size_t nodes_in_order;        /*!< before build: nodes [0, nodes_in_order) are known to be in
	                                   canonical order (signer_zone_add() and signer_zone_append() keep the count) */
	uint8_t *node_arena;
	size_t node_arena_len, node_arena_cap;
	uint32_t soa_rr;              /*!< index of the SOA record */
	bool rrs_merged;              /*!< after build: the records were in order but for a short tail,
	                                   merged in (zone.c: merge_rr_tail()) */
	bool built;
};

/*!
 * \brief Creates an empty zone.
 * \param[in]  origin  apex in wire form (any case)
 * \param[in]  source  file name for messages (copied; may be NULL)
 * \param[out] out     caller frees with signer_zone_free(); written only on success
 * \return TLD_OK, TLD_EINVAL (bad name), TLD_ENOMEM
 */
int signer_zone_new(const uint8_t *origin, const char *source, struct signer_zone **out);

/*! Releases a zone; NULL is a no-op. */
void signer_zone_free(struct signer_zone *zone);

/*!
 * \brief Appends one record (before signer_zone_build()).  The owner is
 *        lower-cased; so are names inside the RDATA of the types RFC 4034
 *        section 6.2 (as amended by RFC 6840 section 5.1) lists.
 * \param[in] owner  wire name
 * \param[in] type   RR type
 * \param[in] ttl    TTL
 * \param[in] rdata  uncompressed wire RDATA (copied)
 * \param[in] rdlen  its length
 * \param[in] line   source line for messages (0 when none)
 * \return TLD_OK, TLD_EINVAL (malformed name or RDATA), TLD_ERANGE (an arena
 *         would pass 4 GiB), TLD_ENOMEM
 */
int signer_zone_add(struct signer_zone *zone, const uint8_t *owner, uint16_t type, uint32_t ttl,
                    const uint8_t *rdata, uint16_t rdlen, uint32_t line);

/*!
 * \brief Makes room ahead for what is about to be added (before
 *        signer_zone_build()): the arrays need not be copied to grow while
 *        the records come.  Only a hint: too small a figure means growth as
 *        usual, too large costs address space only (pages never touched are
 *        never given memory); counts past the 4 GiB limits, or no memory for
 *        them, change nothing.
 * \param[in] rrs          records in all
 * \param[in] rdata_bytes  bytes of RDATA in all
 * \param[in] nodes        owners in all
 * \param[in] name_bytes   bytes of owner names in wire form in all
 */
void signer_zone_reserve(struct signer_zone *z, size_t rrs, size_t rdata_bytes, size_t nodes,
                         size_t name_bytes);

/*!
 * \brief Appends the records of another zone not built yet (as if they had
 *        been added after z's with signer_zone_add(); its origin does not
 *        matter) and frees it.  For readers that fill parts of one zone on
 *        several threads.
 * \param[in] tail  freed, success or not
 * \return TLD_OK, TLD_EINVAL (either built), TLD_ERANGE (past the 4 GiB limits), TLD_ENOMEM
 */
int signer_zone_append(struct signer_zone *z, struct signer_zone *tail);

/*!
 * \brief signer_zone_append() with the lines of tail's records moved by
 *        line0 (tail's lines counted from its own first record; the sum
 *        must fit 32 bits: the caller checks).
 * \param[in] tail  freed, success or not
 * \return as signer_zone_append()
 */
int signer_zone_append_lines(struct signer_zone *z, struct signer_zone *tail, uint32_t line0);

/*!
 * \brief Sorts, creates empty non-terminals, flags nodes, checks the content.
 * \return TLD_OK, TLD_EZONE (problems logged), TLD_ENOMEM
 */
int signer_zone_build(struct signer_zone *zone);

/*! Wire name of a node. */
static inline const uint8_t *signer_node_wire(const struct signer_zone *z, const struct signer_node *n)
{
	return z->node_arena + n->name_off;
}

/*! Sort key of a node. */
static inline const uint8_t *signer_node_key(const struct signer_zone *z, const struct signer_node *n)
{
	return z->node_arena + n->name_off + n->wire_len;
}

/*! RDATA of a record. */
static inline const uint8_t *signer_rr_rdata(const struct signer_zone *z, const struct signer_rr *rr)
{
	return z->rdata + rr->rdoff;
}

/*!
 * \brief Finds a node by wire name (binary search, after build).
 * \return its index, or UINT32_MAX when absent
 */
uint32_t signer_zone_find(const struct signer_zone *zone, const uint8_t *wire);

/*! True when the node has an RRset of this type. */
bool signer_node_has_type(const struct signer_zone *zone, const struct signer_node *node,
                          uint16_t type);

/*!
 * \brief Text name of an RR type ("A", "TYPE65534"), into buf.
 * \return buf
 */
const char *signer_type_name(uint16_t type, char *buf, size_t size);

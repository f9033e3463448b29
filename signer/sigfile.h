/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The signature side file next to each signed zone ("ZONEFILE.sigs"): what
 * the next run needs to reuse signatures without re-parsing the text.
 *
 * Layout (host byte order; the header carries a byte-order mark):
 *   header   struct signer_sigfile_header
 *   entries  nentries x struct signer_sigfile_entry, sorted by hash
 *   blob     per entry: nsigs x ( u16 length | RRSIG RDATA )
 *
 * hash = the first 16 bytes of SHA-256 over the RRset in the canonical form
 * it is signed in (RFC 4034 section 3.1.8.1: owner | type | class | TTL |
 * RDLENGTH | RDATA for each RR in canonical order).  Equal hashes mean the
 * same owner, type, TTL and RDATA set, so an RRSIG stored under that hash
 * still covers the RRset.  The file is read with one mmap and looked up by
 * binary search within the bucket of a directory by the hash's first bits
 * (made when the file is opened: the hashes are uniform, so a bucket holds
 * about one entry); the text blocks by digest through a hash table, made
 * then too.
 *
 * Version 3 appends, after the blob padded to 8 bytes, the text index of the
 * signed zone file written with it: struct signer_sigfile_text, then
 * nblocks x struct signer_sigfile_block in file order (each block starts
 * where the one before ends; their lengths add up to the text's size).  A block is a stretch
 * of the zone text (a node with its records and RRSIGs, or an NSEC3 record
 * with its RRSIGs) named by a digest of everything its text is made
 * from; the next run copies the text of a block with the same digest from
 * the previous file instead of formatting it again (signer/sign_write.c).
 * Version 1 (no index) and version 2 files (an index of another layout,
 * blocks of a few nodes) are still read for their signatures; their text is
 * formatted anew once.
 *
 * Version 4 has the layout of version 3; its unsigned_hash is made of node
 * digests (signer/sign_digest.c) where version 3 took SHA-256 over the
 * records themselves.  A file of an earlier version is read for its
 * signatures and text index, but its unsigned_hash is never taken as equal
 * to this run's (signer/sign.c): the next version then gets a new serial.
 *
 * Version 5 appends, after the text index (its end is 8-aligned: 24 + 20 n
 * bytes padded to 8), the patch index: what a patch run (signer/patch.h)
 * needs of this version besides its text and signatures:
 *   struct signer_sigfile_patch
 *   nchain x struct signer_sigfile_chain_item   NSEC3 records, sorted by hash
 *   nslots x struct signer_sigfile_slot         the RRsets with RRSIGs, in the
 *                                               run's slot order (sign_internal.h)
 *   names_len bytes                             wire owner names the items
 *                                               point into, padded to 8
 * A version 5 file written by a patch run has flags & SIGNER_SIGFILE_PATCHED
 * and a zero unsigned_hash (a patch run never sees every node): the full
 * path never takes it as unchanged.  Versions 1-4 have no patch index.
 * The names are whole wire names one after the other (the full path,
 * signer/sign_patch_index.c: each node with a slot or a chain item once, in
 * node order).  A version 5 file is refused as damaged unless the patch
 * index fills the rest of the file exactly (zero padding), its magic is
 * right and its flags known, the chain is strictly sorted by hash, every
 * slot's kind is known, the NSEC3 slots are exactly the last nchain slots
 * (none with NSEC, where nchain is 0) each with its chain item's name, and
 * every name offset is the start of one of the names, which are made of
 * labels of at most 63 bytes and end at the root label within 255 bytes
 * and within names_len.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIGNER_SIGFILE_HASH 16
/*! The version written (1 to 4 are still read). */
#define SIGNER_SIGFILE_VERSION 5
/*! The first version whose unsigned_hash is made of node digests, as this version's (see above). */
#define SIGNER_SIGFILE_NODE_DIGESTS 4
#define SIGNER_SIGFILE_SUFFIX ".sigs"

struct signer_sigfile_header {
	char magic[8];           /*!< "TLDSIGS\0" */
	uint32_t bom;            /*!< 0x01020304 as written by this host */
	uint32_t version;        /*!< SIGNER_SIGFILE_VERSION (1 to 4 are still read) */
	uint32_t serial;         /*!< SOA serial of the signed zone */
	uint32_t origin_len;
	uint64_t nentries;
	uint64_t blob_len;
	uint8_t origin[256];     /*!< apex, wire, lower case */
	uint8_t unsigned_hash[32]; /*!< over the records no RRSIG covers (delegation NS, glue): version 4
	                            *   signer/sign_digest.c, before SHA-256 over the records */
};

struct signer_sigfile_entry {
	uint8_t hash[SIGNER_SIGFILE_HASH];
	uint64_t off;            /*!< into the blob */
	uint32_t len;            /*!< bytes of its signatures in the blob */
	uint16_t nsigs;
	uint16_t pad;
};

/*! Version 2: the text index trailer. */
struct signer_sigfile_text {
	char magic[8];           /*!< "TEXTIDX\0" */
	uint64_t text_size;      /*!< bytes of the zone file the index describes */
	uint64_t nblocks;
};

/*! One stretch of the zone text (20 bytes: a zone of a million delegations has over a million). */
struct signer_sigfile_block {
	uint8_t digest[SIGNER_SIGFILE_HASH];
	uint32_t len;
};

/*! Version 5: the patch index header. */
struct signer_sigfile_patch {
	char magic[8];           /*!< "PATCHIX\0" */
	int64_t now;             /*!< the now of the run that signed (a run that finds the zone unchanged
	                              leaves the file as it is, this too: signer/sign_write.c) */
	uint8_t keys_digest[32]; /*!< sign_run.keys_digest of the run (sign_internal.h) */
	uint8_t policy_digest[32]; /*!< sign_run.policy_digest of the run */
	uint64_t nchain;         /*!< NSEC3 records (0 with NSEC) */
	uint64_t nslots;         /*!< RRsets with signatures */
	uint64_t names_len;      /*!< bytes of names (not counting the padding) */
	uint32_t flags;          /*!< SIGNER_SIGFILE_PATCHED */
	uint32_t pad;
};
#define SIGNER_SIGFILE_PATCH_MAGIC "PATCHIX"
#define SIGNER_SIGFILE_PATCHED 1u
/*! signer_sigfile_slot.kind: the values of enum slot_kind (sign_internal.h asserts them equal). */
enum signer_sigfile_kind { SIGNER_SIGFILE_ZONE = 0, SIGNER_SIGFILE_NSEC = 1, SIGNER_SIGFILE_NSEC3 = 2 };
/*! One NSEC3 record: its hash and the node it stands for (24 bytes). */
struct signer_sigfile_chain_item {
	uint8_t hash[20];
	uint32_t name;           /*!< offset of the node's wire name in the names */
};
/*! One RRset with signatures (32 bytes). */
struct signer_sigfile_slot {
	uint8_t hash[SIGNER_SIGFILE_HASH]; /*!< as the entry's hash */
	uint32_t name;           /*!< offset of the wire owner name in the names: the node's (for
	                              an NSEC3 record, the node it stands for, not the hashed name) */
	uint16_t type;
	uint8_t kind;            /*!< enum slot_kind (sign_internal.h) */
	uint8_t nsigs;           /*!< its RRSIGs (at most 255 counted) */
	uint32_t exp_min;        /*!< earliest expiration of its RRSIGs (RRSIG form, compared in RFC 1982
	                              arithmetic around now); 0 without RRSIGs */
	uint32_t inc_max;        /*!< latest inception of its RRSIGs (RRSIG form); 0 without RRSIGs */
};

/*! A mapped side file. */
struct signer_sigfile {
	void *map;               /*!< NULL when the memory is the caller's */
	size_t size;
	const struct signer_sigfile_header *hdr;
	const struct signer_sigfile_entry *entries;
	const uint8_t *blob;
	const struct signer_sigfile_text *text;      /*!< NULL without a text index of version 3 or 4 */
	const struct signer_sigfile_block *blocks;   /*!< text->nblocks, file order */
	uint64_t *block_off;     /*!< text->nblocks + 1: block i is the text [block_off[i], block_off[i + 1]) */
	uint32_t *block_table;   /*!< the blocks by digest (sigfile.c), for signer_sigfile_find_block() */
	size_t block_mask;
	uint32_t *dir;           /*!< entries by the first dir_bits bits of their hash (sigfile.c), or NULL */
	const struct signer_sigfile_patch *patch;          /*!< version 5: the patch index, else NULL */
	const struct signer_sigfile_chain_item *chain;     /*!< patch->nchain, by hash */
	const struct signer_sigfile_slot *pslots;          /*!< patch->nslots, slot order */
	const uint8_t *names;                              /*!< patch->names_len; every name offset in
	                                                        chain and pslots is checked to start a
	                                                        whole wire name inside it */
	unsigned dir_bits;
};

/*!
 * \brief Maps and checks a side file.
 * \param[in]  path  the file
 * \param[out] out   caller frees with signer_sigfile_close(); written only on success
 * \return TLD_OK, TLD_ENOENT (no such file), TLD_EPARSE (damaged or foreign: logged), TLD_EIO
 */
int signer_sigfile_open(const char *path, struct signer_sigfile **out);

/*!
 * \brief signer_sigfile_open() without the table of the text blocks by
 *        digest: signer_sigfile_find_block() finds none; the text index
 *        (blocks, block_off) is there all the same.  For a reader that never
 *        looks a block up by its digest (a patch run, signer/patch.h, copies
 *        the previous text by position): the table is the largest thing an
 *        open makes (a few fresh pages per thousand blocks).
 * \return as signer_sigfile_open()
 */
int signer_sigfile_open_no_block_table(const char *path, struct signer_sigfile **out);

/*!
 * \brief Checks a side file held in memory (8-byte aligned); the memory must
 *        outlive the handle and is not freed by signer_sigfile_close().
 * \param[out] out  written only on success
 * \return TLD_OK, TLD_EPARSE, TLD_ENOMEM
 */
int signer_sigfile_from_memory(const void *data, size_t size, struct signer_sigfile **out);

/*! Unmaps; NULL is a no-op. */
void signer_sigfile_close(struct signer_sigfile *sf);

/*!
 * \brief Gives the memory of the entries and signatures of a mapped file
 *        back (they are read again from the file if looked at); the text
 *        index stays.  For a caller done with the signatures.
 */
void signer_sigfile_drop_signatures(const struct signer_sigfile *sf);

/*!
 * \brief Finds the entry of an RRset hash.
 * \return the entry, or NULL
 */
const struct signer_sigfile_entry *signer_sigfile_find(const struct signer_sigfile *sf, const uint8_t *hash);

/*!
 * \brief Finds a text block by its digest.
 * \return its number (an index into blocks and block_off), or SIZE_MAX (none, or no text index)
 */
size_t signer_sigfile_find_block(const struct signer_sigfile *sf, const uint8_t *digest);

/*!
 * \brief Iterates the RRSIG RDATA of an entry.
 * \param[in,out] pos  byte position inside the entry's blob area; start at 0
 * \param[out] rdata, len  the next RRSIG RDATA
 * \return false at the end or on a damaged entry
 */
bool signer_sigfile_next(const struct signer_sigfile *sf, const struct signer_sigfile_entry *e, size_t *pos,
                         const uint8_t **rdata, uint16_t *len);

/*! One RRset for signer_sigfile_write(): its hash and RRSIGs. */
struct signer_sigfile_item {
	uint8_t hash[SIGNER_SIGFILE_HASH];
	uint32_t sig_first;      /*!< index into the caller's signature list */
	uint32_t nsigs;
};

/*!
 * \brief Callback giving the i-th RRSIG RDATA of the caller's signature list.
 */
typedef const uint8_t *(*signer_sigfile_sig_fn)(void *ctx, size_t i, uint16_t *len);

/*!
 * \brief Writes a side file to a stream (unsigned_hash: 32 bytes, see the header).  items are sorted by hash in place
 *        (items already in that order are left as they are);
 *        two items with one hash are written once (they are the same RRset).
 *        The file is complete only after signer_sigfile_write_text().
 * \return TLD_OK, TLD_EIO, TLD_ENOMEM
 */
int signer_sigfile_write(FILE *out, const uint8_t *origin, size_t origin_len, uint32_t serial,
                         const uint8_t *unsigned_hash, struct signer_sigfile_item *items, size_t n, signer_sigfile_sig_fn sig, void *ctx);

/*!
 * \brief Appends the text index (after signer_sigfile_write() on the same stream),
 *        padded to 8 bytes.  The file is complete only after signer_sigfile_write_patch().
 * \param[in] blocks  n blocks in file order, their lengths adding up to text_size
 * \return TLD_OK, TLD_EIO
 */
int signer_sigfile_write_text(FILE *out, uint64_t text_size, const struct signer_sigfile_block *blocks, size_t n);

/*! Bytes signer_sigfile_write_text() writes for n blocks (its padding included). */
uint64_t signer_sigfile_text_bytes(uint64_t n);

/*!
 * \brief Appends the patch index (version 5: after signer_sigfile_write_text()
 *        on the same stream).  hdr's magic and pad are set here; names_len
 *        bytes of names, padded to 8 here.
 * \return TLD_OK, TLD_EIO
 */
int signer_sigfile_write_patch(FILE *out, const struct signer_sigfile_patch *hdr,
                               const struct signer_sigfile_chain_item *chain,
                               const struct signer_sigfile_slot *slots, const uint8_t *names);

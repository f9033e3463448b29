/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The tag that ties a verification state (verify/vstate.h) to the exact
 * bytes of the zone file it describes: GMAC (AES-256-GCM with the file as
 * the authenticated data, OpenSSL's EVP_MAC "GMAC"), 128-bit tag, under a
 * key and IV drawn from OpenSSL's private CSPRNG for each verification that
 * may write a state, and kept in that state only.
 *
 * Why a keyed MAC is enough where a SHA-256 was used.  The tag is checked
 * once the state is read: the previous file must still hold the very bytes
 * that were verified, because the delta verification trusts its unchanged
 * bytes as verified before.  Making a different file pass that check means
 * producing a file with the same tag under a key one does not know: GHASH
 * is an almost-XOR-universal hash, so any fixed change of a file of L
 * 16-byte blocks keeps the tag with probability at most (L + 1) / 2^128
 * (about 2^-104 for a 200 MB zone), whatever the change; the AES layer hides
 * the key from the tag.  Each key tags one file (the one verified when it
 * was drawn), so the GCM rule of one message per key and IV holds.  What a
 * SHA-256 gave beyond this: an attacker who can read the state (and so the
 * key) but not write it could no longer forge; the state is therefore
 * written readable by its owner only (0600), in the state directory, and
 * whoever can write it can write the zone beside it anyway.
 *
 * Why: GMAC runs at about 7 GB/s here (PCLMULQDQ), SHA-256 at 1.6 GB/s with
 * the SHA extensions; two 200 MB files per run.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VFY_FILEMAC_KEY 32
#define VFY_FILEMAC_IV 12
#define VFY_FILEMAC_TAG 16

/*! A file's tag with the key and IV that made it. */
struct vfy_filemac {
	uint8_t key[VFY_FILEMAC_KEY];
	uint8_t iv[VFY_FILEMAC_IV];
	uint8_t tag[VFY_FILEMAC_TAG];
};

/*!
 * \brief Draws a fresh key and IV (tag zeroed).
 * \return TLD_OK or TLD_ECRYPTO (the CSPRNG failed)
 */
int vfy_filemac_new_key(struct vfy_filemac *m);

/*!
 * \brief The tag of text under m's key and IV.
 * \param[in]  m    key and IV
 * \param[out] tag  VFY_FILEMAC_TAG bytes
 * \return TLD_OK or TLD_ECRYPTO (no GMAC in the OpenSSL providers loaded)
 */
int vfy_filemac_tag(const struct vfy_filemac *m, const void *text, size_t len, uint8_t *tag);

/*! The tag of a text given in pieces. */
struct vfy_filemac_stream {
	void *mac;                 /*!< EVP_MAC */
	void *ctx;                 /*!< EVP_MAC_CTX */
	bool bad;                  /*!< a step failed: the final tag is refused */
};

/*! \brief Starts a tag under m's key and IV. \return TLD_OK or TLD_ECRYPTO (freed then) */
int vfy_filemac_begin(struct vfy_filemac_stream *s, const struct vfy_filemac *m);
/*! \brief Adds bytes (a failure is remembered for vfy_filemac_end()). */
void vfy_filemac_add(struct vfy_filemac_stream *s, const void *p, size_t len);
/*!
 * \brief The tag, and frees the stream (also fine after a failed begin).
 * \param[out] tag  VFY_FILEMAC_TAG bytes; NULL: only free
 * \return TLD_OK or TLD_ECRYPTO
 */
int vfy_filemac_end(struct vfy_filemac_stream *s, uint8_t *tag);

/*!
 * \brief Whether text still has m's tag (constant-time comparison).
 * \return true only when the tag was computed and matches
 */
bool vfy_filemac_check(const struct vfy_filemac *m, const void *text, size_t len);

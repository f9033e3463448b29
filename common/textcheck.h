/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The SHA-256 and the 64-bit check of a zone text that each version records
 * (publish/publish.h: digest, text_check), the check computable in pieces:
 * fed from the pass that reads the bytes for something else (the SHA-256 of
 * the new text, the walk of the current one, publish/zonewalk.h), so that
 * no text is read from memory twice for them.  The check is the same value
 * however the text is cut into pieces.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/file_ident.h"

/*! A check under way: the bytes [0, done) of one text fed, done a multiple of 32. */
struct tld_text_check {
	uint64_t h[4];
	size_t done;
};

/*! \brief Starts a check of a text (nothing fed). */
void tld_text_check_init(struct tld_text_check *c);

/*!
 * \brief Feeds text[c->done, upto) in whole 32-byte blocks: the bytes of a
 *        last partial block wait for a later call or tld_text_check_end().
 * \param[in] text  the whole text (the same pointer at every call)
 * \param[in] upto  how far it may be read (at most its length; less than
 *                  c->done feeds nothing)
 */
void tld_text_check_feed(struct tld_text_check *c, const char *text, size_t upto);

/*! \brief Feeds the rest of the text, len bytes in all, and returns its check. */
uint64_t tld_text_check_end(struct tld_text_check *c, const char *text, size_t len);

/*!
 * \brief The check of a zone file recorded with each version: a 64-bit hash
 *        of its bytes (four lanes of 8-byte words; host byte order), cheap
 *        beside the SHA-256, to tell that the current file is still the one
 *        recorded (damaged, edited or replaced files; not malicious ones).
 */
uint64_t tld_zone_text_check(const char *text, size_t len);

/*! The SHA-256 of a zone text as a version records it (lower-case hex).  \return TLD_OK or TLD_ECRYPTO */
int tld_zone_text_digest(const char *text, size_t len, char hex[65]);

/*!
 * \brief tld_zone_text_digest() and tld_zone_text_check() in one pass over
 *        the text (piece by piece: each piece is checked while it is in the
 *        cache the digest read it into).
 * \return TLD_OK or TLD_ECRYPTO
 */
int tld_zone_text_digest_check(const char *text, size_t len, char hex[65], uint64_t *check);

/*!
 * A text's SHA-256 and check made from its pieces in order, wherever they
 * lie (the writer of a text hashing what it writes): the values
 * tld_zone_text_digest_check() gives for the text they make up, however it
 * is cut.
 */
struct tld_text_stream {
	void *md;                  /*!< the digest under way (EVP_MD_CTX); owned */
	struct tld_text_check check;
	char held[32];             /*!< the bytes of a last partial block */
	size_t len;                /*!< bytes added */
	bool with_check;
};

/*! \brief Starts a stream (the check too when with_check).  \return TLD_OK or TLD_ECRYPTO (nothing to free) */
int tld_text_stream_init(struct tld_text_stream *s, bool with_check);

/*! \brief Adds the next n bytes of the text.  \return TLD_OK or TLD_ECRYPTO (free the stream) */
int tld_text_stream_add(struct tld_text_stream *s, const char *p, size_t n);

/*!
 * \brief The digest (lower-case hex) and, when the stream has it and check
 *        is not NULL, the check of the bytes added (*check untouched for a
 *        stream started without it); frees the stream.
 * \return TLD_OK or TLD_ECRYPTO
 */
int tld_text_stream_end(struct tld_text_stream *s, char hex[65], uint64_t *check);

/*! \brief Releases a stream not ended (ended or freed already: a no-op). */
void tld_text_stream_free(struct tld_text_stream *s);

/*! \brief dst (not started) becomes a copy of src, to go on from there.  \return TLD_OK or TLD_ECRYPTO */
int tld_text_stream_copy(struct tld_text_stream *dst, const struct tld_text_stream *src);

/*!
 * A text's digest and check as the writer of its file made them, whole or
 * up to where it got (to be gone on with from the file's bytes), and the
 * file's identity (common/file_ident.h) once it was in place: while the
 * file has that identity its bytes are the ones hashed.
 */
struct tld_text_digest {
	char hex[65];              /*!< SHA-256 of the whole text, lower-case hex; "" when not made */
	uint64_t check;            /*!< its tld_zone_text_check() (with hex) */
	struct tld_text_stream *partial; /*!< or, hex "": the stream of the text's first partial->len
	                                      bytes (with the check); NULL when none.  Owned: released by
	                                      tld_text_digest_release() */
	char ident[TLD_FILE_IDENT_LEN]; /*!< tld_file_ident() of the file written; "" when not taken */
};

/*! \brief Frees d->partial and clears d (nothing handed on any more). */
void tld_text_digest_release(struct tld_text_digest *d);

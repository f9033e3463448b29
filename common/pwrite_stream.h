/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writing a file at offsets: pwrite() of a whole buffer, and a stdio
 * stream that writes to a descriptor from an offset on (pwrite(), the
 * descriptor's own position untouched), so that pieces of one file can be
 * written at once by several threads, each with its stream on the shared
 * descriptor (signer/sign_patch_side.c: a side file in pieces).
 *
 * The stream starts the writeback (sync_file_range(SYNC_FILE_RANGE_WRITE))
 * of what it wrote, a stretch at a time and the rest when closed, so that
 * the fsync before the file's commit finds less left to wait for.  Only a
 * hint to the kernel: it changes no byte, and its failure is ignored (the
 * fsync still writes everything).  Crash safety stays the caller's: the
 * descriptor is a temporary file's (common/atomic_file.h), committed only
 * when every piece was written.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*! Writeback is started for every this many bytes a stream writes (and the rest at its close). */
#define TLD_PWRITE_STREAM_WRITEBACK (8u << 20)

/*!
 * \brief Writes len bytes of p to fd at offset off, short writes and EINTR gone on with.
 * \return TLD_OK, or the errno-mapped error (a full disk told as such; TLD_EIO when nothing could be written)
 */
int tld_pwrite_all(int fd, const void *p, size_t len, uint64_t off);

/*! A stream writing at offsets; the caller's memory, from tld_pwrite_stream_open() to _close(). */
struct tld_pwrite_stream {
	FILE *f;                 /*!< what to write to: unbuffered, each fwrite() one pwrite() (its
	                              writers gather small pieces themselves: signer/sigfile.c) */
	int fd;
	uint64_t pos;            /*!< offset of the next byte the stream hands on */
	uint64_t synced;         /*!< writeback started up to here (from the start offset) */
	int err;                 /*!< the first write's error (TLD_*), or TLD_OK */
};

/*!
 * \brief Opens s->f, writing to fd from offset off on.
 * \return TLD_OK, TLD_ENOMEM (s->f NULL)
 */
int tld_pwrite_stream_open(struct tld_pwrite_stream *s, int fd, uint64_t off);

/*!
 * \brief Flushes and closes s->f (NULL: a no-op), starting the writeback of the rest.
 * \param[out] end  when not NULL: the offset after the last byte written
 * \return TLD_OK, or the first write's error
 */
int tld_pwrite_stream_close(struct tld_pwrite_stream *s, uint64_t *end);

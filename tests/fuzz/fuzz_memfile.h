/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * For the fuzz targets: an input as a file the code under test opens by
 * path (an anonymous memory file, /proc/self/fd/N).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

/*!
 * \brief Writes size bytes of data into a memory file named by path.
 * \return its descriptor (the caller closes it), or -1
 */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char path[64])
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0) {
		return -1;
	}
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

/*! The SHA-256 of what precedes the last 32 bytes, made those bytes. */
static inline void fuzz_seal_sha256(uint8_t *b, size_t n)
{
	if (n >= 32) {
		unsigned len = 0;
		EVP_Digest(b, n - 32, b + n - 32, &len, EVP_sha256(), NULL);
	}
}

/*!
 * \brief fuzz_memfile() of a file format that ends in a seal of what
 *        precedes it: the input's first byte is not written; when it is odd,
 *        seal() makes the seal right, so the checks behind the damage check
 *        are reached.
 * \return as fuzz_memfile(); -1 for an empty input
 */
static inline int fuzz_memfile_sealed(const uint8_t *data, size_t size, char path[64],
                                      void (*seal)(uint8_t *, size_t))
{
	if (size < 1) {
		return -1;
	}
	bool fix = data[0] & 1;
	uint8_t *copy = malloc(size);
	if (copy == NULL) {
		return -1;
	}
	memcpy(copy, data + 1, size - 1);
	if (fix) {
		seal(copy, size - 1);
	}
	int fd = fuzz_memfile(copy, size - 1, path);
	free(copy);
	return fd;
}

/*! fuzz_memfile_sealed() of a format sealed by a trailing SHA-256. */
static inline int fuzz_memfile_digest_fixed(const uint8_t *data, size_t size, char path[64])
{
	return fuzz_memfile_sealed(data, size, path, fuzz_seal_sha256);
}

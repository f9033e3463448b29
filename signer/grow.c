/* SPDX-License-Identifier: GPL-3.0-or-later */
/* signer_grow() (signer/grow.h). */
#include <stdint.h>
#include <stdlib.h>

#include "common/error.h"
#include "signer/grow.h"

int signer_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap) {
		return TLD_OK;
	}
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			return TLD_ENOMEM;
		}
		ncap *= 2;
	}
	if (elem != 0 && ncap > SIZE_MAX / elem) {
		return TLD_ENOMEM;
	}
	void *n = realloc(*buf, ncap * elem);
	if (n == NULL) {
		return TLD_ENOMEM;
	}
	*buf = n;
	*cap = ncap;
	return TLD_OK;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Address text (zonegen/addr_text.h): the algorithm of glibc's inet_ntop()
 * (resolv/inet_ntop.c, from BIND), step for step.
 */
#include <stdbool.h>

#include "zonegen/addr_text.h"

/* An octet in decimal, no leading zeros; returns its length. */
static size_t octet(unsigned v, char *out)
{
	size_t n = 0;
	if (v >= 100) {
		out[n++] = (char)('0' + v / 100);
	}
	if (v >= 10) {
		out[n++] = (char)('0' + v / 10 % 10);
	}
	out[n++] = (char)('0' + v % 10);
	return n;
}

static size_t text4(const uint8_t *a, char *out)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		if (i > 0) {
			out[n++] = '.';
		}
		n += octet(a[i], out + n);
	}
	return n;
}

/* A 16-bit group in lower-case hex, no leading zeros; returns its length. */
static size_t group(unsigned v, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 15;
		if (d != 0 || n > 0 || shift == 0) {
			out[n++] = hex[d];
		}
	}
	return n;
}

static size_t text6(const uint8_t *a, char *out)
{
	unsigned words[8];
	for (int i = 0; i < 8; i++) {
		words[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	}
	/* the first longest run of zero groups; none when shorter than two */
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	for (int i = 0; i < 8; i++) {
		if (words[i] == 0) {
			if (cur == -1) {
				cur = i;
				cur_len = 1;
			} else {
				cur_len++;
			}
		} else if (cur != -1) {
			if (best == -1 || cur_len > best_len) {
				best = cur;
				best_len = cur_len;
			}
			cur = -1;
		}
	}
	if (cur != -1 && (best == -1 || cur_len > best_len)) {
		best = cur;
		best_len = cur_len;
	}
	if (best != -1 && best_len < 2) {
		best = -1;
	}
	size_t n = 0;
	for (int i = 0; i < 8; i++) {
		if (best != -1 && i >= best && i < best + best_len) {
			if (i == best) {
				out[n++] = ':';
			}
			continue;
		}
		if (i != 0) {
			out[n++] = ':';
		}
		/* an IPv4-compatible or -mapped address: its last 32 bits dotted */
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
			return n + text4(a + 12, out + n);
		}
		n += group(words[i], out + n);
	}
	if (best != -1 && best + best_len == 8) {
		out[n++] = ':';
	}
	return n;
}

size_t tld_addr_text(uint8_t family, const uint8_t *addr, char *out)
{
	return family == 4 ? text4(addr, out) : family == 6 ? text6(addr, out) : 0;
}

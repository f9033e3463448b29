/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "zonegen/bytes8.h"
#include "zonegen/csv.h"

#define CSV_BUF_SIZE (1u << 18)
/* Storage for the fields of one record: every field plus its NUL. */
#define CSV_REC_SIZE (TLD_CSV_MAX_FIELDS * (TLD_CSV_MAX_FIELD + 1))

struct tld_csv {
	int fd;                 /*!< -1 for a memory reader */
	const char *mem;
	size_t mem_len, mem_pos;
	char *buf;              /*!< read buffer (file readers) */
	const char *cur;        /*!< unread bytes: cur .. end */
	const char *end;
	bool eof;
	bool started;           /*!< BOM check done */
	unsigned long line;     /*!< current physical line */
	uint64_t records;
	size_t header_fields;    /*!< set by tld_csv_header() */
	EVP_MD_CTX *md;
	char *rec;              /*!< field storage of the current record */
	char errbuf[160];
};

/* Bytes that end a run of plain field bytes: outside and inside quotes. */
static const unsigned char plain_stop[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1, [','] = 1, ['"'] = 1,
};
static const unsigned char quoted_stop[256] = {
	[0] = 1, ['\n'] = 1, ['"'] = 1,
};
/* Bytes of a line that next_plain_line() must look at. */
static const unsigned char line_stop[256] = {
	[0] = 1, ['\n'] = 1, ['\r'] = 1, [','] = 1, ['"'] = 1,
};

/* -- internal API -- */

/* Refills the buffer; returns 1 if bytes are available, 0 at EOF, <0 on error. */
static int fill(struct tld_csv *csv)
{
	if (csv->cur < csv->end) {
		return 1;
	}
	if (csv->eof) {
		return 0;
	}
	if (csv->fd < 0) {
		if (csv->mem_pos >= csv->mem_len) {
			csv->eof = true;
			return 0;
		}
		csv->cur = csv->mem + csv->mem_pos;
		csv->end = csv->mem + csv->mem_len;
		csv->mem_pos = csv->mem_len;
	} else {
		ssize_t n;
		do {
			n = read(csv->fd, csv->buf, CSV_BUF_SIZE);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			snprintf(csv->errbuf, sizeof(csv->errbuf), "line %lu: read error: %s",
			         csv->line, strerror(errno));
			return TLD_EIO;
		}
		if (n == 0) {
			csv->eof = true;
			return 0;
		}
		csv->cur = csv->buf;
		csv->end = csv->buf + n;
	}
	if (EVP_DigestUpdate(csv->md, csv->cur, (size_t)(csv->end - csv->cur)) != 1) {
		return TLD_ECRYPTO;
	}
	return 1;
}

/* Next byte or -1 at EOF, < -1 on error. */
static inline int get_byte(struct tld_csv *csv)
{
	if (csv->cur == csv->end) {
		int r = fill(csv);
		if (r <= 0) {
			return r == 0 ? -1 : r;
		}
	}
	return (unsigned char)*csv->cur++;
}

static inline int peek_byte(struct tld_csv *csv)
{
	if (csv->cur == csv->end) {
		int r = fill(csv);
		if (r <= 0) {
			return r == 0 ? -1 : r;
		}
	}
	return (unsigned char)*csv->cur;
}

static int csv_new(struct tld_csv **out)
{
	struct tld_csv *csv = calloc(1, sizeof(*csv));
	if (csv == NULL) {
		return TLD_ENOMEM;
	}
	csv->fd = -1;
	csv->line = 1;
	csv->rec = malloc(CSV_REC_SIZE);
	csv->md = EVP_MD_CTX_new();
	if (csv->rec == NULL || csv->md == NULL ||
	    EVP_DigestInit_ex(csv->md, EVP_sha256(), NULL) != 1) {
		tld_csv_free(csv);
		return TLD_ENOMEM;
	}
	*out = csv;
	return TLD_OK;
}

static void mark(struct tld_csv_record *rec, const char *why)
{
	if (rec->error == NULL) {
		rec->error = why;
	}
}

/* -- public API -- */

int tld_csv_open(const char *path, struct tld_csv **out)
{
	struct tld_csv *csv = NULL;
	int ret = csv_new(&csv);
	if (ret != TLD_OK) {
		return ret;
	}
	csv->buf = malloc(CSV_BUF_SIZE);
	if (csv->buf == NULL) {
		tld_csv_free(csv);
		return TLD_ENOMEM;
	}
	csv->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (csv->fd < 0) {
		ret = tld_errno(errno);
		tld_csv_free(csv);
		return ret;
	}
	*out = csv;
	return TLD_OK;
}

int tld_csv_open_mem(const char *data, size_t len, struct tld_csv **out)
{
	struct tld_csv *csv = NULL;
	int ret = csv_new(&csv);
	if (ret != TLD_OK) {
		return ret;
	}
	csv->mem = data;
	csv->mem_len = len;
	*out = csv;
	return TLD_OK;
}

void tld_csv_free(struct tld_csv *csv)
{
	if (csv == NULL) {
		return;
	}
	if (csv->fd >= 0) {
		close(csv->fd);
	}
	EVP_MD_CTX_free(csv->md);
	free(csv->buf);
	free(csv->rec);
	free(csv);
}

const char *tld_csv_error(const struct tld_csv *csv)
{
	return csv->errbuf;
}

size_t tld_csv_header_fields(const struct tld_csv *csv)
{
	return csv->header_fields;
}

uint64_t tld_csv_records(const struct tld_csv *csv)
{
	return csv->records;
}

int tld_csv_sha256(struct tld_csv *csv, uint8_t digest[32])
{
	if (!csv->eof) {
		return TLD_EINVAL;
	}
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(csv->md, digest, &len) != 1 || len != 32) {
		return TLD_ECRYPTO;
	}
	return TLD_OK;
}

/* Eight bytes at a time: a high bit in each byte equal to one of the line's
 * special bytes (the lowest one found is exact; those above it may not be). */
static inline uint64_t special_bytes(uint64_t w)
{
	return bytes8_zero(w ^ (BYTES8_ONES * ',')) | bytes8_zero(w ^ (BYTES8_ONES * '\n')) |
	       bytes8_zero(w ^ (BYTES8_ONES * '"')) | bytes8_zero(w ^ (BYTES8_ONES * '\r')) |
	       bytes8_zero(w);
}

#if defined(__SSE2__)
/* Sixteen bytes at a time where SSE2 is there (every x86-64): bit k set
 * when byte k of v is one of the line's special bytes; exact for every
 * byte, so the lowest bit set is the first special byte, as with
 * special_bytes(). */
static inline unsigned special_bytes16(__m128i v)
{
	__m128i m = _mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
		_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
		                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
		             _mm_cmpeq_epi8(v, _mm_setzero_si128())));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The index of the first special byte of w read from memory, given
 * special_bytes() != 0. */
static inline size_t first_special(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	return (size_t)__builtin_clzll(m) / 8;
#endif
}

/*
 * The common record: a whole line in the buffer, without quotes, CR (other
 * than a CRLF end), NUL, too many or too long fields.  Its fields are the
 * bytes between the commas, which is what the byte loop of tld_csv_next()
 * makes of such a line; any other line is left to that loop.
 * Returns true if the record was read.
 */
static bool next_plain_line(struct tld_csv *csv, struct tld_csv_record *rec, char *store,
                            size_t room)
{
	const unsigned char *p = (const unsigned char *)csv->cur;
	size_t avail = (size_t)(csv->end - csv->cur);
	/* block copies stay inside the field storage (room > 8, lim <= room - 8) */
	size_t lim = avail < room - 8 ? avail : room - 8;
	/* p[0 .. scan) is copied to store and its special bytes before i are
	 * handled; with SSE2, those of the block at blk not yet handled are
	 * the bits of pending (every special byte of a block is found at once) */
	size_t i = 0, scan = 0, count = 0, start = 0, body;
#if defined(__SSE2__)
	size_t blk = 0;
	unsigned pending = 0;
#endif
	rec->field[0] = store;
	for (;;) {
		/* the next special byte: at i */
		for (;;) {
#if defined(__SSE2__)
			if (pending != 0) {
				i = blk + (size_t)__builtin_ctz(pending);
				pending &= pending - 1;
				break;
			}
			if (scan + 16 <= lim) {
				__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + scan));
				_mm_storeu_si128((__m128i *)(void *)(store + scan), v);
				unsigned m = special_bytes16(v);
				if (m != 0) {
					blk = scan;
					i = scan + (size_t)__builtin_ctz(m);
					pending = m & (m - 1);
					scan += 16;
					break;
				}
				scan += 16;
				continue;
			}
#endif
			if (scan + 8 > lim) {
				while (scan < lim && !line_stop[p[scan]]) {
					store[scan] = (char)p[scan];
					scan++;
				}
				if (scan == lim) {
					return false; /* no line end in the buffer */
				}
				i = scan++;
				break;
			}
			uint64_t w;
			memcpy(&w, p + scan, 8);
			memcpy(store + scan, &w, 8);
			uint64_t m = special_bytes(w);
			if (m != 0) {
				/* exact for the lowest only: looked at again from the next byte */
				i = scan + first_special(m);
				scan = i + 1;
				break;
			}
			scan += 8;
		}
		if (i - start > TLD_CSV_MAX_FIELD) {
			return false;
		}
		if (p[i] == ',') {
			if (count + 1 >= TLD_CSV_MAX_FIELDS) {
				return false;
			}
			store[i] = '\0';
			rec->len[count++] = i - start;
			start = i + 1;
			rec->field[count] = store + start;
			continue;
		}
		body = i;
		if (p[i] == '\r' && i + 1 < avail && p[i + 1] == '\n') {
			i++;
		} else if (p[i] != '\n') {
			return false; /* the byte loop decides */
		}
		break;
	}
	store[body] = '\0';
	rec->len[count++] = body - start;
	rec->count = count;
	csv->cur += i + 1;
	csv->line++;
	csv->records++;
	return true;
}

int tld_csv_next(struct tld_csv *csv, struct tld_csv_record *rec)
{
	return tld_csv_next_into(csv, rec, NULL, 0);
}

int tld_csv_next_into(struct tld_csv *csv, struct tld_csv_record *rec, char *dst, size_t dst_room)
{
	rec->count = 0;
	rec->error = NULL;
	rec->line = csv->line;
	if (dst == NULL || dst_room <= 8) {
		dst = csv->rec;
		dst_room = CSV_REC_SIZE;
	}
	if (csv->started && next_plain_line(csv, rec, dst, dst_room)) {
		return 1;
	}

	if (!csv->started) {
		csv->started = true;
		/* UTF-8 BOM: EF BB BF, only at the very start */
		int b = peek_byte(csv);
		if (b < -1) {
			return b;
		}
		if (b == 0xef) {
			if (csv->end - csv->cur >= 3 && memcmp(csv->cur, "\xef\xbb\xbf", 3) == 0) {
				csv->cur += 3;
			}
		}
	}
	int c = get_byte(csv);
	if (c == -1) {
		return 0;
	}
	if (c < -1) {
		return c;
	}

	char *store = csv->rec;
	size_t flen = 0;
	bool quoted = false;      /* the field started with a quote */
	bool in_quotes = false;   /* inside the quoted part */
	bool after_quote = false; /* closing quote seen, expecting , or end */
	bool field_open = true;

	for (;;) {
		if (c < -1) {
			return c;
		}
		if (c == -1) {
			if (in_quotes) {
				snprintf(csv->errbuf, sizeof(csv->errbuf),
				         "line %lu: unterminated quoted field at end of file", rec->line);
				return TLD_EPARSE;
			}
			break; /* last record without line end */
		}
		if (in_quotes) {
			if (c == '"') {
				int n = peek_byte(csv);
				if (n < -1) {
					return n;
				}
				if (n == '"') {
					csv->cur++;
					goto store_char;
				}
				in_quotes = false;
				after_quote = true;
				goto next;
			}
			if (c == '\n') {
				csv->line++;
			}
			goto store_char;
		}
		if (c == ',' || c == '\n' || c == '\r') {
			if (c == '\r') {
				int n = peek_byte(csv);
				if (n < -1) {
					return n;
				}
				if (n != '\n') {
					mark(rec, "bare CR outside quotes");
					goto store_char;
				}
				csv->cur++;
			}
			/* end of field */
			if (rec->count < TLD_CSV_MAX_FIELDS) {
				store[flen] = '\0';
				rec->field[rec->count] = store;
				rec->len[rec->count] = flen;
				store += flen + 1;
			} else {
				mark(rec, "too many fields");
			}
			rec->count++;
			flen = 0;
			quoted = after_quote = false;
			field_open = false;
			if (c != ',') {
				csv->line++;
				break;
			}
			field_open = true;
			goto next;
		}
		if (c == '"') {
			if (flen == 0 && !quoted && !after_quote) {
				quoted = in_quotes = true;
				goto next;
			}
			mark(rec, "quote inside an unquoted field");
			goto store_char;
		}
		if (after_quote) {
			mark(rec, "text after a closing quote");
		}
	store_char:
		if (c == 0) {
			mark(rec, "NUL byte");
		}
		if (flen < TLD_CSV_MAX_FIELD) {
			if (rec->count < TLD_CSV_MAX_FIELDS) {
				store[flen] = (char)c;
			}
			flen++;
		} else {
			mark(rec, "field too long");
		}
		/* fast path: the plain bytes that follow in the buffer are stored
		 * just as the byte loop would store them */
		if (!after_quote && rec->count < TLD_CSV_MAX_FIELDS && flen < TLD_CSV_MAX_FIELD) {
			const unsigned char *p = (const unsigned char *)csv->cur;
			size_t room = TLD_CSV_MAX_FIELD - flen;
			size_t avail = (size_t)((const unsigned char *)csv->end - p);
			size_t n = avail < room ? avail : room;
			const unsigned char *stop = in_quotes ? quoted_stop : plain_stop;
			size_t k = 0;
			while (k < n && !stop[p[k]]) {
				k++;
			}
			memcpy(store + flen, p, k);
			flen += k;
			csv->cur += k;
		}
	next:
		c = get_byte(csv);
	}
	if (field_open) {
		if (rec->count < TLD_CSV_MAX_FIELDS) {
			store[flen] = '\0';
			rec->field[rec->count] = store;
			rec->len[rec->count] = flen;
		} else {
			mark(rec, "too many fields");
		}
		rec->count++;
	}
	if (rec->count > TLD_CSV_MAX_FIELDS) {
		rec->count = TLD_CSV_MAX_FIELDS;
	}
	csv->records++;
	return 1;
}

int tld_csv_header(struct tld_csv *csv, const char *const *names, size_t count, size_t *index,
                   const char **why, const char **missing)
{
	struct tld_csv_record rec;
	*missing = NULL;
	int r = tld_csv_next(csv, &rec);
	if (r < 0) {
		*why = tld_csv_error(csv);
		return r;
	}
	if (r == 0) {
		*why = "empty file (no header)";
		return TLD_EPARSE;
	}
	if (rec.error != NULL) {
		*why = rec.error;
		return TLD_EPARSE;
	}
	csv->records--; /* the header is not a row */
	csv->header_fields = rec.count;
	for (size_t i = 0; i < count; i++) {
		bool found = false;
		for (size_t f = 0; f < rec.count; f++) {
			if (strcasecmp(rec.field[f], names[i]) != 0) {
				continue;
			}
			if (found) {
				*why = "duplicate column";
				*missing = names[i];
				return TLD_EPARSE;
			}
			found = true;
			index[i] = f;
		}
		if (!found) {
			*why = "missing column";
			*missing = names[i];
			return TLD_EPARSE;
		}
	}
	return TLD_OK;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Where to cut a zone file into slices that threads parse on their own: at
 * the start of a record, with the $ORIGIN, $TTL and line number in effect
 * there.  Files as signers write them (one record a line, no parentheses,
 * escapes or directives) are cut near each n-th of the file and checked by
 * the slices' threads; anything else by one pass that follows parentheses,
 * quotes, comments and directives.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "verify/internal.h"

/* Characters that change the state of split_slices(). */
static const bool special_char[256] = {
	['\\'] = true, ['"'] = true, [';'] = true, ['('] = true, [')'] = true, ['\n'] = true,
};

/* Index of the first special_char at or after i (len if none). */
static size_t next_special(const char *text, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n'), bs = _mm_set1_epi8('\\');
	const __m128i qu = _mm_set1_epi8('"'), sc = _mm_set1_epi8(';');
	const __m128i lp = _mm_set1_epi8('('), rp = _mm_set1_epi8(')');
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(text + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, bs)),
		                         _mm_or_si128(_mm_cmpeq_epi8(v, qu), _mm_cmpeq_epi8(v, sc)));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, lp), _mm_cmpeq_epi8(v, rp)));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);
		if (mask != 0) {
			return i + (unsigned)__builtin_ctz(mask);
		}
	}
#endif
	while (i < len && !special_char[(uint8_t)text[i]]) {
		i++;
	}
	return i;
}

/* Bits set in a 16-bit mask (no popcnt instruction assumed, no libgcc call). */
static inline unsigned popcount16(unsigned x)
{
	x = x - ((x >> 1) & 0x5555u);
	x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
	x = (x + (x >> 4)) & 0x0f0fu;
	return (x + (x >> 8)) & 0x1fu;
}

/*
 * From a line start outside parentheses and quotes, skips 16 bytes at a time
 * while they hold none of the special characters, no '$' at a line start
 * and stay before target (where the next slice may begin), counting the
 * newlines.  Returns where split_slices() goes on (i when nothing skipped).
 */
static size_t skip_plain_lines(const char *text, size_t i, size_t len, size_t target,
                               size_t *line, size_t *newlines)
{
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n'), bs = _mm_set1_epi8('\\');
	const __m128i qu = _mm_set1_epi8('"'), sc = _mm_set1_epi8(';');
	const __m128i lp = _mm_set1_epi8('('), rp = _mm_set1_epi8(')');
	const __m128i dl = _mm_set1_epi8('$');
	unsigned carry = 1; /* i is a line start */
	for (; i + 16 <= len && i + 16 <= target; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(text + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, bs), _mm_cmpeq_epi8(v, qu)),
		                         _mm_or_si128(_mm_cmpeq_epi8(v, sc), _mm_cmpeq_epi8(v, lp)));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(v, rp));
		unsigned nls = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl));
		unsigned dls = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dl));
		unsigned starts = ((nls << 1) | carry) & 0xffffu;
		if (_mm_movemask_epi8(m) != 0 || (starts & dls) != 0) {
			break;
		}
		unsigned count = popcount16(nls);
		*line += count;
		*newlines += count;
		carry = nls >> 15;
	}
#else
	(void)text;
	(void)len;
	(void)target;
	(void)line;
	(void)newlines;
#endif
	return i;
}

/*
 * Splits the text into up to n slices at record boundaries: the start of a
 * line with an owner name, outside parentheses, quotes and comments.  Notes
 * the $ORIGIN and $TTL in effect at each boundary.  Returns the number of
 * slices, or 0 when the file must be read in one piece ($INCLUDE, a relative
 * $ORIGIN).
 */
static size_t split_slices(const char *text, size_t len, struct vfy_slice *sl, size_t n)
{
	size_t k = 0, depth = 0, line = 1, newlines = 0, slice_nl = 0;
	bool quote = false, comment = false, line_start = true;
	char origin[sizeof(sl->origin)] = "";
	uint32_t ttl = 3600;

	sl[0].text = text;
	sl[0].first_line = 1;
	sl[0].origin[0] = 0;
	sl[0].default_ttl = ttl;
	for (size_t i = 0; i < len; i++) {
		if (line_start && depth == 0 && !quote) {
			size_t target = k + 1 < n ? len * (k + 1) / n : len;
			size_t j = skip_plain_lines(text, i, len, target, &line, &newlines);
			if (j != i) {
				line_start = text[j - 1] == '\n';
				i = j - 1;
				continue;
			}
		}
		char c = text[i];
		if (line_start && depth == 0 && !quote) {
			line_start = false;
			if (c == '$') {
				const char *e = memchr(text + i, '\n', len - i);
				size_t l = e ? (size_t)(e - (text + i)) : len - i;
				char dir[sizeof(origin) + 16];
				if (l >= sizeof(dir)) {
					return 0;
				}
				memcpy(dir, text + i, l);
				dir[l] = 0;
				char *cmt = strchr(dir, ';');
				if (cmt) {
					*cmt = 0;
				}
				char word[16], arg[sizeof(origin)];
				if (sscanf(dir, "%15s %1020s", word, arg) != 2) {
					return 0;
				}
				if (strcmp(word, "$ORIGIN") == 0) {
					if (arg[strlen(arg) - 1] != '.') {
						return 0;
					}
					snprintf(origin, sizeof(origin), "%s", arg);
				} else if (strcmp(word, "$TTL") == 0) {
					const char *end = NULL;
					ttl = ldns_str2period(arg, &end);
					if (end == NULL || *end != 0) {
						return 0;
					}
				} else {
					return 0;
				}
			} else if (k + 1 < n && i >= len * (k + 1) / n && c != ' ' && c != '\t' &&
			           c != ';' && c != '\n' && c != '\r') {
				sl[k].len = (size_t)(text + i - sl[k].text);
				sl[k].newlines = newlines - slice_nl;
				slice_nl = newlines;
				k++;
				sl[k].text = text + i;
				sl[k].first_line = (int)line;
				snprintf(sl[k].origin, sizeof(sl[k].origin), "%s", origin);
				sl[k].default_ttl = ttl;
			}
		}
		if (comment) {
			/* the rest of the line */
			const char *e = memchr(text + i, '\n', len - i);
			if (e == NULL) {
				break;
			}
			i = (size_t)(e - text);
			c = '\n';
			comment = false;
		}
		switch (c) {
		case '\\':
			i++; /* escaped character */
			newlines += i < len && text[i] == '\n';
			break;
		case '"':
			quote = !quote;
			break;
		case ';':
			comment = !quote;
			break;
		case '(':
			depth += !quote;
			break;
		case ')':
			if (!quote && depth > 0) {
				depth--;
			}
			break;
		case '\n':
			line++;
			newlines++;
			line_start = true;
			continue;
		default:
			break;
		}
		/* nothing but the characters above changes the state: skip to the next
		 * (a line start still pending inside parentheses or quotes is not skipped) */
		if (!comment && !line_start && i + 1 < len) {
			i = next_special(text, i + 1, len) - 1;
		}
	}
	sl[k].len = (size_t)(text + len - sl[k].text);
	sl[k].newlines = newlines - slice_nl;
	return k + 1;
}

/*
 * Counts a slice's newlines and checks that the splitter's state stays plain
 * through it: no '(', ')', '\\' or '$', and an even number of '"' on every
 * line (then no quoted string goes on past its line: a comment starts outside
 * quotes, after an even number of them).  On its own thread.
 */
static void *count_slice(void *arg)
{
	struct vfy_slice *sl = arg;
	const char *p = sl->text;
	size_t i = 0, nl = 0;
	unsigned odd = 0; /* quotes so far on this line */
	bool plain = true;
#ifdef __SSE2__
	const __m128i n = _mm_set1_epi8('\n'), lp = _mm_set1_epi8('('), rp = _mm_set1_epi8(')');
	const __m128i qu = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), dl = _mm_set1_epi8('$');
	__m128i any = _mm_setzero_si128();
	for (; i + 16 <= sl->len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned nm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, n));
		unsigned qm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, qu));
		nl += popcount16(nm);
		any = _mm_or_si128(any, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, lp),
		                                                  _mm_cmpeq_epi8(v, rp)),
		                                     _mm_or_si128(_mm_cmpeq_epi8(v, bs),
		                                                  _mm_cmpeq_epi8(v, dl))));
		if (qm == 0) {
			plain &= !(odd && nm != 0);
			continue;
		}
		/* quotes and newlines of the block in order */
		for (unsigned bits = qm | nm; bits != 0; bits &= bits - 1) {
			unsigned b = (unsigned)__builtin_ctz(bits);
			if (qm >> b & 1) {
				odd ^= 1;
			} else {
				plain &= !odd;
			}
		}
	}
	plain &= _mm_movemask_epi8(any) == 0;
#endif
	for (; i < sl->len; i++) {
		char c = p[i];
		nl += c == '\n';
		plain &= c != '(' && c != ')' && c != '\\' && c != '$' && !(c == '\n' && odd);
		odd ^= c == '"';
	}
	sl->newlines = nl;
	sl->plain = plain && !odd;
	return NULL;
}

/*
 * split_slices() without its sequential pass over the whole file, for the
 * files signers write: no parentheses, escapes or directives, quoted strings
 * that end on their line.  The
 * slices start where split_slices() would start them when the file holds
 * none of those (the first line at or after each n-th of the file that
 * starts with a name); the slices' threads then count their newlines (for
 * the line numbers and record bounds) and check that the file is indeed
 * plain.  Returns the number of slices, or 0: use split_slices().
 */
static size_t split_plain(const char *text, size_t len, struct vfy_slice *sl, size_t n)
{
	size_t k = 1;
	sl[0].text = text;
	for (size_t i = 1; i < len && k < n; i++) {
		if (i < len * k / n) {
			i = len * k / n - 1;
			continue;
		}
		char c = text[i];
		if (text[i - 1] == '\n' && c != ' ' && c != '\t' && c != ';' && c != '\n' && c != '\r') {
			sl[k - 1].len = (size_t)(text + i - sl[k - 1].text);
			sl[k].text = text + i;
			k++;
		}
	}
	sl[k - 1].len = (size_t)(text + len - sl[k - 1].text);
	pthread_t *threads = calloc(k, sizeof(*threads));
	size_t started = 0;
	for (size_t i = 0; i < k && threads != NULL; i++) {
		if (pthread_create(&threads[i], NULL, count_slice, &sl[i]) != 0) {
			break;
		}
		started++;
	}
	bool plain = started == k;
	for (size_t i = 0; i < started; i++) {
		pthread_join(threads[i], NULL);
		plain &= sl[i].plain;
	}
	free(threads);
	if (!plain) {
		return 0;
	}
	int line = 1;
	for (size_t i = 0; i < k; i++) {
		sl[i].first_line = line;
		sl[i].origin[0] = 0;
		sl[i].default_ttl = 3600;
		line += (int)sl[i].newlines;
	}
	return k;
}

size_t vfy_split_text(const char *text, size_t len, struct vfy_slice *out, size_t n,
                      bool *scanned)
{
	size_t k = n > 1 ? split_plain(text, len, out, n) : 0;
	*scanned = k == 0 && n > 1;
	if (*scanned) {
		k = split_slices(text, len, out, n);
	}
	return k;
}

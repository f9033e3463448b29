/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The CSV files of an export, read in a thread of their own (see reader.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "zonegen/csv.h"
#include "zonegen/name.h"
#include "zonegen/reader.h"
#include "zonegen/zg_internal.h"

/* Rows per block, and blocks in flight: bounds the memory read ahead. */
#define ROWS_PER_BLOCK 4096
#define MAX_BLOCKS 8
#define TEXT_START (256u << 10)
/* Room in a block's text ahead of each record: a line shorter than this
 * (less the room for its normalised name) is stored there as read. */
#define ROW_ROOM (4096u + TLD_NAME_MAX_TEXT + 1)

_Static_assert(sizeof(struct zg_row) == 64, "a row is one cache line");
_Static_assert(TLD_CSV_MAX_FIELD <= UINT16_MAX && TLD_CSV_MAX_FIELDS <= UINT16_MAX &&
               TLD_NAME_MAX_TEXT <= UINT16_MAX, "a row's lengths fit 16 bits");

struct zg_reader {
	const struct zg_reader_file *files;
	size_t file_count;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t changed;     /*!< a block queued or freed, done, stop */
	struct zg_block *head, *tail; /*!< blocks for the caller, in order */
	struct zg_block *free_list;
	size_t allocated;
	bool done;                  /*!< the thread has queued its last block */
	bool stop;                  /*!< the caller wants no more */
	int error;                  /*!< the thread ran out of memory */
};

/* -- internal API -- */

static void block_free(struct zg_block *b)
{
	if (b != NULL) {
		free(b->rows);
		free(b->text);
		free(b);
	}
}

/* A free block for the thread, or NULL when told to stop or out of memory. */
static struct zg_block *acquire(struct zg_reader *rd, size_t file, enum zg_block_kind kind,
                                size_t header_fields)
{
	struct zg_block *b = NULL;
	pthread_mutex_lock(&rd->lock);
	while (!rd->stop && rd->free_list == NULL && rd->allocated >= MAX_BLOCKS) {
		pthread_cond_wait(&rd->changed, &rd->lock);
	}
	if (!rd->stop) {
		if (rd->free_list != NULL) {
			b = rd->free_list;
			rd->free_list = b->next;
		} else {
			b = calloc(1, sizeof(*b));
			if (b != NULL) {
				rd->allocated++;
			} else {
				rd->error = TLD_ENOMEM;
			}
		}
	}
	pthread_mutex_unlock(&rd->lock);
	if (b != NULL) {
		b->kind = kind;
		b->file = file;
		b->header_fields = header_fields;
		b->count = 0;
		b->text_len = 0;
		b->code = TLD_OK;
		b->why[0] = '\0';
		b->missing = NULL;
		b->records = 0;
		b->cpu_seconds = 0;
		b->next = NULL;
	}
	return b;
}

static void queue(struct zg_reader *rd, struct zg_block *b)
{
	pthread_mutex_lock(&rd->lock);
	if (rd->tail != NULL) {
		rd->tail->next = b;
	} else {
		rd->head = b;
	}
	rd->tail = b;
	pthread_cond_broadcast(&rd->changed);
	pthread_mutex_unlock(&rd->lock);
}

/* Room for len more bytes of text. */
static int reserve_text(struct zg_block *b, size_t len)
{
	if (b->text_cap - b->text_len < len) {
		size_t cap = b->text_cap ? b->text_cap : TEXT_START;
		while (cap - b->text_len < len) {
			cap *= 2;
		}
		char *t = realloc(b->text, cap);
		if (t == NULL) {
			return TLD_ENOMEM;
		}
		b->text = t;
		b->text_cap = cap;
	}
	return TLD_OK;
}

static int add_text(struct zg_block *b, const char *s, size_t len, uint32_t *off)
{
	int ret = reserve_text(b, len + 1);
	if (ret != TLD_OK) {
		return ret;
	}
	*off = (uint32_t)b->text_len;
	memcpy(b->text + b->text_len, s, len);
	b->text[b->text_len + len] = '\0';
	b->text_len += len + 1;
	return TLD_OK;
}

/* The last first-column name normalised: consecutive rows often repeat it. */
struct last_name {
	size_t raw_len;             /*!< 0: none */
	char raw[TLD_NAME_MAX_TEXT];
	size_t norm_len;            /*!< 0: invalid */
	char norm[TLD_NAME_MAX_TEXT];
	uint64_t hash;
};

static int add_name(struct zg_block *b, struct zg_row *r, const char *raw, size_t raw_len,
                    struct last_name *last)
{
	if (raw_len == 0 || raw_len >= sizeof(last->raw)) {
		return TLD_OK; /* the caller finds out why */
	}
	if (raw_len != last->raw_len || memcmp(raw, last->raw, raw_len) != 0) {
		const char *why = NULL;
		last->norm_len = tld_name_normalize(raw, raw_len, last->norm, &why);
		last->hash = last->norm_len ? zg_hash(last->norm, last->norm_len) : 0;
		memcpy(last->raw, raw, raw_len);
		last->raw_len = raw_len;
	}
	if (last->norm_len == 0) {
		return TLD_OK;
	}
	r->hash = last->hash;
	r->norm_len = (uint16_t)last->norm_len;
	return add_text(b, last->norm, last->norm_len, &r->norm_off);
}

static int add_row(struct zg_block *b, const struct tld_csv_record *rec, const size_t *col,
                   const struct zg_reader_file *f, struct last_name *last)
{
	size_t columns = f->column_count;
	if (b->rows == NULL) {
		b->rows = aligned_alloc(sizeof(*b->rows), ROWS_PER_BLOCK * sizeof(*b->rows));
		if (b->rows == NULL) {
			return TLD_ENOMEM;
		}
		b->cap = ROWS_PER_BLOCK;
	}
	struct zg_row *r = &b->rows[b->count];
	r->line = rec->line;
	r->error = rec->error;
	r->fields = (uint16_t)rec->count;
	/* the fields lie one after the other, each NUL-terminated (csv.h): the
	 * span that holds the columns needed is copied at once, unless the
	 * reader stored the record in the block's text already (read_file());
	 * a column the record lacks is an empty text after it */
	size_t base = b->text_len;
	size_t span = 0;
	if (rec->field[0] == b->text + base) {
		span = (size_t)(rec->field[rec->count - 1] - rec->field[0]) +
		       rec->len[rec->count - 1] + 1;
	} else {
		for (size_t k = 0; k < columns; k++) {
			if (col[k] < rec->count) {
				size_t end = (size_t)(rec->field[col[k]] - rec->field[0]) +
				             rec->len[col[k]] + 1;
				span = end > span ? end : span;
			}
		}
		int ret = reserve_text(b, span + 1);
		if (ret != TLD_OK) {
			return ret;
		}
		memcpy(b->text + base, rec->field[0], span);
	}
	b->text[base + span] = '\0';
	b->text_len += span + 1;
	for (size_t k = 0; k < columns; k++) {
		bool have = col[k] < rec->count;
		r->len[k] = have ? (uint16_t)rec->len[col[k]] : 0;
		r->off[k] = (uint32_t)(have ? base + (size_t)(rec->field[col[k]] - rec->field[0])
		                            : base + span);
	}
	r->norm_len = 0;
	r->norm_off = 0;
	r->hash = 0;
	if (f->hash_second && columns > 1 && col[1] < rec->count) {
		r->hash = zg_hash(rec->field[col[1]], rec->len[col[1]]);
	}
	if (last != NULL && rec->error == NULL && col[0] < rec->count) {
		int ret = add_name(b, r, rec->field[col[0]], rec->len[col[0]], last);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	b->count++;
	return TLD_OK;
}

/* Reads one file into blocks; false: stop reading (failure or told to). */
static bool read_file(struct zg_reader *rd, size_t i)
{
	const struct zg_reader_file *f = &rd->files[i];
	double cpu0 = tld_thread_cpu_seconds();
	struct tld_csv *csv = NULL;
	struct zg_block *b = NULL;
	struct last_name *last = NULL;
	bool go_on = false;
	int ret = tld_csv_open(f->path, &csv);
	if (ret != TLD_OK) {
		b = acquire(rd, i, ZG_BLOCK_OPEN_FAILED, 0);
		if (b != NULL) {
			b->code = ret;
		}
		goto fail;
	}
	size_t col[ZG_READER_MAX_COLUMNS];
	const char *why = NULL, *missing = NULL;
	ret = tld_csv_header(csv, f->columns, f->column_count, col, &why, &missing);
	if (ret != TLD_OK) {
		b = acquire(rd, i, ZG_BLOCK_BAD_HEADER, 0);
		if (b != NULL) {
			b->code = ret;
			snprintf(b->why, sizeof(b->why), "%s", why);
			b->missing = missing;
		}
		goto fail;
	}
	b = acquire(rd, i, ZG_BLOCK_ROWS, tld_csv_header_fields(csv));
	if (b == NULL) {
		goto fail;
	}
	struct tld_csv_record rec;
	if (f->normalize_first) {
		last = calloc(1, sizeof(*last));
		if (last == NULL) {
			pthread_mutex_lock(&rd->lock);
			rd->error = TLD_ENOMEM;
			pthread_mutex_unlock(&rd->lock);
			goto fail;
		}
	}
	for (;;) {
		/* room in the block's text for a plain record, stored there
		 * directly, and for its normalised name (add_row()) */
		if (b->count < ROWS_PER_BLOCK && reserve_text(b, ROW_ROOM) != TLD_OK) {
			pthread_mutex_lock(&rd->lock);
			rd->error = TLD_ENOMEM;
			pthread_mutex_unlock(&rd->lock);
			goto fail;
		}
		int r = b->count < ROWS_PER_BLOCK
		                ? tld_csv_next_into(csv, &rec, b->text + b->text_len,
		                                    ROW_ROOM - TLD_NAME_MAX_TEXT - 1)
		                : tld_csv_next(csv, &rec);
		if (r == 0) {
			break;
		}
		if (r < 0) {
			/* the rows so far first, then the failure */
			queue(rd, b);
			b = acquire(rd, i, ZG_BLOCK_BROKEN, 0);
			if (b != NULL) {
				b->code = r;
				snprintf(b->why, sizeof(b->why), "%s", tld_csv_error(csv));
			}
			goto fail;
		}
		if (b->count == ROWS_PER_BLOCK) {
			queue(rd, b);
			b = acquire(rd, i, ZG_BLOCK_ROWS, tld_csv_header_fields(csv));
			if (b == NULL) {
				goto fail;
			}
		}
		if (add_row(b, &rec, col, f, last) != TLD_OK) {
			pthread_mutex_lock(&rd->lock);
			rd->error = TLD_ENOMEM;
			pthread_mutex_unlock(&rd->lock);
			goto fail;
		}
	}
	if (b->count > 0) {
		queue(rd, b);
		b = acquire(rd, i, ZG_BLOCK_END, 0);
		if (b == NULL) {
			goto fail;
		}
	}
	b->kind = ZG_BLOCK_END;
	b->records = tld_csv_records(csv);
	b->code = tld_csv_sha256(csv, b->sha256);
	b->cpu_seconds = tld_thread_cpu_seconds() - cpu0;
	go_on = true;
fail:
	if (b != NULL) {
		if (b->kind == ZG_BLOCK_ROWS && !go_on) {
			/* out of memory or told to stop: nothing more is queued */
			pthread_mutex_lock(&rd->lock);
			b->next = rd->free_list;
			rd->free_list = b;
			pthread_mutex_unlock(&rd->lock);
		} else {
			queue(rd, b);
		}
	}
	free(last);
	tld_csv_free(csv);
	return go_on;
}

static void *reader_main(void *arg)
{
	struct zg_reader *rd = arg;
	for (size_t i = 0; i < rd->file_count && read_file(rd, i); i++) {
	}
	pthread_mutex_lock(&rd->lock);
	rd->done = true;
	pthread_cond_broadcast(&rd->changed);
	pthread_mutex_unlock(&rd->lock);
	return NULL;
}

/* -- public API -- */

int zg_reader_start(const struct zg_reader_file *files, size_t count, struct zg_reader **out)
{
	for (size_t i = 0; i < count; i++) {
		if (files[i].normalize_first && files[i].hash_second) {
			return TLD_EINVAL; /* one hash a row (struct zg_row) */
		}
	}
	struct zg_reader *rd = calloc(1, sizeof(*rd));
	if (rd == NULL) {
		return TLD_ENOMEM;
	}
	rd->files = files;
	rd->file_count = count;
	pthread_mutex_init(&rd->lock, NULL);
	pthread_cond_init(&rd->changed, NULL);
	if (pthread_create(&rd->thread, NULL, reader_main, rd) != 0) {
		zg_reader_free(rd);
		return TLD_EAGAIN;
	}
	rd->thread_started = true;
	*out = rd;
	return TLD_OK;
}

int zg_reader_next(struct zg_reader *rd, struct zg_block **out)
{
	pthread_mutex_lock(&rd->lock);
	while (rd->head == NULL && !rd->done) {
		pthread_cond_wait(&rd->changed, &rd->lock);
	}
	struct zg_block *b = rd->head;
	int ret = TLD_OK;
	if (b != NULL) {
		rd->head = b->next;
		if (rd->head == NULL) {
			rd->tail = NULL;
		}
		b->next = NULL;
		*out = b;
	} else {
		ret = rd->error != TLD_OK ? rd->error : TLD_ENOENT;
	}
	pthread_mutex_unlock(&rd->lock);
	return ret;
}

void zg_reader_release(struct zg_reader *rd, struct zg_block *b)
{
	pthread_mutex_lock(&rd->lock);
	b->next = rd->free_list;
	rd->free_list = b;
	pthread_cond_broadcast(&rd->changed);
	pthread_mutex_unlock(&rd->lock);
}

void zg_reader_free(struct zg_reader *rd)
{
	if (rd == NULL) {
		return;
	}
	if (rd->thread_started) {
		pthread_mutex_lock(&rd->lock);
		rd->stop = true;
		pthread_cond_broadcast(&rd->changed);
		pthread_mutex_unlock(&rd->lock);
		pthread_join(rd->thread, NULL);
	}
	for (struct zg_block *b = rd->head, *n; b != NULL; b = n) {
		n = b->next;
		block_free(b);
	}
	for (struct zg_block *b = rd->free_list, *n; b != NULL; b = n) {
		n = b->next;
		block_free(b);
	}
	pthread_cond_destroy(&rd->changed);
	pthread_mutex_destroy(&rd->lock);
	free(rd);
}

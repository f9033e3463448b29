/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "common/pwrite_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/error.h"

int tld_pwrite_all(int fd, const void *p, size_t len, uint64_t off)
{
	const char *c = p;
	while (len > 0) {
		ssize_t w = pwrite(fd, c, len, (off_t)off);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return w < 0 ? tld_errno(errno) : TLD_EIO; /* a full disk is told as such */
		}
		c += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return TLD_OK;
}

static void writeback(struct tld_pwrite_stream *s, uint64_t min)
{
	if (s->pos - s->synced >= min && s->pos > s->synced) {
		(void)sync_file_range(s->fd, (off_t)s->synced, (off_t)(s->pos - s->synced), SYNC_FILE_RANGE_WRITE);
		s->synced = s->pos;
	}
}

static ssize_t stream_write(void *cookie, const char *buf, size_t len)
{
	struct tld_pwrite_stream *s = cookie;
	int ret = s->err == TLD_OK ? tld_pwrite_all(s->fd, buf, len, s->pos) : s->err;
	if (ret != TLD_OK) {
		s->err = ret;
		errno = EIO;
		return -1;
	}
	s->pos += len;
	writeback(s, TLD_PWRITE_STREAM_WRITEBACK);
	return (ssize_t)len;
}

int tld_pwrite_stream_open(struct tld_pwrite_stream *s, int fd, uint64_t off)
{
	cookie_io_functions_t io = { .write = stream_write };
	*s = (struct tld_pwrite_stream){ .fd = fd, .pos = off, .synced = off, .err = TLD_OK };
	s->f = fopencookie(s, "w", io);
	if (s->f == NULL) {
		return TLD_ENOMEM;
	}
	(void)setvbuf(s->f, NULL, _IONBF, 0); /* each write handed on as it is (else the default buffer: a hint) */
	return TLD_OK;
}

int tld_pwrite_stream_close(struct tld_pwrite_stream *s, uint64_t *end)
{
	if (s->f == NULL) {
		return s->err;
	}
	int closed = fclose(s->f);
	s->f = NULL;
	if (s->err == TLD_OK && closed != 0) {
		s->err = TLD_EIO;
	}
	if (s->err == TLD_OK) {
		writeback(s, 0);
	}
	if (end != NULL) {
		*end = s->pos;
	}
	return s->err;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Zone file reader: the file is mapped and fed to signer_zparse(). */
#include "signer/zone_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "signer/dname.h"
#include "signer/rrtype.h"
#include "signer/zparse.h"

struct read_ctx {
	const char *path;
	struct signer_zone *zone;
	size_t dropped;
};

static bool dropped_type(uint16_t t)
{
	return t == SIGNER_T_RRSIG || t == SIGNER_T_NSEC || t == SIGNER_T_NSEC3 ||
	       t == SIGNER_T_NSEC3PARAM || t == SIGNER_T_DNSKEY;
}

static int add_record(void *vctx, const uint8_t *owner, uint16_t type, uint16_t rclass, uint32_t ttl,
                      const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	struct read_ctx *ctx = vctx;
	char name[1024], tname[32];
	(void)rclass;
	if (ctx->zone == NULL) {
		if (type != SIGNER_T_SOA) {
			signer_dname_to_text(owner, name, sizeof(name));
			tld_error("%s:%u: %s %s: the first record must be the SOA (or give the origin)", ctx->path,
			          line, name, signer_type_name(type, tname, sizeof(tname)));
			return TLD_EPARSE;
		}
		int ret = signer_zone_new(owner, ctx->path, &ctx->zone);
		if (ret != TLD_OK) {
			return ret;
		}
	}
	if (dropped_type(type)) {
		ctx->dropped++;
		return TLD_OK;
	}
	int ret = signer_zone_add(ctx->zone, owner, type, ttl, rdata, rdlen, line);
	if (ret == TLD_EINVAL) {
		signer_dname_to_text(owner, name, sizeof(name));
		tld_error("%s:%u: %s %s: malformed RDATA", ctx->path, line, name,
		          signer_type_name(type, tname, sizeof(tname)));
		return TLD_EPARSE;
	}
	if (ret == TLD_ERANGE) {
		signer_dname_to_text(owner, name, sizeof(name));
		tld_error("%s:%u: %s %s: zone too large for the signer (more than 4 GiB of RDATA or of names)",
		          ctx->path, line, name, signer_type_name(type, tname, sizeof(tname)));
	}
	return ret;
}

int signer_zone_read(const char *path, const char *origin, struct signer_zone **out)
{
	int ret = TLD_OK;
	struct read_ctx ctx = { .path = path };
	uint8_t orig[SIGNER_DNAME_MAX];
	const uint8_t *origp = NULL;
	void *map = MAP_FAILED;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		ret = tld_errno(errno);
		tld_error("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (origin != NULL) {
		if (signer_zparse_name(origin, strlen(origin), (const uint8_t *)"", orig) == 0) {
			tld_error("%s: bad origin '%s'", path, origin);
			ret = TLD_EPARSE;
			goto fail;
		}
		origp = orig;
		ret = signer_zone_new(orig, path, &ctx.zone);
		if (ret != TLD_OK) {
			goto fail;
		}
	}
	if (st.st_size > 0) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			ret = tld_errno(errno);
			tld_error("%s: %s", path, strerror(errno));
			goto fail;
		}
		madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
		ret = signer_zparse_mapped(path, map, (size_t)st.st_size, origp, add_record, &ctx);
		if (ret != TLD_OK) {
			goto fail;
		}
	}
	if (ctx.zone == NULL) {
		tld_error("%s: no records", path);
		ret = TLD_EPARSE;
		goto fail;
	}
	if (ctx.dropped > 0) {
		tld_notice("%s: %zu DNSSEC records of the input dropped (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY)",
		           path, ctx.dropped);
	}
	*out = ctx.zone;
	ctx.zone = NULL;
fail:
	if (map != MAP_FAILED) {
		munmap(map, (size_t)st.st_size);
	}
	if (fd >= 0) {
		close(fd);
	}
	signer_zone_free(ctx.zone);
	return ret;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tld_init_hsm(): see hsm/init.h. */
#include "hsm/init.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/statedb.h"
#include "hsm/hsm.h"
#include "hsm/keys.h"
#include "hsm/p11.h"

#define DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

static int random_pin(char *out, size_t hexlen)
{
	uint8_t raw[32];
	if (hexlen / 2 > sizeof(raw) || RAND_bytes(raw, (int)(hexlen / 2)) != 1) {
		return TLD_ECRYPTO;
	}
	for (size_t i = 0; i < hexlen / 2; i++) {
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	}
	explicit_bzero(raw, sizeof(raw));
	return TLD_OK;
}

static int write_private(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		tld_error("init: %s: %s", path, strerror(errno));
		return tld_errno(errno);
	}
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int ret = (n == (ssize_t)len && fsync(fd) == 0) ? TLD_OK : TLD_EIO;
	if (close(fd) != 0 || ret != TLD_OK) {
		tld_error("init: writing %s failed", path);
		return TLD_EIO;
	}
	return TLD_OK;
}

/* Initialises the first uninitialised slot as LABEL with the two PINs. */
static int init_token(const char *module, const char *so_pin, const char *user_pin)
{
	CK_FUNCTION_LIST *f = NULL;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0;
	CK_SESSION_HANDLE s = 0;
	bool initialized = false;
	int ret = TLD_EHSM;
	CK_RV rv = CKR_OK;
	const char *action = "dlopen";
	void *dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		tld_error("init: loading PKCS#11 module %s: %s", module, dlerror());
		return TLD_EHSM;
	}
	CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
	if (gfl == NULL || (rv = gfl(&f)) != CKR_OK) {
		action = "C_GetFunctionList";
		goto fail;
	}
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	if ((rv = f->C_Initialize(&args)) != CKR_OK) {
		action = "C_Initialize";
		goto fail;
	}
	initialized = true;
	action = "C_GetSlotList";
	if ((rv = f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK) {
		goto fail;
	}
	slots = calloc(n ? n : 1, sizeof(*slots));
	if (slots == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		goto fail;
	}
	CK_SLOT_ID slot = 0;
	bool found = false;
	for (CK_ULONG i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			slot = slots[i];
			found = true;
		}
	}
	if (!found) {
		tld_error("init: module %s has no free slot for a new token", module);
		rv = CKR_OK;
		goto fail;
	}
	CK_UTF8CHAR label[32];
	memset(label, ' ', sizeof(label));
	memcpy(label, TLD_INIT_TOKEN_LABEL, strlen(TLD_INIT_TOKEN_LABEL));
	action = "C_InitToken";
	if ((rv = f->C_InitToken(slot, (CK_UTF8CHAR *)so_pin, strlen(so_pin), label)) != CKR_OK) {
		goto fail;
	}
	/* SoftHSM moves an initialised token to a new slot id: look it up by label. */
	n = 0;
	free(slots);
	slots = NULL;
	action = "C_GetSlotList";
	if ((rv = f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK) {
		goto fail;
	}
	slots = calloc(n ? n : 1, sizeof(*slots));
	if (slots == NULL) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	if ((rv = f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK) {
		goto fail;
	}
	found = false;
	for (CK_ULONG i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && memcmp(ti.label, label, 32) == 0) {
			slot = slots[i];
			found = true;
		}
	}
	action = "C_OpenSession";
	if (!found || (rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s)) != CKR_OK) {
		goto fail;
	}
	action = "C_Login(SO)";
	if ((rv = f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)so_pin, strlen(so_pin))) != CKR_OK) {
		goto fail;
	}
	action = "C_InitPIN";
	rv = f->C_InitPIN(s, (CK_UTF8CHAR *)user_pin, strlen(user_pin));
	f->C_Logout(s);
	if (rv != CKR_OK) {
		goto fail;
	}
	ret = TLD_OK;
fail:
	if (ret != TLD_OK && rv != CKR_OK) {
		tld_error("init: %s: %s", action, tld_ckr_name(rv));
	}
	if (s != 0) {
		f->C_CloseSession(s);
	}
	if (initialized) {
		f->C_Finalize(NULL);
	}
	free(slots);
	return ret;
}

int tld_init_hsm(const char *dir, const char *zone, const struct tld_policy *pol,
                 const char *module, const char *state_dir)
{
	char hsmdir[4096], conf[4200], tokens[4200], pin_path[4200], so_path[4200], text[8400];
	char pin[33] = "", so_pin[33] = "", state[4200];
	tld_statedb_t *db = NULL;
	int ret;
	module = module ? module : DEFAULT_MODULE;
	snprintf(hsmdir, sizeof(hsmdir), "%s/hsm", dir);
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", hsmdir);
	snprintf(tokens, sizeof(tokens), "%s/tokens", hsmdir);
	snprintf(pin_path, sizeof(pin_path), "%s/pin", hsmdir);
	snprintf(so_path, sizeof(so_path), "%s/so-pin", hsmdir);
	if (state_dir != NULL) {
		snprintf(state, sizeof(state), "%s", state_dir);
	} else {
		snprintf(state, sizeof(state), "%s/state", dir);
	}
	if (access(conf, F_OK) == 0) {
		tld_error("init: %s exists; not re-initialising a token", conf);
		return TLD_EEXIST;
	}
	if ((mkdir(hsmdir, 0700) != 0 && errno != EEXIST) || (mkdir(tokens, 0700) != 0 && errno != EEXIST)) {
		tld_error("init: creating %s: %s", tokens, strerror(errno));
		return tld_errno(errno);
	}
	char *abs_tokens = realpath(tokens, NULL);
	if (abs_tokens == NULL) {
		return TLD_ENOMEM;
	}
	snprintf(text, sizeof(text),
	         "# SoftHSM2 configuration of this tldsign instance (tldsign init)\n"
	         "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", abs_tokens);
	free(abs_tokens);
	ret = write_private(conf, text);
	if (ret == TLD_OK) {
		ret = random_pin(pin, 32);
	}
	if (ret == TLD_OK) {
		ret = random_pin(so_pin, 32);
	}
	if (ret != TLD_OK) {
		goto fail;
	}
	snprintf(text, sizeof(text), "%s\n", pin);
	ret = write_private(pin_path, text);
	if (ret == TLD_OK) {
		snprintf(text, sizeof(text), "%s\n", so_pin);
		ret = write_private(so_path, text);
	}
	explicit_bzero(text, sizeof(text));
	if (ret != TLD_OK) {
		goto fail;
	}
	if (setenv("SOFTHSM2_CONF", conf, 1) != 0) {
		ret = TLD_ENOMEM;
		goto fail;
	}
	ret = init_token(module, so_pin, pin);
	if (ret != TLD_OK) {
		goto fail;
	}
	struct tld_config cfg = { 0 };
	cfg.zone = (char *)zone;
	cfg.state_dir = state;
	cfg.hsm.module = (char *)module;
	cfg.hsm.token = TLD_INIT_TOKEN_LABEL;
	cfg.hsm.pin_file = pin_path;
	cfg.hsm.softhsm_conf = conf;
	ret = tld_statedb_open(state, &db);
	if (ret != TLD_OK) {
		goto fail;
	}
	unsigned bits = pol->rsa_bits ? pol->rsa_bits : 2048;
	if (pol->use_csk) {
		ret = tld_key_generate(&cfg, db, TLD_ROLE_CSK, (int)pol->algorithm, bits, NULL);
	} else {
		ret = tld_key_generate(&cfg, db, TLD_ROLE_KSK, (int)pol->algorithm, bits, NULL);
		if (ret == TLD_OK) {
			ret = tld_key_generate(&cfg, db, TLD_ROLE_ZSK, (int)pol->algorithm, bits, NULL);
		}
	}
fail:
	explicit_bzero(pin, sizeof(pin));
	explicit_bzero(so_pin, sizeof(so_pin));
	tld_statedb_close(db);
	return ret;
}

int tld_init_hsm_instance(const char *dir)
{
	char path[4096];
	struct tld_config *cfg = NULL;
	struct tld_policy *pol = NULL;
	snprintf(path, sizeof(path), "%s/tldsign.yaml", dir);
	int ret = tld_config_load(path, &cfg);
	if (ret == TLD_OK) {
		ret = tld_policy_load(cfg->policy_path, &pol);
	}
	if (ret == TLD_OK) {
		ret = tld_init_hsm(dir, cfg->zone, pol, cfg->hsm.module, cfg->state_dir);
	}
	tld_policy_free(pol);
	tld_config_free(cfg);
	return ret;
}

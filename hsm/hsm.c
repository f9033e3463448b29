/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PKCS#11 context: module, token, session, login, first error.  See hsm/hsm.h. */
#include "hsm/hsm_internal.h"
#include "hsm/softhsm_store.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"

/* PKCS#11 contexts of this process initialised and not yet finalised (tld_hsm_any_open()). */
static int contexts_open;

bool tld_hsm_any_open(void)
{
	return __atomic_load_n(&contexts_open, __ATOMIC_RELAXED) > 0;
}

const char *tld_ckr_name(unsigned long rv)
{
	switch (rv) {
#define N(x) case x: return #x
	N(CKR_OK); N(CKR_CANCEL); N(CKR_HOST_MEMORY); N(CKR_SLOT_ID_INVALID);
	N(CKR_GENERAL_ERROR); N(CKR_FUNCTION_FAILED); N(CKR_ARGUMENTS_BAD);
	N(CKR_ATTRIBUTE_READ_ONLY); N(CKR_ATTRIBUTE_SENSITIVE); N(CKR_ATTRIBUTE_TYPE_INVALID);
	N(CKR_ATTRIBUTE_VALUE_INVALID); N(CKR_DATA_INVALID); N(CKR_DATA_LEN_RANGE);
	N(CKR_DEVICE_ERROR); N(CKR_DEVICE_MEMORY); N(CKR_DEVICE_REMOVED);
	N(CKR_FUNCTION_NOT_SUPPORTED); N(CKR_KEY_HANDLE_INVALID); N(CKR_KEY_SIZE_RANGE);
	N(CKR_KEY_TYPE_INCONSISTENT); N(CKR_KEY_FUNCTION_NOT_PERMITTED);
	N(CKR_MECHANISM_INVALID); N(CKR_MECHANISM_PARAM_INVALID); N(CKR_OBJECT_HANDLE_INVALID);
	N(CKR_OPERATION_ACTIVE); N(CKR_OPERATION_NOT_INITIALIZED); N(CKR_PIN_INCORRECT);
	N(CKR_PIN_INVALID); N(CKR_PIN_LEN_RANGE); N(CKR_PIN_EXPIRED); N(CKR_PIN_LOCKED);
	N(CKR_SESSION_CLOSED); N(CKR_SESSION_COUNT); N(CKR_SESSION_HANDLE_INVALID);
	N(CKR_SESSION_READ_ONLY); N(CKR_SIGNATURE_INVALID); N(CKR_TEMPLATE_INCOMPLETE);
	N(CKR_TEMPLATE_INCONSISTENT); N(CKR_TOKEN_NOT_PRESENT); N(CKR_TOKEN_NOT_RECOGNIZED);
	N(CKR_TOKEN_WRITE_PROTECTED); N(CKR_USER_ALREADY_LOGGED_IN); N(CKR_USER_NOT_LOGGED_IN);
	N(CKR_USER_PIN_NOT_INITIALIZED); N(CKR_USER_TYPE_INVALID); N(CKR_BUFFER_TOO_SMALL);
	N(CKR_CRYPTOKI_NOT_INITIALIZED); N(CKR_CRYPTOKI_ALREADY_INITIALIZED);
	N(CKR_DOMAIN_PARAMS_INVALID); N(CKR_CURVE_NOT_SUPPORTED); N(CKR_ACTION_PROHIBITED);
#undef N
	default: return "CKR_(unknown)";
	}
}

int tld_hsm_set_error(tld_hsm_t *hsm, int code, const char *fmt, ...)
{
	if (hsm != NULL && hsm->error[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(hsm->error, sizeof(hsm->error), fmt, ap);
		va_end(ap);
	}
	return code;
}

int tld_hsm_ckr(tld_hsm_t *hsm, unsigned long rv, int code, const char *action)
{
	return tld_hsm_set_error(hsm, code, "%s: %s", action, tld_ckr_name(rv));
}

const char *tld_hsm_error(const tld_hsm_t *hsm)
{
	return hsm == NULL ? "" : hsm->error;
}

/* Reads the PIN from the file or environment variable of the config. */
static int read_pin(tld_hsm_t *hsm, const struct tld_config *cfg)
{
	if (cfg->hsm.pin_env != NULL && cfg->hsm.pin_env[0] != '\0') {
		const char *v = getenv(cfg->hsm.pin_env);
		if (v == NULL || v[0] == '\0') {
			return tld_hsm_set_error(hsm, TLD_EPIN, "PIN: environment variable %s is not set",
			                         cfg->hsm.pin_env);
		}
		if (strlen(v) >= sizeof(hsm->pin)) {
			return tld_hsm_set_error(hsm, TLD_EPIN, "PIN: %s is too long", cfg->hsm.pin_env);
		}
		strcpy(hsm->pin, v);
		return TLD_OK;
	}
	if (cfg->hsm.pin_file == NULL) {
		return tld_hsm_set_error(hsm, TLD_EPIN, "PIN: neither hsm.pin-file nor hsm.pin-env is set");
	}
	int fd = open(cfg->hsm.pin_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return tld_hsm_set_error(hsm, TLD_EPIN, "PIN file %s: %s", cfg->hsm.pin_file,
		                         strerror(errno));
	}
	ssize_t n = read(fd, hsm->pin, sizeof(hsm->pin) - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		return tld_hsm_set_error(hsm, TLD_EPIN, "PIN file %s: %s", cfg->hsm.pin_file, strerror(e));
	}
	hsm->pin[n] = '\0';
	hsm->pin[strcspn(hsm->pin, "\r\n")] = '\0';
	if (hsm->pin[0] == '\0') {
		return tld_hsm_set_error(hsm, TLD_EPIN, "PIN file %s is empty", cfg->hsm.pin_file);
	}
	return TLD_OK;
}

static int find_slot(tld_hsm_t *hsm)
{
	CK_ULONG n = 0;
	CK_SLOT_ID *slots = NULL;
	int ret = TLD_OK;
	CK_RV rv = hsm->f->C_GetSlotList(CK_TRUE, NULL, &n);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GetSlotList");
	}
	slots = calloc(n ? n : 1, sizeof(*slots));
	if (slots == NULL) {
		return TLD_ENOMEM;
	}
	rv = hsm->f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		ret = tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GetSlotList");
		goto fail;
	}
	size_t want = strlen(hsm->token);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (hsm->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK) {
			continue;
		}
		size_t len = sizeof(ti.label);
		while (len > 0 && ti.label[len - 1] == ' ') {
			len--;
		}
		if (len == want && memcmp(ti.label, hsm->token, len) == 0) {
			hsm->slot = slots[i];
			goto fail; /* found: ret is TLD_OK */
		}
	}
	ret = tld_hsm_set_error(hsm, TLD_EHSM, "token \"%s\" not found in %s", hsm->token,
	                        hsm->module_path);
	if (!hsm->quiet) {
		tld_softhsm_explain_missing_token();
	}
fail:
	free(slots);
	return ret;
}

static int open_session(tld_hsm_t *hsm)
{
	CK_RV rv = hsm->f->C_OpenSession(hsm->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                                 &hsm->session);
	if (rv != CKR_OK) {
		return tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_OpenSession");
	}
	hsm->have_session = true;
	rv = hsm->f->C_Login(hsm->session, CKU_USER, (CK_UTF8CHAR *)hsm->pin, strlen(hsm->pin));
	if (rv == CKR_USER_ALREADY_LOGGED_IN) {
		return TLD_OK;
	}
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_INVALID ||
	    rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_EXPIRED) {
		/* Never retried: a token counts failed logins and locks itself. */
		hsm->pin_rejected = true;
		return tld_hsm_set_error(hsm, TLD_EPIN, "C_Login on token \"%s\": %s", hsm->token,
		                         tld_ckr_name(rv));
	}
	if (rv != CKR_OK) {
		return tld_hsm_set_error(hsm, TLD_EHSM, "C_Login on token \"%s\": %s", hsm->token,
		                         tld_ckr_name(rv));
	}
	return TLD_OK;
}

/* tld_hsm_open(); quiet: no log line, the error text into why instead. */
static int open_ctx(const struct tld_config *cfg, tld_hsm_t **out, bool quiet, char *why, size_t why_size)
{
	int ret;
	tld_hsm_t *hsm = calloc(1, sizeof(*hsm));
	if (hsm == NULL) {
		return TLD_ENOMEM;
	}
	hsm->quiet = quiet;
	if (cfg->hsm.module == NULL || cfg->hsm.token == NULL) {
		ret = tld_hsm_set_error(hsm, TLD_EHSM, "hsm.module and hsm.token must be set");
		goto fail;
	}
	snprintf(hsm->module_path, sizeof(hsm->module_path), "%s", cfg->hsm.module);
	snprintf(hsm->token, sizeof(hsm->token), "%s", cfg->hsm.token);
	if (cfg->hsm.softhsm_conf != NULL && cfg->hsm.softhsm_conf[0] != '\0') {
		if (setenv("SOFTHSM2_CONF", cfg->hsm.softhsm_conf, 1) != 0) {
			ret = TLD_ENOMEM;
			goto fail;
		}
	}
	ret = read_pin(hsm, cfg);
	if (ret != TLD_OK) {
		goto fail;
	}
	hsm->dl = dlopen(hsm->module_path, RTLD_NOW | RTLD_LOCAL);
	if (hsm->dl == NULL) {
		ret = tld_hsm_set_error(hsm, TLD_EHSM, "loading PKCS#11 module %s: %s", hsm->module_path,
		                        dlerror());
		goto fail;
	}
	CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(hsm->dl, "C_GetFunctionList");
	if (gfl == NULL) {
		ret = tld_hsm_set_error(hsm, TLD_EHSM, "%s is not a PKCS#11 module (no C_GetFunctionList)",
		                        hsm->module_path);
		goto fail;
	}
	CK_RV rv = gfl(&hsm->f);
	if (rv != CKR_OK) {
		ret = tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GetFunctionList");
		goto fail;
	}
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	rv = hsm->f->C_Initialize(&args);
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ret = tld_hsm_set_error(hsm, TLD_EHSM, "C_Initialize: %s (one tld_hsm_t per process)",
		                        tld_ckr_name(rv));
		goto fail;
	}
	if (rv != CKR_OK) {
		ret = tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_Initialize");
		goto fail;
	}
	hsm->initialized = true;
	__atomic_add_fetch(&contexts_open, 1, __ATOMIC_RELAXED);
	ret = find_slot(hsm);
	if (ret != TLD_OK) {
		goto fail;
	}
	ret = open_session(hsm);
	if (ret != TLD_OK) {
		goto fail;
	}
	hsm->quiet = false;
	*out = hsm;
	return TLD_OK;
fail:
	if (quiet) {
		snprintf(why, why_size, "%s", hsm->error[0] ? hsm->error : tld_strerror(ret));
	} else {
		tld_error("HSM: %s", hsm->error[0] ? hsm->error : tld_strerror(ret));
	}
	tld_hsm_close(hsm);
	return ret;
}

int tld_hsm_open(const struct tld_config *cfg, tld_hsm_t **out)
{
	return open_ctx(cfg, out, false, NULL, 0);
}

int tld_hsm_open_quiet(const struct tld_config *cfg, tld_hsm_t **out, char *why, size_t why_size)
{
	return open_ctx(cfg, out, true, why, why_size);
}

void tld_hsm_clear_error(tld_hsm_t *hsm)
{
	hsm->error[0] = '\0';
	hsm->lost[0] = '\0';
}

int tld_hsm_reopen(tld_hsm_t *hsm)
{
	if (hsm->pin_rejected) {
		return TLD_EPIN;
	}
	if (hsm->have_session) {
		hsm->f->C_CloseSession(hsm->session);
		hsm->have_session = false;
	}
	int ret = find_slot(hsm);
	if (ret != TLD_OK) {
		return ret;
	}
	return open_session(hsm);
}

void tld_hsm_close(tld_hsm_t *hsm)
{
	if (hsm == NULL) {
		return;
	}
	if (hsm->have_session) {
		hsm->f->C_Logout(hsm->session);
		hsm->f->C_CloseSession(hsm->session);
	}
	if (hsm->initialized) {
		hsm->f->C_Finalize(NULL);
		__atomic_sub_fetch(&contexts_open, 1, __ATOMIC_RELAXED);
	}
	/* The module stays mapped: SoftHSM and OpenSSL keep atexit handlers. */
	explicit_bzero(hsm->pin, sizeof(hsm->pin));
	free(hsm);
}

bool tld_hsm_supports(tld_hsm_t *hsm, int algorithm)
{
	const struct tld_alg_info *a = tld_alg_info(algorithm);
	if (a == NULL) {
		return false;
	}
	CK_MECHANISM_INFO info;
	if (hsm->f->C_GetMechanismInfo(hsm->slot, a->keygen_mech, &info) != CKR_OK ||
	    !(info.flags & CKF_GENERATE_KEY_PAIR)) {
		return false;
	}
	if (hsm->f->C_GetMechanismInfo(hsm->slot, a->sign_mech, &info) != CKR_OK ||
	    !(info.flags & CKF_SIGN)) {
		return false;
	}
	return true;
}

int tld_hsm_random(tld_hsm_t *hsm, uint8_t *buf, size_t len)
{
	CK_RV rv = hsm->f->C_GenerateRandom(hsm->session, buf, len);
	return rv == CKR_OK ? TLD_OK : tld_hsm_ckr(hsm, rv, TLD_EHSM, "C_GenerateRandom");
}

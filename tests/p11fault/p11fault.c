/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * p11fault: a fault-injecting PKCS#11 module for tests.
 *
 * It loads the real module (SoftHSM2), forwards every call to it through a
 * copy of its function list, and injects faults on demand, configured by
 * environment variables read at every C_GetFunctionList:
 *
 *   P11FAULT_MODULE     the real module (default /usr/lib/softhsm/libsofthsm2.so)
 *   P11FAULT_LOG        file; one line per C_Login and per injected fault
 *                       ("C_Login PID", "FAULT C_Sign CKR_DEVICE_REMOVED PID"),
 *                       appended with one write(2) so that forked workers'
 *                       lines never interleave
 *   P11FAULT_SIGN_N     the Nth C_Sign after C_Initialize fails (1-based)
 *   P11FAULT_SIGN_RV    with CKR_SESSION_HANDLE_INVALID, CKR_DEVICE_REMOVED
 *                       or CKR_TOKEN_NOT_PRESENT (default CKR_DEVICE_REMOVED)
 *   P11FAULT_SIGN_MODE  "once": only one fault in all processes together
 *                       (the first to create P11FAULT_LOG.once wins; needs
 *                       P11FAULT_LOG); "always": every C_Sign from the Nth on;
 *                       "kill": as "once", but the process kills itself
 *                       (SIGKILL) instead of returning: a worker dying mid-batch
 *   P11FAULT_LOGIN_RV   C_Login returns this (CKR_PIN_INCORRECT) without
 *                       reaching the token
 *   P11FAULT_COPY_RV    C_CopyObject returns this (CKR_ACTION_PROHIBITED,
 *                       CKR_FUNCTION_NOT_SUPPORTED) without reaching the token
 *   P11FAULT_COPY_UNSAFE  "extractable" or "not-sensitive": C_CopyObject
 *                       copies, and C_GetAttributeValue then reports the
 *                       copy CKA_EXTRACTABLE true or CKA_SENSITIVE false
 *                       (a token that would hand out a weaker copy)
 *
 * Every C_CopyObject that made a copy logs "C_CopyObject PID" and every
 * C_DestroyObject "C_DestroyObject PID", so a test can count copies made
 * and destroyed across forked workers.
 *
 * The faults are real, not only return codes: before returning a session
 * error the session is closed in the real module (CKR_SESSION_HANDLE_INVALID:
 * that session; CKR_DEVICE_REMOVED / CKR_TOKEN_NOT_PRESENT: every session
 * of the slot, which also logs the user out), so a caller that retries
 * without opening a new session and logging in again fails.
 *
 * Build: cc -shared -fPIC -I. tests/p11fault/p11fault.c -o p11fault.so -ldl
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsm/p11.h"

static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST wrapped;
static unsigned long sign_n;       /* 0: no sign fault */
static CK_RV sign_rv = CKR_DEVICE_REMOVED;
static int sign_always;
static int sign_kill;
static CK_RV login_rv = CKR_OK;
static CK_RV copy_rv = CKR_OK;
static int copy_unsafe;            /* 0, 1 extractable, 2 not sensitive */
static CK_OBJECT_HANDLE unsafe_copy; /* the copy C_GetAttributeValue lies about */
static char log_path[1024];
static unsigned long sign_count;   /* C_Sign calls in this process */

static CK_RV rv_by_name(const char *s, CK_RV dflt)
{
	static const struct { const char *name; CK_RV rv; } names[] = {
		{ "CKR_SESSION_HANDLE_INVALID", CKR_SESSION_HANDLE_INVALID },
		{ "CKR_SESSION_CLOSED", CKR_SESSION_CLOSED },
		{ "CKR_DEVICE_REMOVED", CKR_DEVICE_REMOVED },
		{ "CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_PRESENT },
		{ "CKR_PIN_INCORRECT", CKR_PIN_INCORRECT },
		{ "CKR_PIN_LOCKED", CKR_PIN_LOCKED },
		{ "CKR_GENERAL_ERROR", CKR_GENERAL_ERROR },
		{ "CKR_ACTION_PROHIBITED", CKR_ACTION_PROHIBITED },
		{ "CKR_FUNCTION_NOT_SUPPORTED", CKR_FUNCTION_NOT_SUPPORTED },
	};
	if (s == NULL || s[0] == '\0') {
		return dflt;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			return names[i].rv;
		}
	}
	return CKR_GENERAL_ERROR;
}

static const char *rv_name(CK_RV rv)
{
	switch (rv) {
	case CKR_SESSION_HANDLE_INVALID: return "CKR_SESSION_HANDLE_INVALID";
	case CKR_SESSION_CLOSED: return "CKR_SESSION_CLOSED";
	case CKR_DEVICE_REMOVED: return "CKR_DEVICE_REMOVED";
	case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
	case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
	case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
	case CKR_ACTION_PROHIBITED: return "CKR_ACTION_PROHIBITED";
	case CKR_FUNCTION_NOT_SUPPORTED: return "CKR_FUNCTION_NOT_SUPPORTED";
	default: return "CKR_GENERAL_ERROR";
	}
}

static void log_line(const char *what, const char *detail)
{
	if (log_path[0] == '\0') {
		return;
	}
	char line[256];
	int n = snprintf(line, sizeof(line), "%s%s%s %ld\n", what, detail ? " " : "",
	                 detail ? detail : "", (long)getpid());
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, line, (size_t)n) != n) {
			/* a test log: nothing better to do */
		}
		close(fd);
	}
}

/* "once" mode: the first process to create the marker injects the fault. */
static int claim_once(void)
{
	char marker[1100];
	if (log_path[0] == '\0') {
		return 0;
	}
	snprintf(marker, sizeof(marker), "%s.once", log_path);
	int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		return 0;
	}
	close(fd);
	return 1;
}

/* Makes the fault real in the underlying module before reporting it. */
static void break_session(CK_SESSION_HANDLE s, CK_RV rv)
{
	if (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED) {
		real->C_CloseSession(s);
		return;
	}
	CK_SESSION_INFO info;
	if (real->C_GetSessionInfo(s, &info) == CKR_OK) {
		real->C_CloseAllSessions(info.slotID);
	}
}

static CK_RV fault_Login(CK_SESSION_HANDLE s, CK_USER_TYPE type, CK_UTF8CHAR *pin, CK_ULONG len)
{
	log_line("C_Login", NULL);
	if (login_rv != CKR_OK) {
		log_line("FAULT C_Login", rv_name(login_rv));
		return login_rv;
	}
	return real->C_Login(s, type, pin, len);
}

static CK_RV fault_Sign(CK_SESSION_HANDLE s, CK_BYTE *data, CK_ULONG len, CK_BYTE *sig,
                        CK_ULONG *sig_len)
{
	if (sig != NULL) { /* a size query is not a signature */
		sign_count++;
	}
	if (sig != NULL && sign_n != 0 &&
	    (sign_always ? sign_count >= sign_n : (sign_count == sign_n && claim_once()))) {
		if (sign_kill) {
			log_line("FAULT C_Sign", "SIGKILL");
			raise(SIGKILL);
		}
		log_line("FAULT C_Sign", rv_name(sign_rv));
		break_session(s, sign_rv);
		return sign_rv;
	}
	return real->C_Sign(s, data, len, sig, sig_len);
}

static CK_RV fault_CopyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                               CK_OBJECT_HANDLE *out)
{
	if (copy_rv != CKR_OK) {
		log_line("FAULT C_CopyObject", rv_name(copy_rv));
		return copy_rv;
	}
	CK_RV rv = real->C_CopyObject(s, obj, tmpl, n, out);
	if (rv == CKR_OK) {
		log_line("C_CopyObject", NULL);
		if (copy_unsafe) {
			log_line("FAULT C_CopyObject", copy_unsafe == 1 ? "extractable" : "not-sensitive");
			unsafe_copy = *out;
		}
	}
	return rv;
}

static CK_RV fault_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_RV rv = real->C_GetAttributeValue(s, obj, tmpl, n);
	if (rv != CKR_OK || unsafe_copy == 0 || obj != unsafe_copy) {
		return rv;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		if (tmpl[i].pValue == NULL || tmpl[i].ulValueLen != sizeof(CK_BBOOL)) {
			continue;
		}
		if (copy_unsafe == 1 && tmpl[i].type == CKA_EXTRACTABLE) {
			*(CK_BBOOL *)tmpl[i].pValue = CK_TRUE;
		} else if (copy_unsafe == 2 && tmpl[i].type == CKA_SENSITIVE) {
			*(CK_BBOOL *)tmpl[i].pValue = CK_FALSE;
		}
	}
	return rv;
}

static CK_RV fault_DestroyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj)
{
	CK_RV rv = real->C_DestroyObject(s, obj);
	if (rv == CKR_OK) {
		log_line("C_DestroyObject", NULL);
		if (obj == unsafe_copy) {
			unsafe_copy = 0;
		}
	}
	return rv;
}

static CK_RV fault_Initialize(void *args)
{
	sign_count = 0; /* "the Nth C_Sign" counts from C_Initialize */
	return real->C_Initialize(args);
}

/* The faults are read again at every C_GetFunctionList: a test process may
 * change them between two contexts while the module stays loaded. */
static void read_config(void)
{
	const char *v = getenv("P11FAULT_LOG");
	snprintf(log_path, sizeof(log_path), "%s", v ? v : "");
	v = getenv("P11FAULT_SIGN_N");
	sign_n = v ? strtoul(v, NULL, 10) : 0;
	sign_rv = rv_by_name(getenv("P11FAULT_SIGN_RV"), CKR_DEVICE_REMOVED);
	v = getenv("P11FAULT_SIGN_MODE");
	sign_always = v != NULL && strcmp(v, "always") == 0;
	sign_kill = v != NULL && strcmp(v, "kill") == 0;
	login_rv = rv_by_name(getenv("P11FAULT_LOGIN_RV"), CKR_OK);
	copy_rv = rv_by_name(getenv("P11FAULT_COPY_RV"), CKR_OK);
	v = getenv("P11FAULT_COPY_UNSAFE");
	copy_unsafe = v == NULL ? 0 : strcmp(v, "extractable") == 0 ? 1 : strcmp(v, "not-sensitive") == 0 ? 2 : 0;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST **list)
{
	if (list == NULL) {
		return CKR_ARGUMENTS_BAD;
	}
	if (real == NULL) {
		const char *path = getenv("P11FAULT_MODULE");
		void *dl = dlopen(path && path[0] ? path : "/usr/lib/softhsm/libsofthsm2.so",
		                  RTLD_NOW | RTLD_LOCAL);
		if (dl == NULL) {
			return CKR_GENERAL_ERROR;
		}
		CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
		if (gfl == NULL || gfl(&real) != CKR_OK || real == NULL) {
			real = NULL;
			return CKR_GENERAL_ERROR;
		}
		wrapped = *real; /* forward everything ... */
		wrapped.C_Initialize = fault_Initialize; /* ... except what we watch */
		wrapped.C_Login = fault_Login;
		wrapped.C_Sign = fault_Sign;
		wrapped.C_CopyObject = fault_CopyObject;
		wrapped.C_GetAttributeValue = fault_GetAttributeValue;
		wrapped.C_DestroyObject = fault_DestroyObject;
	}
	read_config();
	*list = &wrapped;
	return CKR_OK;
}

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small TAP producer for unit tests (after knot's tests/tap/basic.h).
 *
 *   plan_lazy();                 // or plan(n)
 *   ok(cond, "what");  is_int(exp, got, "what");  is_str(exp, got, "what");
 *   skip_all("no softhsm");      // whole test skipped
 *   return exit_status();        // from main()
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void plan(int n);
void plan_lazy(void);
void skip_all(const char *reason, ...) __attribute__((format(printf, 1, 2)));
bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool is_int(long long expected, long long got, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool is_str(const char *expected, const char *got, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool is_mem(const void *expected, size_t exp_len, const void *got, size_t got_len,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void skip(const char *reason, ...) __attribute__((format(printf, 1, 2)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*! Prints the plan if lazy, returns 0 if every test passed, 1 otherwise. */
int exit_status(void);

/*! Directory of shared test vectors (../shared/vectors or $TLDSIGN_VECTORS). */
const char *tap_vectors_dir(void);
/*! Reads a whole file into a NUL-terminated heap buffer; NULL on failure. */
char *tap_read_file(const char *path, size_t *len);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The unsigned zone of a run, handed from zonegen to the signer in memory:
 *
 *   tld_run_unsigned_zone(zg, zone, STATE_DIR/unsigned.zone, &z, &text); // the signer's zone
 *   tld_run_unsigned_start(zg, text, STATE_DIR/unsigned.zone, &job);    // thread: file + digest
 *   opts.zone = z; signer_sign_file(&opts, &stats);                   // takes z
 *   tld_run_unsigned_finish(job, hex, NULL, NULL);                      // file written, its digest
 *
 * or, where the whole text is wanted in memory early (the patch run,
 * docs/incremental-run.md: compared with the previous run's file):
 *
 *   tld_run_unsigned_write_mapped(zg, STATE_DIR/unsigned.zone, &job, &text, &len);
 *   ...; tld_run_unsigned_finish(job, hex, NULL, NULL);                 // hashed, renamed beside
 *   tld_run_unsigned_text_free(text, len);
 *
 * or, should that fail, the text in memory and the file from it:
 *
 *   tld_run_unsigned_text(zg, &text, &len);                             // both cores, no file
 *   tld_run_unsigned_write_buffer(text, len, STATE_DIR/unsigned.zone, &job);
 *   ...; tld_run_unsigned_finish(job, hex, NULL, NULL);                 // the same file and digest
 *   tld_run_unsigned_text_free(text, len);
 *
 * Neither text formatting nor parsing lies on the run's critical path: the
 * signer's zone is filled from zonegen's records in wire form
 * (tld_zonegen_records()), and STATE_DIR/unsigned.zone -- for operators and
 * `tldsign sign`, the same text `tldsign zonegen` writes -- is written on a
 * thread beside the signing, its SHA-256 (the unsigned digest of the run
 * history, run/history.h) computed on the way as before.  The fill copies
 * what it found for each owner into a stream read in order (zonegen.h,
 * struct tld_zonegen_text), and the thread formats the text from that
 * stream with zonegen's own formatting code (the same bytes) without the
 * random accesses into zonegen's tables a format from scratch makes.  Records name the
 * file and the line the file has them on, so the signer's messages point
 * into it.
 */
#pragma once

#include "zonegen/zonegen.h"

struct signer_zone;

/*!
 * \brief Fills a new signer zone with the built zone's records, as
 *        signer_zone_read() would from the zone file: RRSIG, NSEC, NSEC3,
 *        NSEC3PARAM and DNSKEY records (apex.records) dropped with a notice,
 *        a class other than IN or a TTL over 2^31-1 refused.
 * \param[in]  zg      the built zone
 * \param[in]  origin  the zone name ("test.")
 * \param[in]  source  file name for messages (STATE_DIR/unsigned.zone: each
 *                     record's line is its line in that file)
 * \param[out] out     caller frees with signer_zone_free() or hands it to
 *                     signer_sign_file() through signer_sign_opts.zone; written only on success
 * \param[out] text    when not NULL: the text of the file prepared beside the fill
 *                     (for tld_run_unsigned_start()), or NULL when it was not
 *                     made (a small zone, or no memory for it); NULL on failure
 * \return TLD_OK, TLD_EPARSE (logged as source:line: owner TYPE: reason),
 *         TLD_ERANGE (zone too large, logged), TLD_ENOMEM
 */
int tld_run_unsigned_zone(const struct tld_zonegen *zg, const char *origin, const char *source,
                          struct signer_zone **out, struct tld_zonegen_text **text);

/*!
 * \brief Writes the built zone to path (STATE_DIR/unsigned.zone) through a
 *        temporary file ("path.tmp.XXXXXX") renamed into place, hashing it
 *        on the way, formatted on the calling thread alone
 *        (tld_zonegen_write_alone()).  No fsync: each run rebuilds the file.
 * \param[out] hex  SHA-256 of the content, hex, 65 bytes; written only on success
 * \return TLD_OK, or errno-mapped (TLD_ENOSPC, TLD_EIO, ...; logged with the
 *         path), TLD_ENOMEM, TLD_ECRYPTO; on failure path is untouched
 */
int tld_run_write_unsigned(const struct tld_zonegen *zg, const char *path, char hex[65]);

/*!
 * \brief The text of STATE_DIR/unsigned.zone -- the bytes tld_zonegen_write()
 *        writes -- in memory, whole, formatted by two threads at once for
 *        a large zone (run/unsigned_text.c: how, and why it is the same
 *        bytes).  For a run that needs the text early (the patch run,
 *        docs/incremental-run.md): write it with
 *        tld_run_unsigned_write_buffer().
 * \param[out] text  an anonymous mapping of exactly the pages the text
 *                   spans (the text need not start on a page); the caller
 *                   frees it with tld_run_unsigned_text_free(*text, *len)
 *                   (not free()); written only on success
 * \param[out] len   its length (never 0: the SOA is always there)
 * \return TLD_OK, TLD_ENOMEM
 */
int tld_run_unsigned_text(const struct tld_zonegen *zg, char **text, size_t *len);

/*! Releases a text of tld_run_unsigned_text(); text NULL is a no-op. */
void tld_run_unsigned_text_free(char *text, size_t len);

/*!
 * \brief The SHA-256 of an existing file, hex (the unsigned digest of a run
 *        for STATE_DIR/unsigned.zone: tld_history_kept_unsigned_digest()),
 *        read through a mapping.  For tools and tests: the patch run hashes
 *        the previous file from the very mapping it compares.
 * \param[out] hex   65 bytes; written only on success
 * \param[out] size  the file's length (may be NULL); written only on success
 * \return TLD_OK, TLD_ENOENT (no such file: not logged), another
 *         errno-mapped code (logged with the path), TLD_ECRYPTO
 */
int tld_run_file_sha256_hex(const char *path, char hex[65], size_t *size);

/*! tld_run_write_unsigned() on a thread of its own. */
struct tld_run_unsigned_job;

/*!
 * \brief Starts tld_run_write_unsigned() on a thread beside the caller (in
 *        the caller when no thread can be had).  zg and path must live until
 *        tld_run_unsigned_finish().  With text (tld_run_unsigned_zone()'s,
 *        taken, success or not) the file is formatted from that stream,
 *        which is freed as it goes; should the stream turn out incomplete,
 *        the zone is formatted from zg as without it.  The hash is set up here, on the calling
 *        thread: the thread takes no lock of OpenSSL's, so the signer may fork
 *        its HSM workers while it runs.
 * \param[out] out  finish with tld_run_unsigned_finish(); written only on success
 * \return TLD_OK, TLD_ENOMEM or TLD_ECRYPTO
 */
int tld_run_unsigned_start(const struct tld_zonegen *zg, struct tld_zonegen_text *text,
                           const char *path, struct tld_run_unsigned_job **out);

/*!
 * \brief Starts writing text[0, len) to path as tld_run_write_unsigned()
 *        writes the formatted zone (temporary file renamed into place, no
 *        fsync, the same SHA-256 computed on the way), on a thread beside
 *        the caller (in the caller when no thread can be had).  text (a
 *        tld_run_unsigned_text() or any buffer) and path stay the caller's
 *        and must live, unchanged, until tld_run_unsigned_finish().  The
 *        hash is set up here, as by tld_run_unsigned_start().
 * \param[out] out  finish with tld_run_unsigned_finish(); written only on success
 * \return TLD_OK, TLD_ENOMEM or TLD_ECRYPTO
 */
int tld_run_unsigned_write_buffer(const char *text, size_t len, const char *path,
                                  struct tld_run_unsigned_job **out);

/*!
 * \brief STATE_DIR/unsigned.zone for a run that needs its text early (the
 *        patch run): the zone formatted on both cores (tld_zonegen_write():
 *        a helper thread formats beside the calling thread, which writes)
 *        straight into a temporary file beside path, not hashed, and that
 *        file mapped as the text; then a job beside the caller hashes the
 *        mapping and renames the file into place, as
 *        tld_run_unsigned_start()'s would (the same file, digest and
 *        failures at tld_run_unsigned_finish()).  No copy of the text in
 *        fresh memory: its pages are those the write filled (at 1M
 *        delegations the format into a mapping of its own faults in 38k
 *        pages more, and the write copies them).  The mapping is of the
 *        very file written (its descriptor), read-only, private: it holds
 *        the bytes written -- and hashed -- as long as nobody writes into
 *        the file behind the run, which holds the instance lock: the same
 *        trust the previous run's file gets between its check and its use.
 *        The job's thread runs at nice 19: beside the patch, whose
 *        planning splits its work in halves on both cores, it takes a core
 *        only where the patch leaves one (the job's 0.1 CPU s of SHA-256 at
 *        1M delegations no longer delays the other halves; it is still done
 *        long before the run waits for it).  For the job's whole life: an
 *        unprivileged thread cannot lower its nice value again.  The cost
 *        is on the fall-back path: when the patch falls back, the full
 *        sign keeps both cores busy at nice 0 and the job gets next to no
 *        CPU until the signing ends; the publish stage then waits for it
 *        (run/stage_gate.c, run_wait_unsigned_file(): its SHA-256, ~0.1 s
 *        at 1M delegations, after the signing instead of beside it).
 *        Only a hint: nothing but the speed depends on it.
 * \param[out] out   finish with tld_run_unsigned_finish() before the text is
 *                   freed (the job reads it); written only on success
 * \param[out] text  the file's text, mapped; free with
 *                   tld_run_unsigned_text_free(*text, *len); written only on success
 * \param[out] len   its length (never 0); written only on success
 * \return TLD_OK; TLD_ENOMEM (also: the file could not be mapped),
 *         TLD_ECRYPTO or errno-mapped (the write failed; logged): then
 *         nothing is left (no file, no job, path untouched) and the caller
 *         makes the text with tld_run_unsigned_text() instead
 */
int tld_run_unsigned_write_mapped(const struct tld_zonegen *zg, const char *path,
                                  struct tld_run_unsigned_job **out, char **text, size_t *len);

/*!
 * \brief Waits for the file and releases the job; NULL is a no-op (TLD_OK).
 * \param[out] hex      the file's SHA-256, hex, 65 bytes; written only on
 *                      success (may be NULL)
 * \param[out] seconds      how long the write took, wall time (may be NULL)
 * \param[out] cpu_seconds  the CPU time it took (may be NULL)
 * \return the result of tld_run_write_unsigned()
 */
int tld_run_unsigned_finish(struct tld_run_unsigned_job *job, char hex[65], double *seconds,
                            double *cpu_seconds);

/* ABI STABILITY in keel.h: structs the caller allocates start with a size
 * field. This program plays a program built against a newer header
 * (longer structs, whose extra fields this library must leave alone and
 * never read), and one whose size is smaller than any layout keel ever had
 * (refused before anything runs, with the bytes after it untouched). The
 * layouts here are the first with a size, so an older program is one of
 * these. Prints "N passed, N failed". */
#include <stdint.h>
#include <string.h>

#include "keel.h"
#include "check.h"

#define GUARD 0xAB

static bool all(const unsigned char *p, size_t n, unsigned char v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return false;
    return true;
}

/* keel_pool_stats as an older header might have had it. */
typedef struct {
    size_t size;
    uint64_t open;
    uint64_t in_use;
} old_pool_stats;

/* keel_exec_result as an older header might have had it. */
typedef struct {
    size_t size;
    uint64_t rows_affected;
} old_exec_result;

/* keel_tx_options as an older header might have had it. */
typedef struct {
    size_t size;
    int32_t isolation;
} old_tx_options;

int main(void) {
    keel_db *db = NULL;
    keel_conn *conn = NULL;
    CHECK(keel_db_open("sqlite::memory:", &db, NULL) == KEEL_STATUS_OK);
    CHECK(keel_db_checkout(db, &conn, NULL) == KEEL_STATUS_OK);

    /* Smaller than any layout: refused, nothing written after it. */
    struct {
        old_pool_stats s;
        unsigned char guard[64];
    } old_stats;
    memset(&old_stats, GUARD, sizeof old_stats);
    old_stats.s.size = sizeof old_stats.s;
    keel_error *err = NULL;
    CHECK(keel_db_stats(db, (keel_pool_stats *)&old_stats.s, &err) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(err != NULL && strstr(keel_error_message(err), "stats_out->size") != NULL);
    keel_error_free(err);
    err = NULL;
    CHECK(old_stats.s.size == sizeof old_stats.s && all((const unsigned char *)&old_stats.s.open, 16, GUARD));
    CHECK(all(old_stats.guard, sizeof old_stats.guard, GUARD));

    /* Newer: fields keel does not know stay as the caller left them. */
    struct {
        keel_pool_stats s;
        uint64_t future[4];
    } new_stats;
    memset(&new_stats, GUARD, sizeof new_stats);
    new_stats.s.size = sizeof new_stats;
    CHECK(keel_db_stats(db, &new_stats.s, NULL) == KEEL_STATUS_OK);
    CHECK(new_stats.s.size == sizeof new_stats);
    CHECK(new_stats.s.open == 1 && new_stats.s.idle == 0 && new_stats.s.stmt_cache_misses == 0);
    CHECK(all((const unsigned char *)new_stats.future, sizeof new_stats.future, GUARD));

    /* size 0 is this header's layout. */
    keel_pool_stats zero = {0};
    CHECK(keel_db_stats(db, &zero, NULL) == KEEL_STATUS_OK);
    CHECK(zero.size == 0 && zero.open == 1);

    /* An exec result smaller than any layout: refused before the statement
     * runs (nothing inserted), nothing written. */
    CHECK(keel_conn_exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)", NULL, 0, NULL, NULL) == KEEL_STATUS_OK);
    struct {
        old_exec_result r;
        unsigned char guard[32];
    } old_result;
    memset(&old_result, GUARD, sizeof old_result);
    old_result.r.size = sizeof old_result.r;
    CHECK(keel_conn_exec(conn, "INSERT INTO t VALUES (1), (2)", NULL, 0, (keel_exec_result *)&old_result.r, &err) ==
          KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(err != NULL && keel_error_retry_safety(err) == KEEL_RETRY_SAFETY_NOT_SENT);
    keel_error_free(err);
    err = NULL;
    CHECK(all((const unsigned char *)&old_result.r.rows_affected, 8, GUARD) && all(old_result.guard, 32, GUARD));
    /* A newer, longer one: its extra fields stay as they were. */
    struct {
        keel_exec_result r;
        uint64_t future[2];
    } new_result;
    memset(&new_result, GUARD, sizeof new_result);
    new_result.r.size = sizeof new_result;
    CHECK(keel_conn_exec(conn, "INSERT INTO t VALUES (1), (2)", NULL, 0, &new_result.r, NULL) == KEEL_STATUS_OK);
    CHECK(new_result.r.rows_affected == 2 && new_result.r.size == sizeof new_result);
    CHECK(all((const unsigned char *)new_result.future, sizeof new_result.future, GUARD));

    /* Options smaller than any layout: refused. */
    old_tx_options small = {.size = sizeof small, .isolation = KEEL_ISOLATION_SERIALIZABLE};
    CHECK(keel_conn_begin(conn, (const keel_tx_options *)&small, NULL) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(!keel_conn_in_transaction(conn));
    /* A newer, longer struct: what follows this layout is never read (all
     * 0xFF here: it would mean nothing sensible). */
    struct {
        keel_tx_options o;
        unsigned char future[32];
    } new_opts;
    memset(&new_opts, 0xFF, sizeof new_opts);
    new_opts.o = (keel_tx_options){.size = sizeof new_opts, .isolation = KEEL_ISOLATION_SERIALIZABLE};
    CHECK(keel_conn_begin(conn, &new_opts.o, NULL) == KEEL_STATUS_OK);
    CHECK(keel_conn_exec(conn, "INSERT INTO t VALUES (3)", NULL, 0, NULL, NULL) == KEEL_STATUS_OK);
    CHECK(keel_conn_commit(conn, NULL) == KEEL_STATUS_OK);
    /* A bool field holding 0xFF reads as true, not as undefined. */
    keel_tx_options ro = {.size = sizeof ro};
    memset(&ro.read_only, 0xFF, 1);
    CHECK(keel_conn_begin(conn, &ro, NULL) == KEEL_STATUS_OK);
    CHECK(keel_conn_exec(conn, "INSERT INTO t VALUES (4)", NULL, 0, NULL, NULL) != KEEL_STATUS_OK);
    CHECK(keel_conn_rollback(conn, NULL) == KEEL_STATUS_OK);
    /* Zero-initialized: today's layout, every default. */
    keel_tx_options zero_opts = {0};
    CHECK(keel_conn_begin(conn, &zero_opts, NULL) == KEEL_STATUS_OK);
    CHECK(keel_conn_rollback(conn, NULL) == KEEL_STATUS_OK);

    keel_conn_free(conn);
    keel_db_free(db);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* Running a statement into a cursor handle the caller has
 * (keel_stmt_query_reuse, keel_stmt_query_encoded) and a batch the cursor
 * keeps (keel_rows_fetch_batch with buffer_out NULL), written from keel.h
 * and run on every engine the environment names: SQLite always,
 * PostgreSQL (KEEL_TEST_POSTGRES_URL), MySQL/MariaDB (KEEL_TEST_MYSQL_URL)
 * and SQL Server (KEEL_TEST_MSSQL_URL; scripts/test.sh starts the TDS test
 * peer). Under valgrind (scripts/test.sh) a cursor lost on any path is a
 * leak. Prints "N passed, N failed"; exits non-zero when a check failed. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls.h"

struct engine {
    const char *name;
    const char *var; /* NULL: SQLite, always there */
    const char *text_param_sql;
    const char *three_rows_sql;
};

static const struct engine engines[] = {
    {"sqlite", NULL, "SELECT ?", "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"},
    {"postgres", "KEEL_TEST_POSTGRES_URL", "SELECT ?::text", "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"},
    {"mysql", "KEEL_TEST_MYSQL_URL", "SELECT ?", "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"},
    {"mssql", "KEEL_TEST_MSSQL_URL", "SELECT ?", "SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3"},
};

/* pickle.dumps(rows, 5) of the parameter rows named. */
static const uint8_t P_HELLO[] = "\x80\x05\x95\x0e\x00\x00\x00\x00\x00\x00\x00\x5d\x94\x8c\x05hello\x94\x85\x94\x61\x2e";
static const uint8_t P_WORLD[] = "\x80\x05\x95\x0e\x00\x00\x00\x00\x00\x00\x00\x5d\x94\x8c\x05world\x94\x85\x94\x61\x2e";
static const uint8_t P_A_B[] = "\x80\x05\x95\x0e\x00\x00\x00\x00\x00\x00\x00\x5d\x94\x8c\x01\x61\x94\x8c\x01\x62\x94\x86\x94\x61\x2e";
static const uint8_t P_X_Y[] =
    "\x80\x05\x95\x11\x00\x00\x00\x00\x00\x00\x00\x5d\x94\x28\x8c\x01x\x94\x85\x94\x8c\x01y\x94\x85\x94\x65\x2e";
static const uint8_t P_NONE[] = "\x80\x05\x5d\x94\x2e";
#define LEN(p) (sizeof(p) - 1)

/* The first row's first column as text (NULL when there is no row). */
static const char *first_text(keel_rows *r) {
    bool has = false;
    const char *t = NULL;
    if (CALL(keel_rows_next(r, &has, &err)) != KEEL_STATUS_OK || !has) return NULL;
    if (CALL(keel_rows_column_text(r, 0, &t, NULL, &err)) != KEEL_STATUS_OK) return NULL;
    return t;
}

static int64_t next_int(keel_rows *r) {
    bool has = false;
    int64_t v = -1;
    if (CALL(keel_rows_next(r, &has, &err)) != KEEL_STATUS_OK || !has) return -1;
    if (CALL(keel_rows_column_int64(r, 0, &v, &err)) != KEEL_STATUS_OK) return -1;
    return v;
}

static void run_engine(const struct engine *e, const char *url) {
    bool has_row = false;
    check_context = e->name;
    keel_db *db = NULL;
    keel_conn *c = NULL;
    OK(keel_db_open(url, &db, &err));
    OK(keel_db_checkout(db, &c, &err));
    if (c == NULL) {
        keel_db_free(db);
        return;
    }
    keel_stmt *st = NULL;
    OK(keel_conn_prepare(c, e->text_param_sql, &st, &err));

    /* keel_stmt_query_reuse: NULL in, a new cursor out; the same handle
     * again holds the next run's result. */
    keel_rows *r = NULL;
    OK(keel_stmt_bind_text(st, 0, "one", 3, &err));
    OK(keel_stmt_query_reuse(st, NULL, 0, &r, &err));
    CHECK(r != NULL);
    const char *t = first_text(r);
    CHECK(t != NULL && strcmp(t, "one") == 0);
    OK(keel_stmt_bind_text(st, 0, "two", 3, &err));
    OK(keel_stmt_query_reuse(st, NULL, 0, &r, &err));
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "two") == 0);
    /* With values: bound after the old result closed. */
    keel_value three_v = {.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)"three", .len = 5};
    OK(keel_stmt_query_reuse(st, &three_v, 1, &r, &err));
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "three") == 0);
    keel_value two_v[2] = {three_v, three_v};
    CHECK(CALL(keel_stmt_query_reuse(st, two_v, 2, &r, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL && err != NULL && strstr(keel_error_message(err), "1 parameter but 2 values") != NULL);
    CHECK(CALL(keel_stmt_query_reuse(st, NULL, 1, &r, &err)) == KEEL_STATUS_NULL_ARGUMENT);

    /* keel_stmt_query_encoded binds the one row, into the same handle. */
    OK(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, &err));
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "hello") == 0);
    OK(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_WORLD, LEN(P_WORLD), &r, &err));
    CHECK(r != NULL);
    /* params_len 0 runs with the bindings it has. */
    OK(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, NULL, 0, &r, &err));
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "world") == 0);

    /* Failures: a clear status, and *rows_inout freed and set to NULL. */
    CHECK(CALL(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_A_B, LEN(P_A_B), &r, &err)) ==
          KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK(err != NULL && strstr(keel_error_message(err), "1 parameter but 2 values") != NULL);
    OK(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, &err));
    CHECK(CALL(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_X_Y, LEN(P_X_Y), &r, &err)) ==
          KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL && err != NULL && strstr(keel_error_message(err), "more than one row") != NULL);
    CHECK(CALL(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_NONE, LEN(P_NONE), &r, &err)) ==
          KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(err != NULL && strstr(keel_error_message(err), "no row") != NULL);
    OK(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, &err));
    CHECK(CALL(keel_stmt_query_encoded(st, 99, P_HELLO, LEN(P_HELLO), &r, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK(CALL(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, NULL, 5, &r, &err)) == KEEL_STATUS_NULL_ARGUMENT);
    CHECK(CALL(keel_stmt_query_reuse(st, NULL, 0, NULL, &err)) == KEEL_STATUS_NULL_ARGUMENT);
    /* A NULL statement still frees the cursor passed in. */
    OK(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, &err));
    CHECK(CALL(keel_stmt_query_reuse(NULL, NULL, 0, &r, &err)) == KEEL_STATUS_NULL_ARGUMENT);
    CHECK(r == NULL);

    /* A cursor stopped in the middle of its result, reused by its own
     * statement: the old result closes first, the new one starts over. */
    keel_stmt *three = NULL;
    OK(keel_conn_prepare(c, e->three_rows_sql, &three, &err));

    /* keel_stmt_query_encoded_peek: the first row comes with the query
     * where the cursor holds it already (SQLite: the query stepped onto
     * it; elsewhere nothing is taken), and stays the cursor's next row. */
    bool sqlite = e->var == NULL;
    uint8_t pbuf[256];
    size_t plen = 99, pn = 99;
    bool pend = true;
    OK(keel_stmt_query_encoded_peek(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, pbuf, sizeof pbuf,
                                    &plen, &pn, &pend, &err));
    if (sqlite) {
        CHECK(pn == 1 && pend && plen > 4 && pbuf[0] == 0x80 && pbuf[plen - 1] == '.');
        CHECK(plen > 5 && memchr(pbuf, 'h', plen) != NULL && memcmp(memchr(pbuf, 'h', plen), "hello", 5) == 0);
    } else {
        CHECK(pn == 0 && !pend && plen == 0);
    }
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "hello") == 0);
    OK(keel_rows_next(r, &has_row, &err));
    CHECK(!has_row);
    /* Three rows: a batch fetched after the peek starts at the first. */
    OK(keel_stmt_query_encoded_peek(three, KEEL_BATCH_FORMAT_PICKLE5, NULL, 0, &r, pbuf, sizeof pbuf, &plen, &pn,
                                    &pend, &err));
    CHECK(pn == (sqlite ? 1u : 0u) && !pend);
    {
        const uint8_t *bd = NULL;
        size_t bl = 0, bn = 0;
        bool be = false;
        OK(keel_rows_fetch_batch(r, 10, KEEL_BATCH_FORMAT_PICKLE5, NULL, &bd, &bl, &bn, &be, &err));
        CHECK(bn == 3 && be);
    }
    /* A row larger than the buffer is not taken; len_out says the size
     * it needs, and the row is read as usual. */
    OK(keel_stmt_query_encoded_peek(st, KEEL_BATCH_FORMAT_PICKLE5, P_WORLD, LEN(P_WORLD), &r, pbuf, 4, &plen, &pn,
                                    &pend, &err));
    CHECK(pn == 0 && !pend && (sqlite ? plen > 4 : plen == 0));
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "world") == 0);
    if (sqlite) {
        /* No row at all: end at once. */
        keel_stmt *none = NULL;
        OK(keel_conn_prepare(c, "SELECT 1 WHERE 1 = 0", &none, &err));
        OK(keel_stmt_query_encoded_peek(none, KEEL_BATCH_FORMAT_PICKLE5, NULL, 0, &r, pbuf, sizeof pbuf, &plen, &pn,
                                        &pend, &err));
        CHECK(pn == 0 && pend);
        OK(keel_rows_next(r, &has_row, &err));
        CHECK(!has_row);
        keel_stmt_free(none);
        /* An error in the step past the first row is reported by the read
         * that reaches it, after the first row. */
        keel_stmt *bad = NULL;
        OK(keel_conn_prepare(c, "SELECT 1 UNION ALL SELECT abs(-9223372036854775807 - 1)", &bad, &err));
        OK(keel_stmt_query_encoded_peek(bad, KEEL_BATCH_FORMAT_PICKLE5, NULL, 0, &r, pbuf, sizeof pbuf, &plen, &pn,
                                        &pend, &err));
        CHECK(pn == 1 && !pend);
        CHECK(next_int(r) == 1);
        CHECK(CALL(keel_rows_next(r, &has_row, &err)) != KEEL_STATUS_OK);
        CHECK(err != NULL && strstr(keel_error_message(err), "overflow") != NULL);
        keel_stmt_free(bad);

        /* KEEL_BATCH_FORMAT_MARSHAL2: a result with a timestamp column is
         * refused before a row is read (pickle then reads every row); a
         * result of plain columns comes as marshal's list. */
        OK(keel_conn_exec(c, "CREATE TEMP TABLE m (t TIMESTAMP, n INTEGER)", NULL, 0, NULL, &err));
        OK(keel_conn_exec(c, "INSERT INTO m VALUES ('2024-01-01 00:00:00', 1), (NULL, 2)", NULL, 0, NULL, &err));
        keel_stmt *ms = NULL;
        OK(keel_conn_prepare(c, "SELECT t, n FROM m", &ms, &err));
        const uint8_t *md = NULL;
        size_t ml = 0, mn = 0;
        bool me = false;
        OK(keel_stmt_query_reuse(ms, NULL, 0, &r, &err));
        CHECK(CALL(keel_rows_fetch_batch(r, 10, KEEL_BATCH_FORMAT_MARSHAL2, NULL, &md, &ml, &mn, &me, &err)) ==
              KEEL_STATUS_NOT_IMPLEMENTED);
        CHECK(err != NULL && strstr(keel_error_message(err), "KEEL_BATCH_FORMAT_PICKLE5") != NULL);
        OK(keel_rows_fetch_batch(r, 10, KEEL_BATCH_FORMAT_PICKLE5, NULL, &md, &ml, &mn, &me, &err));
        CHECK(mn == 2 && me);
        keel_stmt_free(ms);
        OK(keel_conn_prepare(c, "SELECT n FROM m ORDER BY n", &ms, &err));
        /* marshal.dumps([(1,), (2,)], 2) */
        static const uint8_t M_ROWS[] = "[\x02\x00\x00\x00(\x01\x00\x00\x00i\x01\x00\x00\x00"
                                        "(\x01\x00\x00\x00i\x02\x00\x00\x00";
        OK(keel_stmt_query_encoded_peek(ms, KEEL_BATCH_FORMAT_MARSHAL2, NULL, 0, &r, pbuf, sizeof pbuf, &plen, &pn,
                                        &pend, &err));
        CHECK(pn == 1 && !pend && plen == 15 && memcmp(pbuf, "[\x01\x00\x00\x00(\x01\x00\x00\x00i\x01\x00\x00\x00", 15) == 0);
        OK(keel_rows_fetch_batch(r, 10, KEEL_BATCH_FORMAT_MARSHAL2, NULL, &md, &ml, &mn, &me, &err));
        CHECK(mn == 2 && me && ml == LEN(M_ROWS) && memcmp(md, M_ROWS, ml) == 0);
        keel_stmt_free(ms);
    }
    /* NULL outputs: refused before the statement runs, the cursor freed. */
    CHECK(CALL(keel_stmt_query_encoded_peek(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, pbuf,
                                            sizeof pbuf, NULL, &pn, &pend, &err)) == KEEL_STATUS_NULL_ARGUMENT);
    CHECK(r == NULL);
    CHECK(CALL(keel_stmt_query_encoded_peek(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, NULL, 8,
                                            &plen, &pn, &pend, &err)) == KEEL_STATUS_NULL_ARGUMENT);
    CHECK(err != NULL && strstr(keel_error_message(err), "buf") != NULL);
    OK(keel_stmt_query_encoded_peek(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, NULL, 0, &plen, &pn,
                                    NULL, &err));
    CHECK(pn == 0);
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "hello") == 0);
    OK(keel_rows_next(r, &has_row, &err));
    CHECK(!has_row);

    OK(keel_stmt_query_reuse(three, NULL, 0, &r, &err));
    CHECK(next_int(r) == 1);
    OK(keel_stmt_query_reuse(three, NULL, 0, &r, &err));
    CHECK(next_int(r) == 1 && next_int(r) == 2 && next_int(r) == 3);

    /* A cursor of another statement can be passed in: it is closed, and
     * its statement runs again as usual. */
    OK(keel_stmt_query_reuse(three, NULL, 0, &r, &err));
    CHECK(next_int(r) == 1);
    OK(keel_stmt_query_encoded(st, KEEL_BATCH_FORMAT_PICKLE5, P_HELLO, LEN(P_HELLO), &r, &err));
    t = first_text(r);
    CHECK(t != NULL && strcmp(t, "hello") == 0);
    /* (Read to its end: PostgreSQL, MySQL and SQL Server run one cursor
     * per connection at a time.) */
    bool has = true;
    OK(keel_rows_next(r, &has, &err));
    CHECK(!has);
    keel_rows *r3 = NULL;
    OK(keel_stmt_query(three, &r3, &err));
    CHECK(next_int(r3) == 1);
    keel_rows_free(r3);

    /* keel_rows_fetch_batch with buffer_out NULL: the cursor keeps the
     * bytes (a pickle stream: PROTO 5 ... STOP) until its next batch. */
    OK(keel_stmt_query_reuse(three, NULL, 0, &r, &err));
    const uint8_t *data = NULL;
    size_t len = 0, n = 0;
    bool end = true;
    OK(keel_rows_fetch_batch(r, 2, KEEL_BATCH_FORMAT_PICKLE5, NULL, &data, &len, &n, &end, &err));
    CHECK(n == 2 && !end && data != NULL && len > 4 && data[0] == 0x80 && data[1] == 5 && data[len - 1] == '.');
    OK(keel_rows_fetch_batch(r, 2, KEEL_BATCH_FORMAT_PICKLE5, NULL, &data, &len, &n, &end, &err));
    CHECK(n == 1 && end && data != NULL && data[len - 1] == '.');
    CHECK(CALL(keel_rows_fetch_batch(r, 2, KEEL_BATCH_FORMAT_PICKLE5, NULL, NULL, &len, &n, &end, &err)) ==
          KEEL_STATUS_NULL_ARGUMENT);
    CHECK(CALL(keel_rows_fetch_batch(r, 2, KEEL_BATCH_FORMAT_PICKLE5, NULL, &data, NULL, &n, &end, &err)) ==
          KEEL_STATUS_NULL_ARGUMENT);
    /* A kept batch goes with the cursor when it is reused or freed. */
    OK(keel_stmt_query_reuse(three, NULL, 0, &r, &err));
    OK(keel_rows_fetch_batch(r, 1, KEEL_BATCH_FORMAT_PICKLE5, NULL, &data, &len, &n, &end, &err));
    CHECK(n == 1);
    OK(keel_stmt_query_reuse(three, NULL, 0, &r, &err));
    OK(keel_rows_fetch_batch(r, 10, KEEL_BATCH_FORMAT_PICKLE5, NULL, &data, &len, &n, &end, &err));
    CHECK(n == 3 && end);

    keel_rows_free(r);
    keel_stmt_free(three);
    keel_stmt_free(st);
    keel_conn_free(c);
    keel_db_free(db);
}

int main(void) {
    postgres_in_the_clear();
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
        const struct engine *e = &engines[i];
        const char *url = e->var ? getenv(e->var) : "sqlite::memory:";
        if (url == NULL || url[0] == '\0') {
            check_context = e->name;
            CHECK(!required(e->name));
            printf("%s: skipped (%s is not set)\n", e->name, e->var);
            continue;
        }
        run_engine(e, url);
    }
    keel_error_free(err);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

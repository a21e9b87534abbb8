/* A C test of include/keel.h, written from the header's documentation only:
 * opens SQLite, round-trips every value type, and checks the documented
 * status of each misuse. Prints one line "N passed, N failed" and exits
 * non-zero when any check failed. Run under valgrind by scripts/test.sh. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "keel.h"
#include "check.h"

/* Run a call that takes `&err` last and check its status; the error object
 * must be there exactly when the status is not OK and must carry the same
 * status. Leaves the error in `last_err` (freed at the next EXPECT). */
static keel_error *last_err;

static void expect_status(const char *file, int line, const char *expr, keel_status got, keel_status want,
                          keel_error *err) {
    keel_error_free(last_err);
    last_err = err;
    bool ok = got == want && (want == KEEL_STATUS_OK ? err == NULL : (err != NULL && keel_error_status(err) == want));
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "%s:%d: %s gave %s (%d), want %s (%d)%s%s\n", file, line, expr, keel_status_str(got),
                (int)got, keel_status_str(want), (int)want, err ? ": " : "", err ? keel_error_message(err) : "");
    }
}

#define EXPECT(want, call_with_err)                                                    \
    do {                                                                               \
        keel_error *err = NULL;                                                        \
        keel_status st_ = (call_with_err);                                             \
        expect_status(__FILE__, __LINE__, #call_with_err, st_, (want), err);          \
    } while (0)

#define OK(call_with_err) EXPECT(KEEL_STATUS_OK, call_with_err)

/* Message of the last failed call contains `s`. */
static bool last_message_has(const char *s) {
    return last_err != NULL && strstr(keel_error_message(last_err), s) != NULL;
}

static int64_t count_rows(keel_conn *conn, const char *table) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    keel_rows *rows = NULL;
    bool has = false;
    int64_t n = -1;
    OK(keel_conn_query(conn, sql, NULL, 0, &rows, &err));
    OK(keel_rows_next(rows, &has, &err));
    OK(keel_rows_column_int64(rows, 0, &n, &err));
    keel_rows_free(rows);
    return n;
}

static void test_version(void) {
    CHECK(keel_version_number() == KEEL_VERSION_NUMBER);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", KEEL_VERSION_MAJOR, KEEL_VERSION_MINOR, KEEL_VERSION_PATCH);
    CHECK(strcmp(keel_version(), want) == 0);
    CHECK(keel_driver_available("sqlite"));
    CHECK(!keel_driver_available(NULL));
    CHECK(!keel_driver_available("no-such-driver"));
    CHECK(strcmp(keel_status_str(KEEL_STATUS_OK), keel_status_str(KEEL_STATUS_UNKNOWN)) != 0);
    CHECK(strcmp(keel_status_str(9999), keel_status_str(KEEL_STATUS_UNKNOWN)) == 0);
}

static void test_null_arguments(keel_db *db, keel_conn *conn) {
    /* Freeing NULL is a no-op. */
    keel_db_free(NULL);
    keel_conn_free(NULL);
    keel_stmt_free(NULL);
    keel_rows_free(NULL);
    keel_error_free(NULL);
    CHECK(true);

    keel_db *db2 = (keel_db *)0x1; /* outputs stay untouched on failure */
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_db_open(NULL, &db2, &err));
    CHECK(last_message_has("url"));
    CHECK(db2 == (keel_db *)0x1);
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_db_open("sqlite::memory:", NULL, &err));
    CHECK(last_message_has("db_out"));
    CHECK(strcmp(keel_error_driver(last_err), "keel") == 0);
    CHECK(keel_error_retry_safety(last_err) == KEEL_RETRY_SAFETY_NOT_SENT);
    /* Without err_out the status still comes back. */
    CHECK(keel_db_open(NULL, &db2, NULL) == KEEL_STATUS_NULL_ARGUMENT);

    keel_conn *c2 = NULL;
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_db_checkout(NULL, &c2, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_db_checkout(db, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_db_exec(NULL, "SELECT 1", NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_db_exec(db, NULL, NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_exec(NULL, "SELECT 1", NULL, 0, NULL, &err));
    CHECK(last_message_has("conn"));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_exec(conn, NULL, NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_exec(conn, "SELECT ?", NULL, 1, NULL, &err));
    CHECK(last_message_has("params"));
    keel_rows *rows = NULL;
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_query(conn, "SELECT 1", NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_db_query(db, "SELECT 1", NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_query(NULL, "SELECT 1", NULL, 0, &rows, &err));
    CHECK(rows == NULL);
    keel_stmt *stmt = NULL;
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_prepare(conn, NULL, &stmt, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_prepare(conn, "SELECT 1", NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_begin(NULL, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_commit(NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_rollback(NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_savepoint(conn, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_release(conn, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_rollback_to(conn, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_ping(NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_conn_server_version(conn, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_bind_int64(NULL, 0, 1, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_execute(NULL, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_query(NULL, &rows, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_clear_bindings(NULL, &err));
    bool has = false;
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_next(NULL, &has, &err));

    /* Infallible accessors give their documented defaults. */
    CHECK(keel_error_status(NULL) == KEEL_STATUS_NULL_ARGUMENT);
    CHECK(strcmp(keel_error_message(NULL), "") == 0);
    CHECK(strcmp(keel_error_sqlstate(NULL), "") == 0);
    CHECK(keel_error_vendor_code(NULL) == 0);
    CHECK(strcmp(keel_error_driver(NULL), "") == 0);
    CHECK(keel_error_retry_safety(NULL) == KEEL_RETRY_SAFETY_UNKNOWN);
    CHECK(keel_conn_in_transaction(NULL) == false);
    CHECK(keel_conn_dialect(NULL) == KEEL_DIALECT_UNKNOWN);
    CHECK(keel_db_dialect(NULL) == KEEL_DIALECT_UNKNOWN);
    CHECK(keel_stmt_param_count(NULL) == 0);
    CHECK(keel_rows_column_count(NULL) == 0);
    CHECK(keel_conn_dialect(conn) == KEEL_DIALECT_SQLITE);
    CHECK(keel_db_dialect(db) == KEEL_DIALECT_SQLITE);

    /* NULL output pointers on a live cursor and statement. */
    OK(keel_conn_query(conn, "SELECT 'x', x'00'", NULL, 0, &rows, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_next(rows, NULL, &err));
    CHECK(last_message_has("has_row"));
    OK(keel_rows_next(rows, &has, &err));
    CHECK(has);
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_column_text(rows, 0, NULL, NULL, &err));
    const char *t = NULL;
    OK(keel_rows_column_text(rows, 0, &t, NULL, &err)); /* len_out may be NULL */
    CHECK(t != NULL && strcmp(t, "x") == 0);
    const uint8_t *b = NULL;
    size_t n = 0;
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_column_bytes(rows, 1, &b, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_column_bytes(rows, 1, NULL, &n, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_column_int64(rows, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_column_value(rows, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_rows_column_name(rows, 0, NULL, &err));
    keel_rows_free(rows);

    OK(keel_conn_prepare(conn, "SELECT ?", &stmt, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_bind_text(stmt, 0, NULL, 3, &err));
    OK(keel_stmt_bind_text(stmt, 0, NULL, 0, &err)); /* NULL with length 0 is empty text */
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_bind_bytes(stmt, 0, NULL, 1, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_bind_uuid(stmt, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_bind_value(stmt, 0, NULL, &err));
    EXPECT(KEEL_STATUS_NULL_ARGUMENT, keel_stmt_query(stmt, NULL, &err));
    keel_stmt_free(stmt);
}

/* Bind one value of every type, read each back with its typed reader and
 * with keel_rows_column_value. */
static void test_round_trip(keel_conn *conn) {
    OK(keel_conn_exec(conn,
                      "CREATE TABLE v (b BOOLEAN, i INTEGER, u UNSIGNED BIG INT, d DOUBLE, t TEXT, y BLOB, "
                      "dt DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, id UUID, j JSON, dec DECIMAL)",
                      NULL, 0, NULL, &err));
    keel_stmt *ins = NULL;
    OK(keel_conn_prepare(conn, "INSERT INTO v VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", &ins, &err));
    CHECK(keel_stmt_param_count(ins) == 13);
    const char text[] = "caf\xc3\xa9 \xe2\x82\xac"; /* "café €" */
    const uint8_t blob[] = {0, 1, 2, 0, 255};
    const uint8_t uuid[16] = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const char json[] = "[1,{\"a\":null}]";
    /* SQLite gives a DECIMAL column NUMERIC affinity and stores numeric
     * text as REAL, keeping at most 15 significant digits and dropping
     * trailing zeros; so this value is one SQLite keeps exactly. keel reads
     * it back as decimal text. Declare DECIMAL TEXT(p,s) to keep every
     * digit of longer decimals. */
    const char dec[] = "-1234567.125";
    const int64_t ts = -1234567890123456; /* before 1970, with microseconds */
    OK(keel_stmt_bind_bool(ins, 0, true, &err));
    OK(keel_stmt_bind_int64(ins, 1, INT64_MIN, &err));
    OK(keel_stmt_bind_uint64(ins, 2, (uint64_t)INT64_MAX, &err));
    OK(keel_stmt_bind_double(ins, 3, -0.1, &err));
    OK(keel_stmt_bind_text(ins, 4, text, strlen(text), &err));
    OK(keel_stmt_bind_bytes(ins, 5, blob, sizeof blob, &err));
    OK(keel_stmt_bind_date(ins, 6, -1, &err)); /* 1969-12-31 */
    OK(keel_stmt_bind_time(ins, 7, 86399999999, &err));
    OK(keel_stmt_bind_timestamp(ins, 8, ts, &err));
    OK(keel_stmt_bind_timestamptz(ins, 9, ts, &err));
    OK(keel_stmt_bind_uuid(ins, 10, uuid, &err));
    OK(keel_stmt_bind_json(ins, 11, json, strlen(json), &err));
    OK(keel_stmt_bind_decimal(ins, 12, dec, strlen(dec), &err));
    keel_exec_result r = {0};
    OK(keel_stmt_execute(ins, &r, &err));
    CHECK(r.rows_affected == 1);
    CHECK(r.has_last_insert_id && r.last_insert_id == 1);
    /* Bindings persist: run again, then NULLs through keel_stmt_bind_value. */
    OK(keel_stmt_execute(ins, &r, &err));
    CHECK(r.last_insert_id == 2);
    keel_value null_v = {.kind = KEEL_TYPE_NULL};
    for (size_t i = 0; i < 13; i++) {
        OK(keel_stmt_bind_value(ins, i, &null_v, &err));
    }
    OK(keel_stmt_execute(ins, NULL, &err));
    keel_stmt_free(ins);

    keel_rows *rows = NULL;
    OK(keel_conn_query(conn, "SELECT * FROM v WHERE rowid = 1", NULL, 0, &rows, &err));
    CHECK(keel_rows_column_count(rows) == 13);
    const keel_type want_types[13] = {KEEL_TYPE_BOOL,      KEEL_TYPE_INT64, KEEL_TYPE_UINT64,    KEEL_TYPE_DOUBLE,
                                      KEEL_TYPE_TEXT,      KEEL_TYPE_BYTES, KEEL_TYPE_DATE,      KEEL_TYPE_TIME,
                                      KEEL_TYPE_TIMESTAMP, KEEL_TYPE_TIMESTAMPTZ, KEEL_TYPE_UUID, KEEL_TYPE_JSON,
                                      KEEL_TYPE_DECIMAL};
    for (size_t i = 0; i < 13; i++) {
        keel_type ty = -1;
        OK(keel_rows_column_type(rows, i, &ty, &err));
        CHECK(ty == want_types[i]);
    }
    const char *name = NULL;
    OK(keel_rows_column_name(rows, 12, &name, &err));
    CHECK(name != NULL && strcmp(name, "dec") == 0);
    const char *etype = NULL;
    OK(keel_rows_column_engine_type(rows, 2, &etype, &err));
    CHECK(etype != NULL && strcmp(etype, "UNSIGNED BIG INT") == 0);
    keel_nullable nl = -1;
    OK(keel_rows_column_nullable(rows, 0, &nl, &err));
    CHECK(nl == KEEL_NULLABLE_YES);

    bool has = false;
    OK(keel_rows_next(rows, &has, &err));
    CHECK(has);
    bool bv = false;
    int64_t iv = 0;
    uint64_t uv = 0;
    double dv = 0;
    OK(keel_rows_column_bool(rows, 0, &bv, &err));
    CHECK(bv == true);
    OK(keel_rows_column_int64(rows, 1, &iv, &err));
    CHECK(iv == INT64_MIN);
    OK(keel_rows_column_uint64(rows, 2, &uv, &err));
    CHECK(uv == (uint64_t)INT64_MAX);
    OK(keel_rows_column_double(rows, 3, &dv, &err));
    CHECK(dv == -0.1);
    const char *tp = NULL;
    size_t tn = 0;
    OK(keel_rows_column_text(rows, 4, &tp, &tn, &err));
    CHECK(tn == strlen(text) && memcmp(tp, text, tn) == 0 && tp[tn] == '\0');
    const uint8_t *bp = NULL;
    size_t bn = 0;
    OK(keel_rows_column_bytes(rows, 5, &bp, &bn, &err));
    CHECK(bn == sizeof blob && memcmp(bp, blob, bn) == 0);
    int32_t days = 0;
    OK(keel_rows_column_date(rows, 6, &days, &err));
    CHECK(days == -1);
    OK(keel_rows_column_text(rows, 6, &tp, &tn, &err));
    CHECK(strcmp(tp, "1969-12-31") == 0);
    int64_t us = 0;
    OK(keel_rows_column_time(rows, 7, &us, &err));
    CHECK(us == 86399999999);
    OK(keel_rows_column_timestamp(rows, 8, &us, &err));
    CHECK(us == ts);
    OK(keel_rows_column_timestamp(rows, 9, &us, &err));
    CHECK(us == ts);
    OK(keel_rows_column_text(rows, 9, &tp, &tn, &err));
    CHECK(tn > 6 && strcmp(tp + tn - 6, "+00:00") == 0);
    uint8_t u[16] = {0};
    OK(keel_rows_column_uuid(rows, 10, u, &err));
    CHECK(memcmp(u, uuid, 16) == 0);
    OK(keel_rows_column_text(rows, 10, &tp, &tn, &err));
    CHECK(strcmp(tp, "deadbeef-0001-0203-0405-060708090a0b") == 0);
    OK(keel_rows_column_text(rows, 11, &tp, &tn, &err));
    CHECK(strcmp(tp, json) == 0);
    OK(keel_rows_column_text(rows, 12, &tp, &tn, &err));
    CHECK(strcmp(tp, dec) == 0);

    /* keel_rows_column_value tags each value with its own type. */
    for (size_t i = 0; i < 13; i++) {
        keel_value v;
        memset(&v, 0xab, sizeof v);
        OK(keel_rows_column_value(rows, i, &v, &err));
        CHECK(v.kind == want_types[i]);
        if (i == 1) CHECK(v.int_value == INT64_MIN);
        if (i == 2) CHECK(v.uint_value == (uint64_t)INT64_MAX);
        if (i == 3) CHECK(v.double_value == -0.1);
        if (i == 4) CHECK(v.len == strlen(text) && memcmp(v.data, text, v.len) == 0 && v.data[v.len] == 0);
        if (i == 5) CHECK(v.len == sizeof blob && memcmp(v.data, blob, v.len) == 0);
        if (i == 6) CHECK(v.int_value == -1);
        if (i == 8) CHECK(v.int_value == ts);
        if (i == 10) CHECK(v.len == 16 && memcmp(v.data, uuid, 16) == 0);
        if (i == 12) CHECK(v.len == strlen(dec) && memcmp(v.data, dec, v.len) == 0);
    }
    OK(keel_rows_next(rows, &has, &err));
    CHECK(!has);
    OK(keel_rows_next(rows, &has, &err)); /* and on every call after the end */
    CHECK(!has);
    keel_rows_free(rows);

    /* keel_rows_next_values: the same row, read whole in one call. */
    OK(keel_conn_query(conn, "SELECT * FROM v WHERE rowid = 1", NULL, 0, &rows, &err));
    keel_value whole[14];
    memset(whole, 0xab, sizeof whole);
    has = false;
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_rows_next_values(rows, whole, 14, &has, &err));
    CHECK(!has && whole[0].kind == (int32_t)0xabababab);
    OK(keel_rows_next_values(rows, whole, 13, &has, &err));
    CHECK(has);
    for (size_t i = 0; i < 13; i++) CHECK(whole[i].kind == want_types[i]);
    CHECK(whole[1].int_value == INT64_MIN);
    CHECK(whole[4].len == strlen(text) && memcmp(whole[4].data, text, whole[4].len) == 0);
    CHECK(whole[10].len == 16 && memcmp(whole[10].data, uuid, 16) == 0);
    CHECK(whole[12].len == strlen(dec) && memcmp(whole[12].data, dec, whole[12].len) == 0);
    CHECK(whole[13].kind == (int32_t)0xabababab); /* only count values written */
    OK(keel_rows_next_values(rows, whole, 13, &has, &err));
    CHECK(!has);
    keel_rows_free(rows);

    /* The NULL row: is_null, value kind NULL, typed reads fail. */
    OK(keel_conn_query(conn, "SELECT * FROM v WHERE rowid = 3", NULL, 0, &rows, &err));
    OK(keel_rows_next(rows, &has, &err));
    for (size_t i = 0; i < 13; i++) {
        bool is_null = false;
        OK(keel_rows_column_is_null(rows, i, &is_null, &err));
        CHECK(is_null);
        keel_value v;
        OK(keel_rows_column_value(rows, i, &v, &err));
        CHECK(v.kind == KEEL_TYPE_NULL);
    }
    iv = 7;
    EXPECT(KEEL_STATUS_INVALID_DATA, keel_rows_column_int64(rows, 1, &iv, &err));
    CHECK(iv == 7);
    EXPECT(KEEL_STATUS_INVALID_DATA, keel_rows_column_text(rows, 4, &tp, &tn, &err));
    keel_rows_free(rows);

    /* Parameters passed as a keel_value array, one of each kind. */
    keel_value params[4] = {
        {.kind = KEEL_TYPE_UINT64, .uint_value = 42},
        {.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)"abc", .len = 3},
        {.kind = KEEL_TYPE_BYTES, .data = blob, .len = sizeof blob},
        {.kind = KEEL_TYPE_UUID, .data = uuid, .len = 16},
    };
    OK(keel_conn_query(conn, "SELECT ? + 1, ? || 'd', length(?), ?", params, 4, &rows, &err));
    OK(keel_rows_next(rows, &has, &err));
    OK(keel_rows_column_int64(rows, 0, &iv, &err));
    CHECK(iv == 43);
    OK(keel_rows_column_text(rows, 1, &tp, &tn, &err));
    CHECK(tn == 4 && strcmp(tp, "abcd") == 0);
    OK(keel_rows_column_int64(rows, 2, &iv, &err));
    CHECK(iv == (int64_t)sizeof blob);
    OK(keel_rows_column_uuid(rows, 3, u, &err));
    CHECK(memcmp(u, uuid, 16) == 0);
    keel_rows_free(rows);
}

static void test_misuse(keel_db *db, keel_conn *conn) {
    OK(keel_conn_exec(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT UNIQUE)", NULL, 0, NULL, &err));

    /* Wrong parameter count, on every path that takes a parameter array. */
    keel_value one = {.kind = KEEL_TYPE_INT64, .int_value = 1};
    keel_value two[2] = {one, one};
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_exec(conn, "INSERT INTO t (id) VALUES (?)", two, 2, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_exec(conn, "INSERT INTO t (id) VALUES (?)", NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_db_exec(db, "SELECT ?, ?", &one, 1, NULL, &err));
    keel_rows *rows = (keel_rows *)0x1;
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_query(conn, "SELECT 1", &one, 1, &rows, &err));
    CHECK(rows == (keel_rows *)0x1);
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_db_query(db, "SELECT ?", two, 2, &rows, &err));
    CHECK(count_rows(conn, "t") == 0);

    /* Unknown keel_value kind; a bool that is not 0 or 1. */
    keel_value bad = {.kind = 999};
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_exec(conn, "SELECT ?", &bad, 1, NULL, &err));
    bad.kind = KEEL_TYPE_BOOL;
    bad.int_value = 2;
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_exec(conn, "SELECT ?", &bad, 1, NULL, &err));

    /* Invalid UTF-8: in bound text, in a keel_value, in SQL. */
    const char bad_utf8[] = {'a', (char)0xff, 'b'};
    keel_stmt *stmt = NULL;
    OK(keel_conn_prepare(conn, "INSERT INTO t (s) VALUES (?)", &stmt, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_text(stmt, 0, bad_utf8, sizeof bad_utf8, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_json(stmt, 0, bad_utf8, sizeof bad_utf8, &err));
    keel_value bad_text = {.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)bad_utf8, .len = sizeof bad_utf8};
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_value(stmt, 0, &bad_text, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_exec(conn, "SELECT \xff", NULL, 0, NULL, &err));
    /* Not a decimal; NaN; a time beyond one day. */
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_decimal(stmt, 0, "12abc", 5, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_double(stmt, 0, NAN, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_time(stmt, 0, 86400000000LL, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_time(stmt, 0, -1, &err));

    /* A parameter that was never bound. */
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_execute(stmt, NULL, &err));
    /* Out-of-range parameter index (0-based: 1 is past the only one). */
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_int64(stmt, 1, 5, &err));
    CHECK(last_message_has("1"));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_null(stmt, SIZE_MAX, &err));

    /* uint64 above INT64_MAX: SQLite cannot hold it; SQLSTATE 22003. */
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_bind_uint64(stmt, 0, (uint64_t)INT64_MAX + 1, &err));
    CHECK(last_err != NULL && strcmp(keel_error_sqlstate(last_err), "22003") == 0);
    keel_value big = {.kind = KEEL_TYPE_UINT64, .uint_value = UINT64_MAX};
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_exec(conn, "INSERT INTO t (id) VALUES (?)", &big, 1, NULL, &err));
    CHECK(count_rows(conn, "t") == 0);

    /* Bind and run; then a constraint violation with its details. */
    OK(keel_stmt_bind_text(stmt, 0, "dup", 3, &err));
    OK(keel_stmt_execute(stmt, NULL, &err));
    EXPECT(KEEL_STATUS_INTEGRITY, keel_stmt_execute(stmt, NULL, &err));
    CHECK(last_err != NULL && strncmp(keel_error_sqlstate(last_err), "23", 2) == 0);
    CHECK(last_err != NULL && strlen(keel_error_sqlstate(last_err)) == 5);
    CHECK(last_err != NULL && keel_error_vendor_code(last_err) == 2067); /* SQLITE_CONSTRAINT_UNIQUE */
    CHECK(last_err != NULL && strcmp(keel_error_driver(last_err), "sqlite") == 0);
    /* clear_bindings: every parameter must be bound again. */
    OK(keel_stmt_clear_bindings(stmt, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_stmt_execute(stmt, NULL, &err));
    keel_stmt_free(stmt);

    /* Syntax error at prepare: SQLSTATE class 42. */
    stmt = (keel_stmt *)0x1;
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_prepare(conn, "SELEC 1", &stmt, &err));
    CHECK(stmt == (keel_stmt *)0x1);
    CHECK(last_err != NULL && strncmp(keel_error_sqlstate(last_err), "42", 2) == 0);
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_prepare(conn, "  -- only a comment", &stmt, &err));

    /* More than one statement is rejected and nothing runs. */
    int64_t before = count_rows(conn, "t");
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT,
           keel_conn_exec(conn, "INSERT INTO t (s) VALUES ('a'); INSERT INTO t (s) VALUES ('b')", NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_db_exec(db, "INSERT INTO t (s) VALUES ('c'); SELECT 1", NULL, 0, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_prepare(conn, "DELETE FROM t; DELETE FROM t", &stmt, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_exec(conn, "DELETE FROM t; garbage", NULL, 0, NULL, &err));
    CHECK(count_rows(conn, "t") == before && before == 1);
    /* A trailing semicolon and comment are still one statement. */
    OK(keel_conn_exec(conn, "INSERT INTO t (s) VALUES ('e'); -- done", NULL, 0, NULL, &err));
    CHECK(count_rows(conn, "t") == before + 1);

    /* Text read as int: an error, not a parse. Index out of range. Reading
     * before the first row and after the last. */
    OK(keel_conn_query(conn, "SELECT '123', 1.5", NULL, 0, &rows, &err));
    int64_t iv = 99;
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_rows_column_int64(rows, 0, &iv, &err));
    bool has = false;
    OK(keel_rows_next(rows, &has, &err));
    CHECK(has);
    EXPECT(KEEL_STATUS_INVALID_DATA, keel_rows_column_int64(rows, 0, &iv, &err));
    EXPECT(KEEL_STATUS_INVALID_DATA, keel_rows_column_int64(rows, 1, &iv, &err)); /* not integral */
    CHECK(iv == 99);
    EXPECT(KEEL_STATUS_INVALID_DATA, keel_rows_column_date(rows, 1, &(int32_t){0}, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_rows_column_int64(rows, 2, &iv, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_rows_column_name(rows, 2, &(const char *){NULL}, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_rows_column_type(rows, SIZE_MAX, &(keel_type){0}, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_rows_column_value(rows, 2, &(keel_value){0}, &err));
    OK(keel_rows_next(rows, &has, &err));
    CHECK(!has);
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_rows_column_int64(rows, 0, &iv, &err));
    keel_rows_free(rows);

    /* A closed cursor: re-running its statement closes it. */
    OK(keel_conn_prepare(conn, "SELECT s FROM t ORDER BY id", &stmt, &err));
    keel_rows *first = NULL, *second = NULL;
    OK(keel_stmt_query(stmt, &first, &err));
    OK(keel_rows_next(first, &has, &err));
    CHECK(has);
    OK(keel_stmt_query(stmt, &second, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_rows_next(first, &has, &err));
    OK(keel_rows_next(second, &has, &err));
    CHECK(has);
    keel_rows_free(first);
    keel_rows_free(second);
    /* A cursor outlives its freed statement and stays readable. */
    OK(keel_stmt_query(stmt, &first, &err));
    keel_stmt_free(stmt);
    const char *s = NULL;
    OK(keel_rows_next(first, &has, &err));
    OK(keel_rows_column_text(first, 0, &s, NULL, &err));
    CHECK(has && s != NULL && strcmp(s, "dup") == 0);
    keel_rows_free(first);

    /* Transaction state errors. */
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_commit(conn, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_rollback(conn, &err));
    keel_tx_options bad_opts = {.isolation = 99};
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_begin(conn, &bad_opts, &err));
    bad_opts = (keel_tx_options){.lock = 99};
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_begin(conn, &bad_opts, &err));
    CHECK(!keel_conn_in_transaction(conn));
    OK(keel_conn_begin(conn, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_begin(conn, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_savepoint(conn, "1bad", &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_savepoint(conn, "a b", &err));
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_conn_rollback_to(conn, "never_set", &err));
    OK(keel_conn_savepoint(conn, "sp1", &err));
    OK(keel_conn_exec(conn, "DELETE FROM t", NULL, 0, NULL, &err));
    OK(keel_conn_rollback_to(conn, "sp1", &err));
    OK(keel_conn_release(conn, "sp1", &err));
    CHECK(count_rows(conn, "t") == before + 1);
    OK(keel_conn_rollback(conn, &err));
    keel_tx_options ro = {.read_only = true};
    OK(keel_conn_begin(conn, &ro, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_exec(conn, "DELETE FROM t", NULL, 0, NULL, &err));
    OK(keel_conn_rollback(conn, &err));
    OK(keel_conn_exec(conn, "DELETE FROM t WHERE s = 'e'", NULL, 0, NULL, &err)); /* writable again */

    /* Bad URLs and options. */
    keel_db *db2 = NULL;
    EXPECT(KEEL_STATUS_INVALID_ARGUMENT, keel_db_open("sqlite::memory:?no_such_option=1", &db2, &err));
    EXPECT(KEEL_STATUS_NOT_FOUND, keel_db_open("nosuchdb://x", &db2, &err));
    CHECK(db2 == NULL);
}

/* keel_db_query: the cursor owns its connection and gives it back. */
static void test_db_query(keel_db *db) {
    keel_rows *rows = NULL;
    keel_value p = {.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)"hi", .len = 2};
    OK(keel_db_query(db, "SELECT ?", &p, 1, &rows, &err));
    bool has = false;
    const char *t = NULL;
    size_t n = 0;
    OK(keel_rows_next(rows, &has, &err));
    OK(keel_rows_column_text(rows, 0, &t, &n, &err));
    CHECK(has && n == 2 && strcmp(t, "hi") == 0);
    keel_rows_free(rows);
    keel_exec_result r = {0};
    OK(keel_db_exec(db, "INSERT INTO t (s) VALUES ('from db')", NULL, 0, &r, &err));
    CHECK(r.rows_affected == 1);
}

int main(void) {
    keel_db *db = NULL;
    OK(keel_db_open("sqlite::memory:", &db, &err));
    if (db == NULL) {
        printf("%d passed, %d failed\n", passed, failed + 1);
        return 1;
    }
    keel_conn *conn = NULL;
    OK(keel_db_checkout(db, &conn, &err));
    const char *version = NULL;
    OK(keel_conn_server_version(conn, &version, &err));
    CHECK(version != NULL && version[0] == '3');
    OK(keel_conn_ping(conn, &err));

    test_version();
    test_null_arguments(db, conn);
    test_round_trip(conn);
    test_misuse(db, conn);
    test_db_query(db);

    keel_conn_free(conn);
    keel_db_free(db);
    keel_error_free(last_err);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

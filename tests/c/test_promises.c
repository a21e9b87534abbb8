/* The promises of keel.h that an outside check found broken (issue P7),
 * written from the header alone and run on every engine the environment
 * names: SQLite always, PostgreSQL (KEEL_TEST_POSTGRES_URL), MySQL/MariaDB
 * (KEEL_TEST_MYSQL_URL) and SQL Server (KEEL_TEST_MSSQL_URL; scripts/test.sh
 * starts the TDS test peer). Each section names the header text it checks.
 * Prints "N passed, N failed"; exits non-zero when a check failed. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calls.h"

static bool err_is(keel_status st, const char *sqlstate) {
    return err != NULL && keel_error_status(err) == st &&
           (sqlstate == NULL || strcmp(keel_error_sqlstate(err), sqlstate) == 0);
}

struct engine {
    const char *name;
    const char *var; /* NULL: SQLite, always there */
    const char *begin_sql;
    const char *text_param_sql;
    const char *sleep_sql; /* about a second */
};

static const struct engine engines[] = {
    {"sqlite", NULL, "BEGIN", "SELECT ?",
     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000000) SELECT count(*) FROM c"},
    {"postgres", "KEEL_TEST_POSTGRES_URL", "BEGIN", "SELECT ?::text", "SELECT 1 FROM pg_sleep(1)"},
    {"mysql", "KEEL_TEST_MYSQL_URL", "START TRANSACTION", "SELECT ?", "SELECT SLEEP(1)"},
    {"mssql", "KEEL_TEST_MSSQL_URL", "BEGIN TRANSACTION", "SELECT ?", "WAITFOR DELAY '00:00:01'"},
};

static keel_db *open_with(const char *url, const char *key, const char *value) {
    keel_option opt = {key, value};
    keel_db *db = NULL;
    OK(keel_db_open_options(url, &opt, 1, &db, &err));
    return db;
}

static int64_t count(keel_conn *c, const char *table) {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", table);
    keel_rows *rows = NULL;
    bool has = false;
    int64_t n = -1;
    OK(keel_conn_query(c, sql, NULL, 0, &rows, &err));
    OK(keel_rows_next(rows, &has, &err));
    OK(keel_rows_column_int64(rows, 0, &n, &err));
    keel_rows_free(rows);
    return n;
}

/* keel_conn_in_transaction: "as the server sees it: opened by
 * keel_conn_begin or by SQL"; keel_conn_free: "A transaction still open on
 * the server is rolled back first, whether keel_conn_begin or SQL opened
 * it". */
static void sql_transaction(const struct engine *e, const char *url, const char *table) {
    keel_db *db = open_with(url, "pool_max_open", "1");
    keel_conn *c = NULL;
    OK(keel_db_checkout(db, &c, &err));
    char sql[200];
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id BIGINT PRIMARY KEY)", table);
    OK(keel_conn_exec(c, sql, NULL, 0, NULL, &err));
    CHECK(!keel_conn_in_transaction(c));
    OK(keel_conn_exec(c, e->begin_sql, NULL, 0, NULL, &err));
    CHECK(keel_conn_in_transaction(c));
    CHECK(CALL(keel_conn_begin(c, NULL, &err)) == KEEL_STATUS_INVALID_STATE);
    snprintf(sql, sizeof sql, "INSERT INTO %s (id) VALUES (1)", table);
    OK(keel_conn_exec(c, sql, NULL, 0, NULL, &err));
    keel_conn_return(c);
    c = NULL;
    OK(keel_db_checkout(db, &c, &err));
    CHECK(!keel_conn_in_transaction(c));
    CHECK(count(c, table) == 0);
    /* Begun by SQL, committed by keel. */
    OK(keel_conn_exec(c, e->begin_sql, NULL, 0, NULL, &err));
    OK(keel_conn_exec(c, sql, NULL, 0, NULL, &err));
    OK(keel_conn_commit(c, &err));
    CHECK(!keel_conn_in_transaction(c));
    CHECK(count(c, table) == 1);
    keel_conn_free(c);
    keel_db_free(db);
}

/* keel_rows_column_text, Lifetime: "valid until the next keel_rows_next,
 * keel_rows_next_values, keel_rows_fetch_batch or keel_rows_free on rows.
 * Running, binding or clearing the statement the cursor came from closes
 * the cursor but does not end this." And keel_rows_next: a closed cursor
 * says KEEL_STATUS_INVALID_STATE on every later call. */
static void borrowed_text(const struct engine *e, keel_conn *c) {
    const char *a = "first value, long enough to live on the heap: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const char *b = "SECOND VALUE, long enough to live on the heap: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    keel_stmt *st = NULL;
    OK(keel_conn_prepare(c, e->text_param_sql, &st, &err));
    OK(keel_stmt_bind_text(st, 0, a, strlen(a), &err));
    keel_rows *r1 = NULL;
    bool has = false;
    OK(keel_stmt_query(st, &r1, &err));
    OK(keel_rows_next(r1, &has, &err));
    CHECK(has);
    const char *t1 = NULL;
    size_t n1 = 0;
    keel_value v1 = {0};
    OK(keel_rows_column_text(r1, 0, &t1, &n1, &err));
    OK(keel_rows_column_value(r1, 0, &v1, &err));
    /* Binding closes r1 on every engine. */
    OK(keel_stmt_bind_text(st, 0, b, strlen(b), &err));
    CHECK(CALL(keel_rows_next(r1, &has, &err)) == KEEL_STATUS_INVALID_STATE);
    keel_rows *r2 = NULL;
    OK(keel_stmt_query(st, &r2, &err));
    OK(keel_rows_next(r2, &has, &err));
    const char *t2 = NULL;
    OK(keel_rows_column_text(r2, 0, &t2, NULL, &err));
    CHECK(t2 != NULL && strcmp(t2, b) == 0);
    /* What r1 handed out is still there. */
    CHECK(t1 != NULL && n1 == strlen(a) && memcmp(t1, a, n1) == 0 && t1[n1] == '\0');
    CHECK(v1.data != NULL && v1.len == strlen(a) && memcmp(v1.data, a, v1.len) == 0);
    /* And r1 keeps saying it was closed. */
    for (int i = 0; i < 3; i++) {
        CHECK(CALL(keel_rows_next(r1, &has, &err)) == KEEL_STATUS_INVALID_STATE);
        keel_value vals[1];
        CHECK(CALL(keel_rows_next_values(r1, vals, 1, &has, &err)) == KEEL_STATUS_INVALID_STATE);
        keel_buffer *buf = NULL;
        size_t nrows = 0;
        CHECK(CALL(keel_rows_fetch_batch(r1, 10, KEEL_BATCH_FORMAT_PICKLE5, &buf, NULL, NULL, &nrows, NULL, &err)) ==
              KEEL_STATUS_INVALID_STATE);
        CHECK(buf == NULL);
    }
    keel_rows_free(r1);
    keel_rows_free(r2);
    keel_stmt_free(st);
}

/* CONVENTIONS: "SQL with none (only blanks, comments and ;) is
 * KEEL_STATUS_INVALID_ARGUMENT". */
static void no_statement(keel_db *db, keel_conn *c) {
    const char *none[] = {"", "  ", ";", "-- only a comment", "/* only a comment */ ;"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        keel_stmt *st = NULL;
        CHECK(CALL(keel_conn_prepare(c, none[i], &st, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
        CHECK(st == NULL);
        CHECK(CALL(keel_conn_exec(c, none[i], NULL, 0, NULL, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
        CHECK(CALL(keel_db_exec(db, none[i], NULL, 0, NULL, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
        CHECK(CALL(keel_conn_exec_len(c, none[i], strlen(none[i]), NULL, 0, NULL, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    }
}

/* keel_conn_savepoint_release / keel_conn_rollback_to: "no savepoint of that
 * name is set, SQLSTATE 3B001, on every engine" is
 * KEEL_STATUS_INVALID_ARGUMENT. */
static void unknown_savepoint(keel_conn *c) {
    OK(keel_conn_begin(c, NULL, &err));
    OK(keel_conn_savepoint(c, "a", &err));
    CHECK(CALL(keel_conn_savepoint_release(c, "nope", &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(err_is(KEEL_STATUS_INVALID_ARGUMENT, "3B001"));
    OK(keel_conn_rollback_to(c, "a", &err)); /* recovers PostgreSQL's aborted transaction */
    CHECK(CALL(keel_conn_rollback_to(c, "nope", &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(err_is(KEEL_STATUS_INVALID_ARGUMENT, "3B001"));
    OK(keel_conn_rollback_to(c, "a", &err));
    OK(keel_conn_release(c, "a", &err));
    CHECK(CALL(keel_conn_release(c, "a", &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    OK(keel_conn_rollback(c, &err));
}

struct sleeper {
    keel_conn *conn;
    const char *sql;
    keel_status status;
};

static void *sleep_on(void *arg) {
    struct sleeper *s = arg;
    s->status = keel_conn_exec(s->conn, s->sql, NULL, 0, NULL, NULL);
    return NULL;
}

/* keel_conn_cancel_handle: "once the connection goes back to its pool ...
 * keel_cancel_request on it does nothing, so it can never stop a statement
 * of the connection's next borrower". */
static void stale_cancel_handle(const struct engine *e, const char *url) {
    keel_db *db = open_with(url, "pool_max_open", "1");
    keel_conn *c = NULL;
    keel_cancel *stale = NULL;
    OK(keel_db_checkout(db, &c, &err));
    OK(keel_conn_cancel_handle(c, &stale, &err));
    keel_conn_free(c);
    c = NULL;
    OK(keel_db_checkout(db, &c, &err));
    struct sleeper s = {c, e->sleep_sql, KEEL_STATUS_UNKNOWN};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sleep_on, &s) == 0);
    struct timespec wait = {0, 300 * 1000 * 1000};
    nanosleep(&wait, NULL);
    OK(keel_cancel_request(stale, &err));
    pthread_join(t, NULL);
    CHECK(s.status == KEEL_STATUS_OK);
    keel_cancel_free(stale);
    keel_conn_free(c);
    keel_db_free(db);
}

/* keel_db_open: "Nothing of any statement runs here, so every error says
 * KEEL_RETRY_SAFETY_NOT_SENT". keel_conn_close: the session closes
 * instead of going back. */
static void open_and_close(const char *url) {
    char bad[1024];
    snprintf(bad, sizeof bad, "%s%cno_such_option=1", url, strchr(url, '?') ? '&' : '?');
    keel_db *db = NULL;
    CHECK(CALL(keel_db_open(bad, &db, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(db == NULL && err != NULL && keel_error_retry_safety(err) == KEEL_RETRY_SAFETY_NOT_SENT);
    snprintf(bad, sizeof bad, "%s%cpool_max_idle=1&pool_max_idle=5", url, strchr(url, '?') ? '&' : '?');
    CHECK(CALL(keel_db_open(bad, &db, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(err != NULL && keel_error_retry_safety(err) == KEEL_RETRY_SAFETY_NOT_SENT);
    db = open_with(url, "pool_max_idle", "4");
    keel_conn *a = NULL, *b = NULL;
    OK(keel_db_checkout(db, &a, &err));
    OK(keel_db_checkout(db, &b, &err));
    keel_pool_stats s = {.size = sizeof s};
    OK(keel_db_stats(db, &s, &err));
    CHECK(s.open == 2 && s.in_use == 2);
    OK(keel_conn_close(a, &err));
    keel_conn_return(b);
    OK(keel_db_stats(db, &s, &err));
    CHECK(s.open == 1 && s.idle == 1);
    keel_db_free(db);
}

static void run_engine(const struct engine *e, const char *url) {
    check_context = e->name;
    int before = failed;
    char table[64];
    snprintf(table, sizeof table, "kp_promises_%ld", (long)getpid());
    keel_db *db = NULL;
    OK(keel_db_open(url, &db, &err));
    if (db == NULL) {
        fprintf(stderr, "[%s] cannot open %s: %s\n", e->name, e->var ? e->var : url, err ? keel_error_message(err) : "");
        return;
    }
    char drop[100];
    snprintf(drop, sizeof drop, "DROP TABLE IF EXISTS %s", table);
    OK(keel_db_exec(db, drop, NULL, 0, NULL, &err));
    sql_transaction(e, url, table);
    keel_conn *c = NULL;
    OK(keel_db_checkout(db, &c, &err));
    borrowed_text(e, c);
    no_statement(db, c);
    unknown_savepoint(c);
    keel_conn_free(c);
    stale_cancel_handle(e, url);
    open_and_close(url);
    OK(keel_db_exec(db, drop, NULL, 0, NULL, &err));
    keel_db_free(db);
    printf("%s: %s\n", e->name, failed == before ? "ok" : "FAILED");
}

int main(void) {
    postgres_in_the_clear();
    char sqlite_url[256];
    snprintf(sqlite_url, sizeof sqlite_url, "sqlite:///tmp/keel-promises-%ld.db", (long)getpid());
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
        const struct engine *e = &engines[i];
        const char *url = e->var ? getenv(e->var) : sqlite_url;
        if (url == NULL || url[0] == '\0') {
            check_context = e->name;
            CHECK(!required(e->name)); /* KEEL_TEST_REQUIRE names it: it must be there */
            printf("%s: skipped (%s is not set)\n", e->name, e->var);
            continue;
        }
        run_engine(e, url);
    }
    unlink(sqlite_url + strlen("sqlite://"));
    keel_error_free(err);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

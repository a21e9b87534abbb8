/* What the C API says about a connection and a statement before anything
 * runs, written from keel.h alone and run on every engine the environment
 * names (SQLite always; PostgreSQL, MySQL/MariaDB and SQL Server from
 * KEEL_TEST_*_URL, as tests/c/test_promises.c): keel_conn_supports,
 * keel_stmt_column_*, keel_rows_column_index, keel_conn_prepare_cached,
 * and keel_conn_commit ending the transaction when the commit fails.
 * Prints "N passed, N failed"; exits non-zero when a check failed. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calls.h"

struct engine {
    const char *name;
    const char *var; /* NULL: SQLite, always there */
    const char *text_type;
    bool several_cursors;
    /* A column clause (%s: the parent table) checked at COMMIT, or NULL. */
    const char *deferred_fk;
};

static const struct engine engines[] = {
    {"sqlite", NULL, "TEXT", true, "REFERENCES %s (id) DEFERRABLE INITIALLY DEFERRED"},
    {"postgres", "KEEL_TEST_POSTGRES_URL", "TEXT", false, "REFERENCES %s (id) DEFERRABLE INITIALLY DEFERRED"},
    {"mysql", "KEEL_TEST_MYSQL_URL", "TEXT", false, NULL},
    {"mssql", "KEEL_TEST_MSSQL_URL", "NVARCHAR(100)", false, NULL},
};

static void exec(keel_conn *c, const char *sql) {
    OK(keel_conn_exec(c, sql, NULL, 0, NULL, &err));
    if (err != NULL) fprintf(stderr, "  %s: %s\n", sql, keel_error_message(err));
}

/* keel_conn_supports and keel_conn_query: "where it has not (PostgreSQL,
 * MySQL/MariaDB and SQL Server), the connection carries one result at a
 * time ... every other statement on the connection fails with
 * KEEL_STATUS_INVALID_STATE". */
static void capabilities(const struct engine *e, keel_conn *c) {
    bool several = !e->several_cursors, described = false;
    OK(keel_conn_supports(c, KEEL_CAPABILITY_SEVERAL_CURSORS, &several, &err));
    CHECK(several == e->several_cursors);
    OK(keel_conn_supports(c, KEEL_CAPABILITY_COLUMNS_AFTER_PREPARE, &described, &err));
    CHECK(described);
    bool untouched = true;
    CHECK(CALL(keel_conn_supports(c, 99, &untouched, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(untouched);
    /* What the answer promises. */
    keel_rows *r = NULL;
    bool has = false;
    OK(keel_conn_query(c, "SELECT 1 UNION ALL SELECT 2", NULL, 0, &r, &err));
    OK(keel_rows_next(r, &has, &err));
    keel_status other = CALL(keel_conn_exec(c, "SELECT 3", NULL, 0, NULL, &err));
    CHECK(other == (several ? KEEL_STATUS_OK : KEEL_STATUS_INVALID_STATE));
    OK(keel_rows_next(r, &has, &err));
    CHECK(has);
    keel_rows_free(r);
}

/* keel_stmt_column_count: "0 for a statement that returns no rows";
 * KEEL_STATUS_NOT_IMPLEMENTED would mean "not known", never 0. */
static void columns_after_prepare(keel_conn *c, const char *table) {
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT id, label AS title FROM %s WHERE id > ?", table);
    keel_stmt *st = NULL;
    OK(keel_conn_prepare(c, sql, &st, &err));
    size_t n = 99;
    OK(keel_stmt_column_count(st, &n, &err));
    CHECK(n == 2);
    const char *name0 = NULL, *name1 = NULL, *engine_type = NULL;
    keel_type t0 = KEEL_TYPE_NULL, t1 = KEEL_TYPE_NULL;
    keel_nullable null0 = KEEL_NULLABLE_YES;
    OK(keel_stmt_column_name(st, 0, &name0, &err));
    OK(keel_stmt_column_name(st, 1, &name1, &err));
    OK(keel_stmt_column_engine_type(st, 0, &engine_type, &err));
    OK(keel_stmt_column_type(st, 0, &t0, &err));
    OK(keel_stmt_column_type(st, 1, &t1, &err));
    OK(keel_stmt_column_nullable(st, 0, &null0, &err));
    CHECK(name0 != NULL && strcmp(name0, "id") == 0);
    CHECK(name1 != NULL && strcmp(name1, "title") == 0);
    CHECK(engine_type != NULL && engine_type[0] != '\0');
    CHECK(t0 == KEEL_TYPE_INT64 && t1 == KEEL_TYPE_TEXT);
    CHECK(null0 != KEEL_NULLABLE_YES); /* a primary key: NO, or UNKNOWN where the engine does not say */
    const char *out = "untouched";
    CHECK(CALL(keel_stmt_column_name(st, 2, &out, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(strcmp(out, "untouched") == 0);
    /* Running it does not end the borrowed names ("valid until keel_stmt_free"). */
    OK(keel_stmt_bind_int64(st, 0, 0, &err));
    keel_rows *r = NULL;
    OK(keel_stmt_query(st, &r, &err));
    CHECK(keel_rows_column_count(r) == 2);
    keel_rows_free(r);
    CHECK(strcmp(name1, "title") == 0);
    keel_stmt_free(st);

    snprintf(sql, sizeof sql, "INSERT INTO %s (id, label) VALUES (?, ?)", table);
    OK(keel_conn_prepare(c, sql, &st, &err));
    n = 99;
    OK(keel_stmt_column_count(st, &n, &err));
    CHECK(n == 0);
    keel_stmt_free(st);
}

/* keel_rows_column_index: "The first column whose name is exactly name
 * wins; when none is, the first whose name equals it ignoring ASCII case". */
static void column_index(keel_conn *c, const char *table) {
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT label AS title, id FROM %s", table);
    keel_rows *r = NULL;
    OK(keel_conn_query(c, sql, NULL, 0, &r, &err));
    size_t i = 99;
    OK(keel_rows_column_index(r, "id", 2, &i, &err));
    CHECK(i == 1);
    OK(keel_rows_column_index(r, "TITLE", 5, &i, &err));
    CHECK(i == 0);
    i = 99;
    CHECK(CALL(keel_rows_column_index(r, "nope", 4, &i, &err)) == KEEL_STATUS_NOT_FOUND);
    CHECK(i == 99 && err != NULL && strstr(keel_error_message(err), "title") != NULL);
    keel_rows_free(r);
}

/* keel_conn_prepare_cached: "keel_stmt_free puts the statement back into
 * the cache, for the next caller of the same SQL". */
static void prepare_cached(keel_db *db, keel_conn *c, const char *table) {
    char sql[300];
    snprintf(sql, sizeof sql, "INSERT INTO %s (id, label) VALUES (?, ?)", table);
    keel_pool_stats before = {.size = sizeof before}, after = {.size = sizeof after};
    OK(keel_db_stats(db, &before, &err));
    for (int64_t id = 1; id <= 3; id++) {
        keel_stmt *st = NULL;
        OK(keel_conn_prepare_cached(c, sql, strlen(sql), &st, &err));
        size_t n = 99;
        OK(keel_stmt_column_count(st, &n, &err));
        CHECK(n == 0);
        OK(keel_stmt_bind_int64(st, 0, id, &err));
        OK(keel_stmt_bind_text(st, 1, "x", 1, &err));
        keel_exec_result res = {.size = sizeof res};
        OK(keel_stmt_execute(st, &res, &err));
        CHECK(res.rows_affected == 1);
        keel_stmt_free(st);
    }
    OK(keel_db_stats(db, &after, &err));
    CHECK(after.stmt_cache_misses - before.stmt_cache_misses == 1);
    CHECK(after.stmt_cache_hits - before.stmt_cache_hits == 2);
}

/* keel_conn_commit: "When this returns, the transaction is over, committed
 * or not". */
static void failed_commit(const struct engine *e, keel_conn *c, const char *parent) {
    if (e->deferred_fk == NULL) return;
    char clause[200], sql[400], child[100];
    snprintf(child, sizeof child, "%s_child", parent);
    snprintf(clause, sizeof clause, e->deferred_fk, parent);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id BIGINT PRIMARY KEY, p BIGINT %s)", child, clause);
    exec(c, sql);
    OK(keel_conn_begin(c, NULL, &err));
    snprintf(sql, sizeof sql, "INSERT INTO %s (id, p) VALUES (1, 4242)", child);
    exec(c, sql);
    CHECK(CALL(keel_conn_commit(c, &err)) == KEEL_STATUS_INTEGRITY);
    CHECK(!keel_conn_in_transaction(c));
    OK(keel_conn_begin(c, NULL, &err));
    OK(keel_conn_rollback(c, &err));
    snprintf(sql, sizeof sql, "DROP TABLE %s", child);
    exec(c, sql);
}

static void run_engine(const struct engine *e, const char *url) {
    check_context = e->name;
    keel_db *db = NULL;
    OK(keel_db_open(url, &db, &err));
    if (db == NULL) {
        fprintf(stderr, "%s: cannot open: %s\n", e->name, err ? keel_error_message(err) : "?");
        return;
    }
    keel_conn *c = NULL;
    OK(keel_db_checkout(db, &c, &err));
    char table[80], sql[300];
    snprintf(table, sizeof table, "kc_meta_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, label %s NULL)", table, e->text_type);
    exec(c, sql);
    capabilities(e, c);
    columns_after_prepare(c, table);
    column_index(c, table);
    prepare_cached(db, c, table);
    failed_commit(e, c, table);
    snprintf(sql, sizeof sql, "DROP TABLE %s", table);
    exec(c, sql);
    keel_conn_free(c);
    keel_db_free(db);
    printf("%s: done\n", e->name);
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

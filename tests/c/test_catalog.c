/* The catalog calls, written from keel.h alone, on every engine the
 * environment names (SQLite always; PostgreSQL and MySQL/MariaDB from
 * KEEL_TEST_*_URL; SQL Server from KEEL_TEST_MSSQL_URL, the TDS test
 * peer in CI): keel_conn_tables with patterns and types, keel_conn_columns
 * read by column name, keel_conn_primary_keys, keel_conn_foreign_keys both
 * ways, keel_conn_indexes, keel_conn_unique_constraints,
 * keel_conn_check_constraints, and the arguments they refuse.
 * Prints "N passed, N failed"; exits non-zero when a check failed. */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calls.h"

static void exec(keel_conn *c, const char *sql) {
    OK(keel_conn_exec(c, sql, NULL, 0, NULL, &err));
    if (err != NULL) fprintf(stderr, "  %s: %s\n", sql, keel_error_message(err));
}

/* Column `name` of the current row as text ("" for NULL) into buf. */
static const char *text_of(keel_rows *r, const char *name, char *buf, size_t cap) {
    size_t i = 0;
    bool is_null = true;
    buf[0] = '\0';
    OK(keel_rows_column_index(r, name, strlen(name), &i, &err));
    OK(keel_rows_column_is_null(r, i, &is_null, &err));
    if (is_null) return buf;
    const char *p = NULL;
    size_t len = 0;
    OK(keel_rows_column_text(r, i, &p, &len, &err));
    if (p != NULL && len < cap) {
        memcpy(buf, p, len);
        buf[len] = '\0';
    }
    return buf;
}

/* Column `name` of the current row as an int64; -1 for NULL. */
static int64_t int_of(keel_rows *r, const char *name) {
    size_t i = 0;
    bool is_null = true;
    int64_t v = -1;
    OK(keel_rows_column_index(r, name, strlen(name), &i, &err));
    OK(keel_rows_column_is_null(r, i, &is_null, &err));
    if (!is_null) OK(keel_rows_column_int64(r, i, &v, &err));
    return v;
}

static int count_rows(keel_rows *r) {
    int n = 0;
    bool has = false;
    while (CALL(keel_rows_next(r, &has, &err)) == KEEL_STATUS_OK && has) n++;
    keel_rows_free(r);
    return n;
}

static void run_engine(const char *name, const char *url) {
    check_context = name;
    bool sqlite = strcmp(name, "sqlite") == 0, mysql = strcmp(name, "mysql") == 0;
    keel_db *db = NULL;
    keel_conn *c = NULL;
    OK(keel_db_open(url, &db, &err));
    OK(keel_db_checkout(db, &c, &err));
    if (c == NULL) {
        keel_db_free(db);
        return;
    }
    keel_rows *r = NULL;
    char parent[64], child[64], sql[512], buf[256];
    snprintf(parent, sizeof parent, "kcc%d_parent", (int)getpid());
    snprintf(child, sizeof child, "kcc%d_child", (int)getpid());
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", child);
    exec(c, sql);
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", parent);
    exec(c, sql);
    snprintf(sql, sizeof sql,
             "CREATE TABLE %s (id INT PRIMARY KEY, code VARCHAR(8) NOT NULL, CONSTRAINT %s_code UNIQUE (code), "
             "CONSTRAINT %s_ck CHECK (id > 0))",
             parent, parent, parent);
    exec(c, sql);
    snprintf(sql, sizeof sql,
             "CREATE TABLE %s (id INT NOT NULL, parent_id INT, amount DECIMAL(9,3), PRIMARY KEY (id), "
             "FOREIGN KEY (parent_id) REFERENCES %s (id) ON DELETE CASCADE)",
             child, parent);
    exec(c, sql);
    snprintf(sql, sizeof sql, "CREATE INDEX %s_amount ON %s (amount)", child, child);
    exec(c, sql);

    /* Tables: the pattern with an escaped _, and only tables. */
    char pattern[80];
    snprintf(pattern, sizeof pattern, "kcc%d\\_%%", (int)getpid());
    OK(keel_conn_tables(c, NULL, NULL, pattern, "TABLE", &r, &err));
    CHECK(count_rows(r) == 2);
    OK(keel_conn_tables(c, NULL, NULL, pattern, "VIEW", &r, &err));
    CHECK(count_rows(r) == 0);
    OK(keel_conn_tables(c, NULL, NULL, parent, NULL, &r, &err));
    bool has = false;
    OK(keel_rows_next(r, &has, &err));
    CHECK(has);
    if (has) {
        CHECK(strcmp(text_of(r, "table_name", buf, sizeof buf), parent) == 0);
        CHECK(strcmp(text_of(r, "table_type", buf, sizeof buf), "TABLE") == 0);
    }
    keel_rows_free(r);

    /* Columns, read by name. */
    OK(keel_conn_columns(c, NULL, NULL, child, NULL, &r, &err));
    int n = 0;
    while (CALL(keel_rows_next(r, &has, &err)) == KEEL_STATUS_OK && has) {
        n++;
        text_of(r, "column_name", buf, sizeof buf);
        CHECK(int_of(r, "ordinal_position") == n);
        if (strcmp(buf, "id") == 0) {
            CHECK(int_of(r, "is_nullable") == 0);
            CHECK(int_of(r, "keel_type") == KEEL_TYPE_INT64);
        } else if (strcmp(buf, "amount") == 0) {
            CHECK(int_of(r, "is_nullable") == 1);
            CHECK(int_of(r, "keel_type") == KEEL_TYPE_DECIMAL);
            CHECK(int_of(r, "numeric_scale") == (sqlite ? -1 : 3));
        }
    }
    keel_rows_free(r);
    CHECK(n == 3);

    /* Keys and indexes. */
    OK(keel_conn_primary_keys(c, NULL, NULL, child, &r, &err));
    OK(keel_rows_next(r, &has, &err));
    CHECK(has && strcmp(text_of(r, "column_name", buf, sizeof buf), "id") == 0 && int_of(r, "key_seq") == 1);
    keel_rows_free(r);
    OK(keel_conn_foreign_keys(c, NULL, NULL, parent, KEEL_FOREIGN_KEYS_EXPORTED, &r, &err));
    OK(keel_rows_next(r, &has, &err));
    CHECK(has);
    if (has) {
        CHECK(strcmp(text_of(r, "fk_table", buf, sizeof buf), child) == 0);
        CHECK(strcmp(text_of(r, "fk_column", buf, sizeof buf), "parent_id") == 0);
        CHECK(strcmp(text_of(r, "pk_column", buf, sizeof buf), "id") == 0);
        CHECK(strcmp(text_of(r, "delete_rule", buf, sizeof buf), "CASCADE") == 0);
    }
    keel_rows_free(r);
    OK(keel_conn_foreign_keys(c, NULL, NULL, parent, KEEL_FOREIGN_KEYS_IMPORTED, &r, &err));
    CHECK(count_rows(r) == 0);
    OK(keel_conn_indexes(c, NULL, NULL, child, &r, &err));
    bool found = false;
    while (CALL(keel_rows_next(r, &has, &err)) == KEEL_STATUS_OK && has) {
        snprintf(sql, sizeof sql, "%s_amount", child);
        if (strcmp(text_of(r, "index_name", buf, sizeof buf), sql) == 0) {
            found = true;
            CHECK(int_of(r, "is_unique") == 0);
            CHECK(strcmp(text_of(r, "column_name", buf, sizeof buf), "amount") == 0);
        }
    }
    keel_rows_free(r);
    CHECK(found);
    (void)mysql;

    /* The UNIQUE and CHECK constraints, by the names the DDL gave. */
    char want[80];
    OK(keel_conn_unique_constraints(c, NULL, NULL, parent, &r, &err));
    OK(keel_rows_next(r, &has, &err));
    CHECK(has);
    if (has) {
        snprintf(want, sizeof want, "%s_code", parent);
        /* SQLite keeps no constraint names: the index it made names it. */
        text_of(r, "constraint_name", buf, sizeof buf);
        CHECK(sqlite ? strncmp(buf, "sqlite_autoindex_", 17) == 0 : strcmp(buf, want) == 0);
        CHECK(strcmp(text_of(r, "column_name", buf, sizeof buf), "code") == 0 && int_of(r, "key_seq") == 1);
        OK(keel_rows_next(r, &has, &err));
        CHECK(!has);
    }
    keel_rows_free(r);
    OK(keel_conn_check_constraints(c, NULL, NULL, parent, &r, &err));
    OK(keel_rows_next(r, &has, &err));
    CHECK(has);
    if (has) {
        snprintf(want, sizeof want, "%s_ck", parent);
        CHECK(strcmp(text_of(r, "constraint_name", buf, sizeof buf), want) == 0);
        CHECK(strstr(text_of(r, "check_clause", buf, sizeof buf), "0") != NULL);
    }
    keel_rows_free(r);
    CHECK(CALL(keel_conn_check_constraints(c, NULL, NULL, NULL, &r, &err)) == KEEL_STATUS_NULL_ARGUMENT);

    /* What is refused, with the output untouched. */
    r = NULL;
    CHECK(CALL(keel_conn_tables(c, NULL, NULL, NULL, "TABLE,TABLES", &r, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL && err != NULL && strstr(keel_error_message(err), "TABLES") != NULL);
    CHECK(CALL(keel_conn_foreign_keys(c, NULL, NULL, parent, 7, &r, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(CALL(keel_conn_indexes(c, NULL, NULL, "", &r, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(CALL(keel_conn_primary_keys(c, NULL, NULL, NULL, &r, &err)) == KEEL_STATUS_NULL_ARGUMENT);
    CHECK(CALL(keel_conn_columns(c, NULL, NULL, "\xff", NULL, &r, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
    CHECK(r == NULL);

    snprintf(sql, sizeof sql, "DROP TABLE %s", child);
    exec(c, sql);
    snprintf(sql, sizeof sql, "DROP TABLE %s", parent);
    exec(c, sql);
    keel_conn_free(c);
    keel_db_free(db);
    printf("%s: done\n", name);
}

int main(void) {
    postgres_in_the_clear();
    const char *engines[][2] = {
        {"sqlite", NULL},
        {"postgres", "KEEL_TEST_POSTGRES_URL"},
        {"mysql", "KEEL_TEST_MYSQL_URL"},
        {"mssql", "KEEL_TEST_MSSQL_URL"},
    };
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
        const char *url = engines[i][1] ? getenv(engines[i][1]) : "sqlite::memory:";
        if (url == NULL || url[0] == '\0') {
            check_context = engines[i][0];
            CHECK(!required(engines[i][0]));
            printf("%s: skipped (%s is not set)\n", engines[i][0], engines[i][1]);
            continue;
        }
        run_engine(engines[i][0], url);
    }
    keel_error_free(err);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

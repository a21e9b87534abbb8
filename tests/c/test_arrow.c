/* The Arrow C stream from keel_conn_query_arrow, read through the Arrow C
 * stream interface alone (the structs keel.h declares, no Arrow library),
 * on every engine the environment names (SQLite always; PostgreSQL,
 * MySQL/MariaDB and SQL Server from KEEL_TEST_*_URL): the schema's formats,
 * int64 and utf8 values with NULLs across batches, a stream read after its
 * connection was returned, one released before its end, an empty result,
 * (SQLite) an error in the middle through get_next/get_last_error, and
 * keel_conn_ingest taking a stream (from another connection) into a new
 * table, which then reads back the same.
 * Run under valgrind by scripts/test.sh: every schema, array and stream is
 * released. Prints "N passed, N failed"; exits non-zero when a check failed. */
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
};

static const struct engine engines[] = {
    {"sqlite", NULL, "TEXT"},
    {"postgres", "KEEL_TEST_POSTGRES_URL", "TEXT"},
    {"mysql", "KEEL_TEST_MYSQL_URL", "TEXT"},
    {"mssql", "KEEL_TEST_MSSQL_URL", "NVARCHAR(100)"},
};

static void exec(keel_conn *c, const char *sql) {
    OK(keel_conn_exec(c, sql, NULL, 0, NULL, &err));
    if (err != NULL) fprintf(stderr, "  %s: %s\n", sql, keel_error_message(err));
}

static bool valid(const struct ArrowArray *a, int64_t i) {
    const uint8_t *bits = a->buffers[0];
    i += a->offset;
    return bits == NULL || (bits[i / 8] >> (i % 8)) & 1;
}

/* Read (id BIGINT, name TEXT) rows 0..n-1, where name is NULL for every
 * third id and "name <id>" otherwise; returns the rows seen and the
 * batches. */
static int64_t read_rows(struct ArrowArrayStream *s, int64_t *batches) {
    struct ArrowSchema schema;
    CHECK(s->get_schema(s, &schema) == 0);
    CHECK(strcmp(schema.format, "+s") == 0);
    CHECK(schema.n_children == 2);
    if (schema.n_children == 2) {
        CHECK(strcmp(schema.children[0]->format, "l") == 0); /* int64 */
        CHECK(strcmp(schema.children[0]->name, "id") == 0);
        CHECK(strcmp(schema.children[1]->format, "u") == 0); /* utf8 */
        CHECK(schema.children[1]->flags & ARROW_FLAG_NULLABLE);
    }
    schema.release(&schema);
    CHECK(schema.release == NULL);
    int64_t seen = 0;
    *batches = 0;
    for (;;) {
        struct ArrowArray batch;
        int rc = s->get_next(s, &batch);
        CHECK(rc == 0);
        if (rc != 0) {
            fprintf(stderr, "  get_next: %s\n", s->get_last_error(s));
            break;
        }
        if (batch.release == NULL) break; /* end of stream */
        (*batches)++;
        CHECK(batch.n_children == 2);
        const struct ArrowArray *ids = batch.children[0], *names = batch.children[1];
        const int64_t *id = ids->buffers[1];
        const int32_t *off = names->buffers[1];
        const char *data = names->buffers[2];
        for (int64_t i = 0; i < batch.length; i++) {
            int64_t want = seen + i;
            CHECK(valid(ids, i) && id[ids->offset + i] == want);
            if (want % 3 == 0) {
                CHECK(!valid(names, i));
            } else {
                char expect[32];
                snprintf(expect, sizeof expect, "name %lld", (long long)want);
                int64_t j = names->offset + i;
                CHECK(valid(names, i) && (size_t)(off[j + 1] - off[j]) == strlen(expect) &&
                      memcmp(data + off[j], expect, strlen(expect)) == 0);
            }
        }
        seen += batch.length;
        batch.release(&batch);
        CHECK(batch.release == NULL);
    }
    return seen;
}

static void run_engine(const struct engine *e) {
    const char *url = e->var ? getenv(e->var) : "sqlite::memory:";
    if (url == NULL || url[0] == '\0') {
        if (required(e->name)) {
            failed++;
            fprintf(stderr, "%s is required but %s is not set\n", e->name, e->var);
        } else {
            printf("skipped: %s (%s is not set)\n", e->name, e->var);
        }
        return;
    }
    check_context = e->name;
    char full[1024];
    snprintf(full, sizeof full, "%s%sarrow_batch_rows=4&pool_max_open=1", url, strchr(url, '?') ? "&" : "?");
    keel_db *db = NULL;
    OK(keel_db_open(full, &db, &err));
    if (db == NULL) {
        fprintf(stderr, "  open %s: %s\n", e->name, err ? keel_error_message(err) : "?");
        return;
    }
    keel_conn *c = NULL;
    OK(keel_db_checkout(db, &c, &err));
    char table[64], sql[512];
    snprintf(table, sizeof table, "kc_arrow_c_%ld", (long)getpid());
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    exec(c, sql);
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id BIGINT, name %s)", table, e->text_type);
    exec(c, sql);
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "name %d", i);
        keel_value params[2] = {{.kind = KEEL_TYPE_INT64, .int_value = i},
                                {.kind = i % 3 == 0 ? KEEL_TYPE_NULL : KEEL_TYPE_TEXT,
                                 .data = (const uint8_t *)name, .len = strlen(name)}};
        snprintf(sql, sizeof sql, "INSERT INTO %s (id, name) VALUES (?, ?)", table);
        OK(keel_conn_exec(c, sql, params, 2, NULL, &err));
    }

    /* Every row, in batches of 4, read after the connection went back. */
    struct ArrowArrayStream s;
    snprintf(sql, sizeof sql, "SELECT id, name FROM %s ORDER BY id", table);
    OK(keel_conn_query_arrow(c, sql, NULL, 0, &s, &err));
    keel_conn_free(c);
    int64_t batches = 0;
    CHECK(read_rows(&s, &batches) == 10);
    CHECK(batches == 3);
    s.release(&s);
    CHECK(s.release == NULL);

    /* Released before its end; the one connection is free again. */
    OK(keel_db_checkout(db, &c, &err));
    OK(keel_conn_query_arrow(c, sql, NULL, 0, &s, &err));
    struct ArrowArray batch;
    CHECK(s.get_next(&s, &batch) == 0 && batch.release != NULL && batch.length == 4);
    if (batch.release) batch.release(&batch);
    s.release(&s);

    /* Empty: the schema, then the end. */
    snprintf(sql, sizeof sql, "SELECT id, name FROM %s WHERE id < 0", table);
    OK(keel_conn_query_arrow(c, sql, NULL, 0, &s, &err));
    CHECK(read_rows(&s, &batches) == 0);
    CHECK(batches == 0);
    s.release(&s);

    if (strcmp(e->name, "sqlite") == 0) {
        /* An untyped column typed by its first batch, then a text value. */
        const char *bad = "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 9) "
                          "SELECT CASE WHEN x < 6 THEN x ELSE 'six' END AS v FROM n";
        OK(keel_conn_query_arrow(c, bad, NULL, 0, &s, &err));
        int rc = 0;
        int64_t rows = 0;
        for (;;) {
            rc = s.get_next(&s, &batch);
            if (rc != 0 || batch.release == NULL) break;
            rows += batch.length;
            batch.release(&batch);
        }
        CHECK(rc != 0);
        CHECK(rows == 4);
        const char *msg = s.get_last_error(&s);
        CHECK(msg != NULL && strstr(msg, "row 6") != NULL && strstr(msg, "\"v\"") != NULL);
        /* The message keel.h promises: "keel: ", the status, the message. */
        CHECK(msg != NULL && strncmp(msg, "keel: invalid data: ", 20) == 0);
        s.release(&s);
    }

    /* Ingest: the table's rows, streamed from a second connection, into a
     * new table; then read back through a stream. */
    {
        keel_conn *from = NULL;
        keel_db *db2 = NULL;
        char copy[80];
        snprintf(copy, sizeof copy, "%s_copy", table);
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", copy);
        exec(c, sql);
        /* pool_max_open=1 on `db`: the second connection from a second
         * pool; on SQLite (a second in-memory database would be another
         * one) the same connection, which carries several cursors. */
        bool same = strcmp(e->name, "sqlite") == 0;
        if (!same) {
            OK(keel_db_open(full, &db2, &err));
            if (db2 != NULL) OK(keel_db_checkout(db2, &from, &err));
        }
        if (same || from != NULL) {
            snprintf(sql, sizeof sql, "SELECT id, name FROM %s ORDER BY id", table);
            OK(keel_conn_query_arrow(same ? c : from, sql, NULL, 0, &s, &err));
            uint64_t n = 0;
            OK(keel_conn_ingest(c, copy, &s, KEEL_INGEST_MODE_CREATE, &n, &err));
            if (err != NULL) fprintf(stderr, "  ingest: %s\n", keel_error_message(err));
            CHECK(n == 10);
            CHECK(s.release == NULL); /* taken */
            keel_conn_free(from);
            snprintf(sql, sizeof sql, "SELECT id, name FROM %s ORDER BY id", copy);
            if (CALL(keel_conn_query_arrow(c, sql, NULL, 0, &s, &err)) == KEEL_STATUS_OK) {
                CHECK(read_rows(&s, &batches) == 10);
                s.release(&s);
            } else {
                CHECK(false);
            }
            /* A bad mode: refused, and the stream is still taken. */
            if (CALL(keel_conn_query_arrow(c, sql, NULL, 0, &s, &err)) == KEEL_STATUS_OK) {
                CHECK(CALL(keel_conn_ingest(c, copy, &s, 99, NULL, &err)) == KEEL_STATUS_INVALID_ARGUMENT);
                CHECK(s.release == NULL);
            } else {
                CHECK(false);
            }
        }
        keel_db_free(db2);
        snprintf(sql, sizeof sql, "DROP TABLE %s", copy);
        exec(c, sql);
    }

    snprintf(sql, sizeof sql, "DROP TABLE %s", table);
    exec(c, sql);
    keel_conn_free(c);
    keel_db_free(db);
    keel_error_free(err);
    err = NULL;
    check_context = "";
}

int main(void) {
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) run_engine(&engines[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

/* Drivers written outside keel, from keel.h alone: keel_driver_load of
 * keel's DuckDB driver (KEEL_TEST_DUCKDB_DRIVER, built by
 * scripts/duckdb.sh), a duckdb: URL through the pool with ? placeholders,
 * typed reads and a batch through the driver's appender, and the refusals
 * (a library that is not there, a driver loaded twice, NULL arguments).
 * Run under valgrind by make test. */
#include "check.h"
#include "keel.h"

static keel_status status_of(keel_status st, keel_error **err) {
    if (*err) {
        keel_error_free(*err);
        *err = NULL;
    }
    return st;
}

int main(void) {
    keel_error *err = NULL;
    CHECK(status_of(keel_driver_load("/nonexistent/libkeel_nothing.so", &err), &err) == KEEL_STATUS_NOT_FOUND);
    CHECK(keel_driver_load(NULL, NULL) == KEEL_STATUS_NULL_ARGUMENT);
    CHECK(keel_driver_register(NULL, NULL) == KEEL_STATUS_NULL_ARGUMENT);

    const char *path = getenv("KEEL_TEST_DUCKDB_DRIVER");
    if (path == NULL || path[0] == '\0') {
        if (required("duckdb")) {
            fprintf(stderr, "duckdb is required (KEEL_TEST_REQUIRE) but KEEL_TEST_DUCKDB_DRIVER is not set\n");
            failed++;
        } else {
            printf("skipped: KEEL_TEST_DUCKDB_DRIVER is not set\n");
        }
        printf("%d passed, %d failed\n", passed, failed);
        return failed != 0;
    }
    CHECK(keel_driver_load(path, &err) == KEEL_STATUS_OK);
    CHECK(err == NULL);
    CHECK(keel_driver_available("duckdb"));
    keel_status again = keel_driver_load(path, &err);
    CHECK(again == KEEL_STATUS_ALREADY_EXISTS);
    CHECK(err != NULL && strstr(keel_error_message(err), "duckdb") != NULL);
    status_of(again, &err);

    keel_db *db = NULL;
    CHECK(keel_db_open("duckdb::memory:", &db, &err) == KEEL_STATUS_OK);
    if (db != NULL) {
        CHECK(keel_db_exec(db, "CREATE TABLE c (id BIGINT, name VARCHAR)", NULL, 0, NULL, &err) == KEEL_STATUS_OK);
        keel_value row[2] = {{.kind = KEEL_TYPE_INT64, .int_value = 7},
                             {.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)"a name longer than twelve", .len = 25}};
        keel_exec_result r = {.size = sizeof r};
        CHECK(keel_db_exec(db, "INSERT INTO c VALUES (?, ?)", row, 2, &r, &err) == KEEL_STATUS_OK);
        CHECK(r.rows_affected == 1);
        keel_rows *rows = NULL;
        CHECK(keel_db_query(db, "SELECT id, name FROM c WHERE id = ?", row, 1, &rows, &err) == KEEL_STATUS_OK);
        bool has = false;
        CHECK(rows != NULL && keel_rows_next(rows, &has, &err) == KEEL_STATUS_OK && has);
        int64_t id = 0;
        const char *name = NULL;
        size_t len = 0;
        CHECK(keel_rows_column_int64(rows, 0, &id, &err) == KEEL_STATUS_OK && id == 7);
        CHECK(keel_rows_column_text(rows, 1, &name, &len, &err) == KEEL_STATUS_OK && len == 25 &&
              memcmp(name, "a name longer than twelve", 25) == 0);
        CHECK(keel_rows_next(rows, &has, &err) == KEEL_STATUS_OK && !has);
        keel_rows_free(rows);
        CHECK(status_of(keel_db_exec(db, "SELECT * FROM no_such_table", NULL, 0, NULL, &err), &err) == KEEL_STATUS_NOT_FOUND);

        /* A batch of a plain INSERT goes through DuckDB's appender (and
         * its rows through the driver's append_row), here over two
         * chunks of 10,000 rows; then one whose row 10500 holds text the
         * BIGINT column refuses: named, with the rows before it kept. */
        enum { N = 12000 };
        keel_value *batch = calloc(2 * N, sizeof *batch);
        char (*names)[16] = calloc(N, sizeof *names);
        keel_conn *conn = NULL;
        keel_stmt *stmt = NULL;
        CHECK(batch != NULL && names != NULL);
        CHECK(keel_db_checkout(db, &conn, &err) == KEEL_STATUS_OK);
        CHECK(conn != NULL && keel_conn_prepare(conn, "INSERT INTO c (id, name) VALUES (?, ?)", &stmt, &err) == KEEL_STATUS_OK);
        if (batch != NULL && names != NULL && stmt != NULL) {
            for (int i = 0; i < N; i++) {
                int n = snprintf(names[i], sizeof names[i], "name %d", i);
                batch[2 * i] = (keel_value){.kind = KEEL_TYPE_INT64, .int_value = 100 + i};
                batch[2 * i + 1] = (keel_value){.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)names[i], .len = (size_t)n};
            }
            keel_exec_result br = {.size = sizeof br};
            CHECK(keel_stmt_execute_batch(stmt, batch, N, 2, &br, &err) == KEEL_STATUS_OK);
            CHECK(br.rows_affected == N);
            batch[2 * 10500] = (keel_value){.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)"not a number", .len = 12};
            CHECK(keel_stmt_execute_batch(stmt, batch, N, 2, &br, &err) == KEEL_STATUS_INVALID_DATA);
            CHECK(err != NULL && strncmp(keel_error_message(err), "row 10500: ", 11) == 0);
            status_of(KEEL_STATUS_OK, &err);
            keel_rows *count = NULL;
            int64_t n = 0;
            CHECK(keel_conn_query(conn, "SELECT count(*) FROM c", NULL, 0, &count, &err) == KEEL_STATUS_OK &&
                  keel_rows_next(count, &has, &err) == KEEL_STATUS_OK && has &&
                  keel_rows_column_int64(count, 0, &n, &err) == KEEL_STATUS_OK);
            CHECK(n == 1 + N + 10500);
            keel_rows_free(count);
        }
        keel_stmt_free(stmt);
        keel_conn_free(conn);
        free(batch);
        free(names);
        keel_db_free(db);
    }
    if (err) {
        fprintf(stderr, "last error: %s\n", keel_error_message(err));
        keel_error_free(err);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

/* Quickstart: open an in-memory SQLite database, create a table, insert
 * rows with bound parameters, and print them back. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "keel.h"

int main(void) {
    keel_error *err = NULL;
    keel_db *db = NULL;
    die_on_error("open", keel_db_open("sqlite::memory:", &db, &err), err);

    keel_conn *conn = NULL;
    die_on_error("checkout", keel_db_checkout(db, &conn, &err), err);

    die_on_error("create",
                 keel_conn_exec(conn,
                                "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                "height_m REAL)",
                                NULL, 0, NULL, &err),
                 err);

    /* One prepared statement, bound and run once per row. */
    keel_stmt *insert = NULL;
    die_on_error("prepare",
                 keel_conn_prepare(conn, "INSERT INTO people (name, height_m) VALUES (?, ?)", &insert,
                                   &err),
                 err);
    const char *names[] = {"Ada", "Grace", "Edsger"};
    const double heights[] = {1.65, 1.52, 1.88};
    for (int i = 0; i < 3; i++) {
        die_on_error("bind name", keel_stmt_bind_text(insert, 0, names[i], strlen(names[i]), &err), err);
        die_on_error("bind height", keel_stmt_bind_double(insert, 1, heights[i], &err), err);
        keel_exec_result r = {.size = sizeof r}; /* size first: see ABI STABILITY in keel.h */
        die_on_error("insert", keel_stmt_execute(insert, &r, &err), err);
        printf("inserted %s as id %lld\n", names[i], (long long)r.last_insert_id);
    }
    keel_stmt_free(insert);

    /* A query with a parameter passed as a keel_value array. */
    keel_value min_height = {.kind = KEEL_TYPE_DOUBLE, .double_value = 1.6};
    keel_rows *rows = NULL;
    die_on_error("query",
                 keel_conn_query(conn, "SELECT id, name, height_m FROM people WHERE height_m > ? ORDER BY id",
                                 &min_height, 1, &rows, &err),
                 err);
    bool has_row = false;
    while (die_on_error("next", keel_rows_next(rows, &has_row, &err), err), has_row) {
        int64_t id = 0;
        const char *name = NULL;
        size_t name_len = 0;
        double height = 0;
        die_on_error("id", keel_rows_column_int64(rows, 0, &id, &err), err);
        die_on_error("name", keel_rows_column_text(rows, 1, &name, &name_len, &err), err);
        die_on_error("height", keel_rows_column_double(rows, 2, &height, &err), err);
        printf("%lld %.*s %.2f\n", (long long)id, (int)name_len, name, height);
    }
    keel_rows_free(rows);
    keel_conn_free(conn);
    keel_db_free(db);
    return 0;
}

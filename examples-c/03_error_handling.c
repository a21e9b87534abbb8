/* Error handling.
 *
 * Every fallible keel call returns a keel_status (KEEL_STATUS_OK is 0).
 * Pass a keel_error ** as the last argument to get the details: the
 * status, a message with context, a SQLSTATE and the engine's own error
 * number (for SQLite, its extended result code). The caller frees the
 * error with keel_error_free. Here four mistakes are made on purpose, each
 * reported and handled, and the program carries on. */
#include <stdbool.h>
#include <stdio.h>

#include "common.h"
#include "keel.h"

/* Print what a failed call reported, then free the error. */
static void report(const char *what, keel_status status, keel_error *err) {
    printf("%s\n", what);
    printf("  status:      %s (%d)\n", keel_status_str(status), (int)status);
    if (err != NULL) {
        printf("  message:     %s\n", keel_error_message(err));
        printf("  sqlstate:    %s\n", keel_error_sqlstate(err));
        printf("  vendor code: %d\n", (int)keel_error_vendor_code(err));
        printf("  driver:      %s\n", keel_error_driver(err));
    }
    keel_error_free(err);
}

int main(void) {
    keel_error *err = NULL;
    keel_db *db = NULL;
    die_on_error("open", keel_db_open("sqlite::memory:", &db, &err), err);
    keel_conn *conn = NULL;
    die_on_error("checkout", keel_db_checkout(db, &conn, &err), err);
    die_on_error("create",
                 keel_conn_exec(conn, "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)",
                                NULL, 0, NULL, &err),
                 err);
    die_on_error("insert", keel_conn_exec(conn, "INSERT INTO users (email) VALUES ('ada@example.com')", NULL, 0, NULL, &err),
                 err);

    /* 1. A constraint violation: KEEL_STATUS_INTEGRITY, SQLSTATE class 23.
     *    The vendor code is SQLITE_CONSTRAINT_UNIQUE (2067). */
    keel_status st = keel_conn_exec(conn, "INSERT INTO users (email) VALUES ('ada@example.com')", NULL, 0, NULL, &err);
    if (st == KEEL_STATUS_INTEGRITY) {
        report("duplicate email", st, err);
        err = NULL;
    } else {
        die_on_error("duplicate insert", st, err); /* some other failure */
    }

    /* 2. A syntax error, found when the statement is prepared:
     *    KEEL_STATUS_INVALID_ARGUMENT, SQLSTATE class 42. */
    keel_stmt *stmt = NULL;
    st = keel_conn_prepare(conn, "SELEC id FROM users", &stmt, &err);
    if (st != KEEL_STATUS_OK) {
        report("syntax error", st, err);
        err = NULL;
    }

    /* 3. The wrong number of parameters: the statement has one placeholder
     *    but two values are passed. keel checks this before running. */
    keel_value params[2] = {
        {.kind = KEEL_TYPE_INT64, .int_value = 1},
        {.kind = KEEL_TYPE_INT64, .int_value = 2},
    };
    keel_rows *rows = NULL;
    st = keel_conn_query(conn, "SELECT email FROM users WHERE id = ?", params, 2, &rows, &err);
    if (st != KEEL_STATUS_OK) {
        report("wrong parameter count", st, err);
        err = NULL;
    }

    /* 4. Reading text as an integer: conversions are exact or an error,
     *    never a silent parse: KEEL_STATUS_INVALID_DATA. */
    die_on_error("query", keel_conn_query(conn, "SELECT email FROM users", NULL, 0, &rows, &err), err);
    bool has_row = false;
    die_on_error("next", keel_rows_next(rows, &has_row, &err), err);
    int64_t n = 0;
    st = keel_rows_column_int64(rows, 0, &n, &err);
    if (st == KEEL_STATUS_INVALID_DATA) {
        report("text read as int64", st, err);
        err = NULL;
    } else {
        die_on_error("int64 read", st, err);
    }
    /* The row is still readable with the right type. */
    const char *email = NULL;
    die_on_error("email", keel_rows_column_text(rows, 0, &email, NULL, &err), err);
    printf("the email is still readable as text: %s\n", email);
    keel_rows_free(rows);

    /* Without an error object, the status alone still tells what failed. */
    st = keel_conn_exec(conn, "INSERT INTO users (email) VALUES (NULL)", NULL, 0, NULL, NULL);
    printf("NULL email without details: %s\n", keel_status_str(st));

    keel_conn_free(conn);
    keel_db_free(db);
    return 0;
}

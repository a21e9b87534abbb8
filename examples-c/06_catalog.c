/* The catalog.
 *
 * Creates two tables, then asks keel what is there: the tables
 * (keel_conn_tables), their columns (keel_conn_columns), the primary key
 * (keel_conn_primary_keys) and the foreign keys that point at a table
 * (keel_conn_foreign_keys). Each answer is an ordinary keel_rows cursor;
 * this program reads its columns by name with keel_rows_column_index, so it
 * runs unchanged on PostgreSQL and MySQL/MariaDB (give a URL as the first
 * argument; the default is in-memory SQLite). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "keel.h"

static keel_error *err = NULL;

/* Column `name` of the current row, as text; "NULL" when it is NULL. */
static void print_text(keel_rows *r, const char *name) {
    size_t i = 0;
    bool is_null = false;
    die_on_error("keel_rows_column_index", keel_rows_column_index(r, name, strlen(name), &i, &err), err);
    die_on_error("keel_rows_column_is_null", keel_rows_column_is_null(r, i, &is_null, &err), err);
    if (is_null) {
        printf("NULL");
        return;
    }
    const char *text = NULL;
    size_t len = 0;
    die_on_error("keel_rows_column_text", keel_rows_column_text(r, i, &text, &len, &err), err);
    printf("%.*s", (int)len, text);
}

/* Print `names` of every row of `r`, then free it. */
static void print_rows(const char *title, keel_rows *r, const char *const *names, size_t n) {
    printf("%s:\n", title);
    bool has = false;
    for (;;) {
        die_on_error("keel_rows_next", keel_rows_next(r, &has, &err), err);
        if (!has) break;
        printf(" ");
        for (size_t i = 0; i < n; i++) {
            printf(" %s=", names[i]);
            print_text(r, names[i]);
        }
        printf("\n");
    }
    keel_rows_free(r);
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "sqlite::memory:";
    keel_db *db = NULL;
    keel_conn *conn = NULL;
    die_on_error("keel_db_open", keel_db_open(url, &db, &err), err);
    die_on_error("keel_db_checkout", keel_db_checkout(db, &conn, &err), err);
    const char *ddl[] = {
        "CREATE TABLE author (id INT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL)",
        "CREATE TABLE book (id INT NOT NULL PRIMARY KEY, author_id INT REFERENCES author (id), "
        "price DECIMAL(8,2))",
    };
    for (size_t i = 0; i < sizeof ddl / sizeof ddl[0]; i++) {
        die_on_error("keel_conn_exec", keel_conn_exec(conn, ddl[i], NULL, 0, NULL, &err), err);
    }

    keel_rows *r = NULL;
    /* Tables whose name holds an "o" (a pattern: % is any run of
     * characters, _ any one, and a backslash before either means it
     * literally), of type TABLE only. */
    die_on_error("keel_conn_tables", keel_conn_tables(conn, NULL, NULL, "%o%", "TABLE", &r, &err), err);
    const char *tables[] = {"table_name", "table_type"};
    print_rows("tables", r, tables, 2);

    die_on_error("keel_conn_columns", keel_conn_columns(conn, NULL, NULL, "book", NULL, &r, &err), err);
    const char *columns[] = {"ordinal_position", "column_name", "keel_type", "is_nullable"};
    print_rows("columns of book", r, columns, 4);

    die_on_error("keel_conn_primary_keys", keel_conn_primary_keys(conn, NULL, NULL, "author", &r, &err), err);
    const char *keys[] = {"column_name", "key_seq"};
    print_rows("primary key of author", r, keys, 2);

    die_on_error("keel_conn_foreign_keys",
                 keel_conn_foreign_keys(conn, NULL, NULL, "author", KEEL_FOREIGN_KEYS_EXPORTED, &r, &err), err);
    const char *fks[] = {"fk_table", "fk_column", "pk_column", "delete_rule"};
    print_rows("foreign keys that reference author", r, fks, 4);

    die_on_error("keel_conn_exec", keel_conn_exec(conn, "DROP TABLE book", NULL, 0, NULL, &err), err);
    die_on_error("keel_conn_exec", keel_conn_exec(conn, "DROP TABLE author", NULL, 0, NULL, &err), err);
    keel_conn_free(conn);
    keel_db_free(db);
    return 0;
}

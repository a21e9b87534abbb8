/* Prepared statements and transactions.
 *
 * A statement is prepared once and executed many times with new bindings.
 * Changes are grouped with keel_conn_begin / keel_conn_commit, undone with
 * keel_conn_rollback, and partly undone with a savepoint and
 * keel_conn_rollback_to. keel_tx_options picks the locking mode and makes
 * a read-only transaction. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "keel.h"

/* Print every account, in id order. */
static void print_accounts(keel_conn *conn, const char *when) {
    keel_error *err = NULL;
    keel_rows *rows = NULL;
    die_on_error("query",
                 keel_conn_query(conn, "SELECT owner, balance FROM accounts ORDER BY id", NULL, 0, &rows, &err),
                 err);
    printf("%s:", when);
    bool has_row = false;
    while (die_on_error("next", keel_rows_next(rows, &has_row, &err), err), has_row) {
        const char *owner = NULL;
        int64_t balance = 0;
        die_on_error("owner", keel_rows_column_text(rows, 0, &owner, NULL, &err), err);
        die_on_error("balance", keel_rows_column_int64(rows, 1, &balance, &err), err);
        printf(" %s=%lld", owner, (long long)balance);
    }
    printf("\n");
    keel_rows_free(rows);
}

/* Move `amount` between two accounts with one prepared UPDATE, run twice. */
static void transfer(keel_stmt *update, const char *from, const char *to, int64_t amount) {
    keel_error *err = NULL;
    /* Parameter 0 is the delta, parameter 1 the owner (0-based). */
    die_on_error("bind", keel_stmt_bind_int64(update, 0, -amount, &err), err);
    die_on_error("bind", keel_stmt_bind_text(update, 1, from, strlen(from), &err), err);
    die_on_error("debit", keel_stmt_execute(update, NULL, &err), err);
    die_on_error("bind", keel_stmt_bind_int64(update, 0, amount, &err), err);
    die_on_error("bind", keel_stmt_bind_text(update, 1, to, strlen(to), &err), err);
    die_on_error("credit", keel_stmt_execute(update, NULL, &err), err);
}

int main(void) {
    keel_error *err = NULL;
    keel_db *db = NULL;
    die_on_error("open", keel_db_open("sqlite::memory:", &db, &err), err);
    keel_conn *conn = NULL;
    die_on_error("checkout", keel_db_checkout(db, &conn, &err), err);
    die_on_error("create",
                 keel_conn_exec(conn,
                                "CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, "
                                "balance INTEGER NOT NULL)",
                                NULL, 0, NULL, &err),
                 err);

    /* Prepare once, execute many: one INSERT inside one transaction. */
    keel_stmt *insert = NULL;
    die_on_error("prepare", keel_conn_prepare(conn, "INSERT INTO accounts (owner, balance) VALUES (?, ?)", &insert, &err),
                 err);
    printf("insert has %zu parameters\n", keel_stmt_param_count(insert));
    const char *owners[] = {"alice", "bob", "carol"};
    die_on_error("begin", keel_conn_begin(conn, NULL, &err), err);
    printf("in transaction: %s\n", keel_conn_in_transaction(conn) ? "yes" : "no");
    for (int i = 0; i < 3; i++) {
        die_on_error("bind", keel_stmt_bind_text(insert, 0, owners[i], strlen(owners[i]), &err), err);
        die_on_error("bind", keel_stmt_bind_int64(insert, 1, 100, &err), err);
        die_on_error("insert", keel_stmt_execute(insert, NULL, &err), err);
    }
    die_on_error("commit", keel_conn_commit(conn, &err), err);
    printf("in transaction: %s\n", keel_conn_in_transaction(conn) ? "yes" : "no");
    keel_stmt_free(insert);
    print_accounts(conn, "after commit");

    keel_stmt *update = NULL;
    die_on_error("prepare", keel_conn_prepare(conn, "UPDATE accounts SET balance = balance + ? WHERE owner = ?", &update, &err),
                 err);

    /* Rollback: the transfer is undone as a whole. */
    die_on_error("begin", keel_conn_begin(conn, NULL, &err), err);
    transfer(update, "alice", "bob", 30);
    print_accounts(conn, "inside transaction");
    die_on_error("rollback", keel_conn_rollback(conn, &err), err);
    print_accounts(conn, "after rollback");

    /* Savepoint: keep the first transfer, undo the second. IMMEDIATE takes
     * SQLite's write lock at BEGIN rather than at the first write. */
    keel_tx_options immediate = {.lock = KEEL_TX_LOCK_IMMEDIATE};
    die_on_error("begin", keel_conn_begin(conn, &immediate, &err), err);
    transfer(update, "alice", "bob", 10);
    die_on_error("savepoint", keel_conn_savepoint(conn, "before_carol", &err), err);
    transfer(update, "bob", "carol", 50);
    print_accounts(conn, "before rollback_to");
    die_on_error("rollback_to", keel_conn_rollback_to(conn, "before_carol", &err), err);
    die_on_error("release", keel_conn_release(conn, "before_carol", &err), err);
    die_on_error("commit", keel_conn_commit(conn, &err), err);
    print_accounts(conn, "after savepoint");
    keel_stmt_free(update);

    /* A read-only transaction: reads work, writes are refused. */
    keel_tx_options read_only = {.isolation = KEEL_ISOLATION_SERIALIZABLE, .read_only = true};
    die_on_error("begin", keel_conn_begin(conn, &read_only, &err), err);
    print_accounts(conn, "read-only");
    keel_status st = keel_conn_exec(conn, "DELETE FROM accounts", NULL, 0, NULL, &err);
    printf("delete in read-only transaction: %s\n", keel_status_str(st));
    keel_error_free(err);
    err = NULL;
    die_on_error("rollback", keel_conn_rollback(conn, &err), err);

    keel_conn_free(conn);
    keel_db_free(db);
    return 0;
}

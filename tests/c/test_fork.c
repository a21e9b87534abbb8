/* fork() with a busy pool, on every engine (SQLite on a file, and the
 * servers in KEEL_TEST_POSTGRES_URL, KEEL_TEST_MYSQL_URL and
 * KEEL_TEST_MSSQL_URL; an engine without its URL prints a skip line).
 *
 * The parent opens a pool and holds three sessions: A with a cursor open
 * in the middle of a result, C checked out with a prepared statement and a
 * cancel handle, and B returned idle. Then it forks. The child:
 *   - gets KEEL_STATUS_INVALID_STATE from every call on what it inherited
 *     (cursor, connection, statement, cancel handle), and frees it all;
 *   - checks connections out of the same pool and gets new sessions of its
 *     own (the server's session id differs from all of the parent's), with
 *     correct answers, prepared statements and a committed write;
 *   - frees the pool and _exits.
 * The parent, after waitpid, reads the rest of its cursor, uses C and its
 * statement, and checks out B again: each still has the same session and
 * gives correct answers, which proves the child said nothing on the
 * parent's sessions (no Terminate, no drain or KILL QUERY, no attention,
 * no TLS close_notify). PostgreSQL runs with sslmode=require when the
 * server offers TLS.
 *
 * SQLite runs in WAL mode, where a write does not wait for readers: in
 * the default rollback-journal mode the child's write would wait for the
 * parent's cursor, which waits for the child (and SQLite keeps its file
 * locks' bookkeeping per process, so the child's copy of that cursor's
 * read lock is never released there). keel's header asks for no SQLite
 * statement or transaction open across fork(); this test forks mid-cursor
 * on purpose.
 *
 * Prints "N passed, N failed" (the child's checks included). */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel.h"

static int passed, failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            passed++;                                                                  \
        } else {                                                                       \
            failed++;                                                                  \
            fprintf(stderr, "%s:%d: %s[%d]: check failed: %s\n", __FILE__, __LINE__, engine, (int)getpid(), #cond); \
        }                                                                              \
    } while (0)

/* The engine under test, for messages. */
static const char *engine = "";

static keel_error *last_err;

static void expect_status(int line, const char *expr, keel_status got, keel_status want, keel_error *err) {
    keel_error_free(last_err);
    last_err = err;
    bool ok = got == want && (want == KEEL_STATUS_OK ? err == NULL : (err != NULL && keel_error_status(err) == want));
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "%s:%d: %s[%d]: %s gave %s (%d), want %s (%d)%s%s\n", __FILE__, line, engine, (int)getpid(),
                expr, keel_status_str(got), (int)got, keel_status_str(want), (int)want, err ? ": " : "",
                err ? keel_error_message(err) : "");
    }
}

#define EXPECT(want, call_with_err)                                                    \
    do {                                                                               \
        keel_error *err = NULL;                                                        \
        keel_status st_ = (call_with_err);                                             \
        expect_status(__LINE__, #call_with_err, st_, (want), err);                     \
    } while (0)

#define OK(call_with_err) EXPECT(KEEL_STATUS_OK, call_with_err)

/* The last failed call said the handle belongs to the parent process. */
static bool said_parent(void) {
    return last_err != NULL && strstr(keel_error_message(last_err), "fork") != NULL &&
           strstr(keel_error_message(last_err), "parent process") != NULL;
}

/* Rows in the table, and the length of each value: enough that the result
 * is still on its way (in the socket and the server) when the parent forks. */
#define ROWS 3000

static void value_for(int64_t id, char *buf, size_t n) {
    snprintf(buf, n, "row-%06" PRId64 "-abcdefghijklmnopqrstuvwxyz0123456789", id);
}

/* One integer from a one-row query; INT64_MIN when it failed. */
static int64_t one_int(keel_conn *conn, const char *sql) {
    keel_rows *rows = NULL;
    bool has = false;
    int64_t v = INT64_MIN;
    OK(keel_conn_query(conn, sql, NULL, 0, &rows, &err));
    if (rows == NULL) return v;
    OK(keel_rows_next(rows, &has, &err));
    if (has) OK(keel_rows_column_int64(rows, 0, &v, &err));
    keel_rows_free(rows);
    return v;
}

/* The text of row `id` through a prepared statement; checks it. */
static void check_lookup(keel_stmt *stmt, int64_t id) {
    char want[96];
    value_for(id, want, sizeof want);
    OK(keel_stmt_bind_int64(stmt, 0, id, &err));
    keel_rows *rows = NULL;
    OK(keel_stmt_query(stmt, &rows, &err));
    bool has = false;
    const char *text = NULL;
    size_t len = 0;
    if (rows != NULL) {
        OK(keel_rows_next(rows, &has, &err));
        CHECK(has);
        if (has) {
            OK(keel_rows_column_text(rows, 0, &text, &len, &err));
            CHECK(text != NULL && len == strlen(want) && memcmp(text, want, len) == 0);
        }
        keel_rows_free(rows);
    }
}

/* Read cursor row `id` and check it is the right one. */
static bool check_row(keel_rows *rows, int64_t id) {
    bool has = false;
    keel_error *err = NULL;
    if (keel_rows_next(rows, &has, &err) != KEEL_STATUS_OK || !has) {
        fprintf(stderr, "%s: cursor row %" PRId64 ": %s\n", engine, id, err ? keel_error_message(err) : "ended early");
        keel_error_free(err);
        return false;
    }
    int64_t got = 0;
    const char *text = NULL;
    size_t len = 0;
    char want[96];
    value_for(id, want, sizeof want);
    bool ok = keel_rows_column_int64(rows, 0, &got, NULL) == KEEL_STATUS_OK &&
              keel_rows_column_text(rows, 1, &text, &len, NULL) == KEEL_STATUS_OK && got == id &&
              len == strlen(want) && memcmp(text, want, len) == 0;
    if (!ok) fprintf(stderr, "%s: cursor row %" PRId64 ": got id %" PRId64 " %.*s\n", engine, id, got, (int)len, text ? text : "");
    return ok;
}

struct target {
    const char *name;
    const char *url;
    /* One integer that names the server session (SQLite: PRAGMA cache_size,
     * which the parent sets per connection). */
    const char *session_sql;
    bool sqlite;
};

static keel_status open_pool(const struct target *t, bool tls, keel_db **db, keel_error **err) {
    keel_option opts[] = {
        {"pool_max_open", "3"},
        {"pool_max_idle", "3"},
        {"pool_acquire_timeout_ms", "10000"},
        {t->sqlite ? "journal_mode" : "connect_timeout_ms", t->sqlite ? "wal" : "10000"},
        {"sslmode", "require"},
    };
    return keel_db_open_options(t->url, opts, tls ? 5 : 4, db, err);
}

/* The child's half. Returns nothing: exits with its counts in the pipe. */
static void child(const struct target *t, keel_db *db, keel_conn *a, keel_conn *c, keel_stmt *s, keel_rows *r,
                  keel_cancel *cancel, const int64_t parent_ids[3], const char *table, int out_fd) {
    passed = failed = 0;
    alarm(300);
    char sql[256];
    bool has = false;

    /* Everything inherited refuses, and says why. */
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_rows_next(r, &has, &err));
    CHECK(said_parent());
    const char *text = NULL;
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_rows_column_text(r, 1, &text, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_exec(c, "SELECT 1", NULL, 0, NULL, &err));
    CHECK(said_parent());
    keel_rows *rows = NULL;
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_query(c, t->session_sql, NULL, 0, &rows, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_query(a, "SELECT 1", NULL, 0, &rows, &err));
    CHECK(rows == NULL);
    keel_stmt *other = NULL;
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_prepare(c, "SELECT 1", &other, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_ping(c, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_conn_begin(c, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_stmt_bind_int64(s, 0, 5, &err));
    CHECK(said_parent());
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_stmt_clear_bindings(s, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_stmt_execute(s, NULL, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_stmt_query(s, &rows, &err));
    EXPECT(KEEL_STATUS_INVALID_STATE, keel_cancel_request(cancel, &err));
    CHECK(said_parent());

    /* The pool gives the child sessions of its own. */
    keel_conn *x = NULL, *y = NULL;
    OK(keel_db_checkout(db, &x, &err));
    OK(keel_db_checkout(db, &y, &err));
    if (x != NULL && y != NULL) {
        int64_t ix = one_int(x, t->session_sql), iy = one_int(y, t->session_sql);
        CHECK(ix != INT64_MIN && iy != INT64_MIN);
        for (int i = 0; i < 3; i++) {
            CHECK(ix != parent_ids[i]);
            if (!t->sqlite) CHECK(iy != parent_ids[i]);
        }
        if (!t->sqlite) CHECK(ix != iy);
        snprintf(sql, sizeof sql, "SELECT val FROM %s WHERE id = ?", table);
        keel_stmt *ps = NULL;
        OK(keel_conn_prepare(x, sql, &ps, &err));
        if (ps != NULL) {
            check_lookup(ps, 1234);
            check_lookup(ps, 7);
            keel_stmt_free(ps);
        }
        /* The statement cache: the same query twice on one connection. */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
        CHECK(one_int(y, sql) == ROWS);
        CHECK(one_int(y, sql) == ROWS);
        /* A committed write the parent will see. */
        snprintf(sql, sizeof sql, "INSERT INTO %s_c (id) VALUES (?)", table);
        keel_value v = {.kind = KEEL_TYPE_INT64, .int_value = (int64_t)getpid()};
        OK(keel_conn_exec(x, sql, &v, 1, NULL, &err));
        keel_pool_stats st;
        OK(keel_db_stats(db, &st, &err));
        CHECK(st.open == 2 && st.in_use == 2 && st.idle == 0);
    }
    keel_conn_free(x);
    keel_conn_free(y);
    /* And through the pool's own calls. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE id <= 10", table);
    rows = NULL;
    OK(keel_db_query(db, sql, NULL, 0, &rows, &err));
    if (rows != NULL) {
        int64_t n = -1;
        OK(keel_rows_next(rows, &has, &err));
        OK(keel_rows_column_int64(rows, 0, &n, &err));
        CHECK(n == 10);
        keel_rows_free(rows);
    }

    /* Freeing what was inherited says nothing on the parent's sessions. */
    keel_rows_free(r);
    keel_stmt_free(s);
    keel_cancel_free(cancel);
    keel_conn_free(a);
    keel_conn_free(c);
    keel_db_free(db);
    keel_error_free(last_err);
    last_err = NULL;
    int counts[2] = {passed, failed};
    if (write(out_fd, counts, sizeof counts) != (ssize_t)sizeof counts) _exit(3);
    _exit(failed == 0 ? 0 : 1);
}

static void run(const struct target *t) {
    engine = t->name;
    keel_db *db = NULL;
    keel_error *err = NULL;
    bool tls = false;
    if (!t->sqlite && strcmp(t->name, "postgres") == 0 && strstr(t->url, "sslmode") == NULL) {
        tls = open_pool(t, true, &db, &err) == KEEL_STATUS_OK;
        if (!tls) {
            fprintf(stderr, "postgres: no TLS (%s); the fork test runs without it\n", err ? keel_error_message(err) : "");
            keel_error_free(err);
            err = NULL;
        }
    }
    if (db == NULL) OK(open_pool(t, false, &db, &err));
    if (db == NULL) return;

    char table[64], sql[256];
    snprintf(table, sizeof table, "keel_fork_%d", (int)getpid());
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", table);
    OK(keel_db_exec(db, sql, NULL, 0, NULL, &err));
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s_c", table);
    OK(keel_db_exec(db, sql, NULL, 0, NULL, &err));
    snprintf(sql, sizeof sql, "CREATE TABLE %s (id INT PRIMARY KEY, val VARCHAR(80) NOT NULL)", table);
    OK(keel_db_exec(db, sql, NULL, 0, NULL, &err));
    snprintf(sql, sizeof sql, "CREATE TABLE %s_c (id INT PRIMARY KEY)", table);
    OK(keel_db_exec(db, sql, NULL, 0, NULL, &err));
    {
        static char texts[ROWS][96];
        static keel_value params[ROWS * 2];
        for (int i = 0; i < ROWS; i++) {
            value_for(i + 1, texts[i], sizeof texts[i]);
            params[2 * i] = (keel_value){.kind = KEEL_TYPE_INT64, .int_value = i + 1};
            params[2 * i + 1] =
                (keel_value){.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)texts[i], .len = strlen(texts[i])};
        }
        keel_conn *w = NULL;
        keel_stmt *ins = NULL;
        OK(keel_db_checkout(db, &w, &err));
        snprintf(sql, sizeof sql, "INSERT INTO %s (id, val) VALUES (?, ?)", table);
        if (w != NULL) OK(keel_conn_begin(w, NULL, &err));
        if (w != NULL) OK(keel_conn_prepare(w, sql, &ins, &err));
        if (ins != NULL) OK(keel_stmt_execute_batch(ins, params, ROWS, 2, NULL, &err));
        keel_stmt_free(ins);
        if (w != NULL) OK(keel_conn_commit(w, &err));
        keel_conn_free(w);
    }

    /* The parent's three sessions and their ids. */
    keel_conn *a = NULL, *b = NULL, *c = NULL;
    OK(keel_db_checkout(db, &a, &err));
    OK(keel_db_checkout(db, &b, &err));
    OK(keel_db_checkout(db, &c, &err));
    if (a == NULL || b == NULL || c == NULL) {
        keel_conn_free(a);
        keel_conn_free(b);
        keel_conn_free(c);
        keel_db_free(db);
        return;
    }
    keel_conn *conns[3] = {a, b, c};
    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        if (t->sqlite) {
            snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", 1001 + i);
            OK(keel_conn_exec(conns[i], sql, NULL, 0, NULL, &err));
        }
        ids[i] = one_int(conns[i], t->session_sql);
    }
    CHECK(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    keel_stmt *s = NULL;
    snprintf(sql, sizeof sql, "SELECT val FROM %s WHERE id = ?", table);
    OK(keel_conn_prepare(c, sql, &s, &err));
    check_lookup(s, 42);
    keel_cancel *cancel = NULL;
    OK(keel_conn_cancel_handle(c, &cancel, &err));
    keel_rows *r = NULL;
    snprintf(sql, sizeof sql, "SELECT id, val FROM %s ORDER BY id", table);
    OK(keel_conn_query(a, sql, NULL, 0, &r, &err));
    keel_conn_free(b); /* idle in the pool */
    if (s == NULL || cancel == NULL || r == NULL) {
        keel_rows_free(r);
        keel_cancel_free(cancel);
        keel_stmt_free(s);
        keel_conn_free(a);
        keel_conn_free(c);
        keel_db_free(db);
        return;
    }
    int64_t next_id = 1;
    for (; next_id <= 3; next_id++) CHECK(check_row(r, next_id));

    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        exit(2);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        close(fds[0]);
        child(t, db, a, c, s, r, cancel, ids, table, fds[1]);
    }
    close(fds[1]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    int counts[2] = {0, 0};
    ssize_t got = read(fds[0], counts, sizeof counts);
    close(fds[0]);
    if (WIFSIGNALED(status)) fprintf(stderr, "%s: the child was killed by signal %d\n", engine, WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(got == (ssize_t)sizeof counts);
    if (got == (ssize_t)sizeof counts) {
        passed += counts[0];
        failed += counts[1];
    }

    /* The parent's sessions are untouched. */
    bool rows_ok = true;
    for (; next_id <= ROWS && rows_ok; next_id++) rows_ok = check_row(r, next_id);
    CHECK(rows_ok);
    bool has = true;
    if (rows_ok) {
        OK(keel_rows_next(r, &has, &err));
        CHECK(!has);
    }
    keel_rows_free(r);
    check_lookup(s, 2999);
    CHECK(one_int(c, t->session_sql) == ids[2]);
    CHECK(one_int(a, t->session_sql) == ids[0]);
    keel_conn *b2 = NULL;
    OK(keel_db_checkout(db, &b2, &err));
    if (b2 != NULL) {
        CHECK(one_int(b2, t->session_sql) == ids[1]);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s_c WHERE id = %d", table, (int)pid);
        CHECK(one_int(b2, sql) == 1);
    }
    keel_pool_stats st;
    OK(keel_db_stats(db, &st, &err));
    CHECK(st.open == 3 && st.closed_broken == 0);
    keel_conn_free(b2);
    keel_cancel_free(cancel);
    keel_stmt_free(s);
    keel_conn_free(a);
    keel_conn_free(c);
    snprintf(sql, sizeof sql, "DROP TABLE %s", table);
    OK(keel_db_exec(db, sql, NULL, 0, NULL, &err));
    snprintf(sql, sizeof sql, "DROP TABLE %s_c", table);
    OK(keel_db_exec(db, sql, NULL, 0, NULL, &err));
    keel_db_free(db);
    keel_error_free(last_err);
    last_err = NULL;
}

int main(void) {
    /* A hang (a child or parent waiting on a session the other broke)
     * fails the test instead of stopping the suite. */
    alarm(900);
    char path[128], url[256];
    snprintf(path, sizeof path, "/tmp/keel-fork-%d.db", (int)getpid());
    snprintf(url, sizeof url, "sqlite://%s", path);
    struct target targets[] = {
        {"sqlite", url, "PRAGMA cache_size", true},
        {"postgres", getenv("KEEL_TEST_POSTGRES_URL"), "SELECT pg_backend_pid()", false},
        {"mysql", getenv("KEEL_TEST_MYSQL_URL"), "SELECT CAST(CONNECTION_ID() AS SIGNED)", false},
        {"mssql", getenv("KEEL_TEST_MSSQL_URL"), "SELECT @@SPID", false},
    };
    const char *vars[] = {"", "KEEL_TEST_POSTGRES_URL", "KEEL_TEST_MYSQL_URL", "KEEL_TEST_MSSQL_URL"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        if (targets[i].url == NULL || targets[i].url[0] == '\0') {
            printf("skipped: %s (%s is not set)\n", targets[i].name, vars[i]);
            continue;
        }
        int before = failed;
        run(&targets[i]);
        printf("%s: %s\n", targets[i].name, failed == before ? "ok" : "FAILED");
    }
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char f[160];
        snprintf(f, sizeof f, "%s%s", path, suffixes[i]);
        unlink(f);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

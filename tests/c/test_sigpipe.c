/* The SIGPIPE rule: a C host that keeps the default SIGPIPE action must
 * get an error status, not be killed, when keel writes to a socket the
 * server has closed. For each network engine whose URL is set
 * (KEEL_TEST_MYSQL_URL, KEEL_TEST_MSSQL_URL, KEEL_TEST_POSTGRES_URL), one
 * connection is killed from a second one; the killed connection then
 * sends a request larger than a socket buffer (many write calls after the
 * peer's reset) and is freed (the MySQL client says goodbye on the dead
 * socket). Reaching the last line alive is the test; a first check shows
 * that a plain write() to a closed socket does kill a process here, so the
 * test would catch a client library that wrote that way. Prints
 * "N passed, N failed". */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keel.h"
#include "check.h"

static int64_t scalar_int(keel_conn *conn, const char *sql) {
    keel_rows *rows = NULL;
    bool has = false;
    int64_t v = -1;
    if (keel_conn_query(conn, sql, NULL, 0, &rows, NULL) == KEEL_STATUS_OK &&
        keel_rows_next(rows, &has, NULL) == KEEL_STATUS_OK && has) {
        keel_rows_column_int64(rows, 0, &v, NULL);
    }
    keel_rows_free(rows);
    return v;
}

struct engine {
    const char *name;
    const char *var;
    const char *id_sql;   /* the session's own id */
    const char *kill_fmt; /* ends a session by id */
    const char *options;  /* added to the URL's query string */
};

static void run(const struct engine *e, const uint8_t *big, size_t big_len) {
    const char *base = getenv(e->var);
    if (base == NULL || base[0] == '\0') {
        /* KEEL_TEST_REQUIRE (make test) names the servers that must be there. */
        CHECK(!required(e->name));
        printf("skipped: %s (%s is not set)\n", e->name, e->var);
        return;
    }
    char url[1024];
    snprintf(url, sizeof url, "%s%spool_health_check_idle_ms=0&pool_max_open=4%s", base, strchr(base, '?') ? "&" : "?",
             e->options);
    keel_db *db = NULL;
    keel_error *err = NULL;
    if (keel_db_open(url, &db, &err) != KEEL_STATUS_OK) {
        fprintf(stderr, "%s: open failed: %s\n", e->name, keel_error_message(err));
        keel_error_free(err);
        failed++;
        return;
    }
    keel_conn *victim = NULL, *killer = NULL;
    CHECK(keel_db_checkout(db, &victim, NULL) == KEEL_STATUS_OK);
    CHECK(keel_db_checkout(db, &killer, NULL) == KEEL_STATUS_OK);
    int64_t id = scalar_int(victim, e->id_sql);
    CHECK(id > 0);
    char kill[128];
    snprintf(kill, sizeof kill, e->kill_fmt, (long long)id);
    CHECK(keel_conn_exec(killer, kill, NULL, 0, NULL, NULL) == KEEL_STATUS_OK);
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL); /* let the server close the socket */

    /* Several large writes to the closed socket: each must fail cleanly. */
    keel_value p = {.kind = KEEL_TYPE_BYTES, .data = big, .len = big_len};
    for (int i = 0; i < 3; i++) {
        keel_error *e2 = NULL;
        keel_status st = keel_conn_exec(victim, "SELECT ?", &p, 1, NULL, &e2);
        CHECK(st != KEEL_STATUS_OK);
        keel_error_free(e2);
    }
    keel_conn_free(victim); /* discarded by the pool: its close writes too */
    keel_conn_free(killer);
    /* The pool still works afterwards. */
    keel_conn *c = NULL;
    CHECK(keel_db_checkout(db, &c, NULL) == KEEL_STATUS_OK);
    CHECK(scalar_int(c, "SELECT 1") == 1);
    keel_conn_free(c);
    keel_db_free(db);
    printf("%s: survived writes to a closed socket\n", e->name);
}

/* A child that writes with plain write() to a socket whose peer is gone
 * dies of SIGPIPE: the failure this test guards against is real here. */
static bool plain_write_is_killed(void) {
    pid_t pid = fork();
    if (pid == 0) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) _exit(3);
        close(sv[1]);
        for (int i = 0; i < 3; i++) {
            if (write(sv[0], "x", 1) < 0) continue;
        }
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE;
}

int main(void) {
    /* The default action, as in a C host that never touches SIGPIPE. */
    signal(SIGPIPE, SIG_DFL);
    CHECK(plain_write_is_killed());
    size_t big_len = 4u << 20;
    uint8_t *big = malloc(big_len);
    if (big == NULL) return 2;
    memset(big, 0x5a, big_len);
    const struct engine engines[] = {
        {"mysql", "KEEL_TEST_MYSQL_URL", "SELECT CONNECTION_ID()", "KILL %lld", ""},
        {"mssql", "KEEL_TEST_MSSQL_URL", "SELECT @@SPID", "KILL %lld", ""},
        /* Plain TCP: the test runs under valgrind, which cannot follow the
         * assembly of ring (rustls' crypto) and reports its AES-GCM output
         * as uninitialised. The socket writes are the same with TLS. */
        {"postgres", "KEEL_TEST_POSTGRES_URL", "SELECT pg_backend_pid()", "SELECT pg_terminate_backend(%lld)",
         "&sslmode=disable"},
    };
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) run(&engines[i], big, big_len);
    free(big);
    /* Still the default action: keel did not change the host's handler. */
    struct sigaction now;
    sigaction(SIGPIPE, NULL, &now);
    CHECK(now.sa_handler == SIG_DFL);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

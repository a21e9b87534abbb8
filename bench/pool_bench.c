/*
 * pool_bench: the cost of keel's pool, against the native C clients.
 *
 *   checkout   keel_db_checkout + keel_conn_free, in a loop, on 1, 4 and 16
 *              threads sharing one keel_db: the pool's cost per operation
 *              (no native counterpart: the native clients have no pool).
 *   lookups    point lookups by id (id, name, score of one row of 10,000)
 *              on 1, 4 and 16 threads. keel: every lookup goes through the
 *              pool (keel_db_query checks a connection out, runs the cached
 *              prepared statement, and the freed cursor returns it);
 *              the pool is sized to the threads (pool_max_open and
 *              pool_max_idle = threads), as a user of Go's database/sql
 *              would size it. Native: one raw connection per thread, opened
 *              before the clock starts, with one prepared statement:
 *                sqlite3    sqlite3_prepare_v2 / sqlite3_step, from the same
 *                           bundled SQLite that libkeel.a carries
 *                libpq      PQexecPrepared, binary parameters and results
 *                libmariadb mysql_stmt_execute / mysql_stmt_fetch
 *              Both sides read every value and the run fails if their
 *              checksums differ.
 * The total number of lookups is the same for every thread count (split
 * evenly), so the times compare across rows. Each case runs `reps` times,
 * keel and native interleaved; the best wall time counts, and the CPU time
 * of the process (every thread) is shown next to it. SQLite runs on a file
 * database (in $POOL_BENCH_DIR, else the current directory; removed at the
 * end) that every connection of both sides opens.
 *
 * Usage: pool_bench [sqlite|postgres|mysql|all] [--lookups N] [--checkouts N] [--reps N]
 * URLs come from KEEL_TEST_POSTGRES_URL and KEEL_TEST_MYSQL_URL
 * (`. scripts/servers.sh`); an engine without one is skipped. The table
 * keel_pool_bench is dropped and re-created.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>

#define BENCH_NAME "pool_bench"
#include "bench_common.h"
#include "keel.h"

#define ROWS 10000
#define MAX_THREADS 16

static long g_lookups = 40000;  /* network engines; SQLite does 10 times as many */
static long g_checkouts = 200000;
static int g_reps = 3;
static const int THREADS[] = {1, 4, 16};


/* Deterministic ids in [1, ROWS], one stream per thread. */
static int64_t next_id(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (int64_t)(*s % ROWS) + 1;
}

/* What a lookup read, summed: both sides must agree. */
typedef struct {
    int64_t ids, name_bytes;
    double score;
    long rows;
} check;

static void add_row(check *c, int64_t id, size_t name_len, double score) {
    c->ids += id;
    c->name_bytes += (int64_t)name_len;
    c->score += score;
    c->rows++;
}

/* ------------------------------------------------------------------ */
/* the threaded runner                                                 */

typedef enum { ENGINE_SQLITE, ENGINE_PG, ENGINE_MY } engine;

typedef struct shared shared;
typedef struct {
    shared *sh;
    int index;
    long ops;
    check c;
    void *native; /* the thread's own native connection */
    void *native_stmt;
} worker;

struct shared {
    engine eng;
    const char *url;      /* the engine's URL (native side) */
    keel_db *db;          /* keel side */
    /* Every worker waits at `ready`, the clock starts, then `go` lets them run. */
    pthread_barrier_t ready, go;
    void (*body)(worker *);
};

static void *run_worker(void *arg) {
    worker *w = arg;
    pthread_barrier_wait(&w->sh->ready);
    pthread_barrier_wait(&w->sh->go);
    w->sh->body(w);
    return NULL;
}

/* Run `body` on `n` workers at once; the time is from the moment all are
 * ready (the clock is read before they are let go) until the last one ends. */
static timing run_threads(shared *sh, worker *ws, int n) {
    pthread_t t[MAX_THREADS];
    pthread_barrier_init(&sh->ready, NULL, (unsigned)n + 1);
    pthread_barrier_init(&sh->go, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, run_worker, &ws[i]) != 0)
            die("pthread_create", "");
    pthread_barrier_wait(&sh->ready);
    double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    pthread_barrier_wait(&sh->go);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    timing r = {clock_s(CLOCK_MONOTONIC) - w0, clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0};
    pthread_barrier_destroy(&sh->ready);
    pthread_barrier_destroy(&sh->go);
    return r;
}

/* ------------------------------------------------------------------ */
/* keel side                                                           */

static const char *LOOKUP_SQL = "SELECT id, name, score FROM keel_pool_bench WHERE id = ?";

static void keel_checkouts(worker *w) {
    for (long i = 0; i < w->ops; i++) {
        keel_conn *c;
        keel_status st = keel_db_checkout(w->sh->db, &c, NULL);
        if (st != KEEL_STATUS_OK)
            kdie("checkout", st, NULL);
        keel_conn_free(c);
    }
}

static void keel_lookups(worker *w) {
    uint64_t rng = 0x2545F4914F6CDD1DULL + (uint64_t)w->index * 7919;
    for (long i = 0; i < w->ops; i++) {
        keel_value id = {.kind = KEEL_TYPE_INT64, .int_value = next_id(&rng)};
        keel_rows *r;
        keel_status st = keel_db_query(w->sh->db, LOOKUP_SQL, &id, 1, &r, NULL);
        if (st != KEEL_STATUS_OK)
            kdie("query", st, NULL);
        for (;;) {
            bool has;
            if ((st = keel_rows_next(r, &has, NULL)) != KEEL_STATUS_OK)
                kdie("next", st, NULL);
            if (!has)
                break;
            int64_t rid;
            const char *name;
            size_t name_len;
            double score;
            if (keel_rows_column_int64(r, 0, &rid, NULL) || keel_rows_column_text(r, 1, &name, &name_len, NULL) ||
                keel_rows_column_double(r, 2, &score, NULL))
                kdie("read", KEEL_STATUS_UNKNOWN, NULL);
            add_row(&w->c, rid, name_len, score);
        }
        keel_rows_free(r);
    }
}

/* ------------------------------------------------------------------ */
/* native side                                                         */

static char g_sqlite_path[256];


/* mysql://user:password@host:port/db (no query string). */

typedef struct {
    MYSQL_STMT *stmt;
    int64_t id, rid;
    char name[64];
    unsigned long name_len;
    double score;
    MYSQL_BIND param, result[3];
} my_lookup;

static void native_open(worker *w) {
    switch (w->sh->eng) {
    case ENGINE_SQLITE: {
        sqlite3 *db;
        if (sqlite3_open_v2(g_sqlite_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
            die("sqlite3_open_v2", sqlite3_errmsg(db));
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT id, name, score FROM keel_pool_bench WHERE id = ?1", -1, &st, NULL))
            die("sqlite3_prepare_v2", sqlite3_errmsg(db));
        w->native = db;
        w->native_stmt = st;
        break;
    }
    case ENGINE_PG: {
        PGconn *c = PQconnectdb(w->sh->url);
        if (PQstatus(c) != CONNECTION_OK)
            die("libpq connect", PQerrorMessage(c));
        Oid types[1] = {20};
        PGresult *p = PQprepare(c, "lookup", "SELECT id, name, score FROM keel_pool_bench WHERE id = $1", 1, types);
        if (PQresultStatus(p) != PGRES_COMMAND_OK)
            die("PQprepare", PQerrorMessage(c));
        PQclear(p);
        w->native = c;
        break;
    }
    case ENGINE_MY: {
        my_url u = parse_mysql_url(w->sh->url);
        MYSQL *m = mysql_init(NULL);
        unsigned proto = MYSQL_PROTOCOL_TCP;
        mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
        if (!mysql_real_connect(m, u.host, u.user, u.pass, u.db, u.port, NULL, 0))
            die("libmariadb connect", mysql_error(m));
        my_lookup *l = calloc(1, sizeof *l);
        l->stmt = mysql_stmt_init(m);
        const char *sql = "SELECT id, name, score FROM keel_pool_bench WHERE id = ?";
        if (mysql_stmt_prepare(l->stmt, sql, (unsigned long)strlen(sql)))
            die("mysql_stmt_prepare", mysql_stmt_error(l->stmt));
        l->param.buffer_type = MYSQL_TYPE_LONGLONG;
        l->param.buffer = &l->id;
        l->result[0].buffer_type = MYSQL_TYPE_LONGLONG;
        l->result[0].buffer = &l->rid;
        l->result[1].buffer_type = MYSQL_TYPE_STRING;
        l->result[1].buffer = l->name;
        l->result[1].buffer_length = sizeof l->name;
        l->result[1].length = &l->name_len;
        l->result[2].buffer_type = MYSQL_TYPE_DOUBLE;
        l->result[2].buffer = &l->score;
        if (mysql_stmt_bind_param(l->stmt, &l->param) || mysql_stmt_bind_result(l->stmt, l->result))
            die("mysql_stmt_bind", mysql_stmt_error(l->stmt));
        w->native = m;
        w->native_stmt = l;
        break;
    }
    }
}

static void native_close(worker *w) {
    switch (w->sh->eng) {
    case ENGINE_SQLITE:
        sqlite3_finalize(w->native_stmt);
        sqlite3_close(w->native);
        break;
    case ENGINE_PG:
        PQfinish(w->native);
        break;
    case ENGINE_MY: {
        my_lookup *l = w->native_stmt;
        mysql_stmt_close(l->stmt);
        free(l);
        mysql_close(w->native);
        break;
    }
    }
}


static void native_lookups(worker *w) {
    uint64_t rng = 0x2545F4914F6CDD1DULL + (uint64_t)w->index * 7919;
    for (long i = 0; i < w->ops; i++) {
        int64_t id = next_id(&rng);
        switch (w->sh->eng) {
        case ENGINE_SQLITE: {
            sqlite3_stmt *st = w->native_stmt;
            sqlite3_bind_int64(st, 1, id);
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                add_row(&w->c, sqlite3_column_int64(st, 0), (size_t)sqlite3_column_bytes(st, 1),
                        sqlite3_column_double(st, 2));
            if (rc != SQLITE_DONE)
                die("sqlite3_step", sqlite3_errmsg(w->native));
            sqlite3_reset(st);
            break;
        }
        case ENGINE_PG: {
            uint64_t id_be = __builtin_bswap64((uint64_t)id);
            const char *vals[1] = {(const char *)&id_be};
            int lens[1] = {8}, fmts[1] = {1};
            PGresult *r = PQexecPrepared(w->native, "lookup", 1, vals, lens, fmts, 1);
            if (PQresultStatus(r) != PGRES_TUPLES_OK)
                die("PQexecPrepared", PQerrorMessage(w->native));
            for (int k = 0; k < PQntuples(r); k++) {
                uint64_t sb = be64(PQgetvalue(r, k, 2));
                double score;
                memcpy(&score, &sb, 8);
                add_row(&w->c, (int64_t)be64(PQgetvalue(r, k, 0)), (size_t)PQgetlength(r, k, 1), score);
            }
            PQclear(r);
            break;
        }
        case ENGINE_MY: {
            my_lookup *l = w->native_stmt;
            l->id = id;
            if (mysql_stmt_execute(l->stmt))
                die("mysql_stmt_execute", mysql_stmt_error(l->stmt));
            int rc;
            while ((rc = mysql_stmt_fetch(l->stmt)) == 0)
                add_row(&w->c, l->rid, l->name_len, l->score);
            if (rc != MYSQL_NO_DATA)
                die("mysql_stmt_fetch", mysql_stmt_error(l->stmt));
            break;
        }
        }
    }
}

/* ------------------------------------------------------------------ */
/* setup                                                               */

static void keel_exec(keel_db *db, const char *sql) {
    KTRY(sql, keel_db_exec(db, sql, NULL, 0, NULL, &e_));
}

/* The table, filled the same way on every engine through keel. */
static void setup(engine eng, const char *url) {
    keel_db *db;
    KTRY("open", keel_db_open(url, &db, &e_));
    keel_exec(db, "DROP TABLE IF EXISTS keel_pool_bench");
    keel_exec(db, eng == ENGINE_PG ? "CREATE TABLE keel_pool_bench (id BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                                     "score DOUBLE PRECISION NOT NULL)"
                                   : "CREATE TABLE keel_pool_bench (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
                                     "score DOUBLE NOT NULL)");
    keel_conn *c;
    KTRY("checkout", keel_db_checkout(db, &c, &e_));
    KTRY("begin", keel_conn_begin(c, NULL, &e_));
    keel_stmt *s;
    KTRY("prepare", keel_conn_prepare(c, "INSERT INTO keel_pool_bench (id, name, score) VALUES (?, ?, ?)", &s, &e_));
    for (int64_t i = 1; i <= ROWS; i++) {
        char name[40];
        int n = snprintf(name, sizeof name, "name-%" PRId64, i * 7919 % 100003);
        KTRY("bind", keel_stmt_bind_int64(s, 0, i, &e_));
        KTRY("bind", keel_stmt_bind_text(s, 1, name, (size_t)n, &e_));
        KTRY("bind", keel_stmt_bind_double(s, 2, (double)i * 0.25, &e_));
        KTRY("insert", keel_stmt_execute(s, NULL, &e_));
    }
    keel_stmt_free(s);
    KTRY("commit", keel_conn_commit(c, &e_));
    keel_conn_free(c);
    keel_db_free(db);
}

/* ------------------------------------------------------------------ */

/* keel's URL for `threads` workers: the pool sized to them. */
static void keel_url(char *out, size_t cap, const char *url, int threads) {
    snprintf(out, cap, "%s%cpool_max_open=%d&pool_max_idle=%d", url, strchr(url, '?') ? '&' : '?', threads, threads);
}

static void bench_engine(engine eng, const char *name, const char *url, const char *native_name) {
    setup(eng, url);
    long lookups = eng == ENGINE_SQLITE ? g_lookups * 10 : g_lookups;
    shared sh = {.eng = eng, .url = url};
    worker ws[MAX_THREADS];

    for (size_t t = 0; t < sizeof THREADS / sizeof THREADS[0]; t++) {
        int n = THREADS[t];
        char kurl[1024];
        keel_url(kurl, sizeof kurl, url, n);
        KTRY("open", keel_db_open(kurl, &sh.db, &e_));
        /* Open the pool's connections before timing, as the native side
         * opens its own. */
        keel_conn *warm[MAX_THREADS];
        for (int i = 0; i < n; i++)
            KTRY("checkout", keel_db_checkout(sh.db, &warm[i], &e_));
        for (int i = 0; i < n; i++)
            keel_conn_free(warm[i]);

        /* checkout + return */
        timing bc = {1e30, 1e30};
        for (int r = 0; r < g_reps; r++) {
            for (int i = 0; i < n; i++)
                ws[i] = (worker){.sh = &sh, .index = i, .ops = g_checkouts / n};
            sh.body = keel_checkouts;
            best(&bc, run_threads(&sh, ws, n));
        }
        long ops = g_checkouts / n * n;
        printf("%-9s checkout+return, %2d thread%s %8.0f ns/op wall %8.0f ns/op cpu\n", name, n, n == 1 ? " " : "s",
               bc.wall / ops * 1e9, bc.cpu / ops * 1e9);

        /* lookups */
        timing bk = {1e30, 1e30}, bn = {1e30, 1e30};
        for (int r = 0; r < g_reps; r++) {
            check ck = {0}, cn = {0};
            for (int i = 0; i < n; i++) {
                ws[i] = (worker){.sh = &sh, .index = i, .ops = lookups / n};
                native_open(&ws[i]);
            }
            sh.body = native_lookups;
            best(&bn, run_threads(&sh, ws, n));
            for (int i = 0; i < n; i++) {
                cn.ids += ws[i].c.ids, cn.name_bytes += ws[i].c.name_bytes, cn.score += ws[i].c.score;
                cn.rows += ws[i].c.rows;
                native_close(&ws[i]);
            }
            for (int i = 0; i < n; i++)
                ws[i] = (worker){.sh = &sh, .index = i, .ops = lookups / n};
            sh.body = keel_lookups;
            best(&bk, run_threads(&sh, ws, n));
            for (int i = 0; i < n; i++) {
                ck.ids += ws[i].c.ids, ck.name_bytes += ws[i].c.name_bytes, ck.score += ws[i].c.score;
                ck.rows += ws[i].c.rows;
            }
            if (ck.ids != cn.ids || ck.name_bytes != cn.name_bytes || ck.score != cn.score || ck.rows != cn.rows ||
                ck.rows != lookups / n * n)
                die("lookups", "keel and the native client read different data");
        }
        char w[64];
        snprintf(w, sizeof w, "%ld lookups, %2d thread%s", lookups / n * n, n, n == 1 ? "" : "s");
        printf("%-9s %-26s %8.3f %8.3f %6.2f | %8.3f %8.3f %6.2f  %s\n", name, w, bk.wall, bn.wall, bk.wall / bn.wall,
               bk.cpu, bn.cpu, bk.cpu / bn.cpu, native_name);
        fflush(stdout);
        keel_pool_stats st = {.size = sizeof st};
        KTRY("stats", keel_db_stats(sh.db, &st, &e_));
        if (st.open > (uint64_t)n || st.closed_broken != 0)
            die("pool", "more connections than threads, or broken ones: the pool misbehaved");
        keel_db_free(sh.db);
    }
}

static bool want(const char *only, const char *name) {
    return only == NULL || strcmp(only, "all") == 0 || strcmp(only, name) == 0;
}

int main(int argc, char **argv) {
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lookups") == 0 && i + 1 < argc)
            g_lookups = atol(argv[++i]);
        else if (strcmp(argv[i], "--checkouts") == 0 && i + 1 < argc)
            g_checkouts = atol(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            g_reps = atoi(argv[++i]);
        else if (argv[i][0] != '-')
            only = argv[i];
        else {
            fprintf(stderr, "usage: pool_bench [sqlite|postgres|mysql|all] [--lookups N] [--checkouts N] [--reps N]\n");
            return 2;
        }
    }
    if (g_lookups < MAX_THREADS || g_checkouts < MAX_THREADS || g_reps < 1)
        die("arguments", "--lookups and --checkouts must be at least 16, --reps at least 1");

    printf("pool: keel %s through its pool vs one raw native connection per thread; best of %d\n", keel_version(),
           g_reps);
    printf("%-9s %-26s %8s %8s %6s | %8s %8s %6s\n", "engine", "workload", "keel s", "native s", "k/n", "keel cpu",
           "nat cpu", "k/n");
    if (want(only, "sqlite")) {
        const char *dir = getenv("POOL_BENCH_DIR");
        snprintf(g_sqlite_path, sizeof g_sqlite_path, "%s/keel-pool-bench-%ld.db", dir && *dir ? dir : ".",
                 (long)getpid());
        char url[512];
        snprintf(url, sizeof url, "sqlite://%s", g_sqlite_path);
        bench_engine(ENGINE_SQLITE, "sqlite", url, "sqlite3_step, same SQLite build");
        unlink(g_sqlite_path);
    }
    const char *pg = getenv("KEEL_TEST_POSTGRES_URL");
    if (want(only, "postgres")) {
        if (pg && *pg)
            bench_engine(ENGINE_PG, "postgres", pg, "libpq PQexecPrepared, binary");
        else
            printf("postgres  skipped: KEEL_TEST_POSTGRES_URL is not set\n");
    }
    const char *my = getenv("KEEL_TEST_MYSQL_URL");
    if (want(only, "mysql")) {
        if (my && *my)
            bench_engine(ENGINE_MY, "mysql", my, "libmariadb mysql_stmt_execute");
        else
            printf("mysql     skipped: KEEL_TEST_MYSQL_URL is not set\n");
    }
    return 0;
}

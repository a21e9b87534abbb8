/*
 * net_bench: keel against the native C clients over the network, in one run.
 *
 *   PostgreSQL: keel vs libpq          MySQL/MariaDB: keel vs libmariadb
 *
 * Workloads (the same SQL and the same values on both sides):
 *   fetch   read every value of N rows (default 1,000,000) of
 *           (id int64, name text 16 chars, score double, flag bool,
 *            created timestamp, payload 32 bytes, n int, 10% NULL):
 *           keel with one typed getter per value, and again with one
 *           keel_rows_next_values per row
 *   lookup  L point lookups by id (default 20,000) through one prepared
 *           statement, reading every value of the row
 *   insert  I rows (default 200,000) through one prepared INSERT in one
 *           transaction, one execution per row
 *   update  U rows (default 20,000) updated by key through one prepared
 *           UPDATE in one transaction, as one batch: keel's
 *           keel_stmt_execute_batch (pipelined on PostgreSQL, MariaDB's
 *           bulk command on MariaDB, 1000 rows per round trip) against
 *           libpq's pipeline mode, and libmariadb's array binding
 *           (STMT_ATTR_ARRAY_SIZE, the same bulk command), with the same
 *           1000-row chunks
 * Each runs `reps` times per client, interleaved; the best time counts.
 * Both sides compute a checksum of every value they read, and the run fails
 * if the checksums differ. The table gives wall time (what the targets are
 * about) and the CPU time of this process, i.e. the client's own cost, which
 * stays steady when other work shares the machine. Neither side pipelines
 * the lookups and inserts: each is one round trip, as it is in keel; both
 * pipeline the update batch.
 *
 * The native side is what a careful user of each client would write:
 *   libpq       PQexecParams / PQexecPrepared with binary parameters and
 *               binary results (resultFormat = 1). The fetch reads the whole
 *               result into one PGresult (libpq's fastest path); libpq's
 *               streaming single-row mode is timed too, for information.
 *   libmariadb  the binary protocol: mysql_stmt_prepare / _execute with
 *               MYSQL_BIND parameters and results, rows fetched unbuffered
 *               with mysql_stmt_fetch (no mysql_stmt_store_result), as keel
 *               streams. The text protocol (mysql_query + mysql_use_result,
 *               values parsed with strtoll/strtod) is timed for information.
 *   keel streams every result (it never buffers a whole result set).
 *
 * Streaming memory: `net_bench rss postgres|mysql [rows]` streams a
 * generated result (default 10,000,000 rows) through keel, reading every
 * value, and reports the growth of the process's peak RSS (VmHWM).
 *
 * Usage:
 *   net_bench [postgres|mysql|all] [--rows N] [--lookups N] [--inserts N]
 *             [--updates N] [--reps N] [--only fetch|lookup|insert|update]
 *             [--side keel|native]
 *   net_bench rss postgres|mysql [rows]
 * URLs come from KEEL_TEST_POSTGRES_URL and KEEL_TEST_MYSQL_URL
 * (`. scripts/servers.sh`). The tables keel_bench_fetch and keel_bench_ins
 * are dropped and re-created.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <mysql.h>

#define BENCH_NAME "net_bench"
#include "bench_common.h"
#include "keel.h"

/* ------------------------------------------------------------------ */
/* common                                                              */

static long g_rows = 1000000, g_lookups = 20000, g_inserts = 200000, g_updates = 20000;
static int g_reps = 3;
static const char *g_only = NULL;
/* --side keel|native runs one side only (for profiling); checksums are not compared then. */
static const char *g_side = NULL;

/* 2020-01-01T00:00:00 in microseconds since 1970, and 2000-01-01 (PostgreSQL's epoch). */
#define BASE_MICROS INT64_C(1577836800000000)
#define PG_EPOCH_MICROS INT64_C(946684800000000)

/* Howard Hinnant's civil calendar algorithm (civil_from_days is in bench_common.h). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}


static int64_t mysql_time_micros(const MYSQL_TIME *t) {
    return (days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->minute * 60 + t->second) *
               INT64_C(1000000) +
           t->second_part;
}


/* What every reader adds up, to prove both sides read the same values. */
typedef struct {
    int64_t rows, id_sum, name_len, flags, created_sum, payload_sum, nulls, n_sum;
    double score_sum;
} check;

static void check_row(check *c, int64_t id, size_t name_len, double score, bool flag, int64_t created,
                      const uint8_t *payload, size_t payload_len, bool n_null, int64_t n) {
    c->rows++;
    c->id_sum += id;
    c->name_len += (int64_t)name_len;
    c->score_sum += score;
    c->flags += flag;
    c->created_sum += created;
    c->payload_sum += (int64_t)payload_len + payload[0] + payload[payload_len - 1];
    if (n_null)
        c->nulls++;
    else
        c->n_sum += n;
}

static void check_same(const char *what, const check *a, const check *b) {
    if (a->rows != b->rows || a->id_sum != b->id_sum || a->name_len != b->name_len || a->flags != b->flags ||
        a->created_sum != b->created_sum || a->payload_sum != b->payload_sum || a->nulls != b->nulls ||
        a->n_sum != b->n_sum || a->score_sum != b->score_sum) {
        fprintf(stderr,
                "net_bench: %s: checksums differ\n"
                "  keel:   rows %" PRId64 " id %" PRId64 " name %" PRId64 " flags %" PRId64 " created %" PRId64
                " payload %" PRId64 " nulls %" PRId64 " n %" PRId64 " score %.1f\n"
                "  native: rows %" PRId64 " id %" PRId64 " name %" PRId64 " flags %" PRId64 " created %" PRId64
                " payload %" PRId64 " nulls %" PRId64 " n %" PRId64 " score %.1f\n",
                what, a->rows, a->id_sum, a->name_len, a->flags, a->created_sum, a->payload_sum, a->nulls, a->n_sum,
                a->score_sum, b->rows, b->id_sum, b->name_len, b->flags, b->created_sum, b->payload_sum, b->nulls,
                b->n_sum, b->score_sum);
        exit(1);
    }
}

/* The values of generated row i (used by the inserts; the fetch table is
 * filled by the server with the same formulas). */
typedef struct {
    int64_t id;
    char name[24];
    size_t name_len;
    double score;
    bool flag;
    int64_t created;
    uint8_t payload[32];
    bool n_null;
    int64_t n;
} row_values;

static void make_row(int64_t i, row_values *r) {
    r->id = i;
    r->name_len = (size_t)snprintf(r->name, sizeof r->name, "name-%011" PRId64, i);
    r->score = (double)i * 0.5;
    r->flag = i % 2 == 0;
    r->created = BASE_MICROS + i * INT64_C(1000000);
    uint64_t x = (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15);
    for (int k = 0; k < 32; k++) {
        x ^= x >> 29;
        x *= UINT64_C(0xBF58476D1CE4E5B9);
        r->payload[k] = (uint8_t)(x >> 56);
    }
    r->n_null = i % 10 == 0;
    r->n = i % 1000;
}

/* Deterministic ids for the lookups, in [1, max]. */
static uint64_t g_rng;
static int64_t next_id(long max) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (int64_t)(g_rng % (uint64_t)max) + 1;
}

static const char *FETCH_SQL = "SELECT id, name, score, flag, created, payload, n FROM keel_bench_fetch";
/* keel's portable `?` placeholder works on both engines. */
static const char *LOOKUP_SQL = "SELECT id, name, score, flag, created, payload, n FROM keel_bench_fetch WHERE id = ?";

/* ------------------------------------------------------------------ */
/* keel side (the same code for both engines)                          */

/* Hot-path calls pass no error object: a careful caller checks the status
 * and asks again for details only on failure. */
#define KFAST(call)                                                                                                  \
    do {                                                                                                             \
        keel_status st_ = (call);                                                                                    \
        if (st_ != KEEL_STATUS_OK)                                                                                   \
            kdie(#call, st_, NULL);                                                                                  \
    } while (0)

static void keel_read_row(keel_rows *r, check *c) {
    int64_t id, created;
    const char *name;
    size_t name_len, payload_len;
    double score;
    bool flag;
    const uint8_t *payload;
    keel_value n;
    KFAST(keel_rows_column_int64(r, 0, &id, NULL));
    KFAST(keel_rows_column_text(r, 1, &name, &name_len, NULL));
    KFAST(keel_rows_column_double(r, 2, &score, NULL));
    KFAST(keel_rows_column_bool(r, 3, &flag, NULL));
    KFAST(keel_rows_column_timestamp(r, 4, &created, NULL));
    KFAST(keel_rows_column_bytes(r, 5, &payload, &payload_len, NULL));
    KFAST(keel_rows_column_value(r, 6, &n, NULL));
    check_row(c, id, name_len, score, flag, created, payload, payload_len, n.kind == KEEL_TYPE_NULL, n.int_value);
}

static keel_conn *keel_connect(keel_db **db, const char *url) {
    keel_conn *c;
    KTRY("open", keel_db_open(url, db, &e_));
    KTRY("checkout", keel_db_checkout(*db, &c, &e_));
    return c;
}

/* The fetch through keel: with one typed getter per value, or with one
 * keel_rows_next_values per row (`whole_rows`, the row API the speed
 * issue's C fetch row names). */
static timing keel_fetch_rows(const char *url, check *c, bool whole_rows) {
    keel_db *db;
    keel_conn *conn = keel_connect(&db, url);
    timing t0 = t_start();
    keel_rows *r;
    KTRY("query", keel_conn_query(conn, FETCH_SQL, NULL, 0, &r, &e_));
    keel_value v[7];
    for (;;) {
        bool has;
        if (whole_rows)
            KTRY("next_values", keel_rows_next_values(r, v, 7, &has, &e_));
        else
            KTRY("next", keel_rows_next(r, &has, &e_));
        if (!has)
            break;
        if (whole_rows)
            check_row(c, v[0].int_value, v[1].len, v[2].double_value, v[3].int_value != 0, v[4].int_value, v[5].data,
                      v[5].len, v[6].kind == KEEL_TYPE_NULL, v[6].int_value);
        else
            keel_read_row(r, c);
    }
    keel_rows_free(r);
    timing t = t_since(t0);
    keel_conn_free(conn);
    keel_db_free(db);
    return t;
}

static timing keel_fetch(const char *url, check *c) { return keel_fetch_rows(url, c, false); }
static timing keel_fetch_values(const char *url, check *c) { return keel_fetch_rows(url, c, true); }

static timing keel_lookup(const char *url, check *c) {
    keel_db *db;
    keel_conn *conn = keel_connect(&db, url);
    keel_stmt *s;
    KTRY("prepare", keel_conn_prepare(conn, LOOKUP_SQL, &s, &e_));
    g_rng = 0x2545F4914F6CDD1DULL;
    timing t0 = t_start();
    for (long i = 0; i < g_lookups; i++) {
        keel_rows *r;
        KFAST(keel_stmt_bind_int64(s, 0, next_id(g_rows), NULL));
        KTRY("query", keel_stmt_query(s, &r, &e_));
        for (;;) {
            bool has;
            KTRY("next", keel_rows_next(r, &has, &e_));
            if (!has)
                break;
            keel_read_row(r, c);
        }
        keel_rows_free(r);
    }
    timing t = t_since(t0);
    keel_stmt_free(s);
    keel_conn_free(conn);
    keel_db_free(db);
    return t;
}

static timing keel_insert(const char *url, const char *truncate_sql, const char *sql) {
    keel_db *db;
    keel_conn *conn = keel_connect(&db, url);
    KTRY("truncate", keel_conn_exec(conn, truncate_sql, NULL, 0, NULL, &e_));
    keel_stmt *s;
    KTRY("prepare", keel_conn_prepare(conn, sql, &s, &e_));
    timing t0 = t_start();
    KTRY("begin", keel_conn_begin(conn, NULL, &e_));
    row_values v;
    for (long i = 1; i <= g_inserts; i++) {
        make_row(i, &v);
        KFAST(keel_stmt_bind_int64(s, 0, v.id, NULL));
        KFAST(keel_stmt_bind_text(s, 1, v.name, v.name_len, NULL));
        KFAST(keel_stmt_bind_double(s, 2, v.score, NULL));
        KFAST(keel_stmt_bind_bool(s, 3, v.flag, NULL));
        KFAST(keel_stmt_bind_timestamp(s, 4, v.created, NULL));
        KFAST(keel_stmt_bind_bytes(s, 5, v.payload, sizeof v.payload, NULL));
        if (v.n_null)
            KFAST(keel_stmt_bind_null(s, 6, NULL));
        else
            KFAST(keel_stmt_bind_int64(s, 6, v.n, NULL));
        KTRY("execute", keel_stmt_execute(s, NULL, &e_));
    }
    KTRY("commit", keel_conn_commit(conn, &e_));
    timing t = t_since(t0);
    keel_stmt_free(s);
    keel_conn_free(conn);
    keel_db_free(db);
    return t;
}

/* The inserted rows, checked through keel after each native and keel run. */
static void keel_check_inserted(const char *url, const char *what) {
    keel_db *db;
    keel_conn *conn = keel_connect(&db, url);
    keel_rows *r;
    KTRY("query", keel_conn_query(conn, "SELECT id, name, score, flag, created, payload, n FROM keel_bench_ins", NULL,
                                  0, &r, &e_));
    check got = {0}, want = {0};
    for (;;) {
        bool has;
        KTRY("next", keel_rows_next(r, &has, &e_));
        if (!has)
            break;
        keel_read_row(r, &got);
    }
    keel_rows_free(r);
    keel_conn_free(conn);
    keel_db_free(db);
    row_values v;
    for (long i = 1; i <= g_inserts; i++) {
        make_row(i, &v);
        check_row(&want, v.id, v.name_len, v.score, v.flag, v.created, v.payload, sizeof v.payload, v.n_null, v.n);
    }
    check_same(what, &got, &want);
}

/* ------------------------------------------------------------------ */
/* PostgreSQL: libpq                                                   */

static PGconn *pg_connect(const char *url) {
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        die("libpq connect", PQerrorMessage(c));
    return c;
}

static void pg_ok(PGconn *c, PGresult *r, const char *what) {
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_SINGLE_TUPLE)
        die(what, PQerrorMessage(c));
}

static void pg_exec(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    pg_ok(c, r, sql);
    PQclear(r);
}


static uint32_t be32(const char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

static double be_double(const char *p) {
    uint64_t u = be64(p);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Row `i` of a binary-format result in the bench column order. */
static void pg_read_row(const PGresult *r, int i, check *c) {
    int64_t id = (int64_t)be64(PQgetvalue(r, i, 0));
    int name_len = PQgetlength(r, i, 1);
    double score = be_double(PQgetvalue(r, i, 2));
    bool flag = PQgetvalue(r, i, 3)[0] != 0;
    int64_t created = (int64_t)be64(PQgetvalue(r, i, 4)) + PG_EPOCH_MICROS;
    const uint8_t *payload = (const uint8_t *)PQgetvalue(r, i, 5);
    int payload_len = PQgetlength(r, i, 5);
    bool n_null = PQgetisnull(r, i, 6);
    int64_t n = n_null ? 0 : (int32_t)be32(PQgetvalue(r, i, 6));
    check_row(c, id, (size_t)name_len, score, flag, created, payload, (size_t)payload_len, n_null, n);
}

static void pg_setup(const char *url) {
    PGconn *c = pg_connect(url);
    pg_exec(c, "SET client_min_messages = warning");
    pg_exec(c, "DROP TABLE IF EXISTS keel_bench_fetch");
    pg_exec(c, "DROP TABLE IF EXISTS keel_bench_ins");
    const char *cols = "(id bigint PRIMARY KEY, name text NOT NULL, score double precision NOT NULL, "
                       "flag boolean NOT NULL, created timestamp NOT NULL, payload bytea NOT NULL, n integer)";
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE TABLE keel_bench_fetch %s", cols);
    pg_exec(c, sql);
    snprintf(sql, sizeof sql, "CREATE TABLE keel_bench_ins %s", cols);
    pg_exec(c, sql);
    snprintf(sql, sizeof sql,
             "INSERT INTO keel_bench_fetch SELECT g, 'name-' || lpad(g::text, 11, '0'), g * 0.5, g %% 2 = 0, "
             "timestamp '2020-01-01' + g * interval '1 second', "
             "decode(md5(g::text) || md5((g + 1)::text), 'hex'), "
             "CASE WHEN g %% 10 = 0 THEN NULL ELSE g %% 1000 END FROM generate_series(1, %ld) g",
             g_rows);
    pg_exec(c, sql);
    pg_exec(c, "VACUUM ANALYZE keel_bench_fetch");
    PQfinish(c);
}

/* The whole result in one PGresult: libpq's fastest way to read rows. */
static timing pg_fetch(const char *url, check *c) {
    PGconn *conn = pg_connect(url);
    timing t0 = t_start();
    PGresult *r = PQexecParams(conn, FETCH_SQL, 0, NULL, NULL, NULL, NULL, 1);
    pg_ok(conn, r, "fetch");
    int n = PQntuples(r);
    for (int i = 0; i < n; i++)
        pg_read_row(r, i, c);
    PQclear(r);
    timing t = t_since(t0);
    PQfinish(conn);
    return t;
}

/* Streaming with single-row mode (one PGresult per row). */
static timing pg_fetch_single_row(const char *url, check *c) {
    PGconn *conn = pg_connect(url);
    timing t0 = t_start();
    if (!PQsendQueryParams(conn, FETCH_SQL, 0, NULL, NULL, NULL, NULL, 1))
        die("PQsendQueryParams", PQerrorMessage(conn));
    if (!PQsetSingleRowMode(conn))
        die("PQsetSingleRowMode", PQerrorMessage(conn));
    PGresult *r;
    while ((r = PQgetResult(conn)) != NULL) {
        pg_ok(conn, r, "fetch (single-row mode)");
        if (PQresultStatus(r) == PGRES_SINGLE_TUPLE)
            pg_read_row(r, 0, c);
        PQclear(r);
    }
    timing t = t_since(t0);
    PQfinish(conn);
    return t;
}

static timing pg_lookup(const char *url, check *c) {
    PGconn *conn = pg_connect(url);
    Oid types[1] = {20}; /* int8 */
    PGresult *p = PQprepare(conn, "lookup",
                            "SELECT id, name, score, flag, created, payload, n FROM keel_bench_fetch WHERE id = $1", 1,
                            types);
    pg_ok(conn, p, "prepare");
    PQclear(p);
    g_rng = 0x2545F4914F6CDD1DULL;
    timing t0 = t_start();
    for (long i = 0; i < g_lookups; i++) {
        uint64_t id_be = __builtin_bswap64((uint64_t)next_id(g_rows));
        const char *vals[1] = {(const char *)&id_be};
        int lens[1] = {8}, fmts[1] = {1};
        PGresult *r = PQexecPrepared(conn, "lookup", 1, vals, lens, fmts, 1);
        pg_ok(conn, r, "lookup");
        for (int k = 0; k < PQntuples(r); k++)
            pg_read_row(r, k, c);
        PQclear(r);
    }
    timing t = t_since(t0);
    PQfinish(conn);
    return t;
}

static timing pg_insert(const char *url) {
    PGconn *conn = pg_connect(url);
    pg_exec(conn, "TRUNCATE keel_bench_ins");
    Oid types[7] = {20, 25, 701, 16, 1114, 17, 23}; /* int8 text float8 bool timestamp bytea int4 */
    PGresult *p = PQprepare(conn, "ins",
                            "INSERT INTO keel_bench_ins (id, name, score, flag, created, payload, n) "
                            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            7, types);
    pg_ok(conn, p, "prepare");
    PQclear(p);
    timing t0 = t_start();
    pg_exec(conn, "BEGIN");
    row_values v;
    for (long i = 1; i <= g_inserts; i++) {
        make_row(i, &v);
        uint64_t id_be = __builtin_bswap64((uint64_t)v.id), score_be, ts_be;
        uint32_t n_be = __builtin_bswap32((uint32_t)v.n);
        memcpy(&score_be, &v.score, 8);
        score_be = __builtin_bswap64(score_be);
        ts_be = __builtin_bswap64((uint64_t)(v.created - PG_EPOCH_MICROS));
        char flag = v.flag;
        const char *vals[7] = {(const char *)&id_be, v.name, (const char *)&score_be, &flag, (const char *)&ts_be,
                               (const char *)v.payload, v.n_null ? NULL : (const char *)&n_be};
        int lens[7] = {8, (int)v.name_len, 8, 1, 8, 32, 4};
        int fmts[7] = {1, 1, 1, 1, 1, 1, 1};
        PGresult *r = PQexecPrepared(conn, "ins", 7, vals, lens, fmts, 1);
        pg_ok(conn, r, "insert");
        PQclear(r);
    }
    pg_exec(conn, "COMMIT");
    timing t = t_since(t0);
    PQfinish(conn);
    return t;
}

/* The update workload's table: ids 1..g_updates, score 0. */
static const char *UPD_SETUP[] = {
    "DROP TABLE IF EXISTS keel_bench_upd",
    "CREATE TABLE keel_bench_upd (id BIGINT PRIMARY KEY, score DOUBLE PRECISION NOT NULL)",
};

static void pg_setup_update(const char *url) {
    PGconn *conn = pg_connect(url);
    for (size_t i = 0; i < sizeof UPD_SETUP / sizeof UPD_SETUP[0]; i++)
        pg_exec(conn, UPD_SETUP[i]);
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT INTO keel_bench_upd SELECT g, 0 FROM generate_series(1, %ld) g", g_updates);
    pg_exec(conn, sql);
    pg_exec(conn, "VACUUM ANALYZE keel_bench_upd");
    PQfinish(conn);
}

/* The score row `id` gets in run `rep` (each run changes every row). */
static double upd_score(long id, int rep) { return (double)id * 0.5 + rep; }

/* Every row holds run `rep`'s score: the sum of scores (`got`) says so. */
static void check_update_sum(double got, int rep, const char *what) {
    double want = 0;
    for (long id = 1; id <= g_updates; id++)
        want += upd_score(id, rep);
    if (got != want) {
        fprintf(stderr, "net_bench: %s: the update left sum(score) = %.1f, not %.1f\n", what, got, want);
        exit(1);
    }
}

static void pg_check_updated(const char *url, int rep, const char *what) {
    PGconn *conn = pg_connect(url);
    PGresult *r = PQexec(conn, "SELECT sum(score) FROM keel_bench_upd");
    pg_ok(conn, r, "sum");
    double got = atof(PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(conn);
    check_update_sum(got, rep, what);
}

static timing keel_update(const char *url, int rep) {
    keel_db *db;
    keel_conn *conn = keel_connect(&db, url);
    keel_stmt *s;
    KTRY("prepare", keel_conn_prepare(conn, "UPDATE keel_bench_upd SET score = ? WHERE id = ?", &s, &e_));
    keel_value *vals = calloc((size_t)g_updates * 2, sizeof *vals);
    if (!vals)
        die("calloc", "out of memory");
    for (long i = 0; i < g_updates; i++) {
        vals[2 * i] = (keel_value){.kind = KEEL_TYPE_DOUBLE, .double_value = upd_score(i + 1, rep)};
        vals[2 * i + 1] = (keel_value){.kind = KEEL_TYPE_INT64, .int_value = i + 1};
    }
    timing t0 = t_start();
    KTRY("begin", keel_conn_begin(conn, NULL, &e_));
    keel_exec_result res = {.size = sizeof res};
    KTRY("batch", keel_stmt_execute_batch(s, vals, (size_t)g_updates, 2, &res, &e_));
    KTRY("commit", keel_conn_commit(conn, &e_));
    timing t = t_since(t0);
    if (res.rows_affected != (uint64_t)g_updates)
        die("update batch", "rows affected differ from the rows given");
    free(vals);
    keel_stmt_free(s);
    keel_conn_free(conn);
    keel_db_free(db);
    return t;
}

/* libpq's pipeline mode, 1000 rows per PQpipelineSync (sending them all
 * before reading anything could fill both sockets' buffers). */
static timing pg_update(const char *url, int rep) {
    PGconn *conn = pg_connect(url);
    Oid types[2] = {701, 20}; /* float8 int8 */
    PGresult *p = PQprepare(conn, "upd", "UPDATE keel_bench_upd SET score = $1 WHERE id = $2", 2, types);
    pg_ok(conn, p, "prepare");
    PQclear(p);
    timing t0 = t_start();
    pg_exec(conn, "BEGIN");
    if (!PQenterPipelineMode(conn))
        die("PQenterPipelineMode", PQerrorMessage(conn));
    for (long start = 1; start <= g_updates; start += 1000) {
        long end = start + 1000 <= g_updates + 1 ? start + 1000 : g_updates + 1;
        for (long id = start; id < end; id++) {
            double score = upd_score(id, rep);
            uint64_t score_be, id_be = __builtin_bswap64((uint64_t)id);
            memcpy(&score_be, &score, 8);
            score_be = __builtin_bswap64(score_be);
            const char *vals[2] = {(const char *)&score_be, (const char *)&id_be};
            int lens[2] = {8, 8}, fmts[2] = {1, 1};
            if (!PQsendQueryPrepared(conn, "upd", 2, vals, lens, fmts, 1))
                die("PQsendQueryPrepared", PQerrorMessage(conn));
        }
        if (!PQpipelineSync(conn))
            die("PQpipelineSync", PQerrorMessage(conn));
        for (long id = start; id < end; id++) {
            PGresult *r = PQgetResult(conn);
            pg_ok(conn, r, "update");
            PQclear(r);
            if (PQgetResult(conn) != NULL)
                die("update", "more than one result for a query");
        }
        PGresult *sync = PQgetResult(conn);
        if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC)
            die("pipeline", "no PGRES_PIPELINE_SYNC after the chunk");
        PQclear(sync);
    }
    if (!PQexitPipelineMode(conn))
        die("PQexitPipelineMode", PQerrorMessage(conn));
    pg_exec(conn, "COMMIT");
    timing t = t_since(t0);
    PQfinish(conn);
    return t;
}

/* ------------------------------------------------------------------ */
/* MySQL / MariaDB: libmariadb                                         */



static void my_setup(const char *url) {
    MYSQL *m = my_connect(url);
    my_exec(m, "DROP TABLE IF EXISTS keel_bench_fetch");
    my_exec(m, "DROP TABLE IF EXISTS keel_bench_ins");
    const char *cols = "(id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, score DOUBLE NOT NULL, "
                       "flag BOOLEAN NOT NULL, created DATETIME NOT NULL, payload VARBINARY(32) NOT NULL, n INT) "
                       "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
    char sql[512];
    snprintf(sql, sizeof sql, "CREATE TABLE keel_bench_fetch %s", cols);
    my_exec(m, sql);
    snprintf(sql, sizeof sql, "CREATE TABLE keel_bench_ins %s", cols);
    my_exec(m, sql);
    /* MariaDB's SEQUENCE engine makes the numbers. */
    snprintf(sql, sizeof sql,
             "INSERT INTO keel_bench_fetch SELECT seq, CONCAT('name-', LPAD(seq, 11, '0')), seq * 0.5, seq %% 2 = 0, "
             "TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq SECOND, UNHEX(CONCAT(MD5(seq), MD5(seq + 1))), "
             "IF(seq %% 10 = 0, NULL, seq %% 1000) FROM seq_1_to_%ld",
             g_rows);
    my_exec(m, sql);
    my_exec(m, "ANALYZE TABLE keel_bench_fetch");
    mysql_free_result(mysql_store_result(m));
    mysql_close(m);
}

/* Result buffers for the bench columns. */
typedef struct {
    MYSQL_BIND b[7];
    int64_t id;
    char name[64];
    double score;
    signed char flag;
    MYSQL_TIME created;
    uint8_t payload[64];
    int32_t n;
    unsigned long name_len, payload_len;
    my_bool n_null;
} my_row;

static void my_bind_row(my_row *r) {
    memset(r->b, 0, sizeof r->b);
    r->b[0].buffer_type = MYSQL_TYPE_LONGLONG;
    r->b[0].buffer = &r->id;
    r->b[1].buffer_type = MYSQL_TYPE_STRING;
    r->b[1].buffer = r->name;
    r->b[1].buffer_length = sizeof r->name;
    r->b[1].length = &r->name_len;
    r->b[2].buffer_type = MYSQL_TYPE_DOUBLE;
    r->b[2].buffer = &r->score;
    r->b[3].buffer_type = MYSQL_TYPE_TINY;
    r->b[3].buffer = &r->flag;
    r->b[4].buffer_type = MYSQL_TYPE_DATETIME;
    r->b[4].buffer = &r->created;
    r->b[5].buffer_type = MYSQL_TYPE_BLOB;
    r->b[5].buffer = r->payload;
    r->b[5].buffer_length = sizeof r->payload;
    r->b[5].length = &r->payload_len;
    r->b[6].buffer_type = MYSQL_TYPE_LONG;
    r->b[6].buffer = &r->n;
    r->b[6].is_null = &r->n_null;
}

static void my_check_row(const my_row *r, check *c) {
    check_row(c, r->id, r->name_len, r->score, r->flag != 0, mysql_time_micros(&r->created), r->payload,
              r->payload_len, r->n_null, r->n);
}

static MYSQL_STMT *my_prepare(MYSQL *m, const char *sql) {
    MYSQL_STMT *s = mysql_stmt_init(m);
    if (!s || mysql_stmt_prepare(s, sql, strlen(sql)))
        die("mysql_stmt_prepare", mysql_error(m));
    return s;
}

static void my_fetch_all(MYSQL_STMT *s, my_row *r, check *c) {
    if (mysql_stmt_bind_result(s, r->b))
        die("mysql_stmt_bind_result", mysql_stmt_error(s));
    int rc;
    while ((rc = mysql_stmt_fetch(s)) == 0)
        my_check_row(r, c);
    if (rc != MYSQL_NO_DATA)
        die("mysql_stmt_fetch", rc == MYSQL_DATA_TRUNCATED ? "truncated" : mysql_stmt_error(s));
}

static timing my_fetch(const char *url, check *c) {
    MYSQL *m = my_connect(url);
    timing t0 = t_start();
    MYSQL_STMT *s = my_prepare(m, FETCH_SQL);
    if (mysql_stmt_execute(s))
        die("mysql_stmt_execute", mysql_stmt_error(s));
    my_row r;
    my_bind_row(&r);
    my_fetch_all(s, &r, c);
    mysql_stmt_close(s);
    timing t = t_since(t0);
    mysql_close(m);
    return t;
}

/* Text protocol, streamed with mysql_use_result; values parsed by hand. */
static timing my_fetch_text(const char *url, check *c) {
    MYSQL *m = my_connect(url);
    timing t0 = t_start();
    my_exec(m, FETCH_SQL);
    MYSQL_RES *res = mysql_use_result(m);
    if (!res)
        die("mysql_use_result", mysql_error(m));
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        unsigned long *len = mysql_fetch_lengths(res);
        MYSQL_TIME t = {0};
        /* YYYY-MM-DD HH:MM:SS */
        const char *d = row[4];
        t.year = (unsigned)atoi(d);
        t.month = (unsigned)atoi(d + 5);
        t.day = (unsigned)atoi(d + 8);
        t.hour = (unsigned)atoi(d + 11);
        t.minute = (unsigned)atoi(d + 14);
        t.second = (unsigned)atoi(d + 17);
        check_row(c, strtoll(row[0], NULL, 10), len[1], strtod(row[2], NULL), row[3][0] != '0',
                  mysql_time_micros(&t), (const uint8_t *)row[5], len[5], row[6] == NULL,
                  row[6] ? strtoll(row[6], NULL, 10) : 0);
    }
    if (mysql_errno(m))
        die("mysql_fetch_row", mysql_error(m));
    mysql_free_result(res);
    timing tm = t_since(t0);
    mysql_close(m);
    return tm;
}

static timing my_lookup(const char *url, check *c) {
    MYSQL *m = my_connect(url);
    MYSQL_STMT *s = my_prepare(m, "SELECT id, name, score, flag, created, payload, n FROM keel_bench_fetch WHERE id = ?");
    int64_t id;
    MYSQL_BIND p;
    memset(&p, 0, sizeof p);
    p.buffer_type = MYSQL_TYPE_LONGLONG;
    p.buffer = &id;
    if (mysql_stmt_bind_param(s, &p))
        die("mysql_stmt_bind_param", mysql_stmt_error(s));
    my_row r;
    my_bind_row(&r);
    g_rng = 0x2545F4914F6CDD1DULL;
    timing t0 = t_start();
    for (long i = 0; i < g_lookups; i++) {
        id = next_id(g_rows);
        if (mysql_stmt_execute(s))
            die("mysql_stmt_execute", mysql_stmt_error(s));
        my_fetch_all(s, &r, c);
    }
    timing t = t_since(t0);
    mysql_stmt_close(s);
    mysql_close(m);
    return t;
}

/* COMMIT, the time since `t0`, then close the statement and the
 * connection (the end of each timed MySQL write). */
static timing my_commit_close(MYSQL *m, MYSQL_STMT *s, timing t0) {
    my_exec(m, "COMMIT");
    timing t = t_since(t0);
    mysql_stmt_close(s);
    mysql_close(m);
    return t;
}

static timing my_insert(const char *url) {
    MYSQL *m = my_connect(url);
    my_exec(m, "TRUNCATE TABLE keel_bench_ins");
    MYSQL_STMT *s = my_prepare(m, "INSERT INTO keel_bench_ins (id, name, score, flag, created, payload, n) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)");
    row_values v;
    signed char flag;
    MYSQL_TIME created;
    int32_t n;
    unsigned long name_len, payload_len = 32;
    my_bool n_null;
    MYSQL_BIND b[7];
    memset(b, 0, sizeof b);
    b[0].buffer_type = MYSQL_TYPE_LONGLONG;
    b[0].buffer = &v.id;
    b[1].buffer_type = MYSQL_TYPE_STRING;
    b[1].buffer = v.name;
    b[1].length = &name_len;
    b[2].buffer_type = MYSQL_TYPE_DOUBLE;
    b[2].buffer = &v.score;
    b[3].buffer_type = MYSQL_TYPE_TINY;
    b[3].buffer = &flag;
    b[4].buffer_type = MYSQL_TYPE_DATETIME;
    b[4].buffer = &created;
    b[5].buffer_type = MYSQL_TYPE_BLOB;
    b[5].buffer = v.payload;
    b[5].length = &payload_len;
    b[6].buffer_type = MYSQL_TYPE_LONG;
    b[6].buffer = &n;
    b[6].is_null = &n_null;
    if (mysql_stmt_bind_param(s, b))
        die("mysql_stmt_bind_param", mysql_stmt_error(s));
    timing t0 = t_start();
    my_exec(m, "START TRANSACTION");
    for (long i = 1; i <= g_inserts; i++) {
        make_row(i, &v);
        name_len = v.name_len;
        flag = v.flag;
        micros_to_mysql_time(v.created, &created);
        n = (int32_t)v.n;
        n_null = v.n_null;
        if (mysql_stmt_execute(s))
            die("mysql_stmt_execute", mysql_stmt_error(s));
    }
    return my_commit_close(m, s, t0);
}

/* ------------------------------------------------------------------ */
/* the runs and the table                                              */

typedef timing (*fetch_fn)(const char *url, check *c);

static bool want(const char *w) { return !g_only || strcmp(g_only, w) == 0; }

static void print_header(void) {
    printf("%-9s %-26s %8s %8s %6s | %8s %8s %6s  %s\n", "engine", "workload", "keel s", "native s", "ratio",
           "keel cpu", "nat cpu", "ratio", "native client");
}

static void print_line(const char *engine, const char *workload, timing k, timing n, const char *native) {
    if (g_side) {
        timing t = strcmp(g_side, "keel") == 0 ? k : n;
        printf("%-9s %-26s %s only: %.3f s wall, %.3f s cpu\n", engine, workload, g_side, t.wall, t.cpu);
        return;
    }
    printf("%-9s %-26s %8.3f %8.3f %6.2f | %8.3f %8.3f %6.2f  %s\n", engine, workload, k.wall, n.wall,
           k.wall / n.wall, k.cpu, n.cpu, k.cpu / n.cpu, native);
    fflush(stdout);
}

/* Best wall time and best CPU time, each over all runs. */

/* Best of g_reps for keel and native, interleaved; checksums compared. */
static void run_read(const char *engine, const char *workload, const char *native_name, const char *url,
                     fetch_fn keel_fn, fetch_fn native_fn) {
    timing bk = {1e30, 1e30}, bn = {1e30, 1e30};
    for (int i = 0; i < g_reps; i++) {
        check ck = {0}, cn = {0};
        if (!g_side || strcmp(g_side, "native") == 0)
            best(&bn, native_fn(url, &cn));
        if (!g_side || strcmp(g_side, "keel") == 0)
            best(&bk, keel_fn(url, &ck));
        if (!g_side)
            check_same(workload, &ck, &cn);
    }
    print_line(engine, workload, bk, bn, native_name);
}

static void run_insert(const char *engine, const char *url, timing (*native_fn)(const char *),
                       const char *truncate_sql, const char *insert_sql, const char *native_name) {
    timing bk = {1e30, 1e30}, bn = {1e30, 1e30};
    for (int i = 0; i < g_reps; i++) {
        if (!g_side || strcmp(g_side, "native") == 0) {
            best(&bn, native_fn(url));
            keel_check_inserted(url, "insert (native)");
        }
        if (!g_side || strcmp(g_side, "keel") == 0) {
            best(&bk, keel_insert(url, truncate_sql, insert_sql));
            keel_check_inserted(url, "insert (keel)");
        }
    }
    char w[64];
    snprintf(w, sizeof w, "insert %ld rows, 1 tx", g_inserts);
    print_line(engine, w, bk, bn, native_name);
}

/* The update workload of one engine: its table, its native side, its
 * check. */
typedef struct {
    const char *engine, *native_name;
    void (*setup)(const char *url);
    timing (*native)(const char *url, int rep);
    void (*check)(const char *url, int rep, const char *what);
} update_side;

static void run_update(const char *url, const update_side *u) {
    u->setup(url);
    timing bk = {1e30, 1e30}, bn = {1e30, 1e30};
    int rep = 0;
    for (int i = 0; i < g_reps; i++) {
        if (!g_side || strcmp(g_side, "native") == 0) {
            best(&bn, u->native(url, ++rep));
            u->check(url, rep, "update (native)");
        }
        if (!g_side || strcmp(g_side, "keel") == 0) {
            best(&bk, keel_update(url, ++rep));
            u->check(url, rep, "update (keel)");
        }
    }
    char w[64];
    snprintf(w, sizeof w, "update %ld rows, batch", g_updates);
    print_line(u->engine, w, bk, bn, u->native_name);
}

static void bench_postgres(const char *url) {
    char w[64];
    pg_setup(url);
    if (want("fetch")) {
        snprintf(w, sizeof w, "fetch %ld rows", g_rows);
        run_read("postgres", w, "libpq binary, whole result (PQexecParams)", url, keel_fetch, pg_fetch);
        snprintf(w, sizeof w, "fetch %ld, next_values", g_rows);
        run_read("postgres", w, "libpq binary, whole result (PQexecParams)", url, keel_fetch_values, pg_fetch);
        snprintf(w, sizeof w, "fetch %ld (info)", g_rows);
        run_read("postgres", w, "libpq binary, single-row mode (streams)", url, keel_fetch, pg_fetch_single_row);
    }
    if (want("lookup")) {
        snprintf(w, sizeof w, "%ld point lookups", g_lookups);
        run_read("postgres", w, "libpq binary, PQexecPrepared", url, keel_lookup, pg_lookup);
    }
    if (want("insert"))
        run_insert("postgres", url, pg_insert, "TRUNCATE keel_bench_ins",
                   "INSERT INTO keel_bench_ins (id, name, score, flag, created, payload, n) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   "libpq binary params, PQexecPrepared per row");
    if (want("update")) {
        static const update_side pg = {"postgres", "libpq pipeline mode, 1000 per sync", pg_setup_update, pg_update,
                                       pg_check_updated};
        run_update(url, &pg);
    }
}

static void my_setup_update(const char *url) {
    MYSQL *m = my_connect(url);
    my_exec(m, "DROP TABLE IF EXISTS keel_bench_upd");
    my_exec(m, "CREATE TABLE keel_bench_upd (id BIGINT PRIMARY KEY, score DOUBLE NOT NULL) ENGINE=InnoDB");
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT INTO keel_bench_upd SELECT seq, 0 FROM seq_1_to_%ld", g_updates);
    my_exec(m, sql);
    mysql_close(m);
}

static void my_check_updated(const char *url, int rep, const char *what) {
    MYSQL *m = my_connect(url);
    my_exec(m, "SELECT sum(score) FROM keel_bench_upd");
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
    double got = row && row[0] ? atof(row[0]) : -1;
    mysql_free_result(r);
    mysql_close(m);
    check_update_sum(got, rep, what);
}

/* libmariadb's array binding: 1000 rows per mysql_stmt_execute, which
 * MariaDB's client sends as one COM_STMT_BULK_EXECUTE. */
static timing my_update(const char *url, int rep) {
    MYSQL *m = my_connect(url);
    MYSQL_STMT *s = my_prepare(m, "UPDATE keel_bench_upd SET score = ? WHERE id = ?");
    enum { CHUNK = 1000 };
    static double score[CHUNK];
    static int64_t id[CHUNK];
    MYSQL_BIND b[2];
    memset(b, 0, sizeof b);
    b[0].buffer_type = MYSQL_TYPE_DOUBLE;
    b[0].buffer = score;
    b[1].buffer_type = MYSQL_TYPE_LONGLONG;
    b[1].buffer = id;
    timing t0 = t_start();
    my_exec(m, "START TRANSACTION");
    for (long start = 1; start <= g_updates; start += CHUNK) {
        unsigned rows = (unsigned)(g_updates - start + 1 < CHUNK ? g_updates - start + 1 : CHUNK);
        for (unsigned r = 0; r < rows; r++) {
            id[r] = start + r;
            score[r] = upd_score(start + r, rep);
        }
        if (mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &rows))
            die("mysql_stmt_attr_set(STMT_ATTR_ARRAY_SIZE)", mysql_stmt_error(s));
        if (mysql_stmt_bind_param(s, b))
            die("mysql_stmt_bind_param", mysql_stmt_error(s));
        if (mysql_stmt_execute(s))
            die("mysql_stmt_execute", mysql_stmt_error(s));
    }
    return my_commit_close(m, s, t0);
}

static void bench_mysql(const char *url) {
    char w[64];
    my_setup(url);
    if (want("fetch")) {
        snprintf(w, sizeof w, "fetch %ld rows", g_rows);
        run_read("mysql", w, "libmariadb binary, mysql_stmt_fetch unbuffered", url, keel_fetch, my_fetch);
        snprintf(w, sizeof w, "fetch %ld, next_values", g_rows);
        run_read("mysql", w, "libmariadb binary, mysql_stmt_fetch unbuffered", url, keel_fetch_values, my_fetch);
        snprintf(w, sizeof w, "fetch %ld (info)", g_rows);
        run_read("mysql", w, "libmariadb text, mysql_use_result", url, keel_fetch, my_fetch_text);
    }
    if (want("lookup")) {
        snprintf(w, sizeof w, "%ld point lookups", g_lookups);
        run_read("mysql", w, "libmariadb binary, mysql_stmt_execute", url, keel_lookup, my_lookup);
    }
    if (want("insert"))
        run_insert("mysql", url, my_insert, "TRUNCATE TABLE keel_bench_ins",
                   "INSERT INTO keel_bench_ins (id, name, score, flag, created, payload, n) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   "libmariadb binary params, mysql_stmt_execute per row");
    if (want("update")) {
        static const update_side my = {"mysql", "libmariadb array binding, 1000 per execute", my_setup_update,
                                       my_update, my_check_updated};
        run_update(url, &my);
    }
}

/* ------------------------------------------------------------------ */
/* streaming memory                                                    */

/* Peak resident set size so far, in KiB (VmHWM). */
static long vm_hwm_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) {
            v = atol(line + 6);
            break;
        }
    fclose(f);
    return v;
}

static int run_rss(const char *engine, long rows) {
    const char *url;
    char sql[256];
    if (strcmp(engine, "postgres") == 0) {
        url = getenv("KEEL_TEST_POSTGRES_URL");
        snprintf(sql, sizeof sql,
                 "SELECT g::bigint, 'name-' || lpad(g::text, 11, '0'), g * 0.5::float8, g %% 2 = 0, "
                 "decode(md5(g::text), 'hex') FROM generate_series(1, %ld) g",
                 rows);
    } else if (strcmp(engine, "mysql") == 0) {
        url = getenv("KEEL_TEST_MYSQL_URL");
        snprintf(sql, sizeof sql,
                 "SELECT seq, CONCAT('name-', LPAD(seq, 11, '0')), seq * 0.5e0, seq %% 2 = 0, UNHEX(MD5(seq)) "
                 "FROM seq_1_to_%ld",
                 rows);
    } else {
        die("rss: unknown engine", engine);
    }
    if (!url)
        die("rss: URL not set", engine);
    long before = vm_hwm_kib();
    double t0 = now();
    keel_db *db;
    keel_conn *conn = keel_connect(&db, url);
    long connected = vm_hwm_kib();
    keel_rows *r;
    KTRY("query", keel_conn_query(conn, sql, NULL, 0, &r, &e_));
    int64_t count = 0, id_sum = 0, len_sum = 0;
    double score_sum = 0;
    for (;;) {
        bool has;
        KTRY("next", keel_rows_next(r, &has, &e_));
        if (!has)
            break;
        int64_t id;
        const char *name;
        size_t nl, bl;
        double score;
        bool flag;
        const uint8_t *b;
        KFAST(keel_rows_column_int64(r, 0, &id, NULL));
        KFAST(keel_rows_column_text(r, 1, &name, &nl, NULL));
        KFAST(keel_rows_column_double(r, 2, &score, NULL));
        KFAST(keel_rows_column_bool(r, 3, &flag, NULL));
        KFAST(keel_rows_column_bytes(r, 4, &b, &bl, NULL));
        count++;
        id_sum += id;
        len_sum += (int64_t)(nl + bl) + flag;
        score_sum += score;
    }
    keel_rows_free(r);
    double t = now() - t0;
    long after = vm_hwm_kib();
    keel_conn_free(conn);
    keel_db_free(db);
    if (count != rows)
        die("rss: wrong row count", engine);
    printf("%-9s stream %ld rows through keel in %.2f s: VmHWM %.1f MiB before open, %.1f MiB connected, "
           "%.1f MiB after; growth %.1f MiB (goal < 64 MiB)%s\n",
           engine, rows, t, before / 1024.0, connected / 1024.0, after / 1024.0, (after - before) / 1024.0,
           (after - before) < 64 * 1024 ? "" : "  ABOVE GOAL");
    (void)id_sum;
    (void)len_sum;
    (void)score_sum;
    return (after - before) < 64 * 1024 ? 0 : 2;
}

/* ------------------------------------------------------------------ */

static void usage(void) {
    fprintf(stderr, "usage: net_bench [postgres|mysql|all] [--rows N] [--lookups N] [--inserts N] [--updates N] "
                    "[--reps N] [--only fetch|lookup|insert|update] [--side keel|native]\n"
                    "       net_bench rss postgres|mysql [rows]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "rss") == 0)
        return run_rss(argv[2], argc >= 4 ? atol(argv[3]) : 10000000L);
    const char *which = "all";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            g_rows = atol(argv[++i]);
        else if (strcmp(argv[i], "--lookups") == 0 && i + 1 < argc)
            g_lookups = atol(argv[++i]);
        else if (strcmp(argv[i], "--inserts") == 0 && i + 1 < argc)
            g_inserts = atol(argv[++i]);
        else if (strcmp(argv[i], "--updates") == 0 && i + 1 < argc)
            g_updates = atol(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            g_reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            g_only = argv[++i];
        else if (strcmp(argv[i], "--side") == 0 && i + 1 < argc)
            g_side = argv[++i];
        else if (argv[i][0] != '-')
            which = argv[i];
        else
            usage();
    }
    if (g_rows < 1 || g_lookups < 0 || g_inserts < 1 || g_updates < 1 || g_reps < 1)
        usage();
    bool pg = strcmp(which, "all") == 0 || strcmp(which, "postgres") == 0;
    bool my = strcmp(which, "all") == 0 || strcmp(which, "mysql") == 0;
    if (!pg && !my)
        usage();
    printf("keel %s; best of %d runs each; ratio = keel / native (below 1: keel is faster).\n"
           "s = wall seconds; cpu = CPU seconds of this process (client side only; steadier on a busy machine).\n",
           keel_version(), g_reps);
    print_header();
    if (pg) {
        const char *url = getenv("KEEL_TEST_POSTGRES_URL");
        if (!url)
            die("KEEL_TEST_POSTGRES_URL is not set", "source scripts/servers.sh");
        bench_postgres(url);
    }
    if (my) {
        const char *url = getenv("KEEL_TEST_MYSQL_URL");
        if (!url)
            die("KEEL_TEST_MYSQL_URL is not set", "source scripts/servers.sh");
        bench_mysql(url);
    }
    return 0;
}

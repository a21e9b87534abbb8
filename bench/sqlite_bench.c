/* keel vs. the raw sqlite3 C API, in one process, on the same SQLite build.
 *
 * Links libkeel.a, which contains the SQLite that keel bundles, and calls
 * that same sqlite3 directly for the raw side (bench/run.sh compiles this
 * against the sqlite3.h of the libsqlite3-sys crate Cargo.lock pins). Both
 * sides use the same kind of database: a shared in-memory memdb database
 * (keel's sqlite::memory:, and file:/NAME?vfs=memdb opened the way keel
 * opens it: NOMUTEX, extended result codes, busy timeout, foreign keys,
 * plus a second "keeper" connection as keel's pool holds).
 *
 * Workloads, each run RUNS (5) times alternating sides, best time kept:
 *   (a) scan: read every value of 1,000,000 rows of (id int64, name text
 *       ~16 chars, score double, flag bool, created timestamp, payload
 *       blob 32 bytes, n int with 10% NULL). Both sides hand the program
 *       the same things: the timestamp as microseconds since 1970 (keel
 *       parses the stored text; the raw side parses it with the C below).
 *   (b) lookup: 20,000 point lookups by id through one prepared statement,
 *       a new cursor per lookup; (b2) the same with one cursor handle reused
 *       (keel_stmt_query_reuse).
 *   (c) insert: 200,000 inserts of that row shape in one transaction
 *       through one prepared statement; (c2) the same with the name and
 *       the payload bound without a copy (keel_stmt_bind_text_static and
 *       _bytes_static; SQLITE_STATIC on the raw side), where (c) copies
 *       them (keel_stmt_bind_text and _bytes; SQLITE_TRANSIENT).
 *   (d) the timestamp column of the 1,000,000 rows read as text
 *       (keel_rows_column_text; sqlite3_column_text), as a program that
 *       prints or forwards it does.
 * Each side computes a checksum of what it read; they must match. Times
 * are process CPU time (see now()).
 *
 * Usage: sqlite_bench [scale [workloads]]: scale divides the row counts
 * (default 1); workloads is a subset of "abcd" to run (default all), handy
 * under a profiler.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keel.h"
#include "sqlite3.h"
#include "sqlite_open.h"

#define RUNS 5

static int64_t SCAN_ROWS = 1000000;
static int64_t LOOKUPS = 20000;
static int64_t INSERTS = 200000;

/* CPU time of the process: both sides run on the calling thread, and CPU
 * time is far steadier than wall time on a shared machine. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- helpers shared by both sides ------------------------------------ */

static void keel_check(const char *what, keel_status st, keel_error *err) {
    if (st != KEEL_STATUS_OK) {
        fprintf(stderr, "keel %s: %s: %s\n", what, keel_status_str(st), err ? keel_error_message(err) : "");
        exit(1);
    }
}

static void raw_check(sqlite3 *db, const char *what, int rc, int want) {
    if (rc != want) {
        fprintf(stderr, "sqlite3 %s: %d: %s\n", what, rc, sqlite3_errmsg(db));
        exit(1);
    }
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int digits(const unsigned char *p, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
    return v;
}

/* "YYYY-MM-DD HH:MM:SS" -> microseconds since 1970 (the raw side's parse). */
static int64_t parse_ts(const unsigned char *t, int len) {
    if (len < 19) return INT64_MIN;
    int64_t days = days_from_civil(digits(t, 4), digits(t + 5, 2), digits(t + 8, 2));
    return ((days * 86400) + digits(t + 11, 2) * 3600 + digits(t + 14, 2) * 60 + digits(t + 17, 2)) * 1000000;
}

/* microseconds since 1970 (whole seconds) -> "YYYY-MM-DD HH:MM:SS", as
 * keel writes a timestamp; returns the length. */
static int format_ts(int64_t us, char *out) {
    int64_t secs = us / 1000000, days = secs / 86400, sod = secs % 86400, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    return snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d", (int)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
                    (int)(sod % 60));
}

/* Row i of the data set, for the insert workload. */
struct row {
    int64_t id;
    char name[24];
    int name_len;
    double score;
    bool flag;
    int64_t created_us;
    unsigned char payload[32];
    bool n_null;
    int64_t n;
};

static void make_row(int64_t i, struct row *r) {
    r->id = i;
    r->name_len = snprintf(r->name, sizeof r->name, "name-%011" PRId64, i);
    r->score = (double)i * 0.5;
    r->flag = i % 2;
    r->created_us = (1700000000 + i) * 1000000;
    for (int k = 0; k < 32; k++) r->payload[k] = (unsigned char)(i + k);
    r->n_null = i % 10 == 0;
    r->n = i * 3;
}

/* The scan data, made by SQL so that both sides hold identical rows. */
static const char *CREATE_T =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score DOUBLE NOT NULL, flag BOOLEAN NOT NULL, "
    "created TIMESTAMP NOT NULL, payload BLOB NOT NULL, n INTEGER)";
static const char *CREATE_T2 =
    "CREATE TABLE t2 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score DOUBLE NOT NULL, flag BOOLEAN NOT NULL, "
    "created TIMESTAMP NOT NULL, payload BLOB NOT NULL, n INTEGER)";
static char FILL_T[1024];
static const char *SCAN_SQL = "SELECT id, name, score, flag, created, payload, n FROM t";
static const char *TS_SQL = "SELECT created FROM t";
static const char *LOOKUP_SQL = "SELECT id, name, score, flag, created, payload, n FROM t WHERE id = ?";
static const char *INSERT_SQL = "INSERT INTO t2 (id, name, score, flag, created, payload, n) VALUES (?, ?, ?, ?, ?, ?, ?)";

struct sums {
    int64_t ids, text_bytes, flags, created, blob_bytes, n, nulls;
    double score;
};

static bool sums_equal(const struct sums *a, const struct sums *b) {
    return a->ids == b->ids && a->text_bytes == b->text_bytes && a->flags == b->flags && a->created == b->created &&
           a->blob_bytes == b->blob_bytes && a->n == b->n && a->nulls == b->nulls && a->score == b->score;
}

static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* ---- keel side ------------------------------------------------------- */

static void keel_read_row(keel_rows *rows, struct sums *s) {
    keel_error *err = NULL;
    int64_t id = 0, created = 0;
    const char *name = NULL;
    size_t name_len = 0, blob_len = 0;
    double score = 0;
    bool flag = false;
    const uint8_t *blob = NULL;
    keel_value n;
    keel_check("id", keel_rows_column_int64(rows, 0, &id, &err), err);
    keel_check("name", keel_rows_column_text(rows, 1, &name, &name_len, &err), err);
    keel_check("score", keel_rows_column_double(rows, 2, &score, &err), err);
    keel_check("flag", keel_rows_column_bool(rows, 3, &flag, &err), err);
    keel_check("created", keel_rows_column_timestamp(rows, 4, &created, &err), err);
    keel_check("payload", keel_rows_column_bytes(rows, 5, &blob, &blob_len, &err), err);
    keel_check("n", keel_rows_column_value(rows, 6, &n, &err), err);
    s->ids += id;
    s->text_bytes += (int64_t)name_len + (name[name_len - 1] - '0');
    s->score += score;
    s->flags += flag;
    s->created += created / 1000000;
    s->blob_bytes += (int64_t)blob_len + blob[31];
    if (n.kind == KEEL_TYPE_NULL) {
        s->nulls++;
    } else {
        s->n += n.int_value;
    }
}

static double keel_scan(keel_conn *conn, struct sums *s) {
    keel_error *err = NULL;
    double t0 = now();
    keel_rows *rows = NULL;
    keel_check("query", keel_conn_query(conn, SCAN_SQL, NULL, 0, &rows, &err), err);
    bool has = false;
    for (;;) {
        keel_check("next", keel_rows_next(rows, &has, &err), err);
        if (!has) break;
        keel_read_row(rows, s);
    }
    keel_rows_free(rows);
    return now() - t0;
}

/* The same scan with one call per row: keel_rows_next_values. */
static double keel_scan_rows(keel_conn *conn, struct sums *s) {
    keel_error *err = NULL;
    double t0 = now();
    keel_rows *rows = NULL;
    keel_check("query", keel_conn_query(conn, SCAN_SQL, NULL, 0, &rows, &err), err);
    keel_value v[7];
    bool has = false;
    for (;;) {
        keel_check("next_values", keel_rows_next_values(rows, v, 7, &has, &err), err);
        if (!has) break;
        if (v[4].kind != KEEL_TYPE_TIMESTAMP || v[3].kind != KEEL_TYPE_BOOL) {
            fprintf(stderr, "keel scan: unexpected column types %d %d\n", v[3].kind, v[4].kind);
            exit(1);
        }
        s->ids += v[0].int_value;
        s->text_bytes += (int64_t)v[1].len + (v[1].data[v[1].len - 1] - '0');
        s->score += v[2].double_value;
        s->flags += v[3].int_value;
        s->created += v[4].int_value / 1000000;
        s->blob_bytes += (int64_t)v[5].len + v[5].data[31];
        if (v[6].kind == KEEL_TYPE_NULL) {
            s->nulls++;
        } else {
            s->n += v[6].int_value;
        }
    }
    keel_rows_free(rows);
    return now() - t0;
}

/* (b): a new cursor per lookup (keel_stmt_query, keel_rows_free), or with
 * `reuse` (b2) one cursor handle run into again and again
 * (keel_stmt_query_reuse, binding the id), as sqlite3_reset reuses a
 * statement. */
static double keel_lookup(keel_conn *conn, struct sums *s, bool reuse) {
    keel_error *err = NULL;
    double t0 = now();
    keel_stmt *stmt = NULL;
    keel_check("prepare", keel_conn_prepare(conn, LOOKUP_SQL, &stmt, &err), err);
    uint64_t seed = 42;
    keel_rows *rows = NULL;
    for (int64_t i = 0; i < LOOKUPS; i++) {
        int64_t id = 1 + (int64_t)(lcg(&seed) % (uint64_t)SCAN_ROWS);
        if (reuse) {
            keel_value v = {.kind = KEEL_TYPE_INT64, .int_value = id};
            keel_check("query", keel_stmt_query_reuse(stmt, &v, 1, &rows, &err), err);
        } else {
            keel_check("bind", keel_stmt_bind_int64(stmt, 0, id, &err), err);
            rows = NULL;
            keel_check("query", keel_stmt_query(stmt, &rows, &err), err);
        }
        bool has = false;
        keel_check("next", keel_rows_next(rows, &has, &err), err);
        if (!has) {
            fprintf(stderr, "keel lookup: id %" PRId64 " not found\n", id);
            exit(1);
        }
        keel_read_row(rows, s);
        if (!reuse) keel_rows_free(rows);
    }
    if (reuse) keel_rows_free(rows);
    keel_stmt_free(stmt);
    return now() - t0;
}

static double keel_insert(keel_conn *conn, bool in_place) {
    keel_error *err = NULL;
    keel_check("clear", keel_conn_exec(conn, "DELETE FROM t2", NULL, 0, NULL, &err), err);
    double t0 = now();
    keel_stmt *stmt = NULL;
    keel_check("prepare", keel_conn_prepare(conn, INSERT_SQL, &stmt, &err), err);
    keel_check("begin", keel_conn_begin(conn, NULL, &err), err);
    struct row r;
    for (int64_t i = 1; i <= INSERTS; i++) {
        make_row(i, &r);
        keel_check("bind", keel_stmt_bind_int64(stmt, 0, r.id, &err), err);
        if (in_place) {
            keel_check("bind", keel_stmt_bind_text_static(stmt, 1, r.name, (size_t)r.name_len, &err), err);
        } else {
            keel_check("bind", keel_stmt_bind_text(stmt, 1, r.name, (size_t)r.name_len, &err), err);
        }
        keel_check("bind", keel_stmt_bind_double(stmt, 2, r.score, &err), err);
        keel_check("bind", keel_stmt_bind_bool(stmt, 3, r.flag, &err), err);
        keel_check("bind", keel_stmt_bind_timestamp(stmt, 4, r.created_us, &err), err);
        if (in_place) {
            keel_check("bind", keel_stmt_bind_bytes_static(stmt, 5, r.payload, sizeof r.payload, &err), err);
        } else {
            keel_check("bind", keel_stmt_bind_bytes(stmt, 5, r.payload, sizeof r.payload, &err), err);
        }
        if (r.n_null) {
            keel_check("bind", keel_stmt_bind_null(stmt, 6, &err), err);
        } else {
            keel_check("bind", keel_stmt_bind_int64(stmt, 6, r.n, &err), err);
        }
        keel_check("insert", keel_stmt_execute(stmt, NULL, &err), err);
    }
    keel_check("commit", keel_conn_commit(conn, &err), err);
    keel_stmt_free(stmt);
    return now() - t0;
}

/* ---- raw sqlite3 side ------------------------------------------------ */

static void raw_read_row(sqlite3_stmt *st, struct sums *s) {
    int64_t id = sqlite3_column_int64(st, 0);
    const unsigned char *name = sqlite3_column_text(st, 1);
    int name_len = sqlite3_column_bytes(st, 1);
    double score = sqlite3_column_double(st, 2);
    bool flag = sqlite3_column_int64(st, 3) != 0;
    const unsigned char *ts = sqlite3_column_text(st, 4);
    int64_t created = parse_ts(ts, sqlite3_column_bytes(st, 4));
    const unsigned char *blob = sqlite3_column_blob(st, 5);
    int blob_len = sqlite3_column_bytes(st, 5);
    s->ids += id;
    s->text_bytes += name_len + (name[name_len - 1] - '0');
    s->score += score;
    s->flags += flag;
    s->created += created / 1000000;
    s->blob_bytes += blob_len + blob[31];
    if (sqlite3_column_type(st, 6) == SQLITE_NULL) {
        s->nulls++;
    } else {
        s->n += sqlite3_column_int64(st, 6);
    }
}

static double raw_scan(sqlite3 *db, struct sums *s) {
    double t0 = now();
    sqlite3_stmt *st = NULL;
    raw_check(db, "prepare", sqlite3_prepare_v3(db, SCAN_SQL, -1, 0, &st, NULL), SQLITE_OK);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        raw_read_row(st, s);
    }
    raw_check(db, "step", rc, SQLITE_DONE);
    sqlite3_finalize(st);
    return now() - t0;
}

static double raw_lookup(sqlite3 *db, struct sums *s) {
    double t0 = now();
    sqlite3_stmt *st = NULL;
    raw_check(db, "prepare", sqlite3_prepare_v3(db, LOOKUP_SQL, -1, 0, &st, NULL), SQLITE_OK);
    uint64_t seed = 42;
    for (int64_t i = 0; i < LOOKUPS; i++) {
        int64_t id = 1 + (int64_t)(lcg(&seed) % (uint64_t)SCAN_ROWS);
        raw_check(db, "bind", sqlite3_bind_int64(st, 1, id), SQLITE_OK);
        raw_check(db, "step", sqlite3_step(st), SQLITE_ROW);
        raw_read_row(st, s);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return now() - t0;
}

/* (d): the text's length and a digit of it, summed over the rows. */
static double keel_ts_text(keel_conn *conn, int64_t *sum) {
    keel_error *err = NULL;
    double t0 = now();
    keel_rows *rows = NULL;
    keel_check("query", keel_conn_query(conn, TS_SQL, NULL, 0, &rows, &err), err);
    bool has = false;
    for (;;) {
        keel_check("next", keel_rows_next(rows, &has, &err), err);
        if (!has) break;
        const char *t = NULL;
        size_t n = 0;
        keel_check("text", keel_rows_column_text(rows, 0, &t, &n, &err), err);
        *sum += (int64_t)n + t[n - 1];
    }
    keel_rows_free(rows);
    return now() - t0;
}

static double raw_ts_text(sqlite3 *db, int64_t *sum) {
    double t0 = now();
    sqlite3_stmt *st = NULL;
    raw_check(db, "prepare", sqlite3_prepare_v3(db, TS_SQL, -1, 0, &st, NULL), SQLITE_OK);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        *sum += n + t[n - 1];
    }
    raw_check(db, "step", rc, SQLITE_DONE);
    sqlite3_finalize(st);
    return now() - t0;
}

static void raw_exec(sqlite3 *db, const char *sql) {
    raw_check(db, sql, sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static double raw_insert(sqlite3 *db, bool in_place) {
    raw_exec(db, "DELETE FROM t2");
    double t0 = now();
    sqlite3_stmt *st = NULL;
    raw_check(db, "prepare", sqlite3_prepare_v3(db, INSERT_SQL, -1, 0, &st, NULL), SQLITE_OK);
    raw_exec(db, "BEGIN DEFERRED");
    struct row r;
    char ts[32];
    for (int64_t i = 1; i <= INSERTS; i++) {
        make_row(i, &r);
        int ts_len = format_ts(r.created_us, ts);
        sqlite3_bind_int64(st, 1, r.id);
        sqlite3_destructor_type keep = in_place ? SQLITE_STATIC : SQLITE_TRANSIENT;
        sqlite3_bind_text64(st, 2, r.name, (sqlite3_uint64)r.name_len, keep, SQLITE_UTF8);
        sqlite3_bind_double(st, 3, r.score);
        sqlite3_bind_int64(st, 4, r.flag);
        sqlite3_bind_text64(st, 5, ts, (sqlite3_uint64)ts_len, SQLITE_TRANSIENT, SQLITE_UTF8);
        sqlite3_bind_blob64(st, 6, r.payload, sizeof r.payload, keep);
        if (r.n_null) {
            sqlite3_bind_null(st, 7);
        } else {
            sqlite3_bind_int64(st, 7, r.n);
        }
        raw_check(db, "insert", sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    raw_exec(db, "COMMIT");
    sqlite3_finalize(st);
    return now() - t0;
}

static sqlite3 *raw_open(const char *uri) {
    sqlite3 *db = NULL;
    raw_check(db, "open", open_as_keel(uri, &db), SQLITE_OK);
    return db;
}

/* The inserted table must hold the same rows on both sides. */
static int64_t keel_t2_sum(keel_conn *conn) {
    keel_error *err = NULL;
    keel_rows *rows = NULL;
    bool has = false;
    int64_t v = 0;
    keel_check("sum", keel_conn_query(conn, "SELECT sum(length(name) + length(created) + length(payload) + ifnull(n, 7) + flag) FROM t2", NULL, 0, &rows, &err), err);
    keel_check("sum", keel_rows_next(rows, &has, &err), err);
    keel_check("sum", keel_rows_column_int64(rows, 0, &v, &err), err);
    keel_rows_free(rows);
    return v;
}

static int64_t raw_t2_sum(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    raw_check(db, "sum", sqlite3_prepare_v2(db, "SELECT sum(length(name) + length(created) + length(payload) + ifnull(n, 7) + flag) FROM t2", -1, &st, NULL), SQLITE_OK);
    raw_check(db, "sum", sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void report(const char *name, double keel_s, double raw_s, double target) {
    if (keel_s >= 1e9) return; /* not run */
    double ratio = keel_s / raw_s;
    printf("%-30s %10.1f ms %10.1f ms %8.3f %8.2f  %s\n", name, keel_s * 1e3, raw_s * 1e3, ratio, target,
           ratio <= target ? "ok" : "ABOVE TARGET");
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    if (scale < 1) scale = 1;
    const char *only = argc > 2 ? argv[2] : "abcd";
    SCAN_ROWS /= scale;
    LOOKUPS /= scale;
    INSERTS /= scale;
    snprintf(FILL_T, sizeof FILL_T,
             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %" PRId64 ") "
             "INSERT INTO t SELECT x, printf('name-%%011d', x), x * 0.5, x %% 2, "
             "strftime('%%Y-%%m-%%d %%H:%%M:%%S', 1700000000 + x, 'unixepoch'), "
             "CAST(printf('%%032d', x) AS BLOB), CASE WHEN x %% 10 = 0 THEN NULL ELSE x * 3 END FROM c",
             SCAN_ROWS);

    printf("SQLite %s (keel %s, raw sqlite3 from the same libkeel.a), memdb database on both sides\n",
           sqlite3_libversion(), keel_version());

    keel_error *err = NULL;
    keel_db *kdb = NULL;
    keel_conn *conn = NULL;
    keel_check("open", keel_db_open("sqlite::memory:", &kdb, &err), err);
    keel_check("checkout", keel_db_checkout(kdb, &conn, &err), err);
    keel_check("create", keel_conn_exec(conn, CREATE_T, NULL, 0, NULL, &err), err);
    keel_check("create", keel_conn_exec(conn, CREATE_T2, NULL, 0, NULL, &err), err);
    keel_check("fill", keel_conn_exec(conn, FILL_T, NULL, 0, NULL, &err), err);

    char uri[128];
    snprintf(uri, sizeof uri, "file:/raw-bench-%ld?vfs=memdb", (long)getpid());
    sqlite3 *keeper = raw_open(uri);
    sqlite3 *db = raw_open(uri);
    raw_exec(db, CREATE_T);
    raw_exec(db, CREATE_T2);
    raw_exec(db, FILL_T);

    double best[7][2] = {{1e9, 1e9}, {1e9, 1e9}, {1e9, 1e9}, {1e9, 1e9}, {1e9, 1e9}, {1e9, 1e9}, {1e9, 1e9}};
    for (int run = 0; run < RUNS; run++) {
        double k = 0, r = 0;
        struct sums ks = {0}, rs = {0};
        if (strchr(only, 'a')) {
            k = keel_scan(conn, &ks);
            r = raw_scan(db, &rs);
            if (!sums_equal(&ks, &rs)) {
                fprintf(stderr, "scan: keel and raw read different data\n");
                return 1;
            }
            if (k < best[0][0]) best[0][0] = k;
            if (r < best[0][1]) best[0][1] = r;
            struct sums kr = {0};
            k = keel_scan_rows(conn, &kr);
            if (!sums_equal(&kr, &rs)) {
                fprintf(stderr, "scan (whole rows): keel and raw read different data\n");
                return 1;
            }
            if (k < best[3][0]) best[3][0] = k;
            best[3][1] = best[0][1];
        }

        struct sums kl = {0}, rl = {0};
        if (strchr(only, 'b')) {
            r = raw_lookup(db, &rl);
            k = keel_lookup(conn, &kl, false);
            if (!sums_equal(&kl, &rl)) {
                fprintf(stderr, "lookup: keel and raw read different data\n");
                return 1;
            }
            if (k < best[1][0]) best[1][0] = k;
            if (r < best[1][1]) best[1][1] = r;
            struct sums ku = {0};
            k = keel_lookup(conn, &ku, true);
            if (!sums_equal(&ku, &rl)) {
                fprintf(stderr, "lookup (cursor reused): keel and raw read different data\n");
                return 1;
            }
            if (k < best[4][0]) best[4][0] = k;
            best[4][1] = best[1][1];
        }

        if (strchr(only, 'c')) {
            for (int in_place = 0; in_place <= 1; in_place++) {
                int w = in_place ? 6 : 2;
                k = keel_insert(conn, in_place);
                r = raw_insert(db, in_place);
                if (keel_t2_sum(conn) != raw_t2_sum(db)) {
                    fprintf(stderr, "insert%s: keel and raw stored different data\n", in_place ? " (c2)" : "");
                    return 1;
                }
                if (k < best[w][0]) best[w][0] = k;
                if (r < best[w][1]) best[w][1] = r;
            }
        }

        if (strchr(only, 'd')) {
            int64_t ksum = 0, rsum = 0;
            k = keel_ts_text(conn, &ksum);
            r = raw_ts_text(db, &rsum);
            if (ksum != rsum) {
                fprintf(stderr, "timestamp text: keel and raw read different text\n");
                return 1;
            }
            if (k < best[5][0]) best[5][0] = k;
            if (r < best[5][1]) best[5][1] = r;
        }
    }

    printf("%-30s %13s %13s %8s %8s\n", "workload (best of 5)", "keel", "raw sqlite3", "keel/raw", "target");
    char name[64];
    snprintf(name, sizeof name, "(a) scan %" PRId64 " rows", SCAN_ROWS);
    report(name, best[0][0], best[0][1], 1.15);
    snprintf(name, sizeof name, "(a2) same, one call per row");
    report(name, best[3][0], best[3][1], 1.15);
    snprintf(name, sizeof name, "(b) %" PRId64 " point lookups", LOOKUPS);
    report(name, best[1][0], best[1][1], 1.15);
    snprintf(name, sizeof name, "(b2) same, cursor reused");
    report(name, best[4][0], best[4][1], 1.15);
    snprintf(name, sizeof name, "(c) %" PRId64 " inserts, 1 tx", INSERTS);
    report(name, best[2][0], best[2][1], 1.10);
    snprintf(name, sizeof name, "(c2) same, bound in place");
    report(name, best[6][0], best[6][1], 1.10);
    snprintf(name, sizeof name, "(d) timestamp as text");
    report(name, best[5][0], best[5][1], 1.15);

    keel_conn_free(conn);
    keel_db_free(kdb);
    sqlite3_close(db);
    sqlite3_close(keeper);
    return 0;
}

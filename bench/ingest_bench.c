/*
 * ingest_bench: keel's bulk ingest (keel_conn_ingest, fed an Arrow C
 * stream) against each engine's native fast path, on workload W3: N rows
 * (default 200,000) of the bench table into an empty table, in one
 * transaction.
 *
 *   id int64 | name utf8, 16 chars | score float64 | flag bool |
 *   created timestamp[us] (no time zone) | payload binary, 32 bytes |
 *   nullable_int int64, NULL when i % 10 == 0
 *
 * with the values of row i (1-based) the workload's formulas give.
 *
 * keel's side: an ArrowArrayStream written here in plain C (no Arrow
 * library) makes record batches of --batch rows (default 65,536) lazily
 * in get_next, with the Arrow C data interface's formats "l", "u", "g",
 * "b", "tsu:", "z", "l", a validity bitmap for nullable_int, and release
 * callbacks for the stream, the schema and every array and child;
 * keel_conn_ingest takes the stream (KEEL_INGEST_MODE_APPEND into the
 * table made empty beforehand, so both sides write the same table).
 * Building the batches is part of keel's time, as it is part of what a
 * caller of keel_conn_ingest pays.
 *
 * The native side, what a careful user of each client writes:
 *   SQLite      a raw sqlite3 prepared INSERT, one sqlite3_step per row, in
 *               one transaction, on the same SQLite build (this program
 *               links libkeel.a, which carries keel's bundled sqlite3, and
 *               calls it directly). Both sides use an in-memory database:
 *               keel's sqlite::memory: (a memdb database), and
 *               file:/NAME?vfs=memdb opened as keel opens it (NOMUTEX,
 *               extended result codes, busy timeout, foreign keys, plus a
 *               second connection keeping it alive, as keel's pool does).
 *               The timestamp is bound as the text keel writes
 *               (YYYY-MM-DD HH:MM:SS.ffffff), the name and payload with
 *               SQLITE_STATIC.
 *   PostgreSQL  libpq COPY ... FROM STDIN (FORMAT binary), the binary
 *               tuples written by hand into a 64 KiB buffer handed to
 *               PQputCopyData, inside BEGIN / COMMIT.
 *   MySQL       libmariadb prepared INSERT with array binding: column-wise
 *               arrays of 10,000 rows per mysql_stmt_execute
 *               (STMT_ATTR_ARRAY_SIZE), an indicator array for the NULLs,
 *               inside START TRANSACTION / COMMIT.
 * keel's path on MariaDB 10.2 and later is its bulk command (what the
 * native side's array binding sends), on MySQL LOAD DATA LOCAL INFILE
 * when the server has local_infile on, else multi-row INSERTs; the line
 * says which.
 *
 * A second keel side per engine (the speed issue's "INSERT batches"): the
 * same rows as keel_value arrays, made in C 10,000 rows at a time (part of
 * keel's time), through one prepared INSERT with ? placeholders and
 * keel_stmt_execute_batch per 10,000 rows, in one transaction: on SQLite
 * the statement runs row by row (1000 rows per call into the driver,
 * bound where the values are), on PostgreSQL by binary COPY, 10,000
 * rows a COPY, on MySQL/MariaDB as multi-row INSERTs of 1000 rows. Its
 * targets: within 1.5 of COPY and of
 * the array bind; none on SQLite (the row-by-row insert's target is
 * bench/sqlite_bench.c's).
 *
 * Each run makes the table empty (DROP, CREATE) on a new connection,
 * untimed, times the load, then checks through SQL on the same connection
 * the row count and sums of id, nullable_int, flag and the lengths, and a
 * text fingerprint of the last row, which must be the same on both sides.
 * Each side runs --reps times (default 3), interleaved; the best wall time
 * and the best CPU time are kept. The targets are printed next to the
 * ratios; the bench never fails on one.
 *
 * Usage:
 *   ingest_bench [sqlite] [postgres] [mysql] [all] [--rows N] [--reps N]
 *                [--batch N] [--side keel|native] [--keel ingest|batch]
 * No engine named means all three. URLs come from KEEL_TEST_POSTGRES_URL
 * and KEEL_TEST_MYSQL_URL (`. scripts/servers.sh`). The table
 * keel_bench_w3 is dropped and re-created.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <mysql.h>

#include "sqlite3.h"
#include "sqlite_open.h"

#define BENCH_NAME "ingest_bench"
#include "bench_common.h"
#include "keel.h"

/* ------------------------------------------------------------------ */
/* common                                                              */

static int64_t g_rows = 200000;
static int g_reps = 3;
static int64_t g_batch = 65536;
/* --side keel|native runs one side only (for profiling). */
static const char *g_side = NULL;
/* --keel ingest|batch runs one of keel's two ways only. */
static enum { KEEL_BOTH, KEEL_ONLY_INGEST, KEEL_ONLY_BATCH } g_keel = KEEL_BOTH;

static const char *TABLE = "keel_bench_w3";

static bool run_side(const char *side) { return !g_side || strcmp(g_side, side) == 0; }

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p)
        die("malloc", "out of memory");
    return p;
}

/* ---- W3's values (BENCH-WORKLOADS.md), row i 1-based ---------------- */

/* 2024-01-01 00:00:00 in microseconds since 1970, and 2000-01-01 (PostgreSQL's epoch). */
#define W3_BASE_MICROS INT64_C(1704067200000000)
#define PG_EPOCH_MICROS INT64_C(946684800000000)
#define MICROS_PER_DAY INT64_C(86400000000)

/* The last `n` decimal digits of `v` into `out`, zero-padded, no NUL. */
static inline void put_digits(uint64_t v, char *out, int n) {
    for (int k = n - 1; k >= 0; k--) {
        out[k] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* "user%012d" % ((i * 2654435761) mod 10^12): 16 bytes, no NUL. */
static inline void w3_name(int64_t i, char out[16]) {
    memcpy(out, "user", 4);
    put_digits((uint64_t)i * UINT64_C(2654435761) % UINT64_C(1000000000000), out + 4, 12);
}

static inline double w3_score(int64_t i) { return (double)((uint64_t)i * 7919 % 1000003) / 1000.0; }

static inline bool w3_flag(int64_t i) { return i % 3 == 0; }

/* 2024-01-01 00:00:00 + i * 37 s + ((i * 1234) mod 10^6) us. */
static inline int64_t w3_created(int64_t i) {
    return W3_BASE_MICROS + i * 37 * INT64_C(1000000) + i * 1234 % 1000000;
}

/* The little-endian u64 of i * 0x9E3779B97F4A7C15 (mod 2^64), four times. */
static inline void w3_payload(int64_t i, uint8_t out[32]) {
    uint64_t x = (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15);
    for (int k = 0; k < 8; k++)
        out[k] = (uint8_t)(x >> (8 * k));
    memcpy(out + 8, out, 8);
    memcpy(out + 16, out, 16);
}

static inline bool w3_n_null(int64_t i) { return i % 10 == 0; }

static inline int64_t w3_n(int64_t i) { return i * 13 % 100000; }


/* What the checks want to read back: "rows,sum(id),sum(nullable_int),
 * count(nullable_int),sum(flag),sum(length(name)),sum(length(payload))". */
static void w3_expected(int64_t rows, char *out, size_t cap) {
    int64_t ids = 0, ns = 0, nn = 0, flags = 0;
    for (int64_t i = 1; i <= rows; i++) {
        ids += i;
        flags += w3_flag(i);
        if (!w3_n_null(i)) {
            ns += w3_n(i);
            nn++;
        }
    }
    snprintf(out, cap, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, rows,
             ids, ns, nn, flags, rows * 16, rows * 32);
}

/* One side's load, checked: the sums (against w3_expected) and the last
 * row's fingerprint (against the other side's). */
typedef struct {
    timing t;
    char sums[256];
    char fingerprint[512];
} load_result;

static void check_sums(const char *engine, const char *side, const load_result *r, const char *want) {
    if (strcmp(r->sums, want) != 0) {
        fprintf(stderr,
                BENCH_NAME ": %s (%s): the table holds the wrong rows\n"
                "  got  (rows,sum id,sum nullable_int,count nullable_int,sum flag,name bytes,payload bytes) %s\n"
                "  want %s\n",
                engine, side, r->sums, want);
        exit(1);
    }
}

/* ------------------------------------------------------------------ */
/* the Arrow C stream keel reads                                       */

/* Producer-side counts of what is alive, to check that keel released
 * every schema and array the stream gave it. */
static long g_live_schemas, g_live_arrays;

enum { W3_COLUMNS = 7 };

static const struct {
    const char *name, *format;
    int64_t flags;
} W3_FIELDS[W3_COLUMNS] = {
    {"id", "l", 0},           {"name", "u", 0},      {"score", "g", 0},
    {"flag", "b", 0},         {"created", "tsu:", 0}, {"payload", "z", 0},
    {"nullable_int", "l", ARROW_FLAG_NULLABLE},
};

typedef struct {
    int64_t next, total, batch; /* next row number (1-based), rows to make, rows per batch */
    char error[128];
} w3_stream;

/* The schema: a struct ("+s") with the seven fields as children. The
 * names and formats are static strings; the children live in the
 * parent's private data. */
typedef struct {
    struct ArrowSchema *ptrs[W3_COLUMNS];
    struct ArrowSchema child[W3_COLUMNS];
} schema_private;

static void child_schema_release(struct ArrowSchema *s) { s->release = NULL; }

static void schema_release(struct ArrowSchema *s) {
    schema_private *p = s->private_data;
    for (int k = 0; k < W3_COLUMNS; k++)
        if (p->ptrs[k]->release)
            p->ptrs[k]->release(p->ptrs[k]);
    free(p);
    s->release = NULL;
    g_live_schemas--;
}

static int w3_get_schema(struct ArrowArrayStream *stream, struct ArrowSchema *out) {
    w3_stream *src = stream->private_data;
    schema_private *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(src->error, sizeof src->error, "get_schema: out of memory");
        return ENOMEM;
    }
    for (int k = 0; k < W3_COLUMNS; k++) {
        p->ptrs[k] = &p->child[k];
        p->child[k] = (struct ArrowSchema){
            .format = W3_FIELDS[k].format,
            .name = W3_FIELDS[k].name,
            .flags = W3_FIELDS[k].flags,
            .release = child_schema_release,
        };
    }
    *out = (struct ArrowSchema){
        .format = "+s",
        .name = "",
        .n_children = W3_COLUMNS,
        .children = p->ptrs,
        .release = schema_release,
        .private_data = p,
    };
    g_live_schemas++;
    return 0;
}

/* A child array owns its buffers (each one malloc'ed block), so that a
 * consumer may move it out of its parent and release it alone. */
typedef struct {
    const void *buffers[3];
} column_private;

static void column_release(struct ArrowArray *a) {
    column_private *p = a->private_data;
    for (int64_t k = 0; k < a->n_buffers; k++)
        free((void *)p->buffers[k]);
    free(p);
    a->release = NULL;
}

typedef struct {
    struct ArrowArray *ptrs[W3_COLUMNS];
    struct ArrowArray child[W3_COLUMNS];
    const void *buffers[1]; /* the struct's validity: none */
} batch_private;

static void batch_release(struct ArrowArray *a) {
    batch_private *p = a->private_data;
    for (int k = 0; k < W3_COLUMNS; k++)
        if (p->ptrs[k]->release)
            p->ptrs[k]->release(p->ptrs[k]);
    free(p);
    a->release = NULL;
    g_live_arrays--;
}

/* The buffers of one batch, before they are handed to its children. */
enum {
    B_ID,
    B_NAME_OFFSETS,
    B_NAME_DATA,
    B_SCORE,
    B_FLAG_BITS,
    B_CREATED,
    B_PAYLOAD_OFFSETS,
    B_PAYLOAD_DATA,
    B_N_VALID,
    B_N,
    B_COUNT
};

static int w3_get_next(struct ArrowArrayStream *stream, struct ArrowArray *out) {
    w3_stream *src = stream->private_data;
    memset(out, 0, sizeof *out); /* release NULL: the end of the stream */
    if (src->next > src->total)
        return 0;
    int64_t first = src->next, n = src->total - first + 1;
    if (n > src->batch)
        n = src->batch;
    size_t un = (size_t)n, bitmap = (un + 7) / 8;

    const size_t sizes[B_COUNT] = {
        [B_ID] = 8 * un,           [B_NAME_OFFSETS] = 4 * (un + 1),    [B_NAME_DATA] = 16 * un,
        [B_SCORE] = 8 * un,        [B_FLAG_BITS] = bitmap,             [B_CREATED] = 8 * un,
        [B_PAYLOAD_OFFSETS] = 4 * (un + 1), [B_PAYLOAD_DATA] = 32 * un, [B_N_VALID] = bitmap,
        [B_N] = 8 * un,
    };
    void *buf[B_COUNT] = {0};
    column_private *cols[W3_COLUMNS] = {0};
    batch_private *bp = calloc(1, sizeof *bp);
    bool ok = bp != NULL;
    for (int k = 0; ok && k < B_COUNT; k++)
        ok = (buf[k] = malloc(sizes[k])) != NULL;
    for (int k = 0; ok && k < W3_COLUMNS; k++)
        ok = (cols[k] = calloc(1, sizeof *cols[k])) != NULL;
    if (!ok) {
        for (int k = 0; k < B_COUNT; k++)
            free(buf[k]);
        for (int k = 0; k < W3_COLUMNS; k++)
            free(cols[k]);
        free(bp);
        snprintf(src->error, sizeof src->error, "get_next: out of memory for a batch of %" PRId64 " rows", n);
        return ENOMEM;
    }

    int64_t *id = buf[B_ID], *created = buf[B_CREATED], *nv = buf[B_N];
    int32_t *name_off = buf[B_NAME_OFFSETS], *pay_off = buf[B_PAYLOAD_OFFSETS];
    char *names = buf[B_NAME_DATA];
    double *score = buf[B_SCORE];
    uint8_t *flags = buf[B_FLAG_BITS], *valid = buf[B_N_VALID], *payload = buf[B_PAYLOAD_DATA];
    memset(flags, 0, bitmap);
    memset(valid, 0, bitmap);
    int64_t nulls = 0;
    for (size_t r = 0; r < un; r++) {
        int64_t i = first + (int64_t)r;
        id[r] = i;
        name_off[r] = (int32_t)(16 * r);
        w3_name(i, names + 16 * r);
        score[r] = w3_score(i);
        if (w3_flag(i))
            flags[r / 8] |= (uint8_t)(1u << (r % 8));
        created[r] = w3_created(i);
        pay_off[r] = (int32_t)(32 * r);
        w3_payload(i, payload + 32 * r);
        if (w3_n_null(i)) {
            nv[r] = 0;
            nulls++;
        } else {
            nv[r] = w3_n(i);
            valid[r / 8] |= (uint8_t)(1u << (r % 8));
        }
    }
    name_off[un] = (int32_t)(16 * un);
    pay_off[un] = (int32_t)(32 * un);

    /* column k: its buffers (validity first), taken from buf[] */
    static const int layout[W3_COLUMNS][3] = {
        {-1, B_ID, -2},
        {-1, B_NAME_OFFSETS, B_NAME_DATA},
        {-1, B_SCORE, -2},
        {-1, B_FLAG_BITS, -2},
        {-1, B_CREATED, -2},
        {-1, B_PAYLOAD_OFFSETS, B_PAYLOAD_DATA},
        {B_N_VALID, B_N, -2},
    };
    for (int k = 0; k < W3_COLUMNS; k++) {
        int64_t n_buffers = layout[k][2] == -2 ? 2 : 3;
        for (int64_t b = 0; b < n_buffers; b++)
            cols[k]->buffers[b] = layout[k][b] >= 0 ? buf[layout[k][b]] : NULL;
        bp->ptrs[k] = &bp->child[k];
        bp->child[k] = (struct ArrowArray){
            .length = n,
            .null_count = k == 6 ? nulls : 0,
            .n_buffers = n_buffers,
            .buffers = cols[k]->buffers,
            .release = column_release,
            .private_data = cols[k],
        };
    }
    bp->buffers[0] = NULL;
    *out = (struct ArrowArray){
        .length = n,
        .n_buffers = 1,
        .n_children = W3_COLUMNS,
        .buffers = bp->buffers,
        .children = bp->ptrs,
        .release = batch_release,
        .private_data = bp,
    };
    g_live_arrays++;
    src->next += n;
    return 0;
}

static const char *w3_get_last_error(struct ArrowArrayStream *stream) {
    w3_stream *src = stream->private_data;
    return src->error[0] ? src->error : NULL;
}

static void w3_stream_release(struct ArrowArrayStream *stream) {
    free(stream->private_data);
    stream->release = NULL;
}

static void w3_stream_init(struct ArrowArrayStream *stream, int64_t rows) {
    w3_stream *src = xmalloc(sizeof *src);
    *src = (w3_stream){.next = 1, .total = rows, .batch = g_batch};
    *stream = (struct ArrowArrayStream){
        .get_schema = w3_get_schema,
        .get_next = w3_get_next,
        .get_last_error = w3_get_last_error,
        .release = w3_stream_release,
        .private_data = src,
    };
}

/* ------------------------------------------------------------------ */
/* keel side (the same code for every engine)                          */

static keel_conn *keel_connect(keel_db **db, const char *url) {
    keel_conn *c;
    KTRY("open", keel_db_open(url, db, &e_));
    KTRY("checkout", keel_db_checkout(*db, &c, &e_));
    return c;
}

static void keel_exec(keel_conn *c, const char *sql) { KTRY(sql, keel_conn_exec(c, sql, NULL, 0, NULL, &e_)); }

/* The first column of the one row `sql` returns, as text. */
static void keel_text(keel_conn *c, const char *sql, char *out, size_t cap) {
    keel_rows *r;
    bool has;
    keel_value v;
    KTRY("check query", keel_conn_query(c, sql, NULL, 0, &r, &e_));
    KTRY("check next", keel_rows_next(r, &has, &e_));
    if (!has)
        die("no row (the table is empty?)", sql);
    KTRY("check value", keel_rows_column_value(r, 0, &v, &e_));
    if (v.kind != KEEL_TYPE_TEXT && v.kind != KEEL_TYPE_BYTES)
        die("not text (NULL: the table is empty?)", sql);
    snprintf(out, cap, "%.*s", (int)v.len, (const char *)v.data);
    keel_rows_free(r);
}

/* The sums and the fingerprint of the last row, in each engine's SQL. */
typedef struct {
    const char *sums, *fingerprint; /* fingerprint: printf format taking the id */
} check_sql;

static const check_sql SQLITE_CHECK = {
    "SELECT count(*) || ',' || coalesce(sum(id), 0) || ',' || coalesce(sum(nullable_int), 0) || ',' || "
    "count(nullable_int) || ',' || coalesce(sum(flag), 0) || ',' || coalesce(sum(length(name)), 0) || ',' || "
    "coalesce(sum(length(payload)), 0) FROM keel_bench_w3",
    "SELECT name || '|' || score || '|' || flag || '|' || created || '|' || hex(payload) || '|' || "
    "coalesce(nullable_int, 'null') || '|' || typeof(name) || typeof(score) || typeof(flag) || typeof(created) || "
    "typeof(payload) FROM keel_bench_w3 WHERE id = %" PRId64,
};

static const check_sql PG_CHECK = {
    "SELECT concat_ws(',', count(*), coalesce(sum(id), 0), coalesce(sum(nullable_int), 0), count(nullable_int), "
    "coalesce(sum(flag::int), 0), coalesce(sum(length(name)), 0), coalesce(sum(length(payload)), 0)) "
    "FROM keel_bench_w3",
    "SELECT concat_ws('|', name, score, flag, created, encode(payload, 'hex'), coalesce(nullable_int::text, 'null')) "
    "FROM keel_bench_w3 WHERE id = %" PRId64,
};

static const check_sql MY_CHECK = {
    "SELECT CONCAT_WS(',', COUNT(*), COALESCE(SUM(id), 0), COALESCE(SUM(nullable_int), 0), COUNT(nullable_int), "
    "COALESCE(SUM(flag), 0), COALESCE(SUM(LENGTH(name)), 0), COALESCE(SUM(LENGTH(payload)), 0)) "
    "FROM keel_bench_w3",
    "SELECT CONCAT_WS('|', name, score, flag, created, HEX(payload), COALESCE(nullable_int, 'null')) "
    "FROM keel_bench_w3 WHERE id = %" PRId64,
};

static void fingerprint_sql(const check_sql *q, char *out, size_t cap) { snprintf(out, cap, q->fingerprint, g_rows); }

/* A connection of a new pool on `url`, the table made empty by `ddl`. */
static keel_conn *keel_fresh(keel_db **db, const char *url, const char *const *ddl) {
    keel_conn *conn = keel_connect(db, url);
    for (; *ddl; ddl++)
        keel_exec(conn, *ddl);
    return conn;
}

/* Read the table's sums and its last row's fingerprint into `res`, then
 * close the connection and its pool. */
static void keel_check_and_close(keel_db *db, keel_conn *conn, const check_sql *q, load_result *res) {
    keel_text(conn, q->sums, res->sums, sizeof res->sums);
    char sql[512];
    fingerprint_sql(q, sql, sizeof sql);
    keel_text(conn, sql, res->fingerprint, sizeof res->fingerprint);
    keel_conn_free(conn);
    keel_db_free(db);
}

/* Make the table empty with `ddl` (untimed), load it through
 * keel_conn_ingest (timed, with the stream's batches made in get_next),
 * then check it. */
static load_result keel_load(const char *url, const char *const *ddl, const check_sql *q) {
    keel_db *db;
    keel_conn *conn = keel_fresh(&db, url, ddl);
    load_result res = {0};
    uint64_t rows = 0;
    timing t0 = t_start();
    struct ArrowArrayStream stream;
    w3_stream_init(&stream, g_rows);
    KTRY("ingest", keel_conn_ingest(conn, TABLE, &stream, KEEL_INGEST_MODE_APPEND, &rows, &e_));
    res.t = t_since(t0);
    if (stream.release != NULL)
        die("keel_conn_ingest", "returned without releasing the stream");
    if (g_live_arrays != 0 || g_live_schemas != 0)
        die("keel_conn_ingest", "returned with arrays or schemas of the stream not released");
    if (rows != (uint64_t)g_rows) {
        char m[96];
        snprintf(m, sizeof m, "reported %" PRIu64 " rows, not %" PRId64, rows, g_rows);
        die("keel_conn_ingest", m);
    }
    keel_check_and_close(db, conn, q, &res);
    return res;
}

/* Rows per keel_stmt_execute_batch call (the values of a chunk are made
 * in C before the call, part of keel's time, as the stream's batches are). */
enum { BATCH_CHUNK = 10000 };

/* Make the table empty with `ddl` (untimed), load it through one prepared
 * INSERT and keel_stmt_execute_batch in one transaction (timed), then
 * check it. */
static load_result keel_batch_load(const char *url, const char *const *ddl, const check_sql *q) {
    keel_db *db;
    keel_conn *conn = keel_fresh(&db, url, ddl);
    keel_value *v = xmalloc(sizeof *v * 7 * BATCH_CHUNK);
    char(*names)[16] = xmalloc(16 * (size_t)BATCH_CHUNK);
    uint8_t(*payloads)[32] = xmalloc(32 * (size_t)BATCH_CHUNK);
    load_result res = {0};
    timing t0 = t_start();
    keel_stmt *s;
    KTRY("prepare", keel_conn_prepare(conn,
                                      "INSERT INTO keel_bench_w3 (id, name, score, flag, created, payload, "
                                      "nullable_int) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                      &s, &e_));
    KTRY("begin", keel_conn_begin(conn, NULL, &e_));
    for (int64_t first = 1; first <= g_rows; first += BATCH_CHUNK) {
        size_t rows = (size_t)(g_rows - first + 1 < BATCH_CHUNK ? g_rows - first + 1 : BATCH_CHUNK);
        for (size_t r = 0; r < rows; r++) {
            int64_t i = first + (int64_t)r;
            keel_value *row = v + 7 * r;
            w3_name(i, names[r]);
            w3_payload(i, payloads[r]);
            row[0] = (keel_value){.kind = KEEL_TYPE_INT64, .int_value = i};
            row[1] = (keel_value){.kind = KEEL_TYPE_TEXT, .data = (const uint8_t *)names[r], .len = 16};
            row[2] = (keel_value){.kind = KEEL_TYPE_DOUBLE, .double_value = w3_score(i)};
            row[3] = (keel_value){.kind = KEEL_TYPE_BOOL, .int_value = w3_flag(i)};
            row[4] = (keel_value){.kind = KEEL_TYPE_TIMESTAMP, .int_value = w3_created(i)};
            row[5] = (keel_value){.kind = KEEL_TYPE_BYTES, .data = payloads[r], .len = 32};
            row[6] = w3_n_null(i) ? (keel_value){.kind = KEEL_TYPE_NULL}
                                  : (keel_value){.kind = KEEL_TYPE_INT64, .int_value = w3_n(i)};
        }
        keel_exec_result r = {.size = sizeof r};
        KTRY("execute_batch", keel_stmt_execute_batch(s, v, rows, 7, &r, &e_));
        if (r.rows_affected != rows)
            die("keel_stmt_execute_batch", "rows affected differ from the rows given");
    }
    KTRY("commit", keel_conn_commit(conn, &e_));
    keel_stmt_free(s);
    res.t = t_since(t0);
    free(v);
    free(names);
    free(payloads);
    keel_check_and_close(db, conn, q, &res);
    return res;
}

/* ------------------------------------------------------------------ */
/* SQLite: raw sqlite3                                                 */

static const char *SQLITE_DDL[] = {
    "DROP TABLE IF EXISTS keel_bench_w3",
    "CREATE TABLE keel_bench_w3 (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score DOUBLE NOT NULL, "
    "flag BOOLEAN NOT NULL, created TIMESTAMP NOT NULL, payload BLOB NOT NULL, nullable_int INT)",
    NULL,
};

static void sq_check(sqlite3 *db, const char *what, int rc, int want) {
    if (rc != want) {
        char m[256];
        snprintf(m, sizeof m, "%d: %s", rc, sqlite3_errmsg(db));
        die(what, m);
    }
}

static void sq_exec(sqlite3 *db, const char *sql) { sq_check(db, sql, sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK); }

/* Opened as keel opens its connections (sqlite_open.h). */
static sqlite3 *sq_open(const char *uri) {
    sqlite3 *db = NULL;
    sq_check(db, "sqlite3_open_v2", open_as_keel(uri, &db), SQLITE_OK);
    return db;
}

static void sq_text(sqlite3 *db, const char *sql, char *out, size_t cap) {
    sqlite3_stmt *st;
    sq_check(db, sql, sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
        die("no row (the table is empty?)", sql);
    snprintf(out, cap, "%.*s", sqlite3_column_bytes(st, 0), (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* Microseconds since 1970 as keel writes a timestamp for SQLite:
 * YYYY-MM-DD HH:MM:SS.ffffff (without the fraction when it is 0). */
static int format_timestamp(int64_t us, char *o) {
    int64_t days = us / MICROS_PER_DAY, tod = us % MICROS_PER_DAY;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    unsigned s = (unsigned)(tod / 1000000), frac = (unsigned)(tod % 1000000);
    put_digits((uint64_t)y, o, 4);
    o[4] = '-';
    put_digits(m, o + 5, 2);
    o[7] = '-';
    put_digits(d, o + 8, 2);
    o[10] = ' ';
    put_digits(s / 3600, o + 11, 2);
    o[13] = ':';
    put_digits(s / 60 % 60, o + 14, 2);
    o[16] = ':';
    put_digits(s % 60, o + 17, 2);
    if (frac == 0)
        return 19;
    o[19] = '.';
    put_digits(frac, o + 20, 6);
    return 26;
}

static load_result sq_load(const char *uri) {
    sqlite3 *keeper = sq_open(uri);
    sqlite3 *db = sq_open(uri);
    for (const char *const *ddl = SQLITE_DDL; *ddl; ddl++)
        sq_exec(db, *ddl);
    load_result res = {0};
    timing t0 = t_start();
    sqlite3_stmt *st;
    sq_check(db, "prepare",
             sqlite3_prepare_v3(db,
                                "INSERT INTO keel_bench_w3 (id, name, score, flag, created, payload, nullable_int) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                -1, SQLITE_PREPARE_PERSISTENT, &st, NULL),
             SQLITE_OK);
    sq_exec(db, "BEGIN");
    char name[16], ts[32];
    uint8_t payload[32];
    for (int64_t i = 1; i <= g_rows; i++) {
        w3_name(i, name);
        w3_payload(i, payload);
        int ts_len = format_timestamp(w3_created(i), ts);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_text(st, 2, name, 16, SQLITE_STATIC);
        sqlite3_bind_double(st, 3, w3_score(i));
        sqlite3_bind_int(st, 4, w3_flag(i));
        sqlite3_bind_text(st, 5, ts, ts_len, SQLITE_STATIC);
        sqlite3_bind_blob(st, 6, payload, 32, SQLITE_STATIC);
        if (w3_n_null(i))
            sqlite3_bind_null(st, 7);
        else
            sqlite3_bind_int64(st, 7, w3_n(i));
        sq_check(db, "insert", sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sq_exec(db, "COMMIT");
    sqlite3_finalize(st);
    res.t = t_since(t0);
    sq_text(db, SQLITE_CHECK.sums, res.sums, sizeof res.sums);
    char sql[512];
    fingerprint_sql(&SQLITE_CHECK, sql, sizeof sql);
    sq_text(db, sql, res.fingerprint, sizeof res.fingerprint);
    sqlite3_close(db);
    sqlite3_close(keeper);
    return res;
}

/* ------------------------------------------------------------------ */
/* PostgreSQL: libpq binary COPY                                       */

static const char *PG_DDL[] = {
    "SET client_min_messages = warning",
    "DROP TABLE IF EXISTS keel_bench_w3",
    "CREATE TABLE keel_bench_w3 (id BIGINT PRIMARY KEY, name TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, "
    "flag BOOLEAN NOT NULL, created TIMESTAMP NOT NULL, payload BYTEA NOT NULL, nullable_int INTEGER)",
    NULL,
};

static PGconn *pg_connect(const char *url) {
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK)
        die("libpq connect", PQerrorMessage(c));
    return c;
}

static void pg_exec(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQerrorMessage(c));
    PQclear(r);
}

static void pg_text(PGconn *c, const char *sql, char *out, size_t cap) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql, PQerrorMessage(c));
    if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
        die("no row (the table is empty?)", sql);
    snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

static inline char *put16(char *p, uint16_t v) {
    v = __builtin_bswap16(v);
    memcpy(p, &v, 2);
    return p + 2;
}

static inline char *put32(char *p, uint32_t v) {
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
    return p + 4;
}

static inline char *put64(char *p, uint64_t v) {
    v = __builtin_bswap64(v);
    memcpy(p, &v, 8);
    return p + 8;
}

#define PG_COPY_BUFFER 65536
/* The most one tuple takes: 2 + 7 * 4 length words + 8 + 16 + 8 + 1 + 8 + 32 + 4. */
#define PG_TUPLE_MAX 128

static void pg_put(PGconn *c, const char *buf, size_t len) {
    if (PQputCopyData(c, buf, (int)len) != 1)
        die("PQputCopyData", PQerrorMessage(c));
}

static load_result pg_load(const char *url) {
    PGconn *c = pg_connect(url);
    for (const char *const *ddl = PG_DDL; *ddl; ddl++)
        pg_exec(c, *ddl);
    char *buf = xmalloc(PG_COPY_BUFFER);
    load_result res = {0};
    timing t0 = t_start();
    pg_exec(c, "BEGIN");
    PGresult *r = PQexec(c, "COPY keel_bench_w3 (id, name, score, flag, created, payload, nullable_int) "
                            "FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN)
        die("COPY", PQerrorMessage(c));
    PQclear(r);
    /* signature, flags, header extension length */
    memcpy(buf, "PGCOPY\n\377\r\n\0", 11);
    char *p = put32(put32(buf + 11, 0), 0);
    for (int64_t i = 1; i <= g_rows; i++) {
        if ((size_t)(p - buf) > PG_COPY_BUFFER - PG_TUPLE_MAX) {
            pg_put(c, buf, (size_t)(p - buf));
            p = buf;
        }
        double score = w3_score(i);
        uint64_t score_bits;
        memcpy(&score_bits, &score, 8);
        p = put16(p, W3_COLUMNS);
        p = put64(put32(p, 8), (uint64_t)i);
        p = put32(p, 16);
        w3_name(i, p);
        p += 16;
        p = put64(put32(p, 8), score_bits);
        p = put32(p, 1);
        *p++ = (char)w3_flag(i);
        p = put64(put32(p, 8), (uint64_t)(w3_created(i) - PG_EPOCH_MICROS));
        p = put32(p, 32);
        w3_payload(i, (uint8_t *)p);
        p += 32;
        if (w3_n_null(i))
            p = put32(p, UINT32_MAX); /* -1: NULL */
        else
            p = put32(put32(p, 4), (uint32_t)w3_n(i));
    }
    p = put16(p, UINT16_MAX); /* -1: the trailer */
    pg_put(c, buf, (size_t)(p - buf));
    if (PQputCopyEnd(c, NULL) != 1)
        die("PQputCopyEnd", PQerrorMessage(c));
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("COPY", PQerrorMessage(c));
    if (strtoll(PQcmdTuples(r), NULL, 10) != g_rows)
        die("COPY: wrong row count", PQcmdTuples(r));
    PQclear(r);
    while ((r = PQgetResult(c)) != NULL)
        PQclear(r);
    pg_exec(c, "COMMIT");
    res.t = t_since(t0);
    free(buf);
    pg_text(c, PG_CHECK.sums, res.sums, sizeof res.sums);
    char sql[512];
    fingerprint_sql(&PG_CHECK, sql, sizeof sql);
    pg_text(c, sql, res.fingerprint, sizeof res.fingerprint);
    PQfinish(c);
    return res;
}

/* ------------------------------------------------------------------ */
/* MySQL / MariaDB: libmariadb array binding                           */

static const char *MY_DDL[] = {
    "DROP TABLE IF EXISTS keel_bench_w3",
    "CREATE TABLE keel_bench_w3 (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, score DOUBLE NOT NULL, "
    "flag BOOLEAN NOT NULL, created DATETIME(6) NOT NULL, payload BLOB NOT NULL, nullable_int INT) "
    "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    NULL,
};

#define MY_CHUNK 10000



static bool my_text(MYSQL *m, const char *sql, char *out, size_t cap) {
    my_exec(m, sql);
    MYSQL_RES *res = mysql_store_result(m);
    if (!res)
        die(sql, mysql_error(m));
    MYSQL_ROW row = mysql_fetch_row(res);
    bool got = row && row[0];
    if (got)
        snprintf(out, cap, "%.*s", (int)mysql_fetch_lengths(res)[0], row[0]);
    mysql_free_result(res);
    return got;
}

static void my_text_row(MYSQL *m, const char *sql, char *out, size_t cap) {
    if (!my_text(m, sql, out, cap))
        die("no row (the table is empty?)", sql);
}


/* Column-wise parameter arrays for MY_CHUNK rows. Fixed-size types are
 * arrays of values; strings, blobs and datetimes (no fixed packed length
 * in libmariadb) are arrays of pointers, with lengths for the first two. */
typedef struct {
    int64_t id[MY_CHUNK];
    char name[MY_CHUNK][16];
    char *name_ptr[MY_CHUNK];
    unsigned long name_len[MY_CHUNK];
    double score[MY_CHUNK];
    signed char flag[MY_CHUNK];
    MYSQL_TIME created[MY_CHUNK];
    MYSQL_TIME *created_ptr[MY_CHUNK];
    uint8_t payload[MY_CHUNK][32];
    uint8_t *payload_ptr[MY_CHUNK];
    unsigned long payload_len[MY_CHUNK];
    int32_t n[MY_CHUNK];
    char n_ind[MY_CHUNK];
    MYSQL_BIND b[W3_COLUMNS];
} my_arrays;

static load_result my_load(const char *url) {
    MYSQL *m = my_connect(url);
    for (const char *const *ddl = MY_DDL; *ddl; ddl++)
        my_exec(m, *ddl);
    my_arrays *a = xmalloc(sizeof *a);
    memset(a, 0, sizeof *a);
    for (int r = 0; r < MY_CHUNK; r++) {
        a->name_ptr[r] = a->name[r];
        a->name_len[r] = 16;
        a->created_ptr[r] = &a->created[r];
        a->payload_ptr[r] = a->payload[r];
        a->payload_len[r] = 32;
    }
    MYSQL_BIND *b = a->b;
    b[0].buffer_type = MYSQL_TYPE_LONGLONG;
    b[0].buffer = a->id;
    b[1].buffer_type = MYSQL_TYPE_STRING;
    b[1].buffer = a->name_ptr;
    b[1].length = a->name_len;
    b[2].buffer_type = MYSQL_TYPE_DOUBLE;
    b[2].buffer = a->score;
    b[3].buffer_type = MYSQL_TYPE_TINY;
    b[3].buffer = a->flag;
    b[4].buffer_type = MYSQL_TYPE_DATETIME;
    b[4].buffer = a->created_ptr;
    b[5].buffer_type = MYSQL_TYPE_BLOB;
    b[5].buffer = a->payload_ptr;
    b[5].length = a->payload_len;
    b[6].buffer_type = MYSQL_TYPE_LONG;
    b[6].buffer = a->n;
    b[6].u.indicator = a->n_ind;

    load_result res = {0};
    timing t0 = t_start();
    MYSQL_STMT *s = mysql_stmt_init(m);
    const char *ins = "INSERT INTO keel_bench_w3 (id, name, score, flag, created, payload, nullable_int) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)";
    if (!s || mysql_stmt_prepare(s, ins, strlen(ins)))
        die("mysql_stmt_prepare", mysql_error(m));
    my_exec(m, "START TRANSACTION");
    for (int64_t first = 1; first <= g_rows; first += MY_CHUNK) {
        unsigned rows = (unsigned)(g_rows - first + 1 < MY_CHUNK ? g_rows - first + 1 : MY_CHUNK);
        for (unsigned r = 0; r < rows; r++) {
            int64_t i = first + r;
            a->id[r] = i;
            w3_name(i, a->name[r]);
            a->score[r] = w3_score(i);
            a->flag[r] = (signed char)w3_flag(i);
            micros_to_mysql_time(w3_created(i), &a->created[r]);
            w3_payload(i, a->payload[r]);
            if (w3_n_null(i)) {
                a->n[r] = 0;
                a->n_ind[r] = STMT_INDICATOR_NULL;
            } else {
                a->n[r] = (int32_t)w3_n(i);
                a->n_ind[r] = STMT_INDICATOR_NONE;
            }
        }
        if (mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &rows))
            die("mysql_stmt_attr_set(STMT_ATTR_ARRAY_SIZE)", mysql_stmt_error(s));
        if (mysql_stmt_bind_param(s, b))
            die("mysql_stmt_bind_param", mysql_stmt_error(s));
        if (mysql_stmt_execute(s))
            die("mysql_stmt_execute", mysql_stmt_error(s));
        if (mysql_stmt_affected_rows(s) != rows)
            die("mysql_stmt_execute", "affected rows differ from the array size");
    }
    my_exec(m, "COMMIT");
    mysql_stmt_close(s);
    res.t = t_since(t0);
    free(a);
    my_text_row(m, MY_CHECK.sums, res.sums, sizeof res.sums);
    char sql[512];
    fingerprint_sql(&MY_CHECK, sql, sizeof sql);
    my_text_row(m, sql, res.fingerprint, sizeof res.fingerprint);
    mysql_close(m);
    return res;
}

/* Which of its paths keel's ingest takes on this server: it asks the same. */
static const char *my_keel_path(const char *url) {
    MYSQL *m = my_connect(url);
    char v[32] = "";
    my_text(m, "SELECT @@GLOBAL.local_infile", v, sizeof v);
    /* MariaDB 10.2 and later: the bulk command (mariadb_bulk=on, keel's
     * default), as the native side's array binding. */
    bool bulk = mysql_get_server_version(m) >= 100200 && strstr(mysql_get_server_info(m), "MariaDB") != NULL;
    mysql_close(m);
    if (bulk)
        return "one prepared INSERT by COM_STMT_BULK_EXECUTE, 10000 rows a command (MariaDB)";
    return strcmp(v, "1") == 0 ? "LOAD DATA LOCAL INFILE (server local_infile=ON)"
                               : "multi-row INSERTs (server local_infile=OFF)";
}

/* ------------------------------------------------------------------ */
/* the runs and the table                                              */

static void print_header(void) {
    printf("%-9s %8s %8s %6s %-16s | %8s %8s %6s | %10s %10s\n", "engine", "keel s", "native s", "ratio",
           "target", "keel cpu", "nat cpu", "ratio", "keel row/s", "nat row/s");
}

/* One keel side: how it loads the table, and its name in the table. */
typedef struct {
    load_result (*load)(const char *url, const char *const *ddl, const check_sql *q);
    const char *call;
} keel_side;

static const keel_side KEEL_INGEST = {keel_load, "keel_conn_ingest"};
static const keel_side KEEL_BATCH = {keel_batch_load, "keel_stmt_execute_batch of one prepared INSERT, 10000 rows a call"};

/* A target of 0: none for this line. */
static void print_line(const char *engine, timing k, timing n, double target, const char *native,
                       const keel_side *side, const char *keel_path) {
    if (g_side) {
        timing t = strcmp(g_side, "keel") == 0 ? k : n;
        printf("%-9s %s only: %.3f s wall, %.3f s cpu, %.0f rows/s\n", engine, g_side, t.wall, t.cpu,
               (double)g_rows / t.wall);
    } else {
        double ratio = k.wall / n.wall;
        char tgt[32] = "(none)";
        if (target > 0)
            snprintf(tgt, sizeof tgt, "<= %.2f %s", target, ratio <= target ? "ok" : "ABOVE");
        printf("%-9s %8.3f %8.3f %6.2f %-16s | %8.3f %8.3f %6.2f | %10.0f %10.0f\n", engine, k.wall, n.wall, ratio,
               tgt, k.cpu, n.cpu, k.cpu / n.cpu, (double)g_rows / k.wall, (double)g_rows / n.wall);
    }
    printf("          native: %s\n          keel:   %s, %s\n", native, side->call, keel_path);
    fflush(stdout);
}

typedef load_result (*native_fn)(const char *arg);

/* Best of g_reps for native and keel, interleaved, each run checked. */
static void run_engine(const char *engine, const char *native_arg, native_fn native, const keel_side *side,
                       const char *keel_url, const char *const *keel_ddl, const check_sql *q, double target,
                       const char *native_name, const char *keel_path) {
    char want[256];
    w3_expected(g_rows, want, sizeof want);
    timing bk = {1e30, 1e30}, bn = {1e30, 1e30};
    for (int i = 0; i < g_reps; i++) {
        load_result rn = {0}, rk = {0};
        if (run_side("native")) {
            rn = native(native_arg);
            check_sums(engine, "native", &rn, want);
            best(&bn, rn.t);
        }
        if (run_side("keel")) {
            rk = side->load(keel_url, keel_ddl, q);
            check_sums(engine, "keel", &rk, want);
            best(&bk, rk.t);
        }
        if (!g_side && strcmp(rn.fingerprint, rk.fingerprint) != 0) {
            fprintf(stderr,
                    BENCH_NAME ": %s: row %" PRId64 " differs between the sides\n  native: %s\n  keel:   %s\n",
                    engine, g_rows, rn.fingerprint, rk.fingerprint);
            exit(1);
        }
    }
    print_line(engine, bk, bn, target, native_name, side, keel_path);
}

static void usage(void) {
    fprintf(stderr, "usage: ingest_bench [sqlite] [postgres] [mysql] [all] [--rows N] [--reps N] [--batch N] "
                    "[--side keel|native] [--keel ingest|batch]\n");
    exit(2);
}

int main(int argc, char **argv) {
    bool sq = false, pg = false, my = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            g_rows = atoll(argv[++i]);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            g_reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            g_batch = atoll(argv[++i]);
        else if (strcmp(argv[i], "--side") == 0 && i + 1 < argc)
            g_side = argv[++i];
        else if (strcmp(argv[i], "--keel") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "ingest") == 0)
                g_keel = KEEL_ONLY_INGEST;
            else if (strcmp(argv[i], "batch") == 0)
                g_keel = KEEL_ONLY_BATCH;
            else
                usage();
        }
        else if (strcmp(argv[i], "sqlite") == 0)
            sq = true;
        else if (strcmp(argv[i], "postgres") == 0)
            pg = true;
        else if (strcmp(argv[i], "mysql") == 0)
            my = true;
        else if (strcmp(argv[i], "all") == 0)
            sq = pg = my = true;
        else
            usage();
    }
    /* 16 * g_batch name bytes and 32 * g_batch payload bytes must fit Arrow's 32-bit offsets. */
    if (g_rows < 1 || g_reps < 1 || g_batch < 1 || g_batch > (INT64_C(1) << 24) ||
        (g_side && strcmp(g_side, "keel") != 0 && strcmp(g_side, "native") != 0))
        usage();
    if (!sq && !pg && !my)
        sq = pg = my = true;
    (void)be64; /* bench_common.h's; nothing is read big-endian here */

    printf("W3 bulk insert: keel %s, keel_conn_ingest (Arrow C stream, %" PRId64 "-row batches made in get_next) "
           "vs each engine's native fast path;\n"
           "%" PRId64 " rows into an empty table in one transaction; best of %d runs each; ratio = keel / native "
           "(below 1: keel is faster).\n"
           "s = wall seconds; cpu = CPU seconds of this process (client side only; steadier on a busy machine).\n",
           keel_version(), g_batch, g_rows, g_reps);
    print_header();
    if (sq) {
        char uri[128];
        snprintf(uri, sizeof uri, "file:/ingest-bench-%ld?vfs=memdb", (long)getpid());
        char native[160];
        snprintf(native, sizeof native,
                 "raw sqlite3 %s prepared INSERT, one step per row, 1 tx (same build; in-memory memdb db both sides)",
                 sqlite3_libversion());
        if (g_keel != KEEL_ONLY_BATCH)
            run_engine("sqlite", uri, sq_load, &KEEL_INGEST, "sqlite::memory:", SQLITE_DDL, &SQLITE_CHECK, 1.10,
                       native, "one prepared INSERT ... SELECT per record batch, reading it in place");
        if (g_keel != KEEL_ONLY_INGEST)
            run_engine("sqlite", uri, sq_load, &KEEL_BATCH, "sqlite::memory:", SQLITE_DDL, &SQLITE_CHECK, 0, native,
                       "run row by row, 1000 rows per call bound in place");
    }
    if (pg) {
        const char *url = getenv("KEEL_TEST_POSTGRES_URL");
        if (!url)
            die("KEEL_TEST_POSTGRES_URL is not set", "source scripts/servers.sh");
        const char *native = "libpq COPY FROM STDIN (FORMAT binary), tuples encoded by hand, 64 KiB per "
                             "PQputCopyData, 1 tx";
        if (g_keel != KEEL_ONLY_BATCH)
            run_engine("postgres", url, pg_load, &KEEL_INGEST, url, PG_DDL, &PG_CHECK, 1.00, native,
                       "COPY FROM STDIN (FORMAT binary)");
        if (g_keel != KEEL_ONLY_INGEST)
            run_engine("postgres", url, pg_load, &KEEL_BATCH, url, PG_DDL, &PG_CHECK, 1.50, native,
                       "run as binary COPY, 10000 rows a COPY");
    }
    if (my) {
        const char *url = getenv("KEEL_TEST_MYSQL_URL");
        if (!url)
            die("KEEL_TEST_MYSQL_URL is not set", "source scripts/servers.sh");
        const char *native = "libmariadb prepared INSERT, array binding, 10000 rows per mysql_stmt_execute, 1 tx";
        if (g_keel != KEEL_ONLY_BATCH)
            run_engine("mysql", url, my_load, &KEEL_INGEST, url, MY_DDL, &MY_CHECK, 1.00, native, my_keel_path(url));
        if (g_keel != KEEL_ONLY_INGEST)
            run_engine("mysql", url, my_load, &KEEL_BATCH, url, MY_DDL, &MY_CHECK, 1.50, native,
                       "run as multi-row INSERTs of 1000 rows");
    }
    return 0;
}

/* keel (with its DuckDB driver, drivers/duckdb-zig) vs. DuckDB's own C API,
 * in one process, on the same libduckdb.
 *
 * The raw side calls libduckdb directly; the keel side loads the driver
 * library with keel_driver_load (its path in KEEL_TEST_DUCKDB_DRIVER, which
 * scripts/duckdb.sh exports) and opens duckdb::memory:. Each side has its
 * own in-memory database holding the same table, built by the same SQL
 * inside DuckDB: the fetch workload's table (W2) of 1,000,000 rows
 *   id BIGINT, name VARCHAR (16 chars), score DOUBLE, flag BOOLEAN,
 *   created TIMESTAMP, payload BLOB (32 bytes), nullable_int INTEGER
 *   (NULL in 10% of the rows)
 * with the workload's values for row i (see FILL_T).
 *
 * Workloads, each run RUNS (5) times alternating which side goes first,
 * best time kept; each time includes running the query:
 *   (a) fetch: SELECT every row and read every value.
 *       DuckDB: duckdb_query, then duckdb_fetch_chunk, and per chunk each
 *       column's duckdb_vector_get_data and duckdb_vector_get_validity;
 *       every value read from the vectors (int64, duckdb_string_t inlined
 *       or by pointer, double, bool, duckdb_timestamp, blob as
 *       duckdb_string_t, int32), NULL checked on every column.
 *       keel: keel_conn_query, then one keel_rows_next_values per row (the
 *       fastest documented way to read every column of many rows), NULL
 *       checked on every value; (a2) the same with one typed getter per
 *       value (keel_rows_next, keel_rows_column_int64/_text/...); (a3)
 *       the same rows read through keel's columnar way out, its Arrow
 *       stream (keel_arrow below, 2048 rows per batch), against the same
 *       DuckDB C API time. keel's driver runs a SELECT as a streaming
 *       result (DuckDB computes the rows as they are read) where
 *       duckdb_query materializes the whole result first, which costs
 *       DuckDB about twice the CPU of the read: (a4) is keel's (a) against
 *       the C API reading a streaming result too
 *       (duckdb_execute_prepared_streaming), so that what keel itself
 *       costs per row shows; the target is (a)'s, as the issue words it.
 *   (b) Arrow: the same query as Arrow record batches, every batch
 *       consumed by the same function (consume_arrow: every value of every
 *       column read from the buffers, validity bitmaps checked).
 *       DuckDB: its own Arrow export in the C API that DuckDB 1.5.6 marks
 *       stable: duckdb_query, duckdb_result_get_arrow_options,
 *       duckdb_to_arrow_schema, then per duckdb_fetch_chunk one
 *       duckdb_data_chunk_to_arrow; batches are DuckDB's chunks of 2048
 *       rows (its vector size, which the C API cannot change).
 *       keel: keel_conn_query_arrow on a pool opened with
 *       arrow_batch_rows=2048 (the same batch size), get_schema, then
 *       get_next until the end; (b2) the same with keel's default batch
 *       size (65536) against the same DuckDB time; (b3) (b) against
 *       DuckDB's export of a streaming result, as (a4).
 * Each side sums what it read (struct sums); every side's sums must equal
 * the sums computed in C from the workload's formulas (expected_sums), so
 * they equal each other and the table is exactly the workload's, or the
 * program exits with status 1. Times are process CPU time (see now()),
 * which includes DuckDB's worker threads on both sides.
 *
 * Usage: duckdb_bench [scale [workloads]]: scale divides the row count
 * (default 1); workloads is a subset of "ab" to run (default both), handy
 * under a profiler.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel.h"

/* ---- DuckDB's C API ---------------------------------------------------
 * The npm package libduckdb comes from ships no header, so the types and
 * functions used here are declared by hand, each as duckdb.h of DuckDB
 * 1.5.6 declares it (the libduckdb-sys crate 1.10506.x carries that
 * header). Compiled with -DDUCKDB_BENCH_CHECK_HEADER and duckdb.h on the
 * include path, the header's own types are used instead, the prototypes
 * below must then be compatible with the header's (a mismatch is a
 * compile error), and the _Static_asserts check that the header's layouts
 * and constants are the ones declared here; bench/run_duckdb.sh does that
 * when scripts/duckdb.sh has fetched the header. */
#ifdef DUCKDB_BENCH_CHECK_HEADER
#include "duckdb.h"
#else
typedef uint64_t idx_t;
typedef enum duckdb_state { DuckDBSuccess = 0, DuckDBError = 1 } duckdb_state;
/* The values of enum DUCKDB_TYPE this program checks columns against. */
typedef enum DUCKDB_TYPE {
    DUCKDB_TYPE_INVALID = 0,
    DUCKDB_TYPE_BOOLEAN = 1,
    DUCKDB_TYPE_INTEGER = 4,
    DUCKDB_TYPE_BIGINT = 5,
    DUCKDB_TYPE_DOUBLE = 11,
    DUCKDB_TYPE_TIMESTAMP = 12,
    DUCKDB_TYPE_VARCHAR = 17,
    DUCKDB_TYPE_BLOB = 18,
} duckdb_type;
/* A VARCHAR (and a BLOB) in a vector: inlined up to 12 bytes, else a
 * 4-byte prefix and a pointer. */
typedef struct {
    union {
        struct {
            uint32_t length;
            char prefix[4];
            char *ptr;
        } pointer;
        struct {
            uint32_t length;
            char inlined[12];
        } inlined;
    } value;
} duckdb_string_t;
typedef struct duckdb_timestamp duckdb_timestamp;
struct duckdb_timestamp {
    int64_t micros;
};
typedef struct duckdb_column duckdb_column;
struct duckdb_column {
    void *deprecated_data;
    bool *deprecated_nullmask;
    duckdb_type deprecated_type;
    char *deprecated_name;
    void *internal_data;
};
typedef struct duckdb_result duckdb_result;
struct duckdb_result {
    idx_t deprecated_column_count;
    idx_t deprecated_row_count;
    idx_t deprecated_rows_changed;
    duckdb_column *deprecated_columns;
    char *deprecated_error_message;
    void *internal_data;
};
typedef struct _duckdb_database {
    void *internal_ptr;
} *duckdb_database;
typedef struct _duckdb_connection {
    void *internal_ptr;
} *duckdb_connection;
typedef struct _duckdb_logical_type {
    void *internal_ptr;
} *duckdb_logical_type;
typedef struct _duckdb_data_chunk {
    void *internal_ptr;
} *duckdb_data_chunk;
typedef struct _duckdb_vector {
    void *internal_ptr;
} *duckdb_vector;
typedef struct _duckdb_error_data {
    void *internal_ptr;
} *duckdb_error_data;
typedef struct _duckdb_arrow_options {
    void *internal_ptr;
} *duckdb_arrow_options;
typedef struct _duckdb_prepared_statement {
    void *internal_ptr;
} *duckdb_prepared_statement;
#endif

_Static_assert(sizeof(idx_t) == 8, "idx_t");
_Static_assert(sizeof(duckdb_result) == 48 && offsetof(duckdb_result, internal_data) == 40, "duckdb_result");
_Static_assert(sizeof(duckdb_column) == 40 && offsetof(duckdb_column, internal_data) == 32, "duckdb_column");
_Static_assert(sizeof(duckdb_string_t) == 16 && offsetof(duckdb_string_t, value.pointer.ptr) == 8 &&
                   offsetof(duckdb_string_t, value.inlined.inlined) == 4,
               "duckdb_string_t");
_Static_assert(sizeof(duckdb_timestamp) == 8, "duckdb_timestamp");
_Static_assert(DuckDBSuccess == 0 && DUCKDB_TYPE_BOOLEAN == 1 && DUCKDB_TYPE_INTEGER == 4 &&
                   DUCKDB_TYPE_BIGINT == 5 && DUCKDB_TYPE_DOUBLE == 11 && DUCKDB_TYPE_TIMESTAMP == 12 &&
                   DUCKDB_TYPE_VARCHAR == 17 && DUCKDB_TYPE_BLOB == 18,
               "DUCKDB_TYPE values");

duckdb_state duckdb_open(const char *path, duckdb_database *out_database);
void duckdb_close(duckdb_database *database);
duckdb_state duckdb_connect(duckdb_database database, duckdb_connection *out_connection);
void duckdb_disconnect(duckdb_connection *connection);
const char *duckdb_library_version(void);
duckdb_state duckdb_query(duckdb_connection connection, const char *query, duckdb_result *out_result);
void duckdb_destroy_result(duckdb_result *result);
duckdb_state duckdb_prepare(duckdb_connection connection, const char *query,
                            duckdb_prepared_statement *out_prepared_statement);
const char *duckdb_prepare_error(duckdb_prepared_statement prepared_statement);
void duckdb_destroy_prepare(duckdb_prepared_statement *prepared_statement);
duckdb_state duckdb_execute_prepared_streaming(duckdb_prepared_statement prepared_statement,
                                               duckdb_result *out_result);
const char *duckdb_result_error(duckdb_result *result);
idx_t duckdb_column_count(duckdb_result *result);
const char *duckdb_column_name(duckdb_result *result, idx_t col);
duckdb_type duckdb_column_type(duckdb_result *result, idx_t col);
duckdb_logical_type duckdb_column_logical_type(duckdb_result *result, idx_t col);
void duckdb_destroy_logical_type(duckdb_logical_type *type);
duckdb_data_chunk duckdb_fetch_chunk(duckdb_result result);
void duckdb_destroy_data_chunk(duckdb_data_chunk *chunk);
idx_t duckdb_data_chunk_get_size(duckdb_data_chunk chunk);
duckdb_vector duckdb_data_chunk_get_vector(duckdb_data_chunk chunk, idx_t col_idx);
void *duckdb_vector_get_data(duckdb_vector vector);
uint64_t *duckdb_vector_get_validity(duckdb_vector vector);
duckdb_arrow_options duckdb_result_get_arrow_options(duckdb_result *result);
void duckdb_destroy_arrow_options(duckdb_arrow_options *arrow_options);
duckdb_error_data duckdb_to_arrow_schema(duckdb_arrow_options arrow_options, duckdb_logical_type *types,
                                         const char **names, idx_t column_count, struct ArrowSchema *out_schema);
duckdb_error_data duckdb_data_chunk_to_arrow(duckdb_arrow_options arrow_options, duckdb_data_chunk chunk,
                                             struct ArrowArray *out_arrow_array);
const char *duckdb_error_data_message(duckdb_error_data error_data);
void duckdb_destroy_error_data(duckdb_error_data *error_data);

/* ---- the data --------------------------------------------------------- */

#define RUNS 5
#define NCOLS 7
#define ARROW_BATCH 2048 /* DuckDB's vector size: its chunks, and keel's batches in (b) */

static int64_t ROWS = 1000000;

/* CPU time of the process: the program reads on one thread on both sides,
 * and CPU time is far steadier than wall time on a shared machine. It also
 * counts the CPU DuckDB's worker threads spend running the query, on both
 * sides alike. */
static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The W2 table, the same SQL on both sides. Row i (1-based):
 *   name    "user%012d" of (i * 2654435761) mod 10^12
 *   score   ((i * 7919) mod 1000003) / 1000.0
 *   flag    i mod 3 = 0
 *   created 2024-01-01 00:00:00 (1704067200 s after 1970) + i * 37 s
 *           + ((i * 1234) mod 10^6) us
 *   payload the little-endian 8 bytes of h = i * 0x9E3779B97F4A7C15 mod
 *           2^64, four times (HUGEINT arithmetic, since BIGINT overflow is
 *           an error in DuckDB; the hex is written low byte first)
 *   nullable_int NULL when i mod 10 = 0, else (i * 13) mod 100000 */
static const char *CREATE_T =
    "CREATE TABLE t (id BIGINT PRIMARY KEY, name VARCHAR NOT NULL, score DOUBLE NOT NULL, flag BOOLEAN NOT NULL, "
    "created TIMESTAMP NOT NULL, payload BLOB NOT NULL, nullable_int INTEGER)";
static char FILL_T[1536];
static const char *SCAN_SQL = "SELECT id, name, score, flag, created, payload, nullable_int FROM t";
static const duckdb_type COLUMN_TYPES[NCOLS] = {DUCKDB_TYPE_BIGINT,    DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_DOUBLE,
                                                DUCKDB_TYPE_BOOLEAN,   DUCKDB_TYPE_TIMESTAMP, DUCKDB_TYPE_BLOB,
                                                DUCKDB_TYPE_INTEGER};
static const keel_type KEEL_TYPES[NCOLS] = {KEEL_TYPE_INT64, KEEL_TYPE_TEXT,  KEEL_TYPE_DOUBLE, KEEL_TYPE_BOOL,
                                            KEEL_TYPE_TIMESTAMP, KEEL_TYPE_BYTES, KEEL_TYPE_INT64};

static void make_fill_sql(void) {
    snprintf(FILL_T, sizeof FILL_T,
             "INSERT INTO t SELECT i, printf('user%%012d', (i * 2654435761) %% 1000000000000), "
             "CAST((i * 7919) %% 1000003 AS DOUBLE) / CAST(1000 AS DOUBLE), i %% 3 = 0, "
             "make_timestamp(1704067200000000 + i * 37000000 + (i * 1234) %% 1000000), "
             "unhex(repeat(printf('%%02x%%02x%%02x%%02x%%02x%%02x%%02x%%02x', h & 255, (h >> 8) & 255, "
             "(h >> 16) & 255, (h >> 24) & 255, (h >> 32) & 255, (h >> 40) & 255, (h >> 48) & 255, "
             "(h >> 56) & 255), 4)), "
             "CASE WHEN i %% 10 = 0 THEN NULL ELSE CAST((i * 13) %% 100000 AS INTEGER) END "
             "FROM (SELECT range AS i, CAST(CAST(range AS HUGEINT) * 11400714819323198485 %% 18446744073709551616 "
             "AS UBIGINT) AS h FROM range(1, %" PRId64 ")) ORDER BY i",
             ROWS + 1);
}

/* What a side read, summed; unsigned so that sums wrap instead of
 * overflowing, and each value enters as an integer so that the order of
 * the rows does not matter. Text and blobs count their length plus their
 * last 8 bytes (every byte of the pointer's target need not be read, but
 * the value must be really there). */
struct sums {
    uint64_t rows, ids, name, score_milli, flags, created, payload, nint, nulls;
};

static bool sums_equal(const struct sums *a, const struct sums *b) {
    return memcmp(a, b, sizeof *a) == 0;
}

static void sums_print(const char *who, const struct sums *s) {
    fprintf(stderr,
            "  %-24s rows %" PRIu64 " ids %" PRIu64 " name %" PRIu64 " score %" PRIu64 " flags %" PRIu64
            " created %" PRIu64 " payload %" PRIu64 " nint %" PRIu64 " nulls %" PRIu64 "\n",
            who, s->rows, s->ids, s->name, s->score_milli, s->flags, s->created, s->payload, s->nint, s->nulls);
}

static uint64_t tail64(const void *p, size_t len) {
    uint64_t v = 0;
    if (len >= 8) memcpy(&v, (const char *)p + len - 8, 8);
    return v;
}

static uint64_t milli(double score) {
    return (uint64_t)(int64_t)(score * 1000.0 + 0.5);
}

/* The sums of the table the workload describes, from its formulas. */
static struct sums expected_sums(void) {
    struct sums s = {0};
    for (int64_t i = 1; i <= ROWS; i++) {
        char name[32];
        int len = snprintf(name, sizeof name, "user%012" PRId64, (int64_t)((i * INT64_C(2654435761)) % INT64_C(1000000000000)));
        uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ULL;
        unsigned char payload[32];
        for (int k = 0; k < 32; k++) payload[k] = (unsigned char)(h >> (8 * (k % 8)));
        s.rows++;
        s.ids += (uint64_t)i;
        s.name += (uint64_t)len + tail64(name, (size_t)len);
        s.score_milli += (uint64_t)((i * 7919) % 1000003);
        s.flags += i % 3 == 0;
        s.created += (uint64_t)(INT64_C(1704067200000000) + i * 37000000 + (i * 1234) % 1000000);
        s.payload += 32 + tail64(payload, 32);
        if (i % 10 == 0) {
            s.nulls++;
        } else {
            s.nint += (uint64_t)((i * 13) % 100000);
        }
    }
    return s;
}

/* ---- keel side -------------------------------------------------------- */

static void keel_check(const char *what, keel_status st, keel_error *err) {
    if (st != KEEL_STATUS_OK) {
        fprintf(stderr, "keel %s: %s: %s\n", what, keel_status_str(st), err ? keel_error_message(err) : "");
        exit(1);
    }
}

static void keel_check_types(keel_rows *rows) {
    keel_error *err = NULL;
    for (size_t c = 0; c < NCOLS; c++) {
        keel_type t = KEEL_TYPE_NULL;
        keel_check("column_type", keel_rows_column_type(rows, c, &t, &err), err);
        if (t != KEEL_TYPES[c]) {
            fprintf(stderr, "keel: column %zu has type %d, not %d\n", c, (int)t, (int)KEEL_TYPES[c]);
            exit(1);
        }
    }
}

/* (a): one keel_rows_next_values per row, NULL checked on every value. */
static double keel_fetch_values(keel_conn *conn, struct sums *s) {
    keel_error *err = NULL;
    double t0 = now();
    keel_rows *rows = NULL;
    keel_check("query", keel_conn_query(conn, SCAN_SQL, NULL, 0, &rows, &err), err);
    keel_check_types(rows);
    keel_value v[NCOLS];
    bool has = false;
    for (;;) {
        keel_check("next_values", keel_rows_next_values(rows, v, NCOLS, &has, &err), err);
        if (!has) break;
        s->rows++;
        for (int c = 0; c < NCOLS; c++) {
            if (v[c].kind == KEEL_TYPE_NULL) {
                s->nulls++;
                continue;
            }
            switch (c) {
            case 0: s->ids += (uint64_t)v[0].int_value; break;
            case 1: s->name += v[1].len + tail64(v[1].data, v[1].len); break;
            case 2: s->score_milli += milli(v[2].double_value); break;
            case 3: s->flags += v[3].int_value != 0; break;
            case 4: s->created += (uint64_t)v[4].int_value; break;
            case 5: s->payload += v[5].len + tail64(v[5].data, v[5].len); break;
            case 6: s->nint += (uint64_t)v[6].int_value; break;
            }
        }
    }
    keel_rows_free(rows);
    return now() - t0;
}

/* (a2): keel_rows_next, then one typed getter per value (the nullable
 * column through keel_rows_column_value, which says NULL). */
static double keel_fetch_getters(keel_conn *conn, struct sums *s) {
    keel_error *err = NULL;
    double t0 = now();
    keel_rows *rows = NULL;
    keel_check("query", keel_conn_query(conn, SCAN_SQL, NULL, 0, &rows, &err), err);
    keel_check_types(rows);
    bool has = false;
    for (;;) {
        keel_check("next", keel_rows_next(rows, &has, &err), err);
        if (!has) break;
        int64_t id = 0, created = 0;
        const char *name = NULL;
        const uint8_t *blob = NULL;
        size_t name_len = 0, blob_len = 0;
        double score = 0;
        bool flag = false;
        keel_value n;
        keel_check("id", keel_rows_column_int64(rows, 0, &id, &err), err);
        keel_check("name", keel_rows_column_text(rows, 1, &name, &name_len, &err), err);
        keel_check("score", keel_rows_column_double(rows, 2, &score, &err), err);
        keel_check("flag", keel_rows_column_bool(rows, 3, &flag, &err), err);
        keel_check("created", keel_rows_column_timestamp(rows, 4, &created, &err), err);
        keel_check("payload", keel_rows_column_bytes(rows, 5, &blob, &blob_len, &err), err);
        keel_check("nullable_int", keel_rows_column_value(rows, 6, &n, &err), err);
        s->rows++;
        s->ids += (uint64_t)id;
        s->name += name_len + tail64(name, name_len);
        s->score_milli += milli(score);
        s->flags += flag;
        s->created += (uint64_t)created;
        s->payload += blob_len + tail64(blob, blob_len);
        if (n.kind == KEEL_TYPE_NULL) {
            s->nulls++;
        } else {
            s->nint += (uint64_t)n.int_value;
        }
    }
    keel_rows_free(rows);
    return now() - t0;
}

/* ---- Arrow consumer, the same for both sides -------------------------- */

/* Each column's format, checked once per stream. */
struct arrow_plan {
    bool large[NCOLS]; /* "U"/"Z": 64-bit offsets instead of "u"/"z" */
    bool nint32;       /* nullable_int as int32 ("i", DuckDB) or int64 ("l", keel) */
};

static void arrow_plan_of(const char *who, const struct ArrowSchema *schema, struct arrow_plan *p) {
    static const char *const want[NCOLS][2] = {{"l", "l"}, {"u", "U"}, {"g", "g"},   {"b", "b"},
                                               {"tsu:", "tsu:"}, {"z", "Z"}, {"i", "l"}};
    memset(p, 0, sizeof *p);
    if (strcmp(schema->format, "+s") != 0 || schema->n_children != NCOLS) {
        fprintf(stderr, "%s: the Arrow schema is %s with %" PRId64 " children\n", who, schema->format,
                schema->n_children);
        exit(1);
    }
    for (int c = 0; c < NCOLS; c++) {
        const char *f = schema->children[c]->format;
        if (strcmp(f, want[c][0]) == 0) {
            p->large[c] = false;
        } else if (strcmp(f, want[c][1]) == 0) {
            p->large[c] = true;
        } else {
            fprintf(stderr, "%s: Arrow column %d has format \"%s\"\n", who, c, f);
            exit(1);
        }
    }
    p->nint32 = !p->large[6];
}

static bool bit(const uint8_t *bits, int64_t i) {
    return bits[i >> 3] >> (i & 7) & 1;
}

static void consume_arrow(const struct ArrowArray *batch, const struct arrow_plan *p, struct sums *s) {
    s->rows += (uint64_t)batch->length;
    for (int c = 0; c < NCOLS; c++) {
        const struct ArrowArray *a = batch->children[c];
        const uint8_t *valid = a->null_count != 0 ? a->buffers[0] : NULL;
        const int64_t n = a->length, o = a->offset;
        for (int64_t r = o; r < o + n; r++) {
            if (valid && !bit(valid, r)) {
                s->nulls++;
                continue;
            }
            switch (c) {
            case 0: s->ids += (uint64_t)((const int64_t *)a->buffers[1])[r]; break;
            case 2: s->score_milli += milli(((const double *)a->buffers[1])[r]); break;
            case 3: s->flags += bit(a->buffers[1], r); break;
            case 4: s->created += (uint64_t)((const int64_t *)a->buffers[1])[r]; break;
            case 6:
                s->nint += p->nint32 ? (uint64_t)((const int32_t *)a->buffers[1])[r]
                                     : (uint64_t)((const int64_t *)a->buffers[1])[r];
                break;
            case 1:
            case 5: {
                int64_t start, end;
                if (p->large[c]) {
                    start = ((const int64_t *)a->buffers[1])[r];
                    end = ((const int64_t *)a->buffers[1])[r + 1];
                } else {
                    start = ((const int32_t *)a->buffers[1])[r];
                    end = ((const int32_t *)a->buffers[1])[r + 1];
                }
                size_t len = (size_t)(end - start);
                uint64_t v = len + tail64((const char *)a->buffers[2] + start, len);
                if (c == 1) {
                    s->name += v;
                } else {
                    s->payload += v;
                }
                break;
            }
            }
        }
    }
}

/* (b): keel's Arrow stream, every batch consumed. */
static double keel_arrow(keel_conn *conn, struct sums *s) {
    keel_error *err = NULL;
    double t0 = now();
    struct ArrowArrayStream stream;
    keel_check("query_arrow", keel_conn_query_arrow(conn, SCAN_SQL, NULL, 0, &stream, &err), err);
    struct ArrowSchema schema;
    if (stream.get_schema(&stream, &schema) != 0) {
        fprintf(stderr, "keel get_schema: %s\n", stream.get_last_error(&stream));
        exit(1);
    }
    struct arrow_plan plan;
    arrow_plan_of("keel", &schema, &plan);
    for (;;) {
        struct ArrowArray batch;
        if (stream.get_next(&stream, &batch) != 0) {
            fprintf(stderr, "keel get_next: %s\n", stream.get_last_error(&stream));
            exit(1);
        }
        if (batch.release == NULL) break;
        consume_arrow(&batch, &plan, s);
        batch.release(&batch);
    }
    schema.release(&schema);
    stream.release(&stream);
    return now() - t0;
}

/* ---- raw DuckDB side -------------------------------------------------- */

static void raw_query(duckdb_connection con, const char *sql, duckdb_result *res) {
    if (duckdb_query(con, sql, res) != DuckDBSuccess) {
        fprintf(stderr, "duckdb_query: %s\n", duckdb_result_error(res));
        exit(1);
    }
}

static void raw_exec(duckdb_connection con, const char *sql) {
    duckdb_result res;
    raw_query(con, sql, &res);
    duckdb_destroy_result(&res);
}

static void raw_check_types(duckdb_result *res) {
    if (duckdb_column_count(res) != NCOLS) {
        fprintf(stderr, "duckdb: %" PRIu64 " columns\n", (uint64_t)duckdb_column_count(res));
        exit(1);
    }
    for (idx_t c = 0; c < NCOLS; c++) {
        if (duckdb_column_type(res, c) != COLUMN_TYPES[c]) {
            fprintf(stderr, "duckdb: column %" PRIu64 " has type %d\n", (uint64_t)c, (int)duckdb_column_type(res, c));
            exit(1);
        }
    }
}

static bool valid_at(const uint64_t *validity, idx_t r) {
    return validity == NULL || (validity[r / 64] >> (r % 64) & 1);
}

static const char *string_data(const duckdb_string_t *v) {
    return v->value.inlined.length <= 12 ? v->value.inlined.inlined : v->value.pointer.ptr;
}

/* The scan, by duckdb_query (materialized), or with `stream` as a result
 * DuckDB computes as it is read, as keel's DuckDB driver runs a SELECT:
 * duckdb_prepare, then duckdb_execute_prepared_streaming (deprecated since
 * DuckDB 1.0 and scheduled for removal, yet the C API's only streaming
 * call in 1.5.6). */
static void raw_scan(duckdb_connection con, bool stream, duckdb_result *res) {
    const char *sql = SCAN_SQL;
    if (!stream) {
        raw_query(con, sql, res);
        return;
    }
    duckdb_prepared_statement ps = NULL;
    if (duckdb_prepare(con, sql, &ps) != DuckDBSuccess) {
        fprintf(stderr, "duckdb_prepare: %s\n", duckdb_prepare_error(ps));
        exit(1);
    }
    if (duckdb_execute_prepared_streaming(ps, res) != DuckDBSuccess) {
        fprintf(stderr, "duckdb_execute_prepared_streaming: %s\n", duckdb_result_error(res));
        exit(1);
    }
    duckdb_destroy_prepare(&ps);
}

/* (a): duckdb_fetch_chunk, the vectors read directly; the result made by
 * duckdb_query (materialized), or with `stream` as keel's driver makes it
 * (a4). */
static double raw_fetch(duckdb_connection con, struct sums *s, bool stream) {
    double t0 = now();
    duckdb_result res;
    raw_scan(con, stream, &res);
    raw_check_types(&res);
    for (;;) {
        duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
        if (chunk == NULL) break;
        idx_t n = duckdb_data_chunk_get_size(chunk);
        if (n == 0) {
            duckdb_destroy_data_chunk(&chunk);
            break;
        }
        const void *data[NCOLS];
        const uint64_t *validity[NCOLS];
        for (idx_t c = 0; c < NCOLS; c++) {
            duckdb_vector vec = duckdb_data_chunk_get_vector(chunk, c);
            data[c] = duckdb_vector_get_data(vec);
            validity[c] = duckdb_vector_get_validity(vec);
        }
        const int64_t *id = data[0];
        const duckdb_string_t *name = data[1];
        const double *score = data[2];
        const bool *flag = data[3];
        const duckdb_timestamp *created = data[4];
        const duckdb_string_t *payload = data[5];
        const int32_t *nint = data[6];
        for (idx_t r = 0; r < n; r++) {
            s->rows++;
            for (int c = 0; c < NCOLS; c++) {
                if (!valid_at(validity[c], r)) {
                    s->nulls++;
                    continue;
                }
                switch (c) {
                case 0: s->ids += (uint64_t)id[r]; break;
                case 1: {
                    uint32_t len = name[r].value.inlined.length;
                    s->name += len + tail64(string_data(&name[r]), len);
                    break;
                }
                case 2: s->score_milli += milli(score[r]); break;
                case 3: s->flags += flag[r]; break;
                case 4: s->created += (uint64_t)created[r].micros; break;
                case 5: {
                    uint32_t len = payload[r].value.inlined.length;
                    s->payload += len + tail64(string_data(&payload[r]), len);
                    break;
                }
                case 6: s->nint += (uint64_t)nint[r]; break;
                }
            }
        }
        duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&res);
    return now() - t0;
}

static void raw_arrow_check(const char *what, duckdb_error_data e) {
    if (e != NULL) {
        fprintf(stderr, "%s: %s\n", what, duckdb_error_data_message(e));
        duckdb_destroy_error_data(&e);
        exit(1);
    }
}

/* (b): DuckDB's own Arrow export: the schema from the result's types and
 * names, one ArrowArray per chunk (2048 rows). */
static double raw_arrow(duckdb_connection con, struct sums *s, bool stream) {
    double t0 = now();
    duckdb_result res;
    raw_scan(con, stream, &res);
    raw_check_types(&res);
    duckdb_arrow_options opts = duckdb_result_get_arrow_options(&res);
    duckdb_logical_type types[NCOLS];
    const char *names[NCOLS];
    for (idx_t c = 0; c < NCOLS; c++) {
        types[c] = duckdb_column_logical_type(&res, c);
        names[c] = duckdb_column_name(&res, c);
    }
    struct ArrowSchema schema;
    raw_arrow_check("duckdb_to_arrow_schema", duckdb_to_arrow_schema(opts, types, names, NCOLS, &schema));
    for (idx_t c = 0; c < NCOLS; c++) duckdb_destroy_logical_type(&types[c]);
    struct arrow_plan plan;
    arrow_plan_of("duckdb", &schema, &plan);
    for (;;) {
        duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
        if (chunk == NULL) break;
        struct ArrowArray batch;
        raw_arrow_check("duckdb_data_chunk_to_arrow", duckdb_data_chunk_to_arrow(opts, chunk, &batch));
        consume_arrow(&batch, &plan, s);
        batch.release(&batch);
        duckdb_destroy_data_chunk(&chunk);
    }
    schema.release(&schema);
    duckdb_destroy_arrow_options(&opts);
    duckdb_destroy_result(&res);
    return now() - t0;
}

/* ---- main ------------------------------------------------------------- */

static void check_sums(const char *what, const struct sums *got, const struct sums *want) {
    if (!sums_equal(got, want)) {
        fprintf(stderr, "%s: read other data than the workload's table holds\n", what);
        sums_print("read", got);
        sums_print("expected", want);
        exit(1);
    }
}

static void keep_best(double *best, double t) {
    if (t < *best) *best = t;
}

/* A line of the table; a `target` of 0 is a comparison without one. */
static void report(const char *name, double keel_s, double raw_s, double target) {
    if (keel_s >= 1e9) return; /* not run */
    double ratio = keel_s / raw_s;
    printf("%-34s %9.1f ms %6.2f M/s %9.1f ms %6.2f M/s %8.3f", name, keel_s * 1e3, ROWS / keel_s / 1e6, raw_s * 1e3,
           ROWS / raw_s / 1e6, ratio);
    if (target > 0)
        printf(" %7.2f  %s\n", target, ratio <= target ? "ok" : "ABOVE TARGET");
    else
        printf(" %7s  (no target)\n", "-");
}

static keel_conn *keel_open(const char *url, keel_db **db) {
    keel_error *err = NULL;
    keel_conn *conn = NULL;
    keel_check("open", keel_db_open(url, db, &err), err);
    keel_check("checkout", keel_db_checkout(*db, &conn, &err), err);
    return conn;
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    if (scale < 1) scale = 1;
    const char *only = argc > 2 ? argv[2] : "ab";
    ROWS /= scale;
    make_fill_sql();
    const char *driver = getenv("KEEL_TEST_DUCKDB_DRIVER");
    if (driver == NULL || *driver == 0) {
        fprintf(stderr, "duckdb_bench: set KEEL_TEST_DUCKDB_DRIVER to the path of libkeel_duckdb.so "
                        "(`. scripts/duckdb.sh` builds it and sets it)\n");
        return 1;
    }

    printf("DuckDB %s (keel %s, its DuckDB driver loaded from a shared library), in-memory database on each side\n",
           duckdb_library_version(), keel_version());

    keel_error *err = NULL;
    keel_check("driver_load", keel_driver_load(driver, &err), err);
    /* Two pools on keel's one duckdb::memory: database (the driver shares
     * it between every connection of the process): arrow_batch_rows=2048,
     * DuckDB's chunk size, for (a) and (b); keel's default for (b2). */
    keel_db *kdb = NULL, *kdb_default = NULL;
    char url[64];
    snprintf(url, sizeof url, "duckdb::memory:?arrow_batch_rows=%d", ARROW_BATCH);
    keel_conn *conn = keel_open(url, &kdb);
    keel_check("create", keel_conn_exec(conn, CREATE_T, NULL, 0, NULL, &err), err);
    keel_check("fill", keel_conn_exec(conn, FILL_T, NULL, 0, NULL, &err), err);
    keel_conn *conn_default = keel_open("duckdb::memory:", &kdb_default);

    duckdb_database ddb = NULL;
    duckdb_connection con = NULL;
    if (duckdb_open(NULL, &ddb) != DuckDBSuccess || duckdb_connect(ddb, &con) != DuckDBSuccess) {
        fprintf(stderr, "duckdb: cannot open an in-memory database\n");
        return 1;
    }
    raw_exec(con, CREATE_T);
    raw_exec(con, FILL_T);

    const struct sums want = expected_sums();

    enum { FETCH, FETCH_GETTERS, FETCH_ARROW, FETCH_STREAMED, ARROW, ARROW_DEFAULT, ARROW_STREAMED, N_WORK };
    double best[N_WORK][2];
    for (int w = 0; w < N_WORK; w++) best[w][0] = best[w][1] = 1e9;
    for (int run = 0; run < RUNS; run++) {
        bool keel_first = run % 2 == 0;
        if (strchr(only, 'a')) {
            struct sums ks = {0}, kg = {0}, ka = {0}, rs = {0}, rt = {0};
            double k = 0, g = 0, a = 0, r = 0, t = 0;
            if (!keel_first) {
                r = raw_fetch(con, &rs, false);
                t = raw_fetch(con, &rt, true);
            }
            k = keel_fetch_values(conn, &ks);
            g = keel_fetch_getters(conn, &kg);
            a = keel_arrow(conn, &ka);
            if (keel_first) {
                r = raw_fetch(con, &rs, false);
                t = raw_fetch(con, &rt, true);
            }
            check_sums("(a) DuckDB C API fetch", &rs, &want);
            check_sums("(a4) DuckDB C API fetch, streaming", &rt, &want);
            check_sums("(a) keel fetch, keel_rows_next_values", &ks, &want);
            check_sums("(a2) keel fetch, typed getters", &kg, &want);
            check_sums("(a3) keel fetch, Arrow stream", &ka, &want);
            keep_best(&best[FETCH][0], k);
            keep_best(&best[FETCH][1], r);
            keep_best(&best[FETCH_GETTERS][0], g);
            keep_best(&best[FETCH_GETTERS][1], r);
            keep_best(&best[FETCH_ARROW][0], a);
            keep_best(&best[FETCH_ARROW][1], r);
            keep_best(&best[FETCH_STREAMED][0], k);
            keep_best(&best[FETCH_STREAMED][1], t);
        }
        if (strchr(only, 'b')) {
            struct sums ks = {0}, kd = {0}, rs = {0}, rt = {0};
            double k = 0, d = 0, r = 0, t = 0;
            if (!keel_first) {
                r = raw_arrow(con, &rs, false);
                t = raw_arrow(con, &rt, true);
            }
            k = keel_arrow(conn, &ks);
            d = keel_arrow(conn_default, &kd);
            if (keel_first) {
                r = raw_arrow(con, &rs, false);
                t = raw_arrow(con, &rt, true);
            }
            check_sums("(b) DuckDB Arrow export", &rs, &want);
            check_sums("(b3) DuckDB Arrow export, streaming", &rt, &want);
            check_sums("(b) keel Arrow stream", &ks, &want);
            check_sums("(b2) keel Arrow stream, default batches", &kd, &want);
            keep_best(&best[ARROW][0], k);
            keep_best(&best[ARROW][1], r);
            keep_best(&best[ARROW_DEFAULT][0], d);
            keep_best(&best[ARROW_DEFAULT][1], r);
            keep_best(&best[ARROW_STREAMED][0], k);
            keep_best(&best[ARROW_STREAMED][1], t);
        }
    }

    printf("%-34s %22s %22s %8s %7s\n", "workload (best of 5, CPU time)", "keel", "DuckDB C API", "keel/duckdb",
           "target");
    char name[64];
    snprintf(name, sizeof name, "(a) fetch %" PRId64 " rows, next_values", ROWS);
    report(name, best[FETCH][0], best[FETCH][1], 1.25);
    report("(a2) same, typed getters", best[FETCH_GETTERS][0], best[FETCH_GETTERS][1], 1.25);
    report("(a3) same, keel's Arrow stream", best[FETCH_ARROW][0], best[FETCH_ARROW][1], 1.25);
    report("(a4) (a), DuckDB's side streaming", best[FETCH_STREAMED][0], best[FETCH_STREAMED][1], 0);
    snprintf(name, sizeof name, "(b) Arrow %" PRId64 " rows, %d/batch", ROWS, ARROW_BATCH);
    report(name, best[ARROW][0], best[ARROW][1], 1.10);
    report("(b2) same, keel's 65536/batch", best[ARROW_DEFAULT][0], best[ARROW_DEFAULT][1], 1.10);
    report("(b3) (b), DuckDB's side streaming", best[ARROW_STREAMED][0], best[ARROW_STREAMED][1], 0);

    keel_conn_free(conn_default);
    keel_db_free(kdb_default);
    keel_conn_free(conn);
    keel_db_free(kdb);
    duckdb_disconnect(&con);
    duckdb_close(&ddb);
    return 0;
}

/* SQL Server through the C ABI: every SQL Server type keel reads is bound
 * as a keel_value, read back with keel_rows_column_value, and compared,
 * with its keel type and engine type name. Runs against KEEL_TEST_MSSQL_URL
 * (scripts/test.sh starts the TDS test peer when none is given); prints a
 * skip line without it. Prints "N passed, N failed". */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"
#include "check.h"


#define DAY_US INT64_C(86400000000)

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static keel_value text_kind(keel_type kind, const char *s) {
    keel_value v = {.kind = kind, .data = (const uint8_t *)s, .len = strlen(s)};
    return v;
}

static keel_value int_kind(keel_type kind, int64_t n) {
    keel_value v = {.kind = kind, .int_value = n};
    return v;
}

static bool same(const keel_value *a, const keel_value *b) {
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case KEEL_TYPE_NULL: return true;
    case KEEL_TYPE_DOUBLE: return a->double_value == b->double_value;
    case KEEL_TYPE_UINT64: return a->uint_value == b->uint_value;
    case KEEL_TYPE_TEXT:
    case KEEL_TYPE_JSON:
    case KEEL_TYPE_DECIMAL:
    case KEEL_TYPE_BYTES:
    case KEEL_TYPE_UUID: return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
    default: return a->int_value == b->int_value;
    }
}

struct c_case {
    const char *ddl;
    const char *engine_type; /* one name, or two separated by '|' */
    keel_value bound;
    keel_value want;
};

static bool name_ok(const char *want, const char *got) {
    const char *bar = strchr(want, '|');
    if (bar == NULL) return strcmp(want, got) == 0;
    size_t n = (size_t)(bar - want);
    return (strlen(got) == n && strncmp(want, got, n) == 0) || strcmp(bar + 1, got) == 0;
}

int main(void) {
    const char *url = getenv("KEEL_TEST_MSSQL_URL");
    if (url == NULL || url[0] == '\0') {
        /* KEEL_TEST_REQUIRE (make test) names the servers that must be there. */
        bool must = required("mssql");
        printf("skipped: KEEL_TEST_MSSQL_URL is not set\n0 passed, %d failed\n", must ? 1 : 0);
        return must ? 1 : 0;
    }
    keel_db *db = NULL;
    keel_error *err = NULL;
    if (keel_db_open(url, &db, &err) != KEEL_STATUS_OK) {
        fprintf(stderr, "open: %s\n", keel_error_message(err));
        keel_error_free(err);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    keel_conn *conn = NULL;
    CHECK(keel_db_checkout(db, &conn, NULL) == KEEL_STATUS_OK);

    static const uint8_t guid[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
                                     0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};
    static const uint8_t bin[3] = {0, 255, 7};
    static const uint8_t bin_padded[4] = {0, 255, 7, 0};
    keel_value guid_v = {.kind = KEEL_TYPE_UUID, .data = guid, .len = 16};
    keel_value bin_v = {.kind = KEEL_TYPE_BYTES, .data = bin, .len = 3};
    keel_value bin4_v = {.kind = KEEL_TYPE_BYTES, .data = bin_padded, .len = 4};
    keel_value b = {.kind = KEEL_TYPE_BOOL, .int_value = 1};
    keel_value real = {.kind = KEEL_TYPE_DOUBLE, .double_value = 1.5};
    keel_value flt = {.kind = KEEL_TYPE_DOUBLE, .double_value = 0.1};
    int64_t ts = days(2024, 3, 10) * DAY_US + INT64_C(45296789012); /* 12:34:56.789012 */
    int64_t dt = days(1900, 1, 1) * DAY_US + INT64_C(45296500000);  /* 12:34:56.500 */
    int64_t sdt = days(2024, 3, 10) * DAY_US + INT64_C(45240000000); /* 12:34 */
    const struct c_case cases[] = {
        {"BIT", "bit", b, b},
        {"TINYINT", "tinyint", int_kind(KEEL_TYPE_INT64, 255), int_kind(KEEL_TYPE_INT64, 255)},
        {"SMALLINT", "smallint", int_kind(KEEL_TYPE_INT64, -32768), int_kind(KEEL_TYPE_INT64, -32768)},
        {"INT", "int", int_kind(KEEL_TYPE_INT64, 2147483647), int_kind(KEEL_TYPE_INT64, 2147483647)},
        {"BIGINT", "bigint", int_kind(KEEL_TYPE_INT64, INT64_MIN), int_kind(KEEL_TYPE_INT64, INT64_MIN)},
        {"REAL", "real", real, real},
        {"FLOAT", "float", flt, flt},
        {"DECIMAL(38,10)", "decimal", text_kind(KEEL_TYPE_DECIMAL, "1234567890123456789012345678.9012345678"),
         text_kind(KEEL_TYPE_DECIMAL, "1234567890123456789012345678.9012345678")},
        {"NUMERIC(10,2)", "numeric|decimal", text_kind(KEEL_TYPE_DECIMAL, "-12.5"), text_kind(KEEL_TYPE_DECIMAL, "-12.50")},
        {"MONEY", "money", text_kind(KEEL_TYPE_DECIMAL, "922337203.5807"), text_kind(KEEL_TYPE_DECIMAL, "922337203.5807")},
        {"CHAR(4)", "char", text_kind(KEEL_TYPE_TEXT, "ab"), text_kind(KEEL_TYPE_TEXT, "ab  ")},
        {"VARCHAR(20)", "varchar", text_kind(KEEL_TYPE_TEXT, "na\xc3\xafve"), text_kind(KEEL_TYPE_TEXT, "na\xc3\xafve")},
        {"NCHAR(2)", "nchar", text_kind(KEEL_TYPE_TEXT, "\xe4\xb8\xad"), text_kind(KEEL_TYPE_TEXT, "\xe4\xb8\xad ")},
        {"NVARCHAR(MAX)", "nvarchar", text_kind(KEEL_TYPE_TEXT, "emoji \xf0\x9f\x98\x80"),
         text_kind(KEEL_TYPE_TEXT, "emoji \xf0\x9f\x98\x80")},
        {"TEXT", "text", text_kind(KEEL_TYPE_TEXT, "old text"), text_kind(KEEL_TYPE_TEXT, "old text")},
        {"NTEXT", "ntext", text_kind(KEEL_TYPE_TEXT, "old ntext"), text_kind(KEEL_TYPE_TEXT, "old ntext")},
        {"BINARY(4)", "binary", bin_v, bin4_v},
        {"VARBINARY(MAX)", "varbinary", bin_v, bin_v},
        {"IMAGE", "image", bin_v, bin_v},
        {"DATE", "date", int_kind(KEEL_TYPE_DATE, days(1, 1, 1)), int_kind(KEEL_TYPE_DATE, days(1, 1, 1))},
        {"TIME", "time", int_kind(KEEL_TYPE_TIME, DAY_US - 1), int_kind(KEEL_TYPE_TIME, DAY_US - 1)},
        {"DATETIME", "datetimen", int_kind(KEEL_TYPE_TIMESTAMP, dt), int_kind(KEEL_TYPE_TIMESTAMP, dt)},
        {"DATETIME2", "datetime2", int_kind(KEEL_TYPE_TIMESTAMP, ts), int_kind(KEEL_TYPE_TIMESTAMP, ts)},
        {"SMALLDATETIME", "datetimen", int_kind(KEEL_TYPE_TIMESTAMP, sdt), int_kind(KEEL_TYPE_TIMESTAMP, sdt)},
        {"DATETIMEOFFSET", "datetimeoffset", text_kind(KEEL_TYPE_TEXT, "2024-03-10 18:04:56.789012 +05:30"),
         int_kind(KEEL_TYPE_TIMESTAMPTZ, ts)},
        {"UNIQUEIDENTIFIER", "uniqueidentifier", guid_v, guid_v},
        {"XML", "xml", text_kind(KEEL_TYPE_TEXT, "<a>1</a>"), text_kind(KEEL_TYPE_TEXT, "<a>1</a>")},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct c_case *c = &cases[i];
        char sql[256];
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS kc_c_types");
        CHECK(keel_conn_exec(conn, sql, NULL, 0, NULL, NULL) == KEEL_STATUS_OK);
        snprintf(sql, sizeof sql, "CREATE TABLE kc_c_types (id INT PRIMARY KEY, v %s)", c->ddl);
        CHECK(keel_conn_exec(conn, sql, NULL, 0, NULL, NULL) == KEEL_STATUS_OK);
        keel_value params[2] = {int_kind(KEEL_TYPE_INT64, 1), c->bound};
        keel_error *e = NULL;
        keel_status st = keel_conn_exec(conn, "INSERT INTO kc_c_types (id, v) VALUES (?, ?)", params, 2, NULL, &e);
        if (st != KEEL_STATUS_OK) fprintf(stderr, "%s: insert: %s\n", c->ddl, keel_error_message(e));
        keel_error_free(e);
        CHECK(st == KEEL_STATUS_OK);
        CHECK(keel_conn_exec(conn, "INSERT INTO kc_c_types (id, v) VALUES (2, NULL)", NULL, 0, NULL, NULL) == KEEL_STATUS_OK);
        keel_rows *rows = NULL;
        bool has = false;
        CHECK(keel_conn_query(conn, "SELECT v FROM kc_c_types ORDER BY id", NULL, 0, &rows, NULL) == KEEL_STATUS_OK);
        const char *engine_type = "";
        keel_type kind = KEEL_TYPE_NULL;
        CHECK(keel_rows_column_engine_type(rows, 0, &engine_type, NULL) == KEEL_STATUS_OK);
        CHECK(keel_rows_column_type(rows, 0, &kind, NULL) == KEEL_STATUS_OK);
        if (!name_ok(c->engine_type, engine_type) || kind != (keel_type)c->want.kind) {
            fprintf(stderr, "%s: column is %s (keel type %d)\n", c->ddl, engine_type, (int)kind);
            failed++;
        }
        CHECK(keel_rows_next(rows, &has, NULL) == KEEL_STATUS_OK && has);
        keel_value got = {0};
        CHECK(keel_rows_column_value(rows, 0, &got, NULL) == KEEL_STATUS_OK);
        if (!same(&got, &c->want)) {
            fprintf(stderr, "%s: read back kind %d int %lld len %zu\n", c->ddl, (int)got.kind, (long long)got.int_value, got.len);
            failed++;
        } else {
            passed++;
        }
        CHECK(keel_rows_next(rows, &has, NULL) == KEEL_STATUS_OK && has);
        bool is_null = false;
        CHECK(keel_rows_column_is_null(rows, 0, &is_null, NULL) == KEEL_STATUS_OK && is_null);
        CHECK(keel_rows_next(rows, &has, NULL) == KEEL_STATUS_OK && !has);
        keel_rows_free(rows);
    }
    CHECK(keel_conn_exec(conn, "DROP TABLE kc_c_types", NULL, 0, NULL, NULL) == KEEL_STATUS_OK);

    /* datetimeoffset keeps its zone through the C ABI: bound with an
     * offset, read back as the same instant with the same offset, and as
     * text in local time with it. */
    {
        keel_conn_exec(conn, "DROP TABLE IF EXISTS kc_c_dto", NULL, 0, NULL, NULL);
        CHECK(keel_conn_exec(conn, "CREATE TABLE kc_c_dto (id INT PRIMARY KEY, v DATETIMEOFFSET)", NULL, 0, NULL, NULL) ==
              KEEL_STATUS_OK);
        const int64_t instant = (days(2024, 3, 10) * 86400 + 12 * 3600 + 34 * 60 + 56) * 1000000 + 500000;
        keel_stmt *st = NULL;
        CHECK(keel_conn_prepare(conn, "INSERT INTO kc_c_dto (id, v) VALUES (1, ?)", &st, NULL) == KEEL_STATUS_OK);
        keel_error *err = NULL;
        CHECK(keel_stmt_bind_timestamptz_offset(st, 0, instant, 91, &err) == KEEL_STATUS_INVALID_ARGUMENT);
        keel_error_free(err);
        CHECK(keel_stmt_bind_timestamptz_offset(st, 0, instant, 5 * 3600 + 30 * 60, NULL) == KEEL_STATUS_OK);
        CHECK(keel_stmt_execute(st, NULL, NULL) == KEEL_STATUS_OK);
        keel_stmt_free(st);
        keel_rows *rows = NULL;
        CHECK(keel_conn_query(conn, "SELECT v, id FROM kc_c_dto", NULL, 0, &rows, NULL) == KEEL_STATUS_OK);
        bool has = false;
        CHECK(keel_rows_next(rows, &has, NULL) == KEEL_STATUS_OK && has);
        int64_t us = 0;
        int32_t off = 0;
        const char *text = NULL;
        size_t len = 0;
        CHECK(keel_rows_column_timestamp(rows, 0, &us, NULL) == KEEL_STATUS_OK && us == instant);
        CHECK(keel_rows_column_tz_offset(rows, 0, &off, NULL) == KEEL_STATUS_OK && off == 5 * 3600 + 30 * 60);
        CHECK(keel_rows_column_text(rows, 0, &text, &len, NULL) == KEEL_STATUS_OK &&
              strcmp(text, "2024-03-10 18:04:56.500000+05:30") == 0);
        off = 77;
        CHECK(keel_rows_column_tz_offset(rows, 1, &off, NULL) == KEEL_STATUS_INVALID_DATA && off == 77);
        keel_rows_free(rows);
        CHECK(keel_conn_exec(conn, "DROP TABLE kc_c_dto", NULL, 0, NULL, NULL) == KEEL_STATUS_OK);
    }
    keel_conn_free(conn);
    keel_db_free(db);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

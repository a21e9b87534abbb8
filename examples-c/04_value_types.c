/* Value types.
 *
 * Binds one value of every keel type with its keel_stmt_bind_* call, reads
 * each back with the matching keel_rows_column_* reader, and prints it.
 * SQLite stores only NULL, INTEGER, REAL, TEXT and BLOB; keel reads a
 * column back as the type its declaration names (DATE, TIMESTAMP, UUID,
 * ...). A second row holds NULL in every column.
 *
 * One SQLite quirk shows: a DECIMAL column has NUMERIC affinity, so SQLite
 * keeps a decimal's value but not its trailing zeros ("-1234.50" reads
 * back as "-1234.5"). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "keel.h"

static const char *type_name(keel_type t) {
    switch (t) {
    case KEEL_TYPE_NULL: return "null";
    case KEEL_TYPE_BOOL: return "bool";
    case KEEL_TYPE_INT64: return "int64";
    case KEEL_TYPE_UINT64: return "uint64";
    case KEEL_TYPE_DOUBLE: return "double";
    case KEEL_TYPE_TEXT: return "text";
    case KEEL_TYPE_BYTES: return "bytes";
    case KEEL_TYPE_DATE: return "date";
    case KEEL_TYPE_TIME: return "time";
    case KEEL_TYPE_TIMESTAMP: return "timestamp";
    case KEEL_TYPE_TIMESTAMPTZ: return "timestamptz";
    case KEEL_TYPE_UUID: return "uuid";
    case KEEL_TYPE_JSON: return "json";
    case KEEL_TYPE_DECIMAL: return "decimal";
    default: return "?";
    }
}

/* Print column i of the current row, read with the reader for its type. */
static void print_column(keel_rows *rows, size_t i) {
    keel_error *err = NULL;
    const char *name = NULL, *engine_type = NULL;
    keel_type type = KEEL_TYPE_NULL;
    die_on_error("name", keel_rows_column_name(rows, i, &name, &err), err);
    die_on_error("engine type", keel_rows_column_engine_type(rows, i, &engine_type, &err), err);
    die_on_error("type", keel_rows_column_type(rows, i, &type, &err), err);
    printf("  %-6s %-16s %-11s ", name, engine_type, type_name(type));

    bool is_null = false;
    die_on_error("is_null", keel_rows_column_is_null(rows, i, &is_null, &err), err);
    if (is_null) {
        printf("NULL\n");
        return;
    }
    switch (type) {
    case KEEL_TYPE_BOOL: {
        bool b = false;
        die_on_error("bool", keel_rows_column_bool(rows, i, &b, &err), err);
        printf("%s\n", b ? "true" : "false");
        break;
    }
    case KEEL_TYPE_INT64: {
        int64_t v = 0;
        die_on_error("int64", keel_rows_column_int64(rows, i, &v, &err), err);
        printf("%" PRId64 "\n", v);
        break;
    }
    case KEEL_TYPE_UINT64: {
        uint64_t v = 0;
        die_on_error("uint64", keel_rows_column_uint64(rows, i, &v, &err), err);
        printf("%" PRIu64 "\n", v);
        break;
    }
    case KEEL_TYPE_DOUBLE: {
        double v = 0;
        die_on_error("double", keel_rows_column_double(rows, i, &v, &err), err);
        printf("%.17g\n", v);
        break;
    }
    case KEEL_TYPE_BYTES: {
        const uint8_t *data = NULL;
        size_t len = 0;
        die_on_error("bytes", keel_rows_column_bytes(rows, i, &data, &len, &err), err);
        printf("%zu bytes:", len);
        for (size_t k = 0; k < len; k++) {
            printf(" %02x", data[k]);
        }
        printf("\n");
        break;
    }
    case KEEL_TYPE_DATE: {
        int32_t days = 0;
        die_on_error("date", keel_rows_column_date(rows, i, &days, &err), err);
        printf("%" PRId32 " days since 1970-01-01", days);
        break; /* the text form follows below */
    }
    case KEEL_TYPE_TIME: {
        int64_t us = 0;
        die_on_error("time", keel_rows_column_time(rows, i, &us, &err), err);
        printf("%" PRId64 " us since midnight", us);
        break;
    }
    case KEEL_TYPE_TIMESTAMP:
    case KEEL_TYPE_TIMESTAMPTZ: {
        int64_t us = 0;
        die_on_error("timestamp", keel_rows_column_timestamp(rows, i, &us, &err), err);
        printf("%" PRId64 " us since 1970", us);
        break;
    }
    case KEEL_TYPE_UUID: {
        uint8_t u[16];
        die_on_error("uuid", keel_rows_column_uuid(rows, i, u, &err), err);
        printf("16 bytes: ");
        for (int k = 0; k < 16; k++) {
            printf("%02x", u[k]);
        }
        break;
    }
    default: /* text, json, decimal: their text is the value */
        break;
    }
    if (type == KEEL_TYPE_BOOL || type == KEEL_TYPE_INT64 || type == KEEL_TYPE_UINT64 ||
        type == KEEL_TYPE_DOUBLE || type == KEEL_TYPE_BYTES) {
        return;
    }
    /* Every type but bytes also has a canonical text form. */
    const char *text = NULL;
    size_t len = 0;
    die_on_error("text", keel_rows_column_text(rows, i, &text, &len, &err), err);
    printf("%s\"%s\"\n", type == KEEL_TYPE_TEXT || type == KEEL_TYPE_JSON || type == KEEL_TYPE_DECIMAL ? "" : " = ",
           text);
}

int main(void) {
    keel_error *err = NULL;
    keel_db *db = NULL;
    die_on_error("open", keel_db_open("sqlite::memory:", &db, &err), err);
    keel_conn *conn = NULL;
    die_on_error("checkout", keel_db_checkout(db, &conn, &err), err);

    /* The declared type of each column decides the keel type it reads as. */
    die_on_error("create",
                 keel_conn_exec(conn,
                                "CREATE TABLE v (b BOOLEAN, i INTEGER, u UNSIGNED BIG INT, d DOUBLE, "
                                "t TEXT, by BLOB, dt DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, "
                                "id UUID, j JSON, dec DECIMAL(10,2))",
                                NULL, 0, NULL, &err),
                 err);
    keel_stmt *ins = NULL;
    die_on_error("prepare",
                 keel_conn_prepare(conn, "INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &ins, &err),
                 err);

    const char *text = "h\xc3\xa9llo, w\xc3\xb6rld"; /* UTF-8 */
    const uint8_t blob[] = {0x00, 0x01, 0xfe, 0xff};
    const uint8_t uuid[16] = {0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
                              0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00};
    const char *json = "{\"tags\": [\"a\", \"b\"]}";
    const char *dec = "-1234.50";
    die_on_error("bool", keel_stmt_bind_bool(ins, 0, true, &err), err);
    die_on_error("int64", keel_stmt_bind_int64(ins, 1, INT64_MIN, &err), err);
    die_on_error("uint64", keel_stmt_bind_uint64(ins, 2, (uint64_t)INT64_MAX, &err), err);
    die_on_error("double", keel_stmt_bind_double(ins, 3, 0.1, &err), err);
    die_on_error("text", keel_stmt_bind_text(ins, 4, text, strlen(text), &err), err);
    die_on_error("bytes", keel_stmt_bind_bytes(ins, 5, blob, sizeof blob, &err), err);
    die_on_error("date", keel_stmt_bind_date(ins, 6, 19723, &err), err);                         /* 2024-01-01 */
    die_on_error("time", keel_stmt_bind_time(ins, 7, 45296789000, &err), err);                   /* 12:34:56.789 */
    die_on_error("timestamp", keel_stmt_bind_timestamp(ins, 8, 1704112496000001, &err), err);     /* 2024-01-01 12:34:56.000001 */
    die_on_error("timestamptz", keel_stmt_bind_timestamptz(ins, 9, 1704112496000000, &err), err); /* ... UTC */
    die_on_error("uuid", keel_stmt_bind_uuid(ins, 10, uuid, &err), err);
    die_on_error("json", keel_stmt_bind_json(ins, 11, json, strlen(json), &err), err);
    die_on_error("decimal", keel_stmt_bind_decimal(ins, 12, dec, strlen(dec), &err), err);
    die_on_error("insert", keel_stmt_execute(ins, NULL, &err), err);

    /* The same statement again with NULL everywhere: keel_stmt_bind_value
     * takes any type described by a keel_value. */
    keel_value null_value = {.kind = KEEL_TYPE_NULL};
    for (size_t i = 0; i < keel_stmt_param_count(ins); i++) {
        die_on_error("null", keel_stmt_bind_value(ins, i, &null_value, &err), err);
    }
    die_on_error("insert", keel_stmt_execute(ins, NULL, &err), err);
    keel_stmt_free(ins);

    keel_rows *rows = NULL;
    die_on_error("query", keel_conn_query(conn, "SELECT * FROM v ORDER BY rowid", NULL, 0, &rows, &err), err);
    size_t ncols = keel_rows_column_count(rows);
    bool has_row = false;
    for (int r = 1; die_on_error("next", keel_rows_next(rows, &has_row, &err), err), has_row; r++) {
        printf("row %d:\n", r);
        for (size_t i = 0; i < ncols; i++) {
            print_column(rows, i);
        }
    }
    keel_rows_free(rows);

    /* An expression column has no declared type: each value then carries
     * its own, which keel_rows_column_value reports. */
    die_on_error("query", keel_conn_query(conn, "SELECT 42, 2.5, 'x', x'00', NULL", NULL, 0, &rows, &err), err);
    die_on_error("next", keel_rows_next(rows, &has_row, &err), err);
    printf("expression values:");
    for (size_t i = 0; i < keel_rows_column_count(rows); i++) {
        keel_value v;
        die_on_error("value", keel_rows_column_value(rows, i, &v, &err), err);
        printf(" %s", type_name(v.kind));
    }
    printf("\n");
    keel_rows_free(rows);

    keel_conn_free(conn);
    keel_db_free(db);
    return 0;
}

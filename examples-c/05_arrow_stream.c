/* An Arrow C stream out of a query.
 *
 * keel_conn_query_arrow fills a struct ArrowArrayStream (the Arrow C
 * stream interface, declared in keel.h as the Arrow specification writes
 * it), which any Arrow consumer imports: pyarrow, polars, DuckDB, nanoarrow.
 * Here it is read by hand: the schema's formats, then record batches of
 * up to arrow_batch_rows rows (2 here), each a struct array whose children
 * are the columns. The stream holds the connection's session, so the
 * connection handle can be freed first; the session returns to the pool
 * when the stream is released. */
#include <inttypes.h>
#include <stdio.h>

#include "common.h"
#include "keel.h"

int main(void) {
    keel_db *db = NULL;
    keel_conn *conn = NULL;
    keel_error *err = NULL;
    die_on_error("open", keel_db_open("sqlite::memory:?arrow_batch_rows=2", &db, &err), err);
    die_on_error("checkout", keel_db_checkout(db, &conn, &err), err);
    die_on_error("create", keel_conn_exec(conn, "CREATE TABLE t (id BIGINT, name TEXT)", NULL, 0, NULL, &err), err);
    die_on_error("insert",
                 keel_conn_exec(conn, "INSERT INTO t VALUES (1, 'Ada'), (2, NULL), (3, 'Grace')", NULL, 0, NULL, &err),
                 err);

    struct ArrowArrayStream stream;
    die_on_error("query", keel_conn_query_arrow(conn, "SELECT id, name FROM t ORDER BY id", NULL, 0, &stream, &err),
                 err);
    keel_conn_free(conn); /* the stream keeps what it needs */

    struct ArrowSchema schema;
    if (stream.get_schema(&stream, &schema) != 0) {
        fprintf(stderr, "get_schema: %s\n", stream.get_last_error(&stream));
        return 1;
    }
    for (int64_t i = 0; i < schema.n_children; i++) {
        printf("column %s: format \"%s\"\n", schema.children[i]->name, schema.children[i]->format);
    }
    schema.release(&schema);

    for (int batch_no = 0;; batch_no++) {
        struct ArrowArray batch;
        if (stream.get_next(&stream, &batch) != 0) {
            fprintf(stderr, "get_next: %s\n", stream.get_last_error(&stream));
            return 1;
        }
        if (batch.release == NULL) break; /* the end of the stream */
        const struct ArrowArray *ids = batch.children[0], *names = batch.children[1];
        const int64_t *id = ids->buffers[1];
        const uint8_t *valid = names->buffers[0]; /* NULL when no value is NULL */
        const int32_t *offsets = names->buffers[1];
        const char *chars = names->buffers[2];
        printf("batch %d: %" PRId64 " rows\n", batch_no, batch.length);
        for (int64_t r = 0; r < batch.length; r++) {
            int64_t n = names->offset + r;
            if (valid != NULL && !(valid[n / 8] >> (n % 8) & 1)) {
                printf("  %" PRId64 " NULL\n", id[ids->offset + r]);
            } else {
                printf("  %" PRId64 " %.*s\n", id[ids->offset + r], (int)(offsets[n + 1] - offsets[n]), chars + offsets[n]);
            }
        }
        batch.release(&batch);
    }
    stream.release(&stream);
    keel_db_free(db);
    return 0;
}

/*
 * kv: a tiny in-memory key/value driver written in C against
 * keel_driver.h, for tests/foreign_driver.rs. Its whole SQL:
 *
 *   PUT ?, ?      store value $2 under text key $1 (rows_affected 1)
 *   GET ?         one row (k, v) or none
 *   ALL           every row, in key order
 *   COUNT         one row: n (int64)
 *   DEL ?         remove a key
 *   FAIL          an integrity error with SQLSTATE 23505, vendor code 19
 *   BAD <how>     misbehave, to check that keel survives it (see bad())
 *   CHUNK <how>   built with -DKV_CHUNKS only: a fixed result of CHUNK_ROWS
 *                 rows of every fixed-layout type, handed out by
 *                 rows_next_chunk in chunks of 2; <how> other than "ok"
 *                 makes the first chunk wrong (see kv_next_chunk)
 *
 * Its placeholder form is $1, $2 (placeholder_prefix "$"), so every
 * statement a test writes with ? shows keel's rewriting at work. The
 * store is shared by every connection of the process (user_data),
 * behind a mutex, as keel_driver.h asks of shared state.
 *
 * Built by the test with -DKV_NAME=... and the -D switches below, which
 * make the variants the registration tests refuse.
 */
#define _POSIX_C_SOURCE 200809L
#include "keel_driver.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KV_NAME
#define KV_NAME "kv"
#endif

typedef struct {
    char *key;
    keel_value v; /* data malloc'ed when it has any */
} entry;

typedef struct {
    pthread_mutex_t lock;
    entry *e;
    size_t n;
} store;

static store the_store = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};
static const keel_driver_host *host;

/* Through the host table keel_driver_entry received, so that the library
 * needs none of keel's symbols (the program that loads it may not export
 * them). */
static keel_error *err_new(int32_t status, const char *state, int32_t code, const char *msg) {
    return host->error_new(status, state, code, msg);
}

static int32_t fail(keel_error **err_out, int32_t status, const char *state, int32_t code, const char *msg) {
    if (err_out) *err_out = err_new(status, state, code, msg);
    return status;
}

static keel_value copy_value(const keel_value *v) {
    keel_value c = *v;
    if (v->data && v->len) {
        unsigned char *d = malloc(v->len);
        memcpy(d, v->data, v->len);
        c.data = d;
    } else {
        c.data = NULL;
    }
    return c;
}

static void free_value(keel_value *v) {
    free((void *)v->data);
    v->data = NULL;
}

/* ---- connections ---------------------------------------------------------- */

typedef struct {
    store *s;
    int in_tx;
    char version[32];
} conn;

static int32_t kv_connect(void *user_data, const keel_driver_url *url, void **conn_out, keel_error **err_out) {
    if (strcmp(url->path, "refuse") == 0) return fail(err_out, KEEL_STATUS_UNAUTHENTICATED, "28000", 1, "kv: refused");
    conn *c = calloc(1, sizeof *c);
    c->s = user_data;
    snprintf(c->version, sizeof c->version, "kv 1.0 (%s)", url->path);
    *conn_out = c;
    return KEEL_STATUS_OK;
}

static void kv_conn_free(void *c) { free(c); }
static int32_t kv_ping(void *c, keel_error **err_out) { (void)c; (void)err_out; return KEEL_STATUS_OK; }
static const char *kv_version(void *c) { return ((conn *)c)->version; }

static int32_t kv_begin(void *c, const keel_tx_options *o, keel_error **err_out) {
    if (o->isolation == KEEL_ISOLATION_SNAPSHOT)
        return fail(err_out, KEEL_STATUS_NOT_IMPLEMENTED, NULL, 0, "kv: no snapshot isolation");
    if (((conn *)c)->in_tx) return fail(err_out, KEEL_STATUS_INVALID_STATE, "25001", 0, "kv: already in a transaction");
    ((conn *)c)->in_tx = 1;
    return KEEL_STATUS_OK;
}
static int32_t kv_commit(void *c, keel_error **err_out) { (void)err_out; ((conn *)c)->in_tx = 0; return KEEL_STATUS_OK; }
static int32_t kv_rollback(void *c, keel_error **err_out) { (void)err_out; ((conn *)c)->in_tx = 0; return KEEL_STATUS_OK; }
static int32_t kv_in_tx(void *c) { return ((conn *)c)->in_tx; }

/* ---- statements ----------------------------------------------------------- */

enum op { PUT, GET, ALL, COUNT, DEL, FAIL, BAD, CHUNK };

typedef struct {
    conn *c;
    enum op op;
    char bad[64];
    size_t nparams;
    keel_value params[2];
} stmt;

static int32_t kv_prepare(void *cv, const char *sql, size_t len, void **stmt_out, keel_error **err_out) {
    char word[16] = {0}, rest[64] = {0};
    if (strlen(sql) != len) return fail(err_out, KEEL_STATUS_INTERNAL, NULL, 0, "kv: sql is not NUL-terminated at len");
    sscanf(sql, "%15s %63[^\n]", word, rest);
    stmt s = {0};
    s.c = cv;
    if (strcmp(word, "PUT") == 0) {
        if (strcmp(rest, "$1, $2") != 0) return fail(err_out, KEEL_STATUS_INVALID_ARGUMENT, "42601", 0, "kv: PUT takes $1, $2");
        s.op = PUT, s.nparams = 2;
    } else if (strcmp(word, "GET") == 0 || strcmp(word, "DEL") == 0) {
        if (strcmp(rest, "$1") != 0) return fail(err_out, KEEL_STATUS_INVALID_ARGUMENT, "42601", 0, "kv: GET and DEL take $1");
        s.op = word[0] == 'G' ? GET : DEL, s.nparams = 1;
    } else if (strcmp(word, "ALL") == 0) {
        s.op = ALL;
    } else if (strcmp(word, "COUNT") == 0) {
        s.op = COUNT;
    } else if (strcmp(word, "FAIL") == 0) {
        s.op = FAIL;
#ifdef KV_CHUNKS
    } else if (strcmp(word, "CHUNK") == 0) {
        s.op = CHUNK;
        snprintf(s.bad, sizeof s.bad, "%s", rest);
#endif
    } else if (strcmp(word, "BAD") == 0) {
        s.op = BAD;
        snprintf(s.bad, sizeof s.bad, "%s", rest);
        /* A statement that is not one. */
        if (strcmp(rest, "null_stmt") == 0) { *stmt_out = NULL; return KEEL_STATUS_OK; }
        if (strcmp(rest, "prepare_status") == 0) return 1234;
        if (strcmp(rest, "prepare_null_argument") == 0) return KEEL_STATUS_NULL_ARGUMENT;
        if (strcmp(rest, "prepare_panic") == 0) return KEEL_STATUS_PANIC;
    } else {
        return fail(err_out, KEEL_STATUS_INVALID_ARGUMENT, "42601", 0, "kv: unknown statement");
    }
    stmt *p = malloc(sizeof *p);
    *p = s;
    *stmt_out = p;
    return KEEL_STATUS_OK;
}

static size_t kv_param_count(void *sv) { return ((stmt *)sv)->nparams; }

static int32_t kv_bind(void *sv, size_t i, const keel_value *v, keel_error **err_out) {
    stmt *s = sv;
    if (i >= s->nparams) return fail(err_out, KEEL_STATUS_INTERNAL, NULL, 0, "kv: keel bound out of range");
    free_value(&s->params[i]);
    s->params[i] = copy_value(v);
    return KEEL_STATUS_OK;
}

static int32_t kv_clear(void *sv, keel_error **err_out) {
    stmt *s = sv;
    (void)err_out;
    for (size_t i = 0; i < 2; i++) { free_value(&s->params[i]); memset(&s->params[i], 0, sizeof s->params[i]); }
    return KEEL_STATUS_OK;
}

static void kv_stmt_free(void *sv) {
    kv_clear(sv, NULL);
    free(sv);
}

static int key_of(stmt *s, char *out, size_t cap) {
    const keel_value *k = &s->params[0];
    if (k->kind != KEEL_TYPE_TEXT || k->len >= cap) return 0;
    memcpy(out, k->data, k->len);
    out[k->len] = 0;
    return 1;
}

static long find(store *st, const char *key) {
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->e[i].key, key) == 0) return (long)i;
    return -1;
}

static int32_t kv_execute(void *sv, keel_exec_result *r, keel_error **err_out) {
    stmt *s = sv;
    store *st = s->c->s;
    char key[256];
    switch (s->op) {
    case PUT:
    case DEL: {
        if (!key_of(s, key, sizeof key)) return fail(err_out, KEEL_STATUS_INVALID_ARGUMENT, "22023", 0, "kv: a key is text");
        pthread_mutex_lock(&st->lock);
        long at = find(st, key);
        if (s->op == PUT) {
            if (at < 0) {
                st->e = realloc(st->e, (st->n + 1) * sizeof *st->e);
                /* keep key order */
                size_t pos = 0;
                while (pos < st->n && strcmp(st->e[pos].key, key) < 0) pos++;
                memmove(&st->e[pos + 1], &st->e[pos], (st->n - pos) * sizeof *st->e);
                st->e[pos].key = strdup(key);
                st->e[pos].v = copy_value(&s->params[1]);
                st->n++;
            } else {
                free_value(&st->e[at].v);
                st->e[at].v = copy_value(&s->params[1]);
            }
            r->rows_affected = 1;
            r->last_insert_id = (int64_t)st->n;
            r->has_last_insert_id = true;
        } else if (at >= 0) {
            free(st->e[at].key);
            free_value(&st->e[at].v);
            memmove(&st->e[at], &st->e[at + 1], (st->n - (size_t)at - 1) * sizeof *st->e);
            st->n--;
            r->rows_affected = 1;
        }
        pthread_mutex_unlock(&st->lock);
        return KEEL_STATUS_OK;
    }
    case FAIL:
        return fail(err_out, KEEL_STATUS_INTEGRITY, "23505", 19, "kv: failing on purpose");
    case BAD:
        if (strcmp(s->bad, "exec_no_error") == 0) return KEEL_STATUS_IO;
        if (strcmp(s->bad, "exec_status") == 0) return fail(err_out, 99, NULL, 0, "kv: with a status keel does not know");
        if (strcmp(s->bad, "exec_ok_with_error") == 0) {
            if (err_out) *err_out = err_new(KEEL_STATUS_IO, NULL, 0, "kv: an error with success");
            return KEEL_STATUS_OK;
        }
        return KEEL_STATUS_OK;
    default:
        return KEEL_STATUS_OK; /* a query run by exec: rows discarded */
    }
}

/* ---- cursors -------------------------------------------------------------- */

/* CHUNK's result: columns t TEXT, n INT64, b BOOL, d DATE, tm TIME,
 * u UUID, f DOUBLE; CHUNK_ROWS rows, CHUNK_MAX per chunk; row 3 is NULL
 * in every column but n. */
#define CHUNK_COLS 7
#define CHUNK_ROWS 5
#define CHUNK_MAX 2

typedef struct {
    stmt *s;
    entry *rows; /* copies, owned by the cursor */
    size_t n, at; /* at: 1-based current row, 0 before the first */
    int count; /* COUNT: one int64 column */
    char bad_text[4];
#ifdef KV_CHUNKS
    /* rows_next_chunk's output: the rows from `at` on, CHUNK_MAX at most.
     * Each array is one larger than a chunk, so that a misaligned pointer
     * into it stays inside. */
    keel_driver_vector vec[CHUNK_COLS];
    keel_driver_bytes t[CHUNK_MAX + 1], u[CHUNK_MAX + 1];
    int64_t nv[CHUNK_MAX + 1], tm[CHUNK_MAX + 1];
    uint8_t b[CHUNK_MAX + 1];
    int32_t d[CHUNK_MAX + 1];
    double f[CHUNK_MAX + 1];
    uint64_t valid;
    char text[CHUNK_MAX][8];
    uint8_t uuid[CHUNK_MAX][16];
    keel_driver_bytes *keys; /* the k vector of other cursors */
#endif
} rows;

static int32_t kv_query(void *sv, void **rows_out, keel_error **err_out) {
    stmt *s = sv;
    store *st = s->c->s;
    char key[256];
    if (s->op == BAD && strcmp(s->bad, "null_rows") == 0) { *rows_out = NULL; return KEEL_STATUS_OK; }
    if (s->op == PUT || s->op == DEL || s->op == FAIL) {
        keel_exec_result r;
        int32_t rc = kv_execute(sv, &r, err_out);
        if (rc != KEEL_STATUS_OK) return rc;
    }
    rows *r = calloc(1, sizeof *r);
    r->s = s;
    r->count = s->op == COUNT;
    pthread_mutex_lock(&st->lock);
    if (s->op == COUNT) {
        r->n = 1;
        r->rows = calloc(1, sizeof *r->rows);
        r->rows[0].v.kind = KEEL_TYPE_INT64;
        r->rows[0].v.int_value = (int64_t)st->n;
    } else if (s->op == CHUNK) {
        r->n = CHUNK_ROWS;
        r->rows = calloc(CHUNK_ROWS, sizeof *r->rows);
    } else if (s->op == ALL || s->op == BAD) {
        r->rows = calloc(st->n + 1, sizeof *r->rows);
        for (size_t i = 0; i < st->n; i++) {
            r->rows[i].key = strdup(st->e[i].key);
            r->rows[i].v = copy_value(&st->e[i].v);
        }
        r->n = st->n;
    } else if (s->op == GET && key_of(s, key, sizeof key)) {
        long at = find(st, key);
        r->rows = calloc(1, sizeof *r->rows);
        if (at >= 0) {
            r->rows[0].key = strdup(key);
            r->rows[0].v = copy_value(&st->e[at].v);
            r->n = 1;
        }
    }
    pthread_mutex_unlock(&st->lock);
    *rows_out = r;
    return KEEL_STATUS_OK;
}

static size_t kv_column_count(void *rv) {
    rows *r = rv;
    if (r->s->op == BAD && strcmp(r->s->bad, "many_columns") == 0) return (size_t)-1;
    if (r->s->op == CHUNK) return CHUNK_COLS;
    return r->count ? 1 : 2;
}

static int32_t kv_column(void *rv, size_t i, keel_driver_column *c, keel_error **err_out) {
    rows *r = rv;
    (void)err_out;
    if (r->count) {
        c->name = "n", c->name_len = 1, c->kind = KEEL_TYPE_INT64, c->engine_type = "INT64", c->nullable = KEEL_NULLABLE_NO;
        return KEEL_STATUS_OK;
    }
    if (r->s->op == CHUNK) {
        static const char *const names[CHUNK_COLS] = {"t", "n", "b", "d", "tm", "u", "f"};
        static const keel_type kinds[CHUNK_COLS] = {KEEL_TYPE_TEXT, KEEL_TYPE_INT64, KEEL_TYPE_BOOL, KEEL_TYPE_DATE,
                                                   KEEL_TYPE_TIME, KEEL_TYPE_UUID, KEEL_TYPE_DOUBLE};
        c->name = names[i], c->name_len = strlen(names[i]), c->kind = kinds[i], c->engine_type = NULL;
        c->nullable = i == 1 ? KEEL_NULLABLE_NO : KEEL_NULLABLE_YES;
        return KEEL_STATUS_OK;
    }
    if (r->s->op == BAD && strcmp(r->s->bad, "column_name_utf8") == 0) {
        c->name = "\xff\xfe", c->name_len = 2;
        return KEEL_STATUS_OK;
    }
    if (r->s->op == BAD && strcmp(r->s->bad, "column_name_nul") == 0) {
        /* UTF-8, but no C string. */
        c->name = "na\0me", c->name_len = 5;
        return KEEL_STATUS_OK;
    }
    if (r->s->op == BAD && strcmp(r->s->bad, "column_name_len") == 0) {
        /* A length no slice can have. */
        c->name = "k", c->name_len = SIZE_MAX;
        return KEEL_STATUS_OK;
    }
    if (r->s->op == BAD && strcmp(r->s->bad, "column_kind") == 0) {
        c->name = "k", c->name_len = 1, c->kind = 77;
        return KEEL_STATUS_OK;
    }
    if (i == 0) c->name = "k", c->name_len = 1, c->kind = KEEL_TYPE_TEXT, c->engine_type = "TEXT", c->nullable = KEEL_NULLABLE_NO;
    else c->name = "v", c->name_len = 1, c->kind = KEEL_TYPE_NULL, c->engine_type = NULL, c->nullable = KEEL_NULLABLE_YES;
    return KEEL_STATUS_OK;
}

#if defined(KV_DESCRIBE) || defined(KV_HALF_DESCRIBE)
/* A statement's columns before it runs: none for PUT, DEL and FAIL
 * (commands), else those its cursor will have; BAD describe_unknown
 * cannot tell, BAD describe_many claims too many. */
static int32_t kv_stmt_column_count(void *sv, size_t *count_out, keel_error **err_out) {
    stmt *s = sv;
    if (s->op == BAD && strcmp(s->bad, "describe_unknown") == 0)
        return fail(err_out, KEEL_STATUS_NOT_IMPLEMENTED, "0A000", 0, "kv: known only when it runs");
    if (s->op == BAD && strcmp(s->bad, "describe_many") == 0) { *count_out = (size_t)1 << 40; return KEEL_STATUS_OK; }
    if (s->op == PUT || s->op == DEL || s->op == FAIL) { *count_out = 0; return KEEL_STATUS_OK; }
    rows r = {0};
    r.s = s;
    r.count = s->op == COUNT;
    *count_out = kv_column_count(&r);
    return KEEL_STATUS_OK;
}

static int32_t kv_stmt_column(void *sv, size_t i, keel_driver_column *c, keel_error **err_out) {
    rows r = {0};
    r.s = sv;
    r.count = r.s->op == COUNT;
    return kv_column(&r, i, c, err_out);
}
#endif

static int32_t kv_next(void *rv, int32_t *has_row, keel_error **err_out) {
    rows *r = rv;
    (void)err_out;
    if (r->s->op == BAD && strcmp(r->s->bad, "has_row") == 0) { *has_row = 7; return KEEL_STATUS_OK; }
    if (r->s->op == BAD && strcmp(r->s->bad, "next_no_error") == 0) return KEEL_STATUS_IO;
    if (r->at < r->n) r->at++;
    else { r->at = r->n + 1; *has_row = 0; return KEEL_STATUS_OK; }
    *has_row = 1;
    return KEEL_STATUS_OK;
}

static int32_t kv_value(void *rv, size_t i, keel_value *v, keel_error **err_out) {
    rows *r = rv;
    entry *e = &r->rows[r->at - 1];
    (void)err_out;
    if (r->count) { *v = e->v; return KEEL_STATUS_OK; }
    if (r->s->op == BAD) {
        const char *b = r->s->bad;
        if (strcmp(b, "value_utf8") == 0 && i == 0) {
            memcpy(r->bad_text, "a\xc3(", 3);
            v->kind = KEEL_TYPE_TEXT, v->data = (const uint8_t *)r->bad_text, v->len = 3;
            return KEEL_STATUS_OK;
        }
        if (strcmp(b, "value_kind") == 0 && i == 1) { v->kind = 99; return KEEL_STATUS_OK; }
        if (strcmp(b, "value_bool") == 0 && i == 1) { v->kind = KEEL_TYPE_BOOL, v->int_value = 2; return KEEL_STATUS_OK; }
        if (strcmp(b, "value_decimal") == 0 && i == 1) { v->kind = KEEL_TYPE_DECIMAL, v->data = (const uint8_t *)"12x.4", v->len = 5; return KEEL_STATUS_OK; }
        if (strcmp(b, "value_null_data") == 0 && i == 1) { v->kind = KEEL_TYPE_BYTES, v->data = NULL, v->len = 5; return KEEL_STATUS_OK; }
        if (strcmp(b, "value_wrong_type") == 0 && i == 0) { v->kind = KEEL_TYPE_INT64, v->int_value = 1; return KEEL_STATUS_OK; }
        if (strcmp(b, "value_uuid") == 0 && i == 1) { v->kind = KEEL_TYPE_UUID, v->data = (const uint8_t *)"x", v->len = 1; return KEEL_STATUS_OK; }
    }
    if (i == 0) {
        v->kind = KEEL_TYPE_TEXT, v->data = (const uint8_t *)e->key, v->len = strlen(e->key);
    } else {
        *v = e->v;
    }
    return KEEL_STATUS_OK;
}

#ifdef KV_CHUNKS
/* rows_next_chunk. For CHUNK, row i (0-based) holds t "row<i>", n i * 10,
 * b i % 2, d 19000 + i, tm i seconds, u 16 bytes of i, f i / 2.0, and
 * row 3 is NULL but in n (its entries hold garbage keel must not read).
 * <how> breaks the first chunk: bad_bool, bad_utf8, null_data, uuid_len,
 * bad_time, misaligned, null_columns, null_vector, status. Every other
 * cursor comes as one chunk: k as bytes, v (of no declared type) NULL,
 * COUNT's n as int64. */
static int32_t kv_next_chunk(void *rv, keel_driver_chunk *chunk, keel_error **err_out) {
    rows *r = rv;
    memset(r->vec, 0, sizeof r->vec);
    if (r->s->op != CHUNK) {
        size_t n = r->at < r->n ? r->n - r->at : 0;
        if (n == 0) { chunk->rows = 0; return KEEL_STATUS_OK; }
        r->at = r->n;
        if (r->count) {
            r->vec[0].data = &r->rows[0].v.int_value;
        } else {
            free(r->keys);
            r->keys = calloc(n, sizeof *r->keys);
            for (size_t i = 0; i < n; i++) r->keys[i].data = (const uint8_t *)r->rows[i].key, r->keys[i].len = strlen(r->rows[i].key);
            r->vec[0].data = r->keys;
        }
        chunk->rows = n;
        chunk->columns = r->vec;
        return KEEL_STATUS_OK;
    }
    const char *how = r->s->bad;
    if (r->at == 0 && strcmp(how, "status") == 0) return fail(err_out, KEEL_STATUS_IO, "08006", 7, "kv: the chunk was lost");
    size_t n = r->n - r->at < CHUNK_MAX ? r->n - r->at : CHUNK_MAX;
    chunk->rows = n;
    if (n == 0) return KEEL_STATUS_OK;
    r->valid = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = r->at + j;
        if (i != 3) r->valid |= (uint64_t)1 << j;
        snprintf(r->text[j], sizeof r->text[j], "row%zu", i);
        r->t[j].data = (const uint8_t *)r->text[j], r->t[j].len = strlen(r->text[j]);
        r->nv[j] = (int64_t)i * 10;
        r->b[j] = (uint8_t)(i % 2);
        r->d[j] = 19000 + (int32_t)i;
        r->tm[j] = (int64_t)i * 1000000;
        memset(r->uuid[j], (int)i, 16);
        r->u[j].data = r->uuid[j], r->u[j].len = 16;
        r->f[j] = (double)i / 2.0;
        if (i == 3) { /* NULL: garbage keel must not read */
            r->t[j].data = NULL, r->t[j].len = 99;
            r->b[j] = 7, r->tm[j] = -5, r->u[j].len = 3;
        }
    }
    void *data[CHUNK_COLS] = {r->t, r->nv, r->b, r->d, r->tm, r->u, r->f};
    for (int c = 0; c < CHUNK_COLS; c++) {
        r->vec[c].data = data[c];
        r->vec[c].validity = c == 1 ? NULL : &r->valid;
    }
    chunk->columns = r->vec;
    if (r->at == 0) {
        if (strcmp(how, "bad_bool") == 0) r->b[1] = 2;
        if (strcmp(how, "bad_utf8") == 0) r->t[1].data = (const uint8_t *)"a\xc3(", r->t[1].len = 3;
        if (strcmp(how, "null_data") == 0) r->t[0].data = NULL;
        if (strcmp(how, "uuid_len") == 0) r->u[1].len = 15;
        if (strcmp(how, "bad_time") == 0) r->tm[0] = 86400000000;
        if (strcmp(how, "misaligned") == 0) r->vec[1].data = (const char *)r->nv + 1;
        if (strcmp(how, "null_columns") == 0) chunk->columns = NULL;
        if (strcmp(how, "null_vector") == 0) r->vec[3].data = NULL;
    }
    r->at += n;
    return KEEL_STATUS_OK;
}
#endif

static void kv_rows_free(void *rv) {
    rows *r = rv;
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].key);
        free_value(&r->rows[i].v);
    }
#ifdef KV_CHUNKS
    free(r->keys);
#endif
    free(r->rows);
    free(r);
}

/* ---- the table ------------------------------------------------------------ */

#if defined(KV_HALF_APPEND) || defined(KV_FIRST_SIZE)
/* Never called: a table with it alone is refused, and one whose size ends
 * before it is read without it. */
static int32_t kv_append_open(void *conn, const char *t, const char *const *c, size_t n, void **out, keel_error **err) {
    (void)conn, (void)t, (void)c, (void)n, (void)out;
    return fail(err, KEEL_STATUS_INTERNAL, NULL, 0, "kv: append_open was called");
}
#endif

static keel_driver_v1 table;

const keel_driver_v1 *kv_table(void);
const keel_driver_v1 *kv_table(void) {
    memset(&table, 0, sizeof table);
    table.size = sizeof table;
    table.abi_version = KEEL_DRIVER_ABI_VERSION;
#ifdef KV_ABI
    table.abi_version = KV_ABI;
#endif
#ifdef KV_SIZE
    table.size = KV_SIZE;
#endif
    table.flags = KEEL_DRIVER_SEVERAL_CURSORS;
#ifdef KV_ONE_CURSOR
    /* An engine that runs one result at a time. */
    table.flags = 0;
#endif
    table.name = KV_NAME;
#ifdef KV_SCHEMES
    table.schemes = KV_SCHEMES;
#else
    table.schemes = KV_NAME;
#endif
    table.user_data = &the_store;
    table.syntax_engine = "kv";
    table.placeholder_prefix = "$";
    table.connect = kv_connect;
    table.conn_free = kv_conn_free;
    table.conn_ping = kv_ping;
    table.conn_server_version = kv_version;
    table.conn_prepare = kv_prepare;
    table.conn_begin = kv_begin;
    table.conn_commit = kv_commit;
    table.conn_rollback = kv_rollback;
    table.conn_in_transaction = kv_in_tx;
    table.stmt_param_count = kv_param_count;
    table.stmt_bind = kv_bind;
    table.stmt_clear_bindings = kv_clear;
    table.stmt_execute = kv_execute;
    table.stmt_query = kv_query;
    table.stmt_free = kv_stmt_free;
    table.rows_column_count = kv_column_count;
    table.rows_column = kv_column;
    table.rows_next = kv_next;
#ifndef KV_MISSING
    table.rows_value = kv_value;
#else
    (void)kv_value;
#endif
    table.rows_free = kv_rows_free;
#ifdef KV_HALF_APPEND
    table.append_open = kv_append_open;
#endif
#ifdef KV_CHUNKS
    table.rows_next_chunk = kv_next_chunk;
#endif
#ifdef KV_DESCRIBE
    table.stmt_column_count = kv_stmt_column_count;
    table.stmt_column = kv_stmt_column;
#endif
#ifdef KV_HALF_DESCRIBE
    table.stmt_column_count = kv_stmt_column_count;
    (void)kv_stmt_column;
#endif
#ifdef KV_COLUMN_TYPE
    /* A column type keel must refuse, for KEEL_TYPE_TEXT. */
    static const char *types[KEEL_TYPE_DECIMAL + 1] = {NULL, "BOOL", "INT64", NULL, "DOUBLE", KV_COLUMN_TYPE};
    table.column_types = types;
#endif
#ifdef KV_CATALOG
    /* One catalog question answered, with KV_CATALOG. */
    static const char *queries[KEEL_CATALOG_QUESTIONS] = {[KEEL_CATALOG_TABLES] = KV_CATALOG};
    table.catalog_queries = queries;
#endif
#ifdef KV_FIRST_SIZE
    /* Built against the first keel_driver.h, whose table ended at
     * rows_free: keel must not read what lies past `size` (here an
     * append_open alone, which it would refuse). */
    table.size = offsetof(keel_driver_v1, rows_free) + sizeof table.rows_free;
    table.append_open = kv_append_open;
#endif
    return &table;
}

#ifndef KV_NO_ENTRY
const keel_driver_v1 *keel_driver_entry(const keel_driver_host *h);
const keel_driver_v1 *keel_driver_entry(const keel_driver_host *h) {
    host = h;
#ifdef KV_REFUSE
    return NULL;
#endif
    return kv_table();
}
#endif

/* What the native-client benches (net_bench.c, pool_bench.c) share: fatal
 * errors, clocks, keel call checks, big-endian reads, and the MySQL URL
 * parser the libmariadb side needs. Define BENCH_NAME (the program's name,
 * for messages) before including it. */
#ifndef KEEL_BENCH_COMMON_H
#define KEEL_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keel.h"

static void die(const char *what, const char *detail) {
    fprintf(stderr, BENCH_NAME ": %s: %s\n", what, detail ? detail : "");
    exit(1);
}

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void kdie(const char *what, keel_status st, keel_error *e) {
    fprintf(stderr, BENCH_NAME ": keel %s: %s: %s\n", what, keel_status_str(st), e ? keel_error_message(e) : "");
    keel_error_free(e);
    exit(1);
}

#define KTRY(what, call)                                                                                             \
    do {                                                                                                             \
        keel_error *e_ = NULL;                                                                                       \
        keel_status st_ = (call);                                                                                    \
        if (st_ != KEEL_STATUS_OK)                                                                                   \
            kdie(what, st_, e_);                                                                                     \
    } while (0)

static uint64_t be64(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static void pct_decode(char *dst, size_t cap, const char *s, size_t n) {
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            dst[j++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            dst[j++] = s[i];
        }
    }
    dst[j] = 0;
}

/* mysql://user:password@host:port/db (no query string), percent-decoded. */
typedef struct {
    char host[256], user[128], pass[128], db[128];
    unsigned port;
} my_url;

static my_url parse_mysql_url(const char *url) {
    my_url u = {.host = "127.0.0.1", .port = 3306};
    const char *p = strstr(url, "://");
    if (!p)
        die("bad MySQL URL", url);
    p += 3;
    const char *at = strchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon) {
            pct_decode(u.user, sizeof u.user, p, (size_t)(colon - p));
            pct_decode(u.pass, sizeof u.pass, colon + 1, (size_t)(at - colon - 1));
        } else {
            pct_decode(u.user, sizeof u.user, p, (size_t)(at - p));
        }
        p = at + 1;
    }
    const char *end = p + strcspn(p, "/?");
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (colon) {
        u.port = (unsigned)atoi(colon + 1);
        pct_decode(u.host, sizeof u.host, p, (size_t)(colon - p));
    } else if (end > p) {
        pct_decode(u.host, sizeof u.host, p, (size_t)(end - p));
    }
    if (*end == '/')
        pct_decode(u.db, sizeof u.db, end + 1, strcspn(end + 1, "?"));
    return u;
}

#endif

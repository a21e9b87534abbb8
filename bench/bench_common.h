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

/* Wall time, and the CPU time this process (every thread) used: on a busy
 * machine the CPU time shows the client's own cost more steadily. */
typedef struct {
    double wall, cpu;
} timing;

static inline double now(void) { return clock_s(CLOCK_MONOTONIC); }

static inline timing t_start(void) { return (timing){now(), clock_s(CLOCK_PROCESS_CPUTIME_ID)}; }

static inline timing t_since(timing t0) { return (timing){now() - t0.wall, clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0.cpu}; }

/* Best wall time and best CPU time, each over all runs. */
static inline void best(timing *b, timing t) {
    if (t.wall < b->wall)
        b->wall = t.wall;
    if (t.cpu < b->cpu)
        b->cpu = t.cpu;
}

/* Howard Hinnant's civil calendar algorithm: the date of day z since 1970-01-01. */
static inline void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
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

#ifdef _mysql_h
/* For the benches that include mysql.h before this header. */

/* A MYSQL_TIME of `us` microseconds since 1970 (a DATETIME). */
static inline void micros_to_mysql_time(int64_t us, MYSQL_TIME *t) {
    memset(t, 0, sizeof *t);
    int64_t days = us / INT64_C(86400000000), tod = us % INT64_C(86400000000);
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    t->year = (unsigned)y;
    t->month = m;
    t->day = d;
    int64_t s = tod / 1000000;
    t->hour = (unsigned)(s / 3600);
    t->minute = (unsigned)(s / 60 % 60);
    t->second = (unsigned)(s % 60);
    t->second_part = (unsigned long)(tod % 1000000);
    t->time_type = MYSQL_TIMESTAMP_DATETIME;
}

/* A libmariadb connection to `url` over TCP, in UTC as keel's sessions
 * are, so that both sides read and write the same values. */
static inline MYSQL *my_connect(const char *url) {
    my_url u = parse_mysql_url(url);
    MYSQL *m = mysql_init(NULL);
    unsigned proto = MYSQL_PROTOCOL_TCP;
    mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
    if (!mysql_real_connect(m, u.host, u.user, u.pass, u.db, u.port, NULL, 0))
        die("libmariadb connect", mysql_error(m));
    if (mysql_query(m, "SET time_zone = '+00:00'"))
        die("set time_zone", mysql_error(m));
    return m;
}

static inline void my_exec(MYSQL *m, const char *sql) {
    if (mysql_query(m, sql))
        die(sql, mysql_error(m));
}
#endif

#endif

/* The raw sqlite3 side of the SQLite benches (sqlite_bench.c,
 * ingest_bench.c) opens its connection the way keel's SQLite driver opens
 * its own (src/drivers/sqlite/mod.rs), so that both sides compare the same
 * SQLite in the same mode: multi-thread mode (NOMUTEX), URI names,
 * extended result codes, a busy timeout and foreign keys on. Include it
 * after sqlite3.h. Returns the sqlite3_open_v2 or PRAGMA result code;
 * *db is set either way (sqlite3_errmsg reads it). */
#ifndef KEEL_BENCH_SQLITE_OPEN_H
#define KEEL_BENCH_SQLITE_OPEN_H

static inline int open_as_keel(const char *uri, sqlite3 **db) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(uri, db, flags, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_timeout(*db, 5000);
    return sqlite3_exec(*db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
}

#endif

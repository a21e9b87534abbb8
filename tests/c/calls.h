/* What the C tests that call keel share, beside check.h: the last call's
 * error (`err`), CALL (the status of a call taking `&err` last, keeping
 * its error for a look; printed when KEEL_TEST_VERBOSE is set) and OK, and PostgreSQL in the clear for the suites
 * that run under valgrind. */
#ifndef KEEL_TEST_CALLS_H
#define KEEL_TEST_CALLS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"
#include "check.h"

static keel_error *err;

/* A failed call's message on stderr when KEEL_TEST_VERBOSE is set. */
static inline keel_status keel_test_call(keel_status st) {
    if (st != KEEL_STATUS_OK && err != NULL && getenv("KEEL_TEST_VERBOSE")) fprintf(stderr, "  %s\n", keel_error_message(err));
    return st;
}

#define CALL(expr) (keel_error_free(err), err = NULL, keel_test_call(expr))
#define OK(expr) CHECK(CALL(expr) == KEEL_STATUS_OK)

/* KEEL_TEST_POSTGRES_URL with sslmode=disable: under valgrind, ring's
 * assembly in the TLS layer shows false positives (tests/c/test_sigpipe.c
 * does the same; the Rust suites cover these promises over TLS). Needs
 * _POSIX_C_SOURCE 200809L for setenv. */
static inline void postgres_in_the_clear(void) {
    static char pg_url[1024];
    const char *pg = getenv("KEEL_TEST_POSTGRES_URL");
    if (pg != NULL && pg[0] != '\0' && strlen(pg) < sizeof pg_url - 32) {
        snprintf(pg_url, sizeof pg_url, "%s%csslmode=disable", pg, strchr(pg, '?') ? '&' : '?');
        setenv("KEEL_TEST_POSTGRES_URL", pg_url, 1);
    }
}

#endif

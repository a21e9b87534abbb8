/* What the C tests share: pass/fail counting with a CHECK macro that says
 * where a check failed, and KEEL_TEST_REQUIRE. Each test prints
 * "N passed, N failed" as its last line (scripts/test.sh counts those). */
#ifndef KEEL_TEST_CHECK_H
#define KEEL_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

/* Prefixes failure lines, e.g. with the engine under test. */
static const char *check_context = "";

#define CHECK(cond)                                                                                      \
    do {                                                                                                 \
        if (cond) {                                                                                      \
            passed++;                                                                                    \
        } else {                                                                                         \
            failed++;                                                                                    \
            fprintf(stderr, "%s:%d%s%s: check failed: %s\n", __FILE__, __LINE__, check_context[0] ? " " : "", \
                    check_context, #cond);                                                               \
        }                                                                                                \
    } while (0)

/* Whether KEEL_TEST_REQUIRE (comma-separated engine names; make test sets
 * it for the servers it starts) names `name`: then a server that is not
 * there is a failure, not a skip. */
static inline bool required(const char *name) {
    const char *req = getenv("KEEL_TEST_REQUIRE");
    size_t n = strlen(name);
    for (const char *p = req; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

#endif

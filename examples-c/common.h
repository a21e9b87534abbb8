/* Shared helper for the keel C examples: print an error and exit. */
#ifndef KEEL_EXAMPLES_COMMON_H
#define KEEL_EXAMPLES_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "keel.h"

/* If status is not OK, print what went wrong (from err when there is one),
 * free err and exit(1). */
static inline void die_on_error(const char *what, keel_status status, keel_error *err) {
    if (status == KEEL_STATUS_OK) {
        return;
    }
    fprintf(stderr, "%s failed: %s: %s\n", what, keel_status_str(status),
            err ? keel_error_message(err) : "(no details)");
    keel_error_free(err);
    exit(1);
}

#endif

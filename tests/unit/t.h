/*
 * t.h - the unit-test harness: a test is a function, a file is a program.
 *
 * Each T_RUN prints "ok - FILE/NAME" or "not ok - FILE/NAME" followed by the
 * failed checks; tests/run.sh counts those lines. A check that fails marks
 * the test failed and continues, so one run shows every broken expectation.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>
#include <stdint.h>

static int t_failed_checks; /* in the current test */
static int t_total_failed;  /* tests failed in this program */

#define T_CHECK(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            t_failed_checks++;                                                                     \
            printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                   \
        }                                                                                          \
    } while (0)

#define T_STREQ(got, want)                                                                         \
    do {                                                                                           \
        const char *t_g_ = (got), *t_w_ = (want);                                                  \
        if (!t_g_ || !t_w_ || strcmp(t_g_, t_w_) != 0) {                                           \
            t_failed_checks++;                                                                     \
            printf("#   %s:%d: %s\n#     got:  \"%s\"\n#     want: \"%s\"\n", __FILE__, __LINE__,  \
                   #got, t_g_ ? t_g_ : "(null)", t_w_ ? t_w_ : "(null)");                          \
        }                                                                                          \
    } while (0)

#define T_INTEQ(got, want)                                                                         \
    do {                                                                                           \
        long long t_g_ = (long long)(got), t_w_ = (long long)(want);                               \
        if (t_g_ != t_w_) {                                                                        \
            t_failed_checks++;                                                                     \
            printf("#   %s:%d: %s\n#     got:  %lld\n#     want: %lld\n", __FILE__, __LINE__,      \
                   #got, t_g_, t_w_);                                                              \
        }                                                                                          \
    } while (0)

#define T_RUN(fn)                                                                                  \
    do {                                                                                           \
        t_failed_checks = 0;                                                                       \
        fn();                                                                                      \
        printf("%s - %s/%s\n", t_failed_checks ? "not ok" : "ok", T_SUITE, #fn);                   \
        if (t_failed_checks) t_total_failed++;                                                     \
        fflush(stdout);                                                                            \
    } while (0)

#define T_END() return t_total_failed ? 1 : 0

#endif

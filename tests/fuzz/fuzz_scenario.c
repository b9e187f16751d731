/* Fuzzes the load tester's scenario reading (loadtest/src/scenario.c): a whole file through
 * gxlt_scenario_parse, or one --field value flag through gxlt_scenario_set. Whatever is
 * accepted must hold the documented ranges, and the arrival rate stays within the profile. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "scenario.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void check_accepted(const gxlt_scenario *s)
{
    char err[300];
    CHECK(s->capacity >= 1 && s->capacity <= 10 && s->open_share <= 1 && s->connect_rate > 0);
    CHECK(s->wave_interval_s >= 1 && s->wave_interval_s <= 3600 && s->wave_size <= 1000);
    CHECK(s->nprofile >= 1 && s->nprofile <= GXLT_PROFILE_MAX);
    CHECK(s->nslo >= 0 && s->nslo <= GXLT_SLO_MAX);
    CHECK(strlen(s->name) < sizeof(s->name) && strlen(s->brand) < sizeof(s->brand));
    double lo = s->profile[0].rate, hi = lo;
    for (int i = 0; i < s->nprofile; i++) {
        CHECK(s->profile[i].rate >= 0);
        CHECK(i == 0 || s->profile[i].at_s > s->profile[i - 1].at_s);
        lo = fmin(lo, s->profile[i].rate);
        hi = fmax(hi, s->profile[i].rate);
    }
    /* the tester schedules by this: it must be a rate the profile names or lies between
     * (give or take rounding: a + (b - a) * 1 need not be b exactly) */
    const double ts[] = {-1, 0, 0.5, 1, 7.25, 60, 3600, 1e9, s->profile[s->nprofile - 1].at_s};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        double r = gxlt_scenario_rate(s, ts[i]);
        CHECK(isfinite(r) && r >= lo - 1e-9 * hi && r <= hi + 1e-9 * hi);
    }
    gxlt_scenario_validate(s, err, sizeof(err));
}

/* First byte even: a scenario file. Odd: "name=value" as from the command line. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    gxlt_scenario s;
    char err[300];
    gxlt_scenario_defaults(&s);
    if (data[0] & 1) {
        char *eq = strchr(text, '=');
        if (eq) {
            *eq = '\0';
            if (gxlt_scenario_set(&s, text, eq + 1, err, sizeof(err)) == 0)
                check_accepted(&s);
        }
    } else if (gxlt_scenario_parse(&s, text, err, sizeof(err)) == 0) {
        check_accepted(&s);
    }
    free(text);
    return 0;
}

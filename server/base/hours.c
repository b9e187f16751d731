/* Business hours: validation of the weekly schedule and whether it is open now (hours.h). */
#include <stdio.h>
#include <string.h>
#include "gigcx/hours.h"

#define GX_HOURS_RANGES_MAX 8

static const char *const days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* "HH:MM" as minutes of the day (0..1440), or -1. */
static int hhmm_str(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m))
        return -1;
    return h * 60 + m;
}

static int hhmm(json_t *v)
{
    return hhmm_str(json_string_value(v));
}

/* "+HH:MM" / "-HH:MM" as minutes east of UTC; *ok false when malformed or past 14:00. */
static int offset_min(json_t *v, bool *ok)
{
    const char *s = json_string_value(v);
    *ok = false;
    if (!s || strlen(s) != 6 || (s[0] != '+' && s[0] != '-'))
        return 0;
    int mins = hhmm_str(s + 1);
    if (mins < 0 || mins > 14 * 60)
        return 0;
    *ok = true;
    return s[0] == '-' ? -mins : mins;
}

static bool valid_day(json_t *d)
{
    size_t i;
    json_t *r;
    if (!json_is_array(d) || json_array_size(d) > GX_HOURS_RANGES_MAX)
        return false;
    json_array_foreach(d, i, r)
    {
        if (!json_is_array(r) || json_array_size(r) != 2)
            return false;
        int a = hhmm(json_array_get(r, 0)), b = hhmm(json_array_get(r, 1));
        if (a < 0 || b < 0 || a >= b)
            return false;
    }
    return true;
}

static int day_index(const char *k)
{
    for (int i = 0; i < 7; i++)
        if (strcmp(k, days[i]) == 0)
            return i;
    return -1;
}

bool gx_hours_valid(json_t *h, char *why, size_t whylen)
{
    const char *k;
    json_t *v;
    bool ok = json_is_object(h);
    if (ok)
        offset_min(json_object_get(h, "utc_offset"), &ok);
    if (ok) {
        json_object_foreach(h, k, v)
        {
            if (strcmp(k, "utc_offset") != 0 && (day_index(k) < 0 || !valid_day(v)))
                ok = false;
        }
    }
    if (!ok)
        snprintf(why, whylen,
                 "'business_hours' must be {\"utc_offset\": \"+HH:MM\", \"mon\".. \"sun\": "
                 "[[\"HH:MM\", \"HH:MM\"], ...]}: at most %d ranges a day, each start before "
                 "its end",
                 GX_HOURS_RANGES_MAX);
    return ok;
}

bool gx_hours_open(json_t *h, int64_t now_ms)
{
    bool ok;
    int off = offset_min(json_object_get(h, "utc_offset"), &ok);
    if (!ok)
        return false;
    int64_t local_min = now_ms / 60000 + off;
    int64_t day = local_min / 1440; /* days since 1970-01-01, a Thursday */
    int minute = (int)(local_min % 1440);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(h, days[(day + 3) % 7]), i, r)
    {
        int a = hhmm(json_array_get(r, 0)), b = hhmm(json_array_get(r, 1));
        if (minute >= a && minute < b)
            return true;
    }
    return false;
}

/* A brand's business hours: a weekly schedule at a fixed UTC offset,
 * {"utc_offset": "+01:00", "mon": [["09:00", "17:30"]], ..., "sun": []}. A fixed offset, not an
 * IANA zone: no tz database (TZ is process-wide state, and its files differ between hosts), so
 * the answer is the same on every node; a brand that follows summer time puts the offset twice
 * a year. Pure functions. */
#ifndef GIGCX_HOURS_H
#define GIGCX_HOURS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Whether h is a valid schedule: an object with "utc_offset" ("+HH:MM" or "-HH:MM", at most
 * 14:00) and only the day keys mon..sun, each an array of at most 8 ["HH:MM", "HH:MM"]
 * ranges with start < end ("24:00" may end a day). why says what is wrong. */
bool gx_hours_valid(json_t *h, char *why, size_t whylen);
/* Whether the valid schedule h is open at now_ms (Unix ms). */
bool gx_hours_open(json_t *h, int64_t now_ms);

#endif

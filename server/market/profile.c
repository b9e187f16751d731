/* An expert's profile as the admin API stored it (gx:expert:<id>), in the forms the hot
 * paths want: ",a,b," strings for substring checks and the claim script, and the
 * reputation figures the wave score is computed from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/request.h"
#include "gigcx/session.h"

static void split_csv_array(json_t *arr, char **csv, char ***items, int *n)
{
    size_t cap = 2, i;
    json_t *v;
    json_array_foreach(arr, i, v) cap += json_string_length(v) + 1;
    *csv = calloc(1, cap + 1);
    if (!*csv)
        return;
    strcpy(*csv, ",");
    if (items)
        *items = calloc(json_array_size(arr) + 1, sizeof(char *));
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            continue;
        strcat(*csv, json_string_value(v));
        strcat(*csv, ",");
        if (items && *items)
            (*items)[(*n)++] = strdup(json_string_value(v));
    }
}

static int64_t int_field(const redisReply *h, const char *f)
{
    const char *v = gx_reply_field(h, f);
    return v ? atoll(v) : 0;
}

void gx_profile_rep(gx_profile *p, const redisReply *h)
{
    p->rating_sum = int_field(h, "rating_sum");
    p->rating_n = int_field(h, "rating_n");
    p->last_end_s = int_field(h, "last_end");
    const char *recent = gx_reply_field(h, "recent");
    snprintf(p->recent, sizeof(p->recent), "%s", recent ? recent : "");
}

void gx_profile_load(gx_profile *p, gx_role role, const char *brand, const redisReply *h)
{
    if (role == GX_ROLE_STAFF) {
        json_t *b = json_pack("[s]", brand);
        split_csv_array(b, &p->brands_csv, &p->brands, &p->nbrands);
        json_decref(b);
        p->langs_csv = strdup(",");
        p->skills_csv = strdup(",");
        p->tier = 2;
        p->capacity = 10;
        return;
    }
    static const char *const fields[] = {"brands", "languages", "skills"};
    char **csv[] = {&p->brands_csv, &p->langs_csv, &p->skills_csv};
    for (int i = 0; i < 3; i++) {
        const char *text = gx_reply_field(h, fields[i]);
        json_t *arr = text ? json_loads(text, 0, NULL) : NULL;
        if (!json_is_array(arr)) {
            json_decref(arr);
            arr = json_array();
        }
        split_csv_array(arr, csv[i], i == 0 ? &p->brands : NULL, &p->nbrands);
        json_decref(arr);
    }
    const char *tier = gx_reply_field(h, "tier"), *cap = gx_reply_field(h, "capacity");
    p->tier = tier ? atoi(tier) : 1;
    p->capacity = cap ? atoi(cap) : 1;
    if (p->capacity < 1)
        p->capacity = 1;
    gx_profile_rep(p, h);
}

void gx_profile_free(gx_profile *p)
{
    free(p->brands_csv);
    free(p->langs_csv);
    free(p->skills_csv);
    for (int i = 0; i < p->nbrands; i++)
        free(p->brands[i]);
    free(p->brands);
    memset(p, 0, sizeof(*p));
}

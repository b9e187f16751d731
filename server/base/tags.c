/* Words as bits (see gigcx/tags.h). */
#include <stdint.h>
#include <string.h>
#include "gigcx/tags.h"

int gx_tags_bit(gx_tags *t, const char *word, bool add)
{
    intptr_t v = (intptr_t)gx_map_get(&t->bits, word);
    if (v > 0)
        return (int)v - 1;
    if (!add || t->n == GX_TAGS_MAX || gx_map_set(&t->bits, word, (void *)(intptr_t)(t->n + 1)))
        return -1;
    return t->n++;
}

uint64_t gx_tags_mask(gx_tags *t, const char *csv, bool *spill)
{
    uint64_t mask = 0;
    char word[128];
    for (const char *p = csv; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len >= sizeof(word)) {
            *spill = true;
        } else if (len > 0) {
            memcpy(word, p, len);
            word[len] = '\0';
            int bit = gx_tags_bit(t, word, true);
            if (bit < 0)
                *spill = true;
            else
                mask |= UINT64_C(1) << bit;
        }
        p = end ? end + 1 : NULL;
    }
    return mask;
}

void gx_tags_free(gx_tags *t)
{
    gx_map_free(&t->bits);
    t->n = 0;
}

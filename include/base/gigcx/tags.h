/* Languages and skills as bits: the words experts' profiles name, numbered as they are
 * first seen (at most 64 per process), so checking an expert against an offer's language
 * and topic is two bit tests instead of two substring searches. A wave looks at every
 * local expert of its brand; with thousands, the searches were most of its cost. */
#ifndef GIGCX_TAGS_H
#define GIGCX_TAGS_H

#include <stdbool.h>
#include <stdint.h>
#include "gigcx/map.h"

#define GX_TAGS_MAX 64

typedef struct {
    gx_map bits; /* word -> its bit number + 1 */
    int n;
} gx_tags;

/* The bit of word, numbered now if add and there is room; -1 when it has none. */
int gx_tags_bit(gx_tags *t, const char *word, bool add);
/* The bits of the words of a ",a,b," list, numbering new ones; *spill when some word got
 * no bit (its owner is then checked with a substring search). */
uint64_t gx_tags_mask(gx_tags *t, const char *csv, bool *spill);
void gx_tags_free(gx_tags *t);

#endif

/* A JSON object writer for the hottest frames (chat.ack, one per chat message). jansson
 * builds a hash table per object and, on every dump, formats pointers for its loop check:
 * about 20,000 instructions for a frame this writes in a few hundred. Output is byte for
 * byte what json_dumps(JSON_COMPACT) gives (tests/unit/test_jw.c). Keys are literals the
 * caller vouches for; values are escaped. */
#ifndef GIGCX_JW_H
#define GIGCX_JW_H

#include <stdbool.h>
#include <stddef.h>
#include "gigcx/buf.h"

typedef struct {
    gx_buf *b; /* the frame being written, owned until gx_jw_end */
    size_t cap;
    bool oom;
} gx_jw;

/* Starts an object, room for about hint bytes. */
void gx_jw_begin(gx_jw *w, size_t hint);
void gx_jw_str(gx_jw *w, const char *key, const char *val);
void gx_jw_int(gx_jw *w, const char *key, long long val);
/* Closes the object: the frame with one reference, or NULL when out of memory. */
gx_buf *gx_jw_end(gx_jw *w);

#endif

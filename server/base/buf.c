/* Refcounted outgoing frames. Single-threaded by design: the loop is the only user. */
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include "gigcx/buf.h"

_Static_assert(GX_BUF_PRE == LWS_PRE, "GX_BUF_PRE must equal LWS_PRE");

gx_buf *gx_buf_new(const char *text, size_t len)
{
    gx_buf *b = malloc(sizeof(*b) + GX_BUF_PRE + len + 1);
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = len;
    memcpy(b->data + GX_BUF_PRE, text, len);
    b->data[GX_BUF_PRE + len] = '\0';
    return b;
}

gx_buf *gx_buf_json(const json_t *j)
{
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return NULL;
    gx_buf *b = malloc(sizeof(*b) + GX_BUF_PRE + n + 1);
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = json_dumpb(j, (char *)b->data + GX_BUF_PRE, n, JSON_COMPACT);
    b->data[GX_BUF_PRE + b->len] = '\0';
    return b;
}

void gx_buf_unref(gx_buf *b)
{
    if (b && --b->refs == 0)
        free(b);
}

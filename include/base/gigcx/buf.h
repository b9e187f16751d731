/* Refcounted outgoing frames: a JSON text built once and shared by every socket it is
 * queued on (a fan-out to 10,000 experts is one allocation). LWS_PRE headroom is kept in
 * front of the text so lws_write can frame it in place. */
#ifndef GIGCX_BUF_H
#define GIGCX_BUF_H

#include <stddef.h>
#include <jansson.h>

typedef struct gx_buf {
    int refs;
    size_t len;           /* bytes of text after the headroom */
    unsigned char data[]; /* GX_BUF_PRE bytes of headroom, then len bytes, then NUL */
} gx_buf;

#define GX_BUF_PRE 16 /* == LWS_PRE for lws 4.1; checked by a static assert in buf.c */

/* Copies len bytes of text into a new buffer with one reference. NULL when out of memory. */
gx_buf *gx_buf_new(const char *text, size_t len);
/* Encodes j compactly into a new buffer with one reference. NULL on failure. */
gx_buf *gx_buf_json(const json_t *j);
static inline char *gx_buf_text(gx_buf *b)
{
    return (char *)b->data + GX_BUF_PRE;
}
static inline gx_buf *gx_buf_ref(gx_buf *b)
{
    b->refs++;
    return b;
}
/* Drops one reference, freeing at zero; accepts NULL. */
void gx_buf_unref(gx_buf *b);

#endif

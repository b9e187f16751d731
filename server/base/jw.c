/* JSON object writer (see gigcx/jw.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/jw.h"
#include "gigcx/resp.h"

static char *room(gx_jw *w, size_t n)
{
    if (w->oom)
        return NULL;
    if (w->b->len + n + 1 > w->cap) {
        size_t cap = (w->b->len + n + 1) * 2;
        gx_buf *b = realloc(w->b, sizeof(*b) + GX_BUF_PRE + cap);
        if (!b) {
            w->oom = true;
            return NULL;
        }
        w->b = b;
        w->cap = cap;
    }
    return gx_buf_text(w->b) + w->b->len;
}

static void put(gx_jw *w, const char *s, size_t n)
{
    char *p = room(w, n);
    if (p) {
        memcpy(p, s, n);
        w->b->len += n;
    }
}

void gx_jw_begin(gx_jw *w, size_t hint)
{
    w->cap = hint < 16 ? 16 : hint;
    w->oom = false;
    w->b = malloc(sizeof(*w->b) + GX_BUF_PRE + w->cap);
    if (!w->b) {
        w->oom = true;
        return;
    }
    w->b->refs = 1;
    w->b->len = 0;
    put(w, "{", 1);
}

/* "key": with the comma before it when it is not the first. */
static void key(gx_jw *w, const char *k)
{
    if (w->oom)
        return;
    if (w->b->len > 1)
        put(w, ",", 1);
    put(w, "\"", 1);
    put(w, k, strlen(k));
    put(w, "\":", 2);
}

/* Escapes as jansson does: quote, backslash, the short forms, \u00XX for other control
 * characters; everything else (UTF-8 included) as it is. */
static void escaped(gx_jw *w, const char *s)
{
    put(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, run, (size_t)(s - run));
        run = s + 1;
        char e[8];
        const char *shortf = c == '"'    ? "\\\""
                             : c == '\\' ? "\\\\"
                             : c == '\b' ? "\\b"
                             : c == '\f' ? "\\f"
                             : c == '\n' ? "\\n"
                             : c == '\r' ? "\\r"
                             : c == '\t' ? "\\t"
                                         : NULL;
        if (!shortf) {
            snprintf(e, sizeof(e), "\\u%04X", c);
            shortf = e;
        }
        put(w, shortf, strlen(shortf));
    }
    put(w, run, (size_t)(s - run));
    put(w, "\"", 1);
}

void gx_jw_str(gx_jw *w, const char *k, const char *val)
{
    key(w, k);
    if (!w->oom)
        escaped(w, val);
}

void gx_jw_int(gx_jw *w, const char *k, long long val)
{
    char n[24];
    key(w, k);
    size_t neg = val < 0;
    n[0] = '-';
    /* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
    uint64_t mag = neg ? 0 - (uint64_t)val : (uint64_t)val;
    put(w, n, neg + gx_resp_u64_dec(n + neg, mag));
}

gx_buf *gx_jw_end(gx_jw *w)
{
    put(w, "}", 1);
    if (w->oom) {
        free(w->b);
        w->b = NULL;
        return NULL;
    }
    gx_buf_text(w->b)[w->b->len] = '\0';
    gx_buf *b = w->b;
    w->b = NULL;
    return b;
}

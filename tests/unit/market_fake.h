/* Fake Redis replies for the market's unit tests (which include a market .c file, h2o's
 * t/00unit style, to test its static functions without a server). */
#ifndef GXT_MARKET_FAKE_H
#define GXT_MARKET_FAKE_H

#include <string.h>
#include <hiredis/hiredis.h>

#define GXT_FAKE_MAX 16

typedef struct {
    redisReply top;
    redisReply el[GXT_FAKE_MAX];
    redisReply *ptr[GXT_FAKE_MAX];
} gxt_fake_reply;

/* An array reply of n strings ("" stands for nil). */
static inline const redisReply *gxt_fake(gxt_fake_reply *f, int n, const char *const *v)
{
    memset(f, 0, sizeof(*f));
    f->top.type = REDIS_REPLY_ARRAY;
    f->top.elements = (size_t)n;
    f->top.element = f->ptr;
    for (int i = 0; i < n; i++) {
        f->el[i].type = v[i][0] ? REDIS_REPLY_STRING : REDIS_REPLY_NIL;
        f->el[i].str = (char *)v[i];
        f->el[i].len = strlen(v[i]);
        f->ptr[i] = &f->el[i];
    }
    return &f->top;
}

#endif

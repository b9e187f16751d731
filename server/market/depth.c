/* Queue depths per brand (see depth.h): SMEMBERS of the brands, then one pipelined ZCARD
 * per queue; replies come in order, and the last one renders the text. */
#include "gigcx/keys.h"
#include "gigcx/depth.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/request.h"
#include "gigcx/util.h"

#define GX_DEPTH_BRANDS_MAX 1000 /* a scrape stays small, however many brands */

typedef struct {
    gx_server *srv;
    int n, left;
    char (*brand)[65];
    long long (*depth)[2]; /* experts, escalated */
} gx_depth_read;

static void render(gx_depth_read *d)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        /* Redis's queues, not this node's: every node reports the same figures, labelled
         * scope="cluster" so nobody sums them over nodes */
        fputs("# HELP gigcx_queue_depth Tasks waiting per brand and queue, over every node (as "
              "of the last housekeeping read; the same on every node).\n"
              "# TYPE gigcx_queue_depth gauge\n",
              f);
        for (int i = 0; i < d->n; i++) {
            fprintf(f, "gigcx_queue_depth{brand=\"%s\",queue=\"experts\",scope=\"cluster\"} %lld\n",
                    d->brand[i], d->depth[i][0]);
            fprintf(f,
                    "gigcx_queue_depth{brand=\"%s\",queue=\"escalated\",scope=\"cluster\"} %lld\n",
                    d->brand[i], d->depth[i][1]);
        }
        fclose(f);
    }
    if (text) {
        free(d->srv->depth_text);
        d->srv->depth_text = text;
    }
}

static void done(gx_depth_read *d)
{
    d->srv->depth_reading = false;
    free(d->brand);
    free(d->depth);
    free(d);
}

typedef struct {
    gx_depth_read *d;
    long long *slot;
} gx_depth_call;

static void on_depth(redisReply *r, void *priv)
{
    gx_depth_call *c = priv;
    gx_depth_read *d = c->d;
    if (r && r->type == REDIS_REPLY_INTEGER)
        *c->slot = r->integer;
    free(c);
    if (--d->left > 0)
        return;
    render(d);
    done(d);
}

static void on_brands(redisReply *r, void *priv)
{
    gx_depth_read *d = priv;
    size_t n = r && r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
    if (n > GX_DEPTH_BRANDS_MAX)
        n = GX_DEPTH_BRANDS_MAX;
    d->brand = calloc(n ? n : 1, sizeof(*d->brand));
    d->depth = calloc(n ? n : 1, sizeof(*d->depth));
    for (size_t i = 0; d->brand && d->depth && i < n; i++)
        if (gx_id_valid(r->element[i]->str))
            gx_str_copy(d->brand[d->n++], r->element[i]->str, sizeof(d->brand[0]));
    d->left = 1; /* held until every read is sent */
    for (int i = 0; i < 2 * d->n; i++) {
        gx_depth_call *c = malloc(sizeof(*c));
        if (!c)
            break;
        *c = (gx_depth_call){d, &d->depth[i / 2][i % 2]};
        d->left++;
        if (gx_redis_cmd(d->srv->redis, on_depth, c, "ZCARD " GX_KEY_BRAND_QUEUE, d->brand[i / 2],
                         i % 2 ? "esc" : "q")) {
            d->left--;
            free(c);
            break;
        }
    }
    if (--d->left == 0) {
        if (r)
            render(d);
        done(d);
    }
}

void gx_depth_refresh(gx_server *srv)
{
    if (srv->depth_reading)
        return;
    gx_depth_read *d = calloc(1, sizeof(*d));
    if (!d)
        return;
    d->srv = srv;
    srv->depth_reading = true;
    if (gx_redis_cmd(srv->redis, on_brands, d, "SMEMBERS " GX_KEY_BRANDS))
        done(d);
}

const char *gx_depth_text(const gx_server *srv)
{
    return srv->depth_text ? srv->depth_text : "";
}

void gx_depth_free(gx_server *srv)
{
    free(srv->depth_text);
    srv->depth_text = NULL;
}

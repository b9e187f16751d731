/* Gathering the replies of several pipelined Redis commands for one HTTP request into a
 * JSON array, then shaping them into the answer once the last one is in. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/gather.h"

typedef struct {
    gx_gather *g;
    size_t slot;
} gx_slot;

/* A Redis reply as JSON: strings, integers, arrays; nil is null. */
static json_t *reply_json(const redisReply *rep)
{
    switch (rep ? rep->type : REDIS_REPLY_NIL) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        return json_stringn(rep->str, rep->len);
    case REDIS_REPLY_INTEGER:
        return json_integer(rep->integer);
    case REDIS_REPLY_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; i < rep->elements; i++)
            json_array_append_new(a, reply_json(rep->element[i]));
        return a;
    }
    default:
        return json_null();
    }
}

void gx_gather_finish(gx_gather *g)
{
    if (--g->pending > 0)
        return;
    if (g->failed)
        gx_http_error(g->r, GX_EUNAVAIL, "storage unavailable");
    else
        g->done(g);
    gx_http_unref(g->r);
    json_decref(g->replies);
    json_decref(g->ctx);
    free(g);
}

static void on_slot(redisReply *rep, void *priv)
{
    gx_slot *s = priv;
    if (!rep || rep->type == REDIS_REPLY_ERROR)
        s->g->failed = true;
    json_array_set_new(s->g->replies, s->slot, reply_json(rep));
    gx_gather_finish(s->g);
    free(s);
}

gx_gather *gx_gather_new(gx_http_req *r, gx_gather_done done)
{
    gx_gather *g = calloc(1, sizeof(*g));
    if (!g) {
        gx_http_error(r, GX_EINTERNAL, "out of memory");
        return NULL;
    }
    *g = (gx_gather){.r = gx_http_ref(r), .replies = json_array(), .pending = 1, .done = done};
    return g;
}

/* Queues one command (C-string arguments) whose reply lands in the next slot. */
void gx_gather_cmd(gx_gather *g, int argc, const char **argv)
{
    gx_slot *s = malloc(sizeof(*s));
    size_t slot = json_array_size(g->replies);
    json_array_append_new(g->replies, json_null());
    if (!s) {
        g->failed = true;
        return;
    }
    *s = (gx_slot){g, slot};
    g->pending++;
    if (gx_redis_argv(gx_req_srv(g->r)->redis, on_slot, s, argc, argv, NULL)) {
        g->failed = true;
        g->pending--;
        free(s);
    }
}

void gx_gather_key(gx_gather *g, const char *cmd, const char *fmt, const char *id)
{
    char key[128];
    snprintf(key, sizeof(key), fmt, id);
    const char *argv[] = {cmd, key};
    gx_gather_cmd(g, 2, argv);
}

const char *gx_gather_flat_field(json_t *flat, const char *f)
{
    for (size_t i = 0; i + 1 < json_array_size(flat); i += 2)
        if (strcmp(json_string_value(json_array_get(flat, i)) ?: "", f) == 0)
            return json_string_value(json_array_get(flat, i + 1));
    return NULL;
}

/* Offline messages (offline.h): the replies to a resolved one go to the brand's webhook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/offline.h"
#include "gigcx/outbox.h"
#include "gigcx/redis.h"
#include "gigcx/reply.h"
#include "gigcx/util.h"

/* At most this many replies go into the event (a chat holds up to 2,000 messages). */
#define GX_OFFLINE_REPLIES_MAX 50

typedef struct {
    gx_server *srv;
    char brand[65], task[65];
} gx_offline_ctx;

/* One chat entry's field (entries are [id, [field, value, ...]]). */
static const char *entry_field(const redisReply *e, const char *f)
{
    const redisReply *kv = e->type == REDIS_REPLY_ARRAY && e->elements == 2 ? e->element[1] : NULL;
    for (size_t i = 0; kv && kv->type == REDIS_REPLY_ARRAY && i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, f) == 0)
            return kv->element[i + 1]->type == REDIS_REPLY_STRING ? kv->element[i + 1]->str : NULL;
    return NULL;
}

/* The chat, oldest first: every text an expert or staff member wrote is a reply. */
static void on_chat(redisReply *r, void *priv)
{
    gx_offline_ctx *c = priv;
    json_t *replies = json_array();
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const char *role = entry_field(r->element[i], "r"), *text = entry_field(r->element[i], "x");
        if (role && text && strcmp(role, "customer") != 0 &&
            json_array_size(replies) < GX_OFFLINE_REPLIES_MAX)
            json_array_append_new(replies, json_string(text));
    }
    if (r && r->type == REDIS_REPLY_ARRAY) /* name and e-mail come from the task (outbox.c) */
        gx_outbox_emit(c->srv, c->brand, "task.offline_reply", c->task,
                       json_pack("{s:o}", "replies", replies));
    else
        json_decref(replies);
    free(c);
}

static void on_flag(redisReply *r, void *priv)
{
    gx_offline_ctx *c = priv;
    char chat[96];
    snprintf(chat, sizeof(chat), GX_KEY_CHAT, c->task);
    if (!r || r->type != REDIS_REPLY_STRING || strcmp(r->str, "1") != 0 ||
        gx_redis_cmd(c->srv->redis, on_chat, c, "XRANGE %s - + COUNT 2000", chat))
        free(c);
}

void gx_offline_resolved(gx_server *srv, const char *brand, const char *task)
{
    gx_offline_ctx *c = calloc(1, sizeof(*c));
    if (!c || !gx_id_valid(brand) || !gx_id_valid(task)) {
        free(c);
        return;
    }
    c->srv = srv;
    snprintf(c->brand, sizeof(c->brand), "%s", brand);
    snprintf(c->task, sizeof(c->task), "%s", task);
    if (gx_redis_cmd(srv->redis, on_flag, c, "HGET " GX_KEY_TASK " offline", task))
        free(c);
}

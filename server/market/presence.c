/* Presence: available/away and capacity for experts and staff, the local brand lists that
 * offers are routed through, and heartbeats in Redis (a sorted set by last beat plus a
 * hash per expert) so any node can see who is around. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/presence.h"
#include "gigcx/keys.h"
#include "gigcx/error.h"
#include "gigcx/offer.h"
#include "gigcx/request.h"
#include "gigcx/util.h"

#define GX_PRES_TTL_S 86400

static bool wants_offers(const gx_session *s)
{
    return s->available && s->held + s->claiming < s->capacity;
}

void gx_presence_refresh(gx_session *s)
{
    if (gx_session_live(s) && wants_offers(s)) {
        gx_session_list_available(s);
        gx_pull_room(s);
    } else
        gx_session_unlist_available(s);
}

/* The brands' sets of experts online, busy or not, for the widget's availability: read there
 * together with GX_KEY_PRESENCE, so an expert whose node died stops counting at the absent
 * sweep. */
static void store_online(gx_session *s, bool on)
{
    if (s->who.role != GX_ROLE_EXPERT)
        return;
    for (int i = 0; i < s->prof.nbrands; i++)
        if (on)
            gx_redis_cmd(s->srv->redis, NULL, NULL, "ZADD " GX_KEY_ONLINE " %lld %s",
                         s->prof.brands[i], (long long)gx_now_ms(), s->who.uid);
        else
            gx_redis_cmd(s->srv->redis, NULL, NULL, "ZREM " GX_KEY_ONLINE " %s", s->prof.brands[i],
                         s->who.uid);
}

static void store_presence(gx_session *s)
{
    gx_server *srv = s->srv;
    gx_redis_cmd(srv->redis, NULL, NULL, "HSET " GX_KEY_PRES " status %s capacity %d node %s",
                 s->who.uid, s->available ? "available" : "away", s->capacity, srv->cfg->node_id);
    /* for operators' eyes only: gone with the absent sweep, and a day after the last change
     * should the sweep never see the user again */
    gx_redis_cmd(srv->redis, NULL, NULL, "EXPIRE " GX_KEY_PRES " %d", s->who.uid, GX_PRES_TTL_S);
    gx_redis_cmd(srv->redis, NULL, NULL, "ZADD " GX_KEY_PRESENCE " %lld %s", (long long)gx_now_ms(),
                 s->who.uid);
    store_online(s, s->available);
}

void gx_presence_gone(gx_session *s)
{
    if (s->available) /* an expert who closed the console is not online, whatever it said */
        store_online(s, false);
}

void gx_presence_on_set(gx_session *s, json_t *msg, const char *ref)
{
    const char *status = json_string_value(json_object_get(msg, "status"));
    long cap;
    if (!status || (strcmp(status, "available") != 0 && strcmp(status, "away") != 0)) {
        gx_session_error(s, GX_EBADREQ, ref, "'status' must be \"available\" or \"away\"");
        return;
    }
    if (!gx_request_field_int(s, msg, "capacity", 1, 10,
                              s->capacity ? s->capacity : s->prof.capacity, ref, &cap))
        return;
    bool was = s->available;
    /* The admin's capacity is a ceiling: an expert may take on less, never more. */
    s->capacity = (int)(cap < s->prof.capacity ? cap : s->prof.capacity);
    if (s->capacity < 1)
        s->capacity = 1;
    s->available = strcmp(status, "available") == 0;
    gx_presence_refresh(s);
    /* max_capacity: the ceiling, so a client can say why a higher choice did not hold */
    json_t *reply = json_pack("{s:s, s:s, s:i, s:i, s:i}", "type", "presence", "status", status,
                              "capacity", s->capacity, "active", s->held, "max_capacity",
                              s->prof.capacity < 1 ? 1 : s->prof.capacity);
    gx_session_send_json(s, reply, ref);
    json_decref(reply);
    store_presence(s);
    /* experts: gx_presence_refresh pulled the queue; at capacity, no new offers (contract) */
    if (s->who.role == GX_ROLE_EXPERT && s->available && !was && wants_offers(s))
        gx_pull_resend_held(s);
    if (s->who.role == GX_ROLE_STAFF && s->available && !was && wants_offers(s))
        gx_backlog_staff(s);
}

void gx_presence_heartbeat(gx_server *srv)
{
    /* One ZADD for every local expert: a beat costs one command, not one per socket. */
    size_t n = 0;
    for (gx_session *s = gx_session_first(srv); s; s = gx_session_next(s))
        if (s->state == GX_SS_READY && s->who.role != GX_ROLE_CUSTOMER)
            n++;
    if (!n)
        return;
    const char **argv = malloc(sizeof(char *) * (2 + 2 * n));
    char *scores = malloc(24 * n);
    if (!argv || !scores)
        goto out;
    argv[0] = "ZADD";
    argv[1] = GX_KEY_PRESENCE;
    size_t i = 0;
    long long now = (long long)gx_now_ms();
    for (gx_session *s = gx_session_first(srv); s && i < n; s = gx_session_next(s)) {
        if (s->state != GX_SS_READY || s->who.role == GX_ROLE_CUSTOMER)
            continue;
        snprintf(scores + 24 * i, 24, "%lld", now);
        argv[2 + 2 * i] = scores + 24 * i;
        argv[3 + 2 * i] = s->who.uid;
        i++;
    }
    gx_redis_argv(srv->redis, NULL, NULL, (int)(2 + 2 * i), argv, NULL);
out:
    free(argv);
    free(scores);
}

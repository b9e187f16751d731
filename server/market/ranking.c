/* The brands' wave rankings in Redis (see ranking.h). */
#include "gigcx/keys.h"
#include "gigcx/ranking.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/request.h"
#include "gigcx/util.h"
#include "gigcx/waves.h"

/* An expert with more skill x language x tier combinations than this per brand is ranked
 * in the first ones only; the others still reach them in a brand's last wave. */
#define GX_RANK_KEYS_MAX 256

void gx_ranking_key(char *buf, size_t cap, const char *brand, int tier, const char *topic,
                    const char *lang)
{
    snprintf(buf, cap, GX_KEY_RANK, brand, tier, topic, lang);
}

void gx_ranking_watch_key(char *buf, size_t cap, const char *brand, int tier, const char *topic,
                          const char *lang)
{
    snprintf(buf, cap, GX_KEY_RANK_WATCH, brand, tier, topic, lang);
}

void gx_ranking_owner_key(char *buf, size_t cap, const char *brand)
{
    snprintf(buf, cap, GX_KEY_RANK_OWNER, brand);
}

/* The next item of a ",a,b," list after *pos, copied into out; false at the end. */
static bool next_item(const char *csv, size_t *pos, char *out, size_t cap)
{
    const char *p = csv + *pos;
    if (*p == ',')
        p++;
    const char *end = strchr(p, ',');
    if (!*p || !end)
        return false;
    snprintf(out, cap, "%.*s", (int)(end - p), p);
    *pos = (size_t)(end - csv);
    return true;
}

/* Runs rank_set for one brand over every rank set the profile belongs to (and their watch
 * sets, rank_set.lua). op: "add" or "del". */
static void rank_call(gx_server *srv, const gx_profile *p, const char *brand, const char *expert,
                      long long sess_no, const char *op, double score, gx_redis_cb cb, void *priv)
{
    enum { KEYLEN = 220 };
    char no[24], sc[32], topic[72], lang[72];
    size_t sets = 0, ti = 0, li = 0, langs = 0;
    while (next_item(p->skills_csv, &ti, topic, sizeof(topic)))
        sets++;
    while (next_item(p->langs_csv, &li, lang, sizeof(lang)))
        langs++;
    sets *= langs * (p->tier >= 2 ? 2 : 1);
    if (sets > GX_RANK_KEYS_MAX)
        sets = GX_RANK_KEYS_MAX;
    char *keys = malloc((1 + 2 * sets) * KEYLEN);
    const char **argv = malloc(sizeof(char *) * (1 + 2 * sets + 4));
    size_t n = 0;
    if (!keys || !argv)
        goto out;
    gx_ranking_owner_key(keys, KEYLEN, brand);
    argv[0] = keys;
    ti = 0;
    while (next_item(p->skills_csv, &ti, topic, sizeof(topic))) {
        li = 0;
        while (next_item(p->langs_csv, &li, lang, sizeof(lang)))
            for (int tier = 1; tier <= p->tier && tier <= 2 && n < sets; tier++, n++) {
                char *rk = keys + (1 + n) * KEYLEN, *wk = keys + (1 + sets + n) * KEYLEN;
                gx_ranking_key(rk, KEYLEN, brand, tier, topic, lang);
                gx_ranking_watch_key(wk, KEYLEN, brand, tier, topic, lang);
                argv[1 + n] = rk;
                argv[1 + sets + n] = wk;
            }
    }
    snprintf(no, sizeof(no), "%lld", sess_no);
    snprintf(sc, sizeof(sc), "%.0f", score);
    if (n < sets) /* fewer sets than room was made for: the watch keys close up */
        memmove(argv + 1 + n, argv + 1 + sets, sizeof(char *) * n);
    const char *args[] = {expert, no, op, sc};
    memcpy(argv + 1 + 2 * n, args, sizeof(args));
    if (!gx_redis_script(srv->redis, GX_SCRIPT_RANK_SET, cb, priv, (int)(1 + 2 * n),
                         (int)(1 + 2 * n + 4), argv, NULL))
        priv = NULL;
out:
    if (priv)
        cb(NULL, priv);
    free(keys);
    free(argv);
}

/* One brand's change of a session's entries, until Redis says at which version. Changes
 * wait in srv->rank_q for the end of the loop iteration (gx_ranking_flush), so that a
 * fan-out that takes thousands of experts out of the rankings sends its offers first. */
typedef struct gx_rk_move {
    gx_session *s; /* a reference */
    int brand;
    const char *op; /* static: "add" or "del" */
    struct gx_rk_move *next;
} gx_rk_move;

/* rank_set's reply: {version, tasks nobody reached can take any more}. */
static void on_moved(redisReply *r, void *priv)
{
    gx_rk_move *d = priv;
    gx_rank_moved *m = d->s->moved ? &d->s->moved[d->brand] : NULL;
    bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
              r->element[0]->type == REDIS_REPLY_INTEGER;
    if (m && --m->inflight == 0)
        m->ver = ok && r->element[0]->integer > 0 ? r->element[0]->integer : INT64_MAX;
    for (size_t i = 1; ok && i < r->elements; i++)
        gx_waves_give_way(d->s->srv, r->element[i]);
    gx_session_unref(d->s);
    free(d);
}

static void move_call(gx_rk_move *d)
{
    gx_session *s = d->s;
    rank_call(s->srv, &s->prof, s->prof.brands[d->brand], s->who.sub, (long long)s->sess_no, d->op,
              s->rank, on_moved, d);
}

void gx_ranking_flush(gx_server *srv)
{
    gx_rk_move *d = srv->rank_q;
    srv->rank_q = NULL;
    srv->rank_q_tail = &srv->rank_q;
    while (d) {
        gx_rk_move *next = d->next;
        move_call(d);
        d = next;
    }
}

static void each_brand(gx_session *s, const char *op)
{
    gx_server *srv = s->srv;
    if (!s->moved && s->prof.nbrands)
        s->moved = calloc((size_t)s->prof.nbrands, sizeof(*s->moved));
    for (int i = 0; i < s->prof.nbrands; i++) {
        gx_rk_move *d = s->moved ? malloc(sizeof(*d)) : NULL;
        if (!d) { /* no memory to wait with: now, without learning the version */
            rank_call(srv, &s->prof, s->prof.brands[i], s->who.sub, (long long)s->sess_no, op,
                      s->rank, NULL, NULL);
            continue;
        }
        *d = (gx_rk_move){gx_session_ref(s), i, op, NULL};
        s->moved[i].inflight++;
        s->moved[i].ver = INT64_MAX; /* moving: later than any cut-off until Redis says */
        if (!srv->rank_q_tail)
            srv->rank_q_tail = &srv->rank_q;
        *srv->rank_q_tail = d;
        srv->rank_q_tail = &d->next;
    }
}

bool gx_ranking_moved_after(const gx_session *s, const char *brand, long long ver)
{
    for (int i = 0; s->moved && i < s->prof.nbrands; i++)
        if (strcmp(s->prof.brands[i], brand) == 0)
            return s->moved[i].ver > ver;
    return false;
}

static double score_of(const gx_profile *p, const char *id)
{
    gx_rep r = {.rating_sum = p->rating_sum,
                .rating_n = p->rating_n,
                .recent = p->recent,
                .last_end_s = p->last_end_s,
                .id = id};
    return gx_rank_score(&r);
}

double gx_ranking_score(const gx_session *s)
{
    return s->ranked ? s->rank : score_of(&s->prof, s->who.sub);
}

bool gx_ranking_saturated(const gx_session *s)
{
    int cap = s->capacity ? s->capacity : s->prof.capacity;
    int free_slots = cap - s->held - s->claiming;
    return s->noffers >= GX_PENDING_PER_SLOT * (free_slots > 1 ? free_slots : 1);
}

/* In the rankings while available with a free slot. Sitting on too many offers (the
 * spreading limit) is left to the nodes (offer.c passes such experts over for the next
 * below the cut-off): in Redis it flipped an expert in and out with every offer and
 * withdrawal, 88 rank_set calls a task in the drain scenario, most of Redis's time. The
 * score is worked out on entering, and again only when the figures behind it change. */
void gx_ranking_sync(gx_session *s)
{
    if (s->who.role != GX_ROLE_EXPERT || !s->sess_no || s->listed == s->ranked)
        return;
    if (s->listed)
        s->rank = score_of(&s->prof, s->who.sub);
    s->ranked = s->listed;
    each_brand(s, s->ranked ? "add" : "del");
}

void gx_ranking_take(gx_session *s)
{
    if (!s->ranked)
        return;
    s->ranked = false;
    each_brand(s, "del");
}

typedef struct {
    gx_server *srv;
    char expert[65];
    redisReply *profile; /* gx_ranking_forget: the stolen HGETALL, until the number comes */
} gx_rk;

static void on_outcome(redisReply *r, void *priv)
{
    gx_rk *k = priv;
    gx_session *s = gx_map_get(&k->srv->users, k->expert);
    if (s && s->who.role == GX_ROLE_EXPERT && r && r->type == REDIS_REPLY_ARRAY) {
        gx_profile_rep(&s->prof, r);
        s->rank = score_of(&s->prof, s->who.sub);
        if (s->ranked) /* the entries move to the new score */
            each_brand(s, "add");
    }
    free(k);
}

void gx_ranking_outcome(gx_server *srv, const char *expert, bool resolved)
{
    gx_rk *k = calloc(1, sizeof(*k));
    if (!k)
        return;
    k->srv = srv;
    snprintf(k->expert, sizeof(k->expert), "%s", expert);
    char key[96], now[24], keep[8];
    snprintf(key, sizeof(key), GX_KEY_EXPERT, expert);
    snprintf(now, sizeof(now), "%lld", (long long)(gx_now_ms() / 1000));
    snprintf(keep, sizeof(keep), "%d", GX_RANK_RECENT);
    const char *argv[] = {key, resolved ? "1" : "0", now, keep};
    if (gx_redis_script(srv->redis, GX_SCRIPT_OUTCOME, on_outcome, k, 1, 4, argv, NULL))
        free(k);
}

/* rank_set's reply for an expert whose node went away: the tasks they leave unreachable. */
static void on_forgot(redisReply *r, void *priv)
{
    for (size_t i = 1; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        gx_waves_give_way(priv, r->element[i]);
}

/* The expert's latest session number: entries written by it or older ones go. */
static void on_forget_number(redisReply *r, void *priv)
{
    gx_rk *k = priv;
    if (r && r->type == REDIS_REPLY_STRING && !gx_map_get(&k->srv->users, k->expert)) {
        gx_profile p = {0};
        gx_profile_load(&p, GX_ROLE_EXPERT, "", k->profile);
        for (int i = 0; i < p.nbrands; i++)
            rank_call(k->srv, &p, p.brands[i], k->expert, atoll(r->str), "del", 0, on_forgot,
                      k->srv);
        gx_profile_free(&p);
    }
    freeReplyObject(k->profile);
    free(k);
}

static void on_forget_profile(redisReply *r, void *priv)
{
    gx_rk *k = priv;
    if (!r || r->type != REDIS_REPLY_ARRAY || !r->elements || !(k->profile = gx_reply_steal(r))) {
        free(k);
        return;
    }
    if (gx_redis_cmd(k->srv->redis, on_forget_number, k, "GET " GX_KEY_SESS, k->expert)) {
        freeReplyObject(k->profile);
        free(k);
    }
}

void gx_ranking_forget(gx_server *srv, const char *expert)
{
    gx_rk *k = calloc(1, sizeof(*k));
    if (!k)
        return;
    k->srv = srv;
    snprintf(k->expert, sizeof(k->expert), "%s", expert);
    if (gx_redis_cmd(srv->redis, on_forget_profile, k, "HGETALL " GX_KEY_EXPERT, expert))
        free(k);
}

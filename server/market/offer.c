/* Offers: publishing a waiting task to every node, fanning it out to the local experts
 * (or staff) who are eligible, withdrawing it from everyone holding it, and the backlog an
 * expert gets on going available. One encoded frame is shared by every socket it goes to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/decline.h"
#include "gigcx/error.h"
#include "gigcx/held.h"
#include "gigcx/offer.h"
#include "gigcx/privacy.h"
#include "gigcx/ranking.h"
#include "gigcx/request.h"
#include "gigcx/keys.h"
#include "gigcx/util.h"
#include "gigcx/waiting.h"

#define GX_BACKLOG_MAX 50

const char *const gx_offer_fields[] = {"brand",
                                       "topic",
                                       "language",
                                       "priority",
                                       "preview",
                                       "pay",
                                       "created_at",
                                       "expires_at",
                                       "status",
                                       "tier",
                                       "assignee",
                                       "wave",
                                       "wave_min",
                                       "wave_k",
                                       "wave_t",
                                       "escalated_at",
                                       "escalation_reason",
                                       "escalated_by_name",
                                       "handover",
                                       "offline"};
/* The offer frame for a task (new reference); wave < 0 for none. */
json_t *gx_offer_json(const char *task, const gx_offer_spec *sp, int wave)
{
    json_t *pay = json_loads(sp->pay, 0, NULL);
    if (!json_is_object(pay)) {
        json_decref(pay);
        pay = json_object();
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o, s:I, s:I}", "type", "offer",
                          "task", task, "brand", sp->brand, "topic", sp->topic, "language",
                          sp->lang, "priority", (json_int_t)atoll(sp->priority), "preview",
                          sp->preview, "pay", pay, "created_at", (json_int_t)atoll(sp->created_at),
                          "expires_at", (json_int_t)atoll(sp->expires_at));
    if (o && wave >= 0)
        json_object_set_new(o, "wave", json_integer(wave));
    if (o && sp->escalated_at && sp->escalated_at[0]) { /* staff: why it came to them */
        json_object_set_new(o, "escalated_at", json_integer(atoll(sp->escalated_at)));
        json_object_set_new(o, "escalation_reason", json_string(sp->escalation_reason));
        if (sp->escalated_by && sp->escalated_by[0])
            json_object_set_new(o, "escalated_by", json_pack("{s:s}", "name", sp->escalated_by));
    } else if (o && sp->handover && sp->handover[0]) { /* back in the queue: released or not */
        json_object_set_new(o, "handover", json_string(sp->handover));
    }
    if (o && sp->offline && strcmp(sp->offline, "1") == 0) /* nobody waits on the line */
        json_object_set_new(o, "offline", json_true());
    return o;
}

/* The spec of a task from its HMGET reply (strings borrowed from r). */
gx_offer_spec gx_offer_spec_of(const redisReply *r)
{
    return (gx_offer_spec){.brand = gx_reply_str(r, O_BRAND),
                           .topic = gx_reply_str(r, O_TOPIC),
                           .lang = gx_reply_str(r, O_LANG),
                           .priority = gx_reply_str(r, O_PRIO),
                           .preview = gx_reply_str(r, O_PREVIEW),
                           .pay = gx_reply_str(r, O_PAY),
                           .created_at = gx_reply_str(r, O_CREATED),
                           .expires_at = gx_reply_str(r, O_EXPIRES),
                           .tier = gx_reply_str(r, O_TIER),
                           .wave_k = gx_reply_str(r, O_WAVE_K),
                           .wave_t = gx_reply_str(r, O_WAVE_T),
                           .escalated_at = strcmp(gx_reply_str(r, O_STATUS), "escalated") == 0
                                               ? gx_reply_str(r, O_ESC_AT)
                                               : "",
                           .escalation_reason = gx_reply_str(r, O_ESC_REASON),
                           .escalated_by = gx_reply_str(r, O_ESC_BY),
                           .handover = gx_reply_str(r, O_HANDOVER),
                           .offline = gx_reply_str(r, O_OFFLINE)};
}

int gx_offer_read(gx_server *srv, const char *task, gx_redis_cb cb, void *priv)
{
    char key[96];
    gx_keys_task(key, sizeof(key), task, "task");
    const char *argv[2 + O_N] = {"HMGET", key};
    memcpy(argv + 2, gx_offer_fields, sizeof(char *) * O_N);
    return gx_redis_argv(srv->redis, cb, priv, 2 + O_N, argv, NULL);
}

typedef struct {
    gx_server *srv;
    char task[65];
    bool next;      /* the next wave, not the first */
    uint64_t t0_ns; /* when the task was asked for */
} gx_pub;

/* A waiting task's wave n. */
static void start_wave(gx_server *srv, const char *task, const gx_offer_spec *sp, int n,
                       uint64_t t0_ns)
{
    gx_wave *w = calloc(1, sizeof(*w));
    json_t *o = gx_offer_json(task, sp, n);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!w || !body) {
        free(w);
        free(body);
        return;
    }
    *w = (gx_wave){.srv = srv,
                   .tier = atoi(sp->tier),
                   .n = n,
                   /* tasks from before waves existed go to everyone at once */
                   .size = sp->wave_k[0] ? atol(sp->wave_k) : 0,
                   .interval_ms =
                       sp->wave_t[0] ? atoll(sp->wave_t) : GX_WAVE_INTERVAL_DEFAULT * 1000LL,
                   .body = body,
                   .t0_ns = t0_ns,
                   .prio = atoi(sp->priority),
                   .created = atoll(sp->created_at),
                   .expires = atoll(sp->expires_at)};
    snprintf(w->task, sizeof(w->task), "%s", task);
    snprintf(w->brand, sizeof(w->brand), "%s", sp->brand);
    snprintf(w->lang, sizeof(w->lang), "%s", sp->lang);
    snprintf(w->topic, sizeof(w->topic), "%s", sp->topic);
    gx_waves_cut(w);
}

void gx_offer_first_wave(gx_server *srv, const char *task, const gx_offer_spec *sp)
{
    start_wave(srv, task, sp, 0, uv_hrtime());
}

/* Escalated and unassigned: every connected staff member of the brand gets it. */
static void offer_staff(gx_pub *p, const gx_offer_spec *sp)
{
    json_t *o = gx_offer_json(p->task, sp, -1);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    const char *f[] = {sp->brand, p->task};
    if (body)
        gx_bus_publish(p->srv->redis, GX_CH_OFFER, 'E', f, 2, body);
    p->srv->m.offers_published++;
    free(body);
    json_decref(o);
}

static void on_task_for_offer(redisReply *r, void *priv)
{
    gx_pub *p = priv;
    const char *status = gx_reply_str(r, O_STATUS);
    bool queued = strcmp(status, "queued") == 0;
    bool esc = strcmp(status, "escalated") == 0 && !gx_reply_str(r, O_ASSIGNEE)[0];
    gx_offer_spec sp = gx_offer_spec_of(r);
    if (queued)
        start_wave(p->srv, p->task, &sp, p->next ? atoi(gx_reply_str(r, O_WAVE)) + 1 : 0, p->t0_ns);
    else if (r && p->next)
        gx_waves_forget(p->srv, p->task, sp.brand, atoi(sp.tier), sp.topic, sp.lang);
    if (esc && !p->next)
        offer_staff(p, &sp);
    free(p);
}

static void publish(gx_server *srv, const char *task, bool next)
{
    gx_pub *p = calloc(1, sizeof(*p));
    if (!p)
        return;
    p->srv = srv;
    p->next = next;
    p->t0_ns = uv_hrtime();
    snprintf(p->task, sizeof(p->task), "%s", task);
    if (gx_offer_read(srv, task, on_task_for_offer, p))
        free(p);
}

void gx_offer_publish(gx_server *srv, const char *task)
{
    publish(srv, task, false);
}

void gx_offer_next_wave(gx_server *srv, const char *task)
{
    publish(srv, task, true);
}

int gx_offer_announce(gx_server *srv, const gx_wave *w, const char *thr, gx_redis_cb cb, void *priv)
{
    char key[96], n[16], tier[16], ver[24], prio[16], created[24], expires[24], size[24];
    snprintf(tier, sizeof(tier), "%d", w->tier);
    snprintf(ver, sizeof(ver), "%lld", w->ver);
    snprintf(prio, sizeof(prio), "%d", w->prio);
    snprintf(created, sizeof(created), "%lld", w->created);
    snprintf(expires, sizeof(expires), "%lld", w->expires);
    snprintf(size, sizeof(size), "%ld", w->size);
    snprintf(n, sizeof(n), "%d", w->n);
    const char *f[GX_BUS_OFFER_FIELDS - 1] = {w->brand, w->lang, w->topic, tier,    w->task, thr,
                                              ver,      prio,    created,  expires, size,    n};
    char *payload = gx_bus_encode('O', f, GX_BUS_OFFER_FIELDS - 1, w->body);
    if (!payload)
        return GX_EINTERNAL;
    gx_keys_task(key, sizeof(key), w->task, "task");
    const char *argv[] = {key, n, thr, payload};
    int rc = gx_redis_script(srv->redis, GX_SCRIPT_WAVE_PUB, cb, priv, 1, 4, argv, NULL);
    free(payload);
    if (!rc && w->n == 0)
        srv->m.offers_published++;
    return rc;
}

/* An offer's language and topic as bits (tags.h) and in ",value," form, and its wave's
 * cut-off score, built once per fan-out. */
typedef struct {
    char lang[72], topic[72];
    int lang_bit, topic_bit; /* -1: no local expert's profile names the word */
    int tier;
    double min; /* the wave reaches experts scoring at least this */
} gx_needles;

/* thr is a wave's cut-off: a score, or "-" or "" for everyone. */
static void needles(gx_server *srv, gx_needles *n, const char *lang, const char *topic, int tier,
                    const char *thr)
{
    snprintf(n->lang, sizeof(n->lang), ",%s,", lang);
    snprintf(n->topic, sizeof(n->topic), ",%s,", topic);
    n->lang_bit = gx_tags_bit(&srv->tags, lang, false);
    n->topic_bit = gx_tags_bit(&srv->tags, topic, false);
    n->tier = tier;
    n->min = thr[0] && thr[0] != '-' ? strtod(thr, NULL) : -1;
}

/* Whether s speaks the offer's language and has its skill. */
static bool matches(const gx_session *s, const gx_needles *n)
{
    const gx_profile *p = &s->prof;
    if (p->tags_spill) /* some of s's words have no bit */
        return strstr(p->langs_csv, n->lang) && strstr(p->skills_csv, n->topic);
    return n->lang_bit >= 0 && n->topic_bit >= 0 && (p->lang_bits >> n->lang_bit & 1) &&
           (p->skill_bits >> n->topic_bit & 1);
}

/* How an expert stands towards a wave's offer. */
enum { FIT_NO, FIT_BUSY, FIT_ABOVE, FIT_BELOW };

static int fit(const gx_session *s, const gx_needles *n)
{
    /* experts sitting on too many offers wait for a later wave (ranking.h) */
    bool busy = gx_ranking_saturated(s), below = s->rank < n->min;
    if (s->prof.tier < n->tier || (busy && below)) /* the cheap tests before the searches */
        return FIT_NO;
    if (!matches(s, n))
        return FIT_NO;
    return below ? FIT_BELOW : busy ? FIT_BUSY : FIT_ABOVE;
}

void gx_offer_give(gx_session *s, gx_tlocal *t, gx_buf *b, const gx_offer_key *k)
{
    if (gx_svec_push(&t->holders, s))
        return;
    if (gx_held_add(s, t, k->prio, k->created, k->expires)) {
        t->holders.n--;
        return;
    }
    gx_session_ref(s);
    s->srv->m.offers_sent++;
    gx_ranking_sync(s);
    gx_session_send(s, b);
}

void gx_offer_hand(gx_session *s, gx_waiting *w)
{
    gx_tlocal *t = gx_server_task(s->srv, w->task, true);
    gx_offer_key k = {w->prio, w->created, w->expires};
    if (t)
        gx_offer_give(s, t, gx_privacy_frame(s, w->body, &w->masked, &w->tried), &k);
}

/* A wave's frame, and its tier-1 variant built for the first tier-1 expert. */
typedef struct {
    gx_buf *b, *masked;
    bool tried;
    gx_offer_key key;
} gx_frame_variants;

static void offer_one(gx_session *s, gx_tlocal *t, gx_frame_variants *fv)
{
    gx_offer_give(s, t, gx_privacy_frame(s, fv->b, &fv->masked, &fv->tried), &fv->key);
}

/* An expert at the spreading limit is not kept from a task of higher priority than an
 * offer they hold: the lowest such offer (the newest among equals) makes room for it. */
static bool displace(gx_session *s, int prio)
{
    int i = gx_held_lowest(s);
    if (i < 0 || s->offers[i].prio >= prio)
        return false;
    gx_held_withdraw(s, i, "displaced", NULL);
    s->srv->m.offers_displaced++;
    return true;
}

static void offer_staff_all(gx_svec *v, gx_tlocal *t, uint64_t mark, gx_frame_variants *fv)
{
    for (int i = 0; i < v->n; i++)
        if (v->v[i]->of_mark != mark)
            offer_one(v->v[i], t, fv);
}

/* The best `cap` sessions by score: a min-heap on rank, root the worst kept. */
typedef struct {
    gx_session **v;
    int n, cap;
} gx_best;

static void best_sift_down(gx_best *h, int i)
{
    for (;;) {
        int l = 2 * i + 1, m = i;
        if (l < h->n && h->v[l]->rank < h->v[m]->rank)
            m = l;
        if (l + 1 < h->n && h->v[l + 1]->rank < h->v[m]->rank)
            m = l + 1;
        if (m == i)
            return;
        gx_session *x = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = x;
        i = m;
    }
}

static void best_push(gx_best *h, gx_session *s)
{
    if (h->n == h->cap) {
        if (s->rank > h->v[0]->rank) {
            h->v[0] = s;
            best_sift_down(h, 0);
        }
        return;
    }
    int i = h->n++;
    for (; i > 0 && h->v[(i - 1) / 2]->rank > s->rank; i = (i - 1) / 2)
        h->v[i] = h->v[(i - 1) / 2];
    h->v[i] = s;
}

/* Experts at or above the cut-off get the offer. Those of them sitting on too many offers
 * are passed over, and as many of this node's best ready experts below the cut-off get it
 * in their place when the cut-off counted them (less those it did not count who came in
 * since, and took their places): a burst of tasks reads the ranking before
 * Redis learns of the burst's own offers, and would otherwise send every task of it to the
 * same few experts. f: the 'O' header (brand, language, topic, tier, task, cut, version). */
static void offer_experts(gx_server *srv, gx_svec *v, gx_tlocal *t, uint64_t mark, char **f,
                          gx_frame_variants *fv)
{
    gx_needles n;
    needles(srv, &n, f[2], f[3], atoi(f[4]), f[6]);
    /* the cut-off counted those who left after it was read, and not those who came in */
    long long ver = atoll(f[7]);
    bool cut = n.min >= 0; /* without one (waves off) nobody is replaced: no count */
    int passed = 0;
    for (int i = 0; i < v->n; i++) {
        gx_session *s = v->v[i];
        if (s->of_mark == mark || s->rank < n.min || gx_decline_has(s, f[5], fv->key.expires))
            continue; /* nothing to do here for those below the cut-off (fit: NO or BELOW) */
        int how = fit(s, &n);
        if (how == FIT_BUSY && displace(s, fv->key.prio))
            how = FIT_ABOVE;
        bool moved =
            cut && (how == FIT_BUSY || how == FIT_ABOVE) && gx_ranking_moved_after(s, f[1], ver);
        if (cut && how == FIT_BUSY && !moved)
            passed++; /* the cut-off counted them, and they sit on too many offers */
        else if (moved && how == FIT_ABOVE)
            passed--;         /* came in after the cut-off was read: a place it did not count */
        if (how == FIT_ABOVE) /* after the count: the offer may take s out of the rankings */
            offer_one(s, t, fv);
    }
    if (passed <= 0)
        return;
    gx_best h = {.v = malloc(sizeof(gx_session *) * (size_t)passed), .cap = passed};
    for (int i = 0; h.v && i < v->n; i++)
        if (v->v[i]->of_mark != mark && fit(v->v[i], &n) == FIT_BELOW &&
            !gx_decline_has(v->v[i], f[5], fv->key.expires))
            best_push(&h, v->v[i]);
    for (int i = 0; i < h.n; i++)
        offer_one(h.v[i], t, fv);
    free(h.v);
}

/* Keeps a wave's task in this node's copy of the queue, whoever is connected here.
 * f: the 'O' header (see gx_offer_announce). */
static void remember(gx_server *srv, char **f, gx_buf *b)
{
    gx_waiting_spec sp = {.task = f[5],
                          .brand = f[1],
                          .lang = f[2],
                          .topic = f[3],
                          .tier = atoi(f[4]),
                          .min = f[6][0] && f[6][0] != '-' ? strtod(f[6], NULL) : -1,
                          .prio = atoi(f[8]),
                          .created = atoll(f[9]),
                          .expires = atoll(f[10]),
                          .size = atol(f[11]),
                          .wave = atoi(f[12])};
    if (!gx_waiting_put(srv, &sp, b))
        srv->m.waiting_full++;
}

static void fan_out(gx_server *srv, char **f, int nf, const char *body, size_t blen)
{
    bool staff = f[0][0] == 'E';
    if ((staff && nf != 3) || (!staff && nf != GX_BUS_OFFER_FIELDS))
        return;
    const char *brand = f[1], *task = staff ? f[2] : f[5];
    gx_buf *b = gx_buf_new(body, blen);
    if (!b)
        return;
    if (!staff)
        remember(srv, f, b);
    gx_tlocal *was = gx_server_task(srv, task, false);
    if (was) /* offered again (requeued, escalated): claimable, whoever won it before */
        was->taken = false;
    gx_blocal *bl = gx_server_brand(srv, brand, false);
    gx_svec *v = bl ? (staff ? &bl->staff : &bl->experts) : NULL;
    gx_tlocal *t = v && v->n ? gx_server_task(srv, task, true) : NULL;
    if (!t) {
        gx_buf_unref(b);
        return;
    }
    uint64_t mark = ++srv->wd_serial; /* an earlier wave (or the backlog) reached these */
    for (int i = 0; i < t->holders.n; i++)
        t->holders.v[i]->of_mark = mark;
    gx_frame_variants fv = {.b = b};
    if (!staff)
        fv.key = (gx_offer_key){atoi(f[8]), atoll(f[9]), atoll(f[10])};
    if (staff)
        offer_staff_all(v, t, mark, &fv);
    else
        offer_experts(srv, v, t, mark, f, &fv);
    gx_buf_unref(fv.masked);
    gx_buf_unref(b);
    gx_server_task_gc(srv, t);
}

static void withdraw(gx_server *srv, char **f, int nf, const char *body, size_t blen)
{
    if (nf != 3)
        return;
    gx_waiting_drop(srv, f[1]);
    gx_tlocal *t = gx_server_task(srv, f[1], false);
    if (t)
        t->withdrawals++;
    if (!t || !t->holders.n)
        return;
    gx_buf *b = gx_buf_new(body, blen);
    uint64_t mark = ++srv->wd_serial;
    for (int i = 0; i < t->holders.n; i++) {
        gx_session *s = t->holders.v[i];
        if (s->wd_mark != mark && strcmp(s->who.uid, f[2]) != 0) {
            s->wd_mark = mark;
            srv->m.withdrawals_sent++;
            gx_session_send(s, b);
        }
        int k = gx_held_find(s, f[1]);
        if (k >= 0)
            gx_held_del(s, k);
        gx_ranking_sync(s);
        gx_pull_room(s); /* under the spreading limit again, maybe */
        gx_session_unref(s);
    }
    t->holders.n = 0;
    gx_buf_unref(b);
    gx_server_task_gc(srv, t);
}

void gx_offer_on_event(gx_server *srv, const char *payload, size_t len)
{
    gx_bus_msg m;
    if (gx_bus_parse(payload, len, &m))
        return;
    if (m.kind == 'O' || m.kind == 'E') {
        uint64_t t0 = uv_hrtime();
        fan_out(srv, m.f, m.n, m.body, m.blen);
        gx_metrics_summary_observe(&srv->m.route, (double)(uv_hrtime() - t0) / 1e9);
    } else if (m.kind == 'W') {
        withdraw(srv, m.f, m.n, m.body, m.blen);
    }
}

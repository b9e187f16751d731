/* One WebSocket session (an expert, customer or staff member on one socket): the
 * marketplace's half of a connection, whose transport half (conn.h) is its first member. It
 * outlives its socket while Redis replies for it are in flight: those hold references, and
 * the socket is NULL once gone, so a late reply is dropped instead of touching freed memory.
 * All sending goes through gx_session_send, which queues a shared frame. */
#ifndef GIGCX_SESSION_H
#define GIGCX_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "gigcx/bucket.h"
#include "gigcx/buf.h"
#include "gigcx/conn.h"
#include "gigcx/jwt.h"
#include "gigcx/rank.h"
#include "gigcx/server.h"
#include "gigcx/sid.h"

enum { GX_SS_NEW, GX_SS_AUTHING, GX_SS_READY, GX_SS_CLOSED };

/* A task this session takes part in, and how far its chat has been delivered. */
typedef struct {
    char task[65];
    gx_sid last;      /* highest message id delivered to this session */
    bool holds;       /* an expert or staff member holding the task (counted in held) */
    bool catching_up; /* a stream read is in flight; live messages wait in pending */
    bool watching;    /* staff supervising the chat read-only (supervise.h) */
    char status[12];  /* the task's status as this session was last told it (recheck.h) */
    bool told;        /* that status came from a re-read, not a live update */
    gx_buf **pending; /* owned refs, in arrival order */
    gx_sid *pending_ids;
    int npending, cappending;
} gx_join;

/* An expert's profile as the admin API stored it. */
typedef struct {
    char *brands_csv; /* owned ",a,b," forms, for the claim script and local filters */
    char *langs_csv;
    char *skills_csv;
    char **brands; /* owned */
    int nbrands;
    uint64_t lang_bits, skill_bits; /* the same words as bits (tags.h) */
    bool tags_spill;                /* some word has no bit: search the strings */
    int tier;
    int capacity; /* the admin's maximum */
    /* reputation figures (rank.h), refreshed when a task ends */
    int64_t rating_sum, rating_n, last_end_s;
    char recent[GX_RANK_RECENT + 1];
} gx_profile;

/* When an expert's entries in one brand's rankings last changed (ranking.h). */
typedef struct {
    int64_t ver;  /* the brand's ranking version then; INT64_MAX while Redis has not said */
    int inflight; /* changes sent and not answered yet */
} gx_rank_moved;

/* An offer an expert or staff member holds: not claimed, not withdrawn (held.c). */
typedef struct {
    gx_tlocal *t; /* the task's local entry, kept while the session is among its holders */
    int prio;
    long long created, expires; /* ms */
} gx_held_offer;

/* A task an expert declined, until it is requeued (its expires_at changes then). */
typedef struct {
    char task[65];
    long long expires;
    int64_t until_ms; /* 0: until requeued; else a release's hold-back ends then */
} gx_declined;

#define GX_DECLINED_MAX 64 /* the latest declines an expert's session remembers */

typedef struct gx_session {
    gx_conn c;            /* the transport half: first, so a gx_conn is its session */
    gx_server *srv;       /* borrowed */
    uint64_t serial;      /* process-unique */
    char origin[96];      /* "<node>/<serial>": names this session in published events */
    int state;            /* GX_SS_* */
    gx_claims who;        /* valid from GX_SS_AUTHING on */
    int64_t sess_no;      /* experts/staff: session number from Redis, 0 until known */
    int64_t seen_sess_no; /* highest number seen published for this user */

    /* flood control: this socket's bucket, and its user's over all its sockets here */
    gx_bucket flood;
    struct gx_userlim *user_flood; /* borrowed from srv->limits; NULL before hello */
    int64_t strike_ms;             /* start of the window strikes are counted in */
    int strikes;

    /* experts and staff */
    gx_profile prof;
    bool available;
    int capacity; /* chosen with presence.set, at most prof.capacity */
    int held;     /* tasks held */
    int claiming; /* claims in flight, counted against capacity */
    int *bpos;    /* owned: position in each brand's list, -1 when not listed */
    uint64_t wd_mark;
    uint64_t of_mark;      /* marks the holders of a task during a wave's fan-out */
    double rank;           /* experts: wave score (rank.h), as put in the brands' rankings */
    bool ranked;           /* in the brands' rankings in Redis (ranking.h): a free slot */
    gx_rank_moved *moved;  /* owned, one per brand: when its entries there last changed */
    bool listed;           /* in the local brand lists: available and below capacity */
    gx_held_offer *offers; /* owned: offers held and not yet withdrawn */
    int noffers, capoffers;
    gx_declined *declined; /* owned ring of GX_DECLINED_MAX (decline.c) */
    int ndeclined, declined_next;
    bool declines_loaded; /* the declines kept in Redis are in (pulls wait for them) */
    bool pull_queued;     /* in srv->pull_q (pull.c) */

    /* tasks taken part in */
    gx_join *joins; /* owned */
    int njoins, capjoins;
} gx_session;

/* The session a connection is (its transport half is its first member). */
static inline gx_session *gx_session_of(gx_conn *c)
{
    return (gx_session *)c;
}

/* Takes and drops references; the last unref frees the session. */
static inline gx_session *gx_session_ref(gx_session *s)
{
    gx_conn_ref(&s->c);
    return s;
}
static inline void gx_session_unref(gx_session *s)
{
    if (s)
        gx_conn_unref(&s->c);
}

/* True while the socket is open and the session may be sent to. */
static inline bool gx_session_live(const gx_session *s)
{
    return gx_conn_live(&s->c) && s->state != GX_SS_CLOSED;
}

/* Queues a shared frame (conn.h). No-op on a dead session. */
static inline void gx_session_send(gx_session *s, gx_buf *b)
{
    if (gx_session_live(s))
        gx_conn_send(&s->c, b);
}
/* Encodes and queues j, adding "ref" when ref is not NULL. Does not steal j. */
static inline void gx_session_send_json(gx_session *s, json_t *j, const char *ref)
{
    gx_conn_send_json(&s->c, j, ref);
}
/* Closes with code once queued frames are out (flush) or at once. */
static inline void gx_session_close(gx_session *s, int code, const char *reason, bool flush)
{
    gx_conn_close(&s->c, code, reason, flush);
}

/* Every open session of this node: for (s = gx_session_first(srv); s; s = gx_session_next(s)). */
static inline gx_session *gx_session_first(const gx_server *srv)
{
    return (gx_session *)srv->net.all;
}
static inline gx_session *gx_session_next(const gx_session *s)
{
    return (gx_session *)s->c.next;
}

/* The transport's hooks (gx_net_ops): a socket opened, closed, and the last reference gone. */
gx_conn *gx_session_open(gx_net *net, struct lws *wsi);
void gx_session_closed(gx_conn *c);
void gx_session_free(gx_conn *c);

/* Queues {"type":"error","code","message","ref"} and counts it. */
void gx_session_error(gx_session *s, int err, const char *ref, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The join record of task, or NULL; gx_session_join creates it (NULL only on no memory)
 * and lists the session as a member of the task's local entry. */
gx_join *gx_session_find_join(gx_session *s, const char *task);
gx_join *gx_session_join(gx_session *s, const char *task);
void gx_session_leave(gx_session *s, const char *task);

/* An expert or staff member's part in task ended: it stops counting against capacity and
 * the session leaves the task. No-op when s did not hold it. */
void gx_session_let_go(gx_session *s, const char *task);

/* Delivers one chat message frame with stream id id: queued now, buffered while the join
 * is catching up, dropped when at or below what was delivered. */
void gx_session_deliver_chat(gx_session *s, gx_join *j, gx_sid id, gx_buf *b);

/* Reads the stream of a joined task after `from` and delivers every message, then what
 * arrived live meanwhile, without a gap or a duplicate. */
void gx_session_catch_up(gx_session *s, gx_join *j);

/* Profile (profile.c): fills p from an HGETALL of gx:expert:<id> (staff get their token's
 * brand and no skills); gx_profile_rep refreshes only the reputation figures. */
void gx_profile_load(gx_profile *p, gx_role role, const char *brand, const redisReply *h);
void gx_profile_rep(gx_profile *p, const redisReply *h);
void gx_profile_free(gx_profile *p);

/* Lists/unlists an available expert or staff member in its brands' local lists. */
void gx_session_list_available(gx_session *s);
void gx_session_unlist_available(gx_session *s);

#endif

/* The bus: messages between gigcxd nodes over Redis pub/sub, encoded and decoded here only.
 * A message is a header line, a kind letter and its fields separated by tabs, then '\n' and
 * the JSON frame that goes out to clients as it is ("S" and "R" have no frame). Chat messages
 * ("M") are built by chat_append.lua, in the same shape. docs/redis-keys.md lists every kind.
 *
 *   channel          kind  fields after the letter                        frame
 *   GX_CH_TASK       M     task, stream id                                chat.message
 *                    Y     task, sender uid                               chat.typing
 *                    U     task, origin session or -, * (holders let go) or -   task.update
 *                          (or ~uid: every holder but uid lets go, a take-over)
 *                    N     task, note id (a staff whisper; never to customers)    chat.whisper
 *   GX_CH_OFFER      O     GX_BUS_OFFER_FIELDS - 1 (gx_bus_offer)         offer
 *                    E     brand, task                                    offer (escalated)
 *                    W     task, winner uid or -                          offer.withdrawn
 *   GX_CH_SESS       S     uid, session number                            -
 *                    R     uid, unix seconds tokens are revoked up to,    -
 *                          then optionally why ("deactivated": an expert's
 *                          deactivation, named in the close reason) */
#ifndef GIGCX_BUS_H
#define GIGCX_BUS_H

#include <stddef.h>
#include <jansson.h>
#include "gigcx/redis.h"

#define GX_CH_TASK "gx:ev:task"   /* chat messages, typing, status updates */
#define GX_CH_OFFER "gx:ev:offer" /* new offers and withdrawals */
#define GX_CH_SESS "gx:ev:sess"   /* one-session-per-expert takeovers, revocations */

#define GX_BUS_FIELDS_MAX 16
#define GX_BUS_HEAD_MAX 512
#define GX_BUS_OFFER_FIELDS 13 /* an "O" header's fields, its letter included */

/* One decoded message: the header's fields (copied into head), the frame in place. */
typedef struct {
    char kind;                  /* the first field's letter */
    int n;                      /* fields, the letter's included */
    char *f[GX_BUS_FIELDS_MAX]; /* f[0] is the letter; they point into head */
    const char *body;           /* the frame (borrowed from the payload); "" when none */
    size_t blen;
    char head[GX_BUS_HEAD_MAX];
} gx_bus_msg;

/* Decodes payload into m; -1 when it has no header or a header over GX_BUS_HEAD_MAX. */
int gx_bus_parse(const char *payload, size_t len, gx_bus_msg *m);

/* kind, the n fields and body (NULL: none) as one message. Caller frees; NULL on no memory,
 * or when a field holds a tab or a newline. */
char *gx_bus_encode(char kind, const char *const *fields, int n, const char *body);

/* Encodes and publishes on channel, fire and forget: 0, or an error code when it could not
 * be sent (Redis down, no memory, a bad field). */
int gx_bus_publish(gx_redis *redis, const char *channel, char kind, const char *const *fields,
                   int n, const char *body);

/* "U": a task.update for everyone in the task but origin; freed "*" makes every expert or
 * staff member holding it let go, "-" nobody. Does not steal update. */
char *gx_bus_update(const char *task, const char *origin, const char *freed, json_t *update);
/* "W": the task's offer is withdrawn (winner NULL: nobody won it) for reason. */
char *gx_bus_withdraw(const char *task, const char *winner, const char *reason);

#endif
